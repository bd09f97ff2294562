import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { NetworkPlan, NodeSubnets } from "../network-plan";
import { NodePrep, NodePrepSettings, nodePrepArgsFor } from "../node-prep";
import { AddressPlan, ClusterSpec, NodeSpec, PreviousAllocation } from "../plan";
import { PodNetwork, PodNetworkSettings } from "../pod-network";
import { validateClusterNetwork } from "./validate";

export interface ClusterNetworkArgs {
    /** Cluster-wide address settings (pod and Service CIDRs, node masks, node network, reserved ranges). Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned pod subnets. Plain, not an Input. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name, so no node's subnet moves. Default: nothing remembered. */
    previous?: PreviousAllocation;
    /** The flannel pod network's settings. Default: vxlan, with each Node's podCIDR(s) patched from the plan. */
    podNetwork?: PodNetworkSettings;
    /** Prepare every node over SSH before flannel starts (modules, sysctls, CNI plugins). Default: the nodes are left alone. */
    nodePrep?: NodePrepSettings;
}

/**
 * A lab cluster's whole network: the address plan and everything built on it. Validates all of its args before
 * registering any child, so bad input never half-applies.
 */
export class ClusterNetwork extends pulumi.ComponentResource {
    /** The address plan component. */
    public readonly networkPlan: NetworkPlan;
    /** The whole address plan. */
    public readonly plan: pulumi.Output<AddressPlan>;
    /** Each node's pod subnets, by node name (read back as the previous allocation on the next run). */
    public readonly nodeSubnets: pulumi.Output<Record<string, NodeSubnets>>;
    /** The flannel pod network. */
    public readonly podNetwork: PodNetwork;
    /** Node preparation, when `args.nodePrep` is set; the flannel DaemonSet waits for it. */
    public readonly nodePrep?: NodePrep;
    /** The pods' MTU: the underlay MTU minus the backend's overhead. */
    public readonly podMtu: pulumi.Output<number>;
    /** The kube-controller-manager flags matching the plan; only when the pod network leaves podCIDRs to it. */
    public readonly controllerManagerFlags?: pulumi.Output<string[]>;

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:ClusterNetwork", name, args, opts);
        const validated = validateClusterNetwork(args, ARGS_KEYS);
        if (!validated.ok) {
            throw new pulumi.RunError(`ClusterNetwork "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`);
        }
        this.networkPlan = new NetworkPlan(`${name}-plan`, { cluster: args.cluster, nodes: args.nodes, previous: args.previous }, { parent: this });
        this.plan = this.networkPlan.plan;
        this.nodeSubnets = this.networkPlan.nodeSubnets;
        const plan = this.networkPlan.value;
        const podNetwork = args.podNetwork ?? {};
        if (args.nodePrep !== undefined) {
            this.nodePrep = new NodePrep(`${name}-node-prep`, nodePrepArgsFor(plan, args.nodePrep, podNetwork), { parent: this });
        }
        this.podNetwork = new PodNetwork(`${name}-pod-network`, { ...podNetwork, plan, prerequisites: this.nodePrep?.commands ?? [] }, { parent: this });
        this.podMtu = this.podNetwork.podMtu;
        this.controllerManagerFlags = this.podNetwork.controllerManagerFlags;
        this.registerOutputs({ plan: this.plan, nodeSubnets: this.nodeSubnets, podMtu: this.podMtu });
    }
}
