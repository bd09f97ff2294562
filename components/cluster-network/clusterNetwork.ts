import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { BackendService, ClusterIngressSettings, IngressController, IngressRoutes, RoutePlan } from "../ingress";
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
    /** The stack's Services (as in `clusternet:services`): the only backends Ingress routes may name, and node ports already taken. Default: none. */
    services?: BackendService[];
    /** The Ingress controller and its routes (as in `clusternet:ingress`). Default: no Ingress controller. */
    ingress?: ClusterIngressSettings;
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
    /** The Ingress controller, when `ingress` is given. */
    public readonly ingressController?: IngressController;
    /** The Ingress objects, when `ingress` is given. */
    public readonly routes?: IngressRoutes;
    /** Per route: host, namespace, paths and the curl commands to try it from the nodes' network; empty without Ingress. */
    public readonly ingressRoutes: pulumi.Output<RoutePlan[]>;

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:ClusterNetwork", name, args, opts);
        const validated = validateClusterNetwork(args, ARGS_KEYS);
        if (!validated.ok) {
            throw new pulumi.RunError(`ClusterNetwork "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`);
        }
        this.networkPlan = new NetworkPlan(`${name}-plan`, { cluster: args.cluster, nodes: args.nodes, previous: args.previous }, { parent: this });
        this.plan = this.networkPlan.plan;
        this.nodeSubnets = this.networkPlan.nodeSubnets;
        if (args.ingress !== undefined) {
            const plan = this.networkPlan.value;
            this.ingressController = new IngressController(
                `${name}-ingress`,
                { ...args.ingress.controller, ipFamilies: [...plan.cluster.families], nodePortRange: args.cluster.nodePortRange },
                { parent: this },
            );
            this.routes = new IngressRoutes(
                `${name}-routes`,
                { routes: args.ingress.routes ?? [], services: args.services ?? [], controller: this.ingressController, nodeAddresses: plan.nodes.map((node) => node.ip) },
                { parent: this },
            );
            this.ingressRoutes = this.routes.routes;
        } else {
            this.ingressRoutes = pulumi.output([]);
        }
        this.registerOutputs({ plan: this.plan, nodeSubnets: this.nodeSubnets, ingressRoutes: this.ingressRoutes });
    }
}
