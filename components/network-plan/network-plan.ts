import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { AddressPlan, ClusterSpec, FamilyCapacity, NodeSpec, NodeSubnets, nodeSubnetsOf, planNetwork } from "../plan";

export interface NetworkPlanArgs {
    /** Cluster-wide address settings: pod and Service CIDRs, node masks, node network, reserved ranges. Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned subnets. Plain, not an Input, for the same reason. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name (the plan record, or the stack's last `nodeSubnets` and `retiredSubnets` outputs), so no node's subnet moves; a remembered name not among the nodes is retired: its subnets stay reserved until listed in `cluster.released`. Default: nothing remembered. */
    previous?: Record<string, NodeSubnets>;
}

/** How full one family's pod CIDR is, as a component output. */
export interface CapacityOutput {
    /** The pod CIDR. */
    podCidr: string;
    /** The node subnets' prefix length. */
    nodeMaskSize: number;
    /** Node subnets that fit in the pod CIDR. */
    maxNodes: number;
    /** Pod addresses per node, as a decimal string (IPv6 counts exceed 2^53). */
    podsPerNode: string;
    /** Node subnets in use. */
    used: number;
    /** Share of node subnets in use, in percent. */
    usedPercent: number;
}

/** Capacity per family; a family the cluster lacks is absent. */
export interface PlanCapacity {
    /** The IPv4 pod CIDR's capacity. */
    ipv4?: CapacityOutput;
    /** The IPv6 pod CIDR's capacity. */
    ipv6?: CapacityOutput;
}

function capacityOutput(capacity: FamilyCapacity | null): CapacityOutput | undefined {
    return capacity
        ? {
              podCidr: capacity.podCidr,
              nodeMaskSize: capacity.nodeMaskSize,
              maxNodes: capacity.maxNodes,
              podsPerNode: String(capacity.podsPerNode),
              used: capacity.used,
              usedPercent: capacity.usedPercent,
          }
        : undefined;
}

/** The plan, or a RunError listing every problem (thrown before anything is registered). */
export function planOrThrow(component: string, name: string, args: NetworkPlanArgs): AddressPlan {
    const result = planNetwork(args, ARGS_KEYS);
    if (!result.ok) {
        throw new pulumi.RunError(
            `${component} "${name}" cannot plan these args:\n${result.problems.map(formatProblem).join("\n")}`,
        );
    }
    return result.value;
}

/**
 * The cluster's address plan as a component: validates the ranges, allocates node subnets and exposes them. It
 * creates no cluster objects; other components get the same plan from the pure `planNetwork`.
 */
export class NetworkPlan extends pulumi.ComponentResource {
    /** Each node's pod subnets, by node name. */
    public readonly nodeSubnets: pulumi.Output<Record<string, NodeSubnets>>;
    /** The `kubernetes` Service's IPv4 address (first of the Service CIDR), when the cluster has IPv4 Services. */
    public readonly kubernetesServiceIp: pulumi.Output<string | undefined>;
    /** The `kubernetes` Service's IPv6 address, when the cluster has IPv6 Services. */
    public readonly kubernetesServiceIpV6: pulumi.Output<string | undefined>;
    /** The cluster DNS IPv4 address (10th of the Service CIDR), when the cluster has IPv4 Services. */
    public readonly dnsServiceIp: pulumi.Output<string | undefined>;
    /** The cluster DNS IPv6 address, when the cluster has IPv6 Services. */
    public readonly dnsServiceIpV6: pulumi.Output<string | undefined>;
    /** How full each family's pod CIDR is. */
    public readonly capacity: pulumi.Output<PlanCapacity>;
    /** The whole plan as JSON, as `clusternet plan --format json` prints it (without the stack name). */
    public readonly planJson: pulumi.Output<string>;

    constructor(name: string, args: NetworkPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planOrThrow("NetworkPlan", name, args);
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:NetworkPlan", name, {}, opts);
        this.nodeSubnets = pulumi.output(nodeSubnetsOf(plan));
        this.kubernetesServiceIp = pulumi.output(plan.kubernetesServiceIp ?? undefined);
        this.kubernetesServiceIpV6 = pulumi.output(plan.kubernetesServiceIpV6 ?? undefined);
        this.dnsServiceIp = pulumi.output(plan.dnsServiceIp ?? undefined);
        this.dnsServiceIpV6 = pulumi.output(plan.dnsServiceIpV6 ?? undefined);
        this.capacity = pulumi.output({
            ipv4: capacityOutput(plan.capacity.ipv4),
            ipv6: capacityOutput(plan.capacity.ipv6),
        });
        this.planJson = pulumi.output(JSON.stringify(plan));
        for (const warning of plan.warnings) {
            void pulumi.log.warn(warning, this);
        }
        this.registerOutputs({
            nodeSubnets: this.nodeSubnets,
            kubernetesServiceIp: this.kubernetesServiceIp,
            kubernetesServiceIpV6: this.kubernetesServiceIpV6,
            dnsServiceIp: this.dnsServiceIp,
            dnsServiceIpV6: this.dnsServiceIpV6,
            capacity: this.capacity,
            planJson: this.planJson,
        });
    }
}
