import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { markRouteTarget } from "../common/depends-on";
import {
    ClusterIngressSettings,
    GatewayRoutes,
    IngressApi,
    IngressController,
    IngressRoutes,
    RoutePlan,
    TRAEFIK_GATEWAY_CLASS,
    resolveController,
    routeControllerInfo,
    servesGateway,
    servesIngress,
} from "../ingress";
import {
    KubeProxy,
    KubeProxyManage,
    KubeProxyMode,
    KubeProxySettings,
    defaultApiServer,
    planClusterCidrs,
} from "../kube-proxy";
import { NetworkPlan, PlanCapacity } from "../network-plan";
import { NodePrep, NodePrepSettings, nodePrepArgsFor } from "../node-prep";
import { AddressPlan, ClusterSpec, NodeSpec, NodeSubnets } from "../plan";
import { PodNetwork, PodNetworkSettings } from "../pod-network";
import {
    AppService,
    AppServiceSpec,
    DEFAULT_NAMESPACE,
    PortMapEntry,
    buildNamespace,
    namespacesToCreate,
    serviceClusterOf,
} from "../services";
import { validateClusterNetwork } from "./validate";

export interface ClusterNetworkArgs {
    /** Cluster-wide address settings (pod and Service CIDRs, node masks, node network, reserved ranges, node port range). Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned pod subnets. Plain, not an Input. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name (the plan record, or the stack's last `nodeSubnets` and `retiredSubnets` outputs), so no node's subnet moves; a remembered name not among the nodes is retired: its subnets stay reserved until listed in `cluster.released`. Default: nothing remembered. */
    previous?: Record<string, NodeSubnets>;
    /** The flannel pod network's settings. Default: vxlan, with each Node's podCIDR(s) patched from the plan. */
    podNetwork?: PodNetworkSettings;
    /** Prepare every node over SSH before flannel starts (modules, sysctls, CNI plugins). Default: the nodes are left alone. */
    nodePrep?: NodePrepSettings;
    /** kube-proxy's mode and config (as in `clusternet:kubeProxy`); its clusterCIDR comes from the plan. Plain: the mode decides node preparation and flannel's nftables. Default: kube-proxy is left alone (assumed iptables mode). */
    kubeProxy?: KubeProxySettings;
    /** Services and the workloads behind them, one AppService each; their namespaces are created once each. Plain. Default: none. */
    services?: AppServiceSpec[];
    /** The Ingress controller and its routes (as in `clusternet:ingress`), as Ingress objects, Gateway API HTTPRoutes (`api`) or both; routes may name only the Services above. Default: no Ingress controller. */
    ingress?: ClusterIngressSettings;
}

/**
 * How many AppServices are registered before the SDK's work on them (awaiting inputs, serializing, sending) may
 * run. Registered all at once, 5,000 Services' registrations were all in flight together: 1.7 GB of heap, and
 * garbage collection half of the CPU time of a render. 25 measured best (issue 14).
 */
const SERVICE_BATCH = 25;

/**
 * Lets the registrations already made progress before more are made: one turn of the event loop, never a wait for
 * the engine (the engine answers a registration only once the resource exists, which would serialize a deployment).
 */
function settle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

/** What each ClusterNetwork's initialize registers, set by its constructor (not a field: it would be an output). */
const registerRest = new WeakMap<ClusterNetwork, () => Promise<void>>();

/** The plan of valid args; otherwise a RunError listing every problem, thrown before anything is registered. */
function validPlan(name: string, args: ClusterNetworkArgs): AddressPlan {
    const validated = validateClusterNetwork(args, ARGS_KEYS);
    if (!validated.ok) {
        throw new pulumi.RunError(
            `ClusterNetwork "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`,
        );
    }
    return validated.value;
}

/**
 * A lab cluster's whole network: the address plan and everything built on it. Validates all of its args before
 * registering any child, so bad input never half-applies. Its Services, and the Ingress after them, are registered
 * just after the constructor returns, from `initialize`, a batch at a time; a resource that depends on the
 * ClusterNetwork still waits for every one of them, and the outputs are the same.
 */
