import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { NetworkPlan, NodeSubnets } from "../network-plan";
import { AddressPlan, ClusterSpec, NodeSpec, PreviousAllocation } from "../plan";
import { validateClusterNetwork } from "./validate";

export interface ClusterNetworkArgs {
    /** Cluster-wide address settings (pod and Service CIDRs, node masks, node network, reserved ranges). Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned pod subnets. Plain, not an Input. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name, so no node's subnet moves. Default: nothing remembered. */
    previous?: PreviousAllocation;
}

/** Returns the args if they are valid; otherwise throws, before the component itself is registered. */
function validArgs(name: string, args: ClusterNetworkArgs): ClusterNetworkArgs {
    const validated = validateClusterNetwork(args, ARGS_KEYS);
    if (!validated.ok) {
        throw new pulumi.RunError(`ClusterNetwork "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`);
    }
    return args;
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

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:ClusterNetwork", name, validArgs(name, args), opts);
        this.networkPlan = new NetworkPlan(`${name}-plan`, { cluster: args.cluster, nodes: args.nodes, previous: args.previous }, { parent: this });
        this.plan = this.networkPlan.plan;
        this.nodeSubnets = this.networkPlan.nodeSubnets;
        this.registerOutputs({ plan: this.plan, nodeSubnets: this.nodeSubnets });
    }
}
