import { resolveServiceNetwork } from "./network";
import { ResolvedService, resolveService } from "./resolve";
import { AppServiceSpec, Protocol, ServiceClusterSpec, ServiceNodeAddress, ServiceType } from "./types";

/** What the port map prints for a value only the cluster knows (before deployment, under mocks or preview). */
export const Placeholder = {
    ClusterIP: "<clusterIP>",
    NodePort: "<nodePort>",
    NodeIP: "<nodeIP>",
    PodIP: "<podIP>",
    LoadBalancerIP: "<loadBalancerIP>",
} as const;

/**
 * One Service port and the way traffic reaches the pods through it, as the seed draws it:
 * `client -> <nodeIP>:<nodePort> -> <clusterIP>:<port> -> <podIP>:<targetPort>`.
 */
export interface PortMapEntry {
    /** The Service's name. */
    service: string;
    /** The Service's namespace. */
    namespace: string;
    /** The Service's type. */
    type: ServiceType;
    /** A headless Service has no cluster IP: DNS answers with the pod IPs. */
    headless: boolean;
    /** The Service port's name; absent when it has none. */
    portName?: string;
    /** The port's protocol. */
    protocol: Protocol;
    /** The cluster IP: pinned, or read back after deployment; "None" when headless; absent while the cluster has not picked it. */
    clusterIP?: string;
    /** The node port: pinned, or read back after deployment; absent for ClusterIP Services and while the cluster has not picked it. */
    nodePort?: number;
    /** The Service port (on the cluster IP). */
    port: number;
    /** The pod port's number; absent only when the port targets a name that no app of this Service declares. */
    targetPort?: number;
    /** The container port's name, when the Service targets the pod's port by name. */
    targetPortName?: string;
    /**
     * For a port open on the nodes (NodePort and LoadBalancer Services): how many nodes it holds on. It holds on
     * every node of the cluster alike, so the node chain is written once, with the first node as its example
     * (0: the node IPs are not known, and the chain says `<nodeIP>`). Absent for ClusterIP Services.
     */
    nodeCount?: number;
    /**
     * Every way to the pods, each once, e.g. `client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80`
     * (through the first node; the same holds on each of the `nodeCount` nodes). The node chain comes last.
     */
    chains: string[];
}

/** What the cluster decided, read from the Service after deployment. Everything optional: unknown before. */
export interface LiveServiceState {
    /** `spec.clusterIP`. */
    readonly clusterIP?: string;
    /** `spec.ports`, for the node ports the cluster picked. */
    readonly ports?: ReadonlyArray<{ readonly port?: number; readonly protocol?: string; readonly nodePort?: number }>;
    /** The first `status.loadBalancer.ingress` IP or hostname. */
    readonly loadBalancerAddress?: string;
}

/** What the port map needs to know about the cluster. */
export interface PortMapCluster {
    readonly nodes: readonly ServiceNodeAddress[];
    /** Whether LoadBalancer Services get an external address. */
    readonly loadBalancer: boolean;
}

function endpoint(host: string, port: number | string): string {
    // IPv6 addresses are bracketed, as in URLs, so the port stays readable.
    return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The port map of one Service: every port, each with its chains. Pure; `live` fills in what the cluster picked. */
export function portMapOf(
    service: ResolvedService,
    cluster: PortMapCluster,
    live: LiveServiceState = {},
): PortMapEntry[] {
    const liveClusterIp =
        live.clusterIP !== undefined && live.clusterIP !== "" && live.clusterIP !== "None" ? live.clusterIP : undefined;
    const clusterIP = service.headless ? "None" : (service.clusterIP ?? liveClusterIp);
    const hasNodePorts = service.type !== ServiceType.ClusterIP;
    return service.ports.map((port): PortMapEntry => {
        const liveNodePort = live.ports?.find(
            (candidate) => candidate.port === port.port && (candidate.protocol ?? Protocol.TCP) === port.protocol,
        )?.nodePort;
        const nodePort = hasNodePorts ? (port.nodePort ?? liveNodePort) : undefined;
        const targetPort = port.targetPortNumber ?? port.targetPort;
        const pod = endpoint(Placeholder.PodIP, targetPort);
        const serviceHop = `${endpoint(clusterIP ?? Placeholder.ClusterIP, port.port)} -> ${pod}`;
        const chains: string[] = [];
        if (service.headless) {
            chains.push(`pod -> ${pod}`);
        } else if (!hasNodePorts) {
            chains.push(`pod -> ${serviceHop}`);
        } else {
            if (service.type === ServiceType.LoadBalancer && cluster.loadBalancer) {
                chains.push(
                    `client -> ${endpoint(live.loadBalancerAddress ?? Placeholder.LoadBalancerIP, port.port)} -> ${serviceHop}`,
                );
            }
            // One chain, not one per node: every node holds the port alike, and nodes x ports chains would be
            // the largest thing in the plan, the stack's outputs and the plan record of a big cluster.
            const example = cluster.nodes[0]?.ip ?? Placeholder.NodeIP;
            chains.push(`client -> ${endpoint(example, nodePort ?? Placeholder.NodePort)} -> ${serviceHop}`);
        }
        return {
            service: service.name,
            namespace: service.namespace,
            type: service.type,
            headless: service.headless,
            ...(port.name !== undefined ? { portName: port.name } : {}),
            protocol: port.protocol,
            ...(clusterIP !== undefined ? { clusterIP } : {}),
            ...(nodePort !== undefined ? { nodePort } : {}),
            port: port.port,
            ...(port.targetPortNumber !== undefined ? { targetPort: port.targetPortNumber } : {}),
            ...(typeof port.targetPort === "string" ? { targetPortName: port.targetPort } : {}),
            ...(hasNodePorts && !service.headless ? { nodeCount: cluster.nodes.length } : {}),
            chains,
        };
    });
}

/**
 * The port maps of a stack's Services as the config alone tells them (what `clusternet plan` prints): pinned
 * values where given, placeholders for what the cluster will pick. Expects validated specs.
 */
export function servicePortMaps(
    services: readonly AppServiceSpec[],
    cluster: ServiceClusterSpec,
    instance?: string,
): PortMapEntry[] {
    const { network } = resolveServiceNetwork(cluster, "cluster");
    return services.flatMap((spec) => portMapOf(resolveService(spec, instance), network));
}