export class ClusterNetwork extends pulumi.ComponentResource {
    /** Each node's pod subnets, by node name (read back as the previous allocation on the next run). */
    public readonly nodeSubnets: pulumi.Output<Record<string, NodeSubnets>>;
    /** The `kubernetes` Service's IPv4 address, when the cluster has IPv4 Services. */
    public readonly kubernetesServiceIp: pulumi.Output<string | undefined>;
    /** The cluster DNS IPv4 address, when the cluster has IPv4 Services. */
    public readonly dnsServiceIp: pulumi.Output<string | undefined>;
    /** How full each family's pod CIDR is. */
    public readonly capacity: pulumi.Output<PlanCapacity>;
    /** The whole address plan as JSON. */
    public readonly planJson: pulumi.Output<string>;
    /** Every Service port's chain from client to pod, all Services in order. */
    public readonly portMaps: pulumi.Output<PortMapEntry[]>;
    /** Per route: host, namespace, paths and the curl commands to try it from the nodes' network; empty without Ingress. */
    public readonly ingressRoutes: pulumi.Output<RoutePlan[]>;
    /** The pods' MTU: the underlay MTU minus the backend's overhead. */
    public readonly podMtu: pulumi.Output<number>;
    /** The kube-controller-manager flags matching the plan; only when the pod network leaves podCIDRs to it. */
    public readonly controllerManagerFlags?: pulumi.Output<string[]>;
    /** kube-proxy's mode (iptables when the stack leaves kube-proxy alone). */
    public readonly kubeProxyMode: pulumi.Output<string>;

    constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = validPlan(name, args);
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:ClusterNetwork", name, {}, opts);
        const networkPlan = new NetworkPlan(
            `${name}-plan`,
            { cluster: args.cluster, nodes: args.nodes, previous: args.previous },
            { parent: this },
        );
        this.nodeSubnets = networkPlan.nodeSubnets;
        this.kubernetesServiceIp = networkPlan.kubernetesServiceIp;
        this.dnsServiceIp = networkPlan.dnsServiceIp;
        this.capacity = networkPlan.capacity;
        this.planJson = networkPlan.planJson;

        // Nodes first (prepared, then flannel with their podCIDRs), then what runs on the pod network.
        const proxyMode = args.kubeProxy?.mode ?? KubeProxyMode.Iptables;
        // flannel's masquerade rules go where kube-proxy's do, so a node does not mix iptables and nftables.
        const podNetworkSettings = {
            ...args.podNetwork,
            enableNFTables: args.podNetwork?.enableNFTables ?? proxyMode === KubeProxyMode.Nftables,
        };
        const nodePrep =
            args.nodePrep === undefined
                ? undefined
                : new NodePrep(
                      `${name}-node-prep`,
                      nodePrepArgsFor(plan, args.nodePrep, podNetworkSettings, proxyMode),
                      { parent: this },
                  );
        // kube-proxy (re)starts on prepared nodes: nftables and ipvs need what NodePrep checks and loads.
        this.kubeProxyMode = pulumi.output(proxyMode);
        if (args.kubeProxy !== undefined) {
            new KubeProxy(
                `${name}-kube-proxy`,
                {
                    ...args.kubeProxy,
                    clusterCidrs: planClusterCidrs(plan),
                    kubernetesVersion: args.cluster.kubernetesVersion,
                    ...(args.kubeProxy.manage === KubeProxyManage.Full
                        ? { apiServer: args.kubeProxy.apiServer ?? defaultApiServer(plan.nodes[0]!.ip) }
                        : {}),
                },
                { parent: this, ...(nodePrep ? { dependsOn: [nodePrep] } : {}) },
            );
        }
        // flanneld starts only on prepared nodes: depending on NodePrep waits for every node's command.
        const podNetwork = new PodNetwork(
            `${name}-pod-network`,
            { ...podNetworkSettings, cluster: args.cluster, nodes: args.nodes, previous: args.previous },
            { parent: this, ...(nodePrep ? { dependsOn: [nodePrep] } : {}) },
        );
        this.podMtu = podNetwork.podMtu;
        this.controllerManagerFlags = podNetwork.controllerManagerFlags;

