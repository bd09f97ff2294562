import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { AddressPlan, ClusterSpec, FamilyCapacity, NodeSpec, PreviousAllocation, planNetwork } from "../plan";

/** A node's pod subnets, as the stack exports them and reads them back as the previous allocation. */
export interface NodeSubnets {
    podCidr: string | null;
    podCidrV6: string | null;
}

export interface NetworkPlanArgs {
    /** Cluster-wide address settings: pod and Service CIDRs, node masks, node network, reserved ranges. Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned subnets. Plain, not an Input, for the same reason. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name (e.g. the stack's last `nodeSubnets` output), so no node's subnet moves. Default: nothing remembered. */
    previous?: PreviousAllocation;
}

/** The per-node subnets of a plan, by node name. */
export function nodeSubnetsOf(plan: AddressPlan): Record<string, NodeSubnets> {
    return Object.fromEntries(plan.nodes.map((node) => [node.name, { podCidr: node.podCidr, podCidrV6: node.podCidrV6 }]));
}

/** The plan, or a RunError listing every problem (thrown before anything is registered). */
function planOrThrow(name: string, args: NetworkPlanArgs): AddressPlan {
    const result = planNetwork(args, ARGS_KEYS);
    if (!result.ok) {
        throw new pulumi.RunError(`NetworkPlan "${name}" cannot plan these args:\n${result.problems.map(formatProblem).join("\n")}`);
    }
    return result.plan;
}

/**
 * The cluster's address plan as a component: validates the ranges, allocates node subnets and exposes them. It
 * creates no cloud or cluster objects; other components read {@link NetworkPlan.value} at construction time.
 */
export class NetworkPlan extends pulumi.ComponentResource {
    /** The plan as a plain value, for building other components. */
    public readonly value: AddressPlan;
    /** The whole plan. */
    public readonly plan: pulumi.Output<AddressPlan>;
    /** Each node's pod subnets, by node name. */
    public readonly nodeSubnets: pulumi.Output<Record<string, NodeSubnets>>;
    /** The `kubernetes` Service's IPv4 address (first of the Service CIDR), or null. */
    public readonly kubernetesServiceIp: pulumi.Output<string | null>;
    /** The cluster DNS IPv4 address (10th of the Service CIDR), or null. */
    public readonly dnsServiceIp: pulumi.Output<string | null>;
    /** How full each family's pod CIDR is. */
    public readonly capacity: pulumi.Output<{ ipv4: FamilyCapacity | null; ipv6: FamilyCapacity | null }>;

    constructor(name: string, args: NetworkPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planOrThrow(name, args);
        super("clusternet:index:NetworkPlan", name, args, opts);
        this.value = plan;
        this.plan = pulumi.output(plan);
        this.nodeSubnets = pulumi.output(nodeSubnetsOf(plan));
        this.kubernetesServiceIp = pulumi.output(plan.kubernetesServiceIp);
        this.dnsServiceIp = pulumi.output(plan.dnsServiceIp);
        this.capacity = pulumi.output(plan.capacity);
        for (const warning of plan.warnings) {
            void pulumi.log.warn(warning, this);
        }
        this.registerOutputs({
            plan: this.plan,
            nodeSubnets: this.nodeSubnets,
            kubernetesServiceIp: this.kubernetesServiceIp,
            dnsServiceIp: this.dnsServiceIp,
            capacity: this.capacity,
        });
    }
}
