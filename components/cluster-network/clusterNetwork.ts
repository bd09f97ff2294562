import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { NetworkPlan, NodeSubnets } from "../network-plan";
import { AddressPlan, ClusterSpec, NodeSpec, PreviousAllocation } from "../plan";
import { AppService, AppServiceSpec, DEFAULT_NAMESPACE, PortMapEntry, buildNamespace, namespacesToCreate, serviceClusterOf } from "../services";
import { validateClusterNetwork } from "./validate";

export interface ClusterNetworkArgs {
    /** Cluster-wide address settings (pod and Service CIDRs, node masks, node network, reserved ranges, node port range). Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned pod subnets. Plain, not an Input. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name, so no node's subnet moves. Default: nothing remembered. */
    previous?: PreviousAllocation;
    /** Services and the workloads behind them, one AppService each; their namespaces are created once each. Plain. Default: none. */
    services?: AppServiceSpec[];
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
    /** The Namespaces created for the Services, by name. */
    public readonly namespaces: ReadonlyMap<string, k8s.core.v1.Namespace>;
    /** One AppService per entry of `args.services`, in order. */
    public readonly services: readonly AppService[];
    /** Every Service port's chain from client to pod, all Services in order. */
    public readonly portMaps: pulumi.Output<PortMapEntry[]>;

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:ClusterNetwork", name, args, opts);
        const validated = validateClusterNetwork(args, ARGS_KEYS);
        if (!validated.ok) {
            throw new pulumi.RunError(`ClusterNetwork "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`);
        }
        this.networkPlan = new NetworkPlan(`${name}-plan`, { cluster: args.cluster, nodes: args.nodes, previous: args.previous }, { parent: this });
        this.plan = this.networkPlan.plan;
        this.nodeSubnets = this.networkPlan.nodeSubnets;

        // Several Services may share a namespace: it is created here, once, and each AppService depends on it.
        const services = args.services ?? [];
        this.namespaces = new Map(
            namespacesToCreate(services).map((namespace) => [namespace, new k8s.core.v1.Namespace(`${name}-namespace-${namespace}`, buildNamespace(namespace), { parent: this })]),
        );
        const serviceCluster = serviceClusterOf(this.networkPlan.value, args.cluster);
        this.services = services.map((spec) => {
            const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
            const created = this.namespaces.get(namespace);
            // `namespace.name` is unambiguous: neither a namespace nor a Service name may contain a dot.
            return new AppService(
                `${name}-${namespace}.${spec.name}`,
                { ...spec, createNamespace: false, cluster: serviceCluster, instance: this.networkPlan.value.cluster.name },
                { parent: this, ...(created ? { dependsOn: [created] } : {}) },
            );
        });
        this.portMaps = pulumi.all(this.services.map((service) => service.portMap)).apply((maps) => maps.flat());
        this.registerOutputs({ plan: this.plan, nodeSubnets: this.nodeSubnets, portMaps: this.portMaps });
    }
}