        // Several Services may share a namespace: it is created here, once, and each AppService depends on it.
        const services = args.services ?? [];
        const namespaces = new Map(
            namespacesToCreate(services).map((namespace) => {
                const created = new k8s.core.v1.Namespace(`${name}-namespace-${namespace}`, buildNamespace(namespace), {
                    parent: this,
                });
                markRouteTarget(created, { namespace });
                return [namespace, created] as const;
            }),
        );
        // The Services, and the Ingress after them, are registered by initialize, SERVICE_BATCH AppServices at a
        // time; their outputs are resolved there (a deferred Output keeps the resources, secrecy and unknowns).
        const [portMaps, resolvePortMaps] = pulumi.deferredOutput<PortMapEntry[]>();
        const [ingressRoutes, resolveIngressRoutes] = pulumi.deferredOutput<RoutePlan[]>();
        this.portMaps = portMaps;
        this.ingressRoutes = ingressRoutes;
        const registerServicesAndIngress = async (): Promise<{
            portMaps: pulumi.Output<PortMapEntry[]>;
            ingressRoutes: pulumi.Output<RoutePlan[]>;
        }> => {
            const serviceCluster = serviceClusterOf(plan, args.cluster);
            const appServices: AppService[] = [];
            for (const spec of services) {
                if (appServices.length > 0 && appServices.length % SERVICE_BATCH === 0) {
                    await settle();
                }
                const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
                const created = namespaces.get(namespace);
                // `namespace.name` is unambiguous: neither a namespace nor a Service name may contain a dot.
                appServices.push(
                    new AppService(
                        `${name}-${namespace}.${spec.name}`,
                        { ...spec, createNamespace: false, cluster: serviceCluster, instance: plan.cluster.name },
                        { parent: this, ...(created ? { dependsOn: [created] } : {}) },
                    ),
                );
            }
            const portMaps = pulumi.all(appServices.map((service) => service.portMap)).apply((maps) => maps.flat());

            if (args.ingress === undefined) {
                return { portMaps, ingressRoutes: pulumi.output([]) };
            }
            const api = args.ingress.api ?? IngressApi.Ingress;
            const controllerArgs = {
                ...args.ingress.controller,
                api,
                ipFamilies: [...plan.cluster.families],
                nodePortRange: args.cluster.nodePortRange,
            };
            const ingressController = new IngressController(`${name}-ingress`, controllerArgs, { parent: this });
            const resolved = resolveController(controllerArgs, controllerArgs.ipFamilies, api);
            // Routes wait for the controller (Ready, its classes, the Gateway API CRDs, the webhook's Jobs), and live
            // in their backends' namespaces and route to their Services: each route waits for its own namespace and
            // Services among these (the route components narrow the list per route; see narrowDependsOn).
            const dependsOn = [ingressController, ...namespaces.values(), ...appServices];
            const routeArgs = {
                routes: args.ingress.routes ?? [],
                services,
                nodeAddresses: plan.nodes.map((node) => node.ip),
            };
            const ingressRoutes = servesIngress(api)
                ? new IngressRoutes(
                      `${name}-routes`,
                      { ...routeArgs, ...routeControllerInfo(resolved) },
                      { parent: this, dependsOn },
                  )
                : undefined;
            const gatewayRoutes = servesGateway(api)
                ? new GatewayRoutes(
                      `${name}-gateway-routes`,
                      {
                          ...routeArgs,
                          gatewayClassName: TRAEFIK_GATEWAY_CLASS,
                          gatewayNamespace: resolved.namespace,
                          httpPort: resolved.httpPort,
                          httpsPort: resolved.httpsPort,
                      },
                      { parent: this, dependsOn },
                  )
                : undefined;
            // Both forms plan the same hosts, paths and try commands: export one list.
            return { portMaps, ingressRoutes: (ingressRoutes ?? gatewayRoutes)!.routes };
        };
        registerRest.set(this, async () => {
            try {
                const outputs = await registerServicesAndIngress();
                resolvePortMaps(outputs.portMaps);
                resolveIngressRoutes(outputs.ingressRoutes);
            } catch (error) {
                // Fail these outputs (and so the stack) rather than leave them pending forever.
                const failed = pulumi.output(Promise.reject(error instanceof Error ? error : new Error(String(error))));
                resolvePortMaps(failed);
                resolveIngressRoutes(failed);
                throw error;
            }
        });

        this.registerOutputs({
            nodeSubnets: this.nodeSubnets,
            kubernetesServiceIp: this.kubernetesServiceIp,
            dnsServiceIp: this.dnsServiceIp,
            capacity: this.capacity,
            planJson: this.planJson,
            portMaps: this.portMaps,
            ingressRoutes: this.ingressRoutes,
            podMtu: this.podMtu,
            kubeProxyMode: this.kubeProxyMode,
            ...(this.controllerManagerFlags ? { controllerManagerFlags: this.controllerManagerFlags } : {}),
        });
    }

    /**
     * Registers the Services and the Ingress in batches. The SDK calls this from super(), before the constructor's
     * body, and counts what it registers as this component's children: a resource that depends on the
     * ClusterNetwork waits for all of them (the SDK awaits initialize before expanding a component's children).
     */
    protected override async initialize(): Promise<void> {
        // Let the constructor's body (everything before the Services, and registerRest itself) run first.
        await Promise.resolve();
        await registerRest.get(this)!();
    }
}
