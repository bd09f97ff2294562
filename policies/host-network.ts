import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { z } from "zod";
import { FLANNEL_NAMESPACE } from "../components/pod-network/constants";
import { stackPlanOf } from "./lib/cluster";
import { configOf, configSchemaOf } from "./lib/config";
import { ResourceLike, ResourceType } from "./lib/kubernetes";
import { fixedNodePorts, servicesOf } from "./lib/services";
import { Props, asArray, asBoolean, asString, asStringMap, at, listed } from "./lib/values";
import { ContainerKind, Placement, Workload, workloadOf, workloadsOf } from "./lib/workloads";

export const HOST_NETWORK_RESTRICTED = "host-network-restricted";
export const HOST_PORT_CONFLICTS = "host-port-conflicts";

/**
 * The cluster's own host-network components: kubeadm's kube-proxy (and the stack's kube-proxy settings) in
 * kube-system, which runs with hostNetwork and privileged; the pod network (flannel) in its namespace, with
 * hostNetwork and NET_ADMIN. Without them no Service and no pod network works, so they are allowed by default.
 */
export const DEFAULT_SYSTEM_NAMESPACES = ["kube-system", FLANNEL_NAMESPACE];
/** The Ingress controllers' namespaces (traefik, ingress-nginx): hostPort mode binds 80/443 on every node. */
export const DEFAULT_ALLOWED_NAMESPACES = ["traefik", "ingress-nginx"];
/** Every namespace allowed by default. */
export const DEFAULT_HOST_NAMESPACES = [...DEFAULT_SYSTEM_NAMESPACES, ...DEFAULT_ALLOWED_NAMESPACES];

export const hostNetworkRestrictedConfig = z.strictObject({
    systemNamespaces: z
        .array(z.string().min(1))
        .default(DEFAULT_SYSTEM_NAMESPACES)
        .describe(
            "Namespaces of the cluster's own host-network components (kube-proxy in kube-system, the pod network's). Default: kube-system, kube-flannel.",
        ),
    allowedNamespaces: z
        .array(z.string().min(1))
        .default(DEFAULT_ALLOWED_NAMESPACES)
        .describe(
            "Further namespaces whose pods may use hostNetwork, hostPort, privileged and NET_ADMIN. Default: traefik, ingress-nginx.",
        ),
});
export type HostNetworkRestrictedConfig = z.output<typeof hostNetworkRestrictedConfig>;

/** True for a capability that grants NET_ADMIN: NET_ADMIN itself (with or without the CAP_ prefix), or ALL. */
function grantsNetAdmin(capability: unknown): boolean {
    if (typeof capability !== "string") {
        return false;
    }
    const name = capability.toUpperCase().replace(/^CAP_/, "");
    return name === "NET_ADMIN" || name === "ALL";
}

/** Host networking, host ports, privileged containers and NET_ADMIN only in the allowed namespaces. */
export function checkHostAccess(
    workload: Workload,
    config: HostNetworkRestrictedConfig,
    report: (message: string) => void,
): void {
    const allowed = [...config.systemNamespaces, ...config.allowedNamespaces];
    if (allowed.includes(workload.namespace)) {
        return;
    }
    const who = workload.description;
    const elsewhere = `run it in an allowed namespace (${listed(allowed)}) or add "${workload.namespace}" to ${HOST_NETWORK_RESTRICTED}.allowedNamespaces`;
    if (asBoolean(workload.spec["hostNetwork"]) === true) {
        report(
            formatProblem({
                key: "",
                message: `${who} sets hostNetwork: true in namespace ${workload.namespace}; its pods share the node's network stack and can bind, sniff and reroute node traffic`,
                fix: `drop hostNetwork and expose the pods through a Service (NodePort), or ${elsewhere}`,
            }),
        );
    }
    for (const container of workload.containers) {
        const which = `${container.kind} ${container.name}`;
        for (const port of container.ports) {
            if (port.hostPort !== undefined && port.hostPort !== 0) {
                report(
                    formatProblem({
                        key: "",
                        message: `${who} ${which} maps hostPort ${port.hostPort}/${port.protocol} in namespace ${workload.namespace}, taking that port on every node its pods land on`,
                        fix: `remove hostPort and use a NodePort Service, or ${elsewhere}`,
                    }),
                );
            }
        }
        const securityContext = container.raw["securityContext"];
        if (asBoolean(at(securityContext, "privileged")) === true) {
            report(
                formatProblem({
                    key: "",
                    message: `${who} ${which} is privileged in namespace ${workload.namespace}; it has every capability and all host devices`,
                    fix: `drop privileged: true and add only the capabilities it needs, or ${elsewhere}`,
                }),
            );
        }
        const added = asArray(at(securityContext, "capabilities", "add")).filter(grantsNetAdmin);
        if (added.length > 0) {
            report(
                formatProblem({
                    key: "",
                    message: `${who} ${which} adds capability ${listed(added.map(String))} in namespace ${workload.namespace}, which lets it rewrite the node's routes, iptables and interfaces`,
                    fix: `remove it, or ${elsewhere}`,
                }),
            );
        }
    }
}

export const hostNetworkRestricted: ResourceValidationPolicy = {
    name: HOST_NETWORK_RESTRICTED,
    description:
        "hostNetwork, hostPort, privileged containers and NET_ADMIN only in allowed namespaces (default: kube-system, the pod network's and the Ingress controllers').",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(hostNetworkRestrictedConfig),
    validateResource: (args, reportViolation) => {
        const workload = workloadOf(args);
        if (workload) {
            checkHostAccess(
                workload,
                configOf(HOST_NETWORK_RESTRICTED, hostNetworkRestrictedConfig, args),
                reportViolation,
            );
        }
    },
};

const reservedHostPort = z.strictObject({
    port: z.int().min(1).max(65535),
    protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
    owner: z.string().min(1).describe("What listens there, for messages, e.g. kubelet."),
    namespace: z.string().optional().describe("A namespace whose workloads own the port (they may declare it)."),
});

/** Ports the node's own daemons hold on every node of a kubeadm lab. */
export const DEFAULT_RESERVED_HOST_PORTS: Array<z.output<typeof reservedHostPort>> = [
    { port: 22, protocol: "TCP", owner: "sshd" },
    { port: 6443, protocol: "TCP", owner: "kube-apiserver" },
    { port: 2379, protocol: "TCP", owner: "etcd (clients)" },
    { port: 2380, protocol: "TCP", owner: "etcd (peers)" },
    { port: 10250, protocol: "TCP", owner: "kubelet" },
    { port: 10249, protocol: "TCP", owner: "kube-proxy (metrics)" },
    { port: 10256, protocol: "TCP", owner: "kube-proxy (health)" },
    { port: 10257, protocol: "TCP", owner: "kube-controller-manager" },
    { port: 10259, protocol: "TCP", owner: "kube-scheduler" },
    { port: 8472, protocol: "UDP", owner: "flannel's vxlan backend", namespace: "kube-flannel" },
    { port: 8285, protocol: "UDP", owner: "flannel's udp backend", namespace: "kube-flannel" },
    { port: 51820, protocol: "UDP", owner: "flannel's wireguard backend", namespace: "kube-flannel" },
    { port: 51821, protocol: "UDP", owner: "flannel's wireguard backend (IPv6)", namespace: "kube-flannel" },
];

export const hostPortConflictsConfig = z.strictObject({
    reservedHostPorts: z
        .array(reservedHostPort)
        .default(DEFAULT_RESERVED_HOST_PORTS)
        .describe(
            "Ports the nodes' own daemons hold on every node. Default: sshd, kube-apiserver, etcd, kubelet, kube-proxy, controller-manager, scheduler, flannel's backends.",
        ),
    nodeCount: z
        .int()
        .min(1)
        .optional()
        .describe("How many nodes can run pods. Default: the stack's plan output (or its NodePatches)."),
});
export type HostPortConflictsConfig = z.output<typeof hostPortConflictsConfig>;

const ClaimSource = {
    Workload: "workload",
    NodePort: "nodePort",
    Reserved: "reserved",
} as const;
type ClaimSource = (typeof ClaimSource)[keyof typeof ClaimSource];

/** One host port taken on some set of nodes. */
interface HostPortClaim {
    readonly source: ClaimSource;
    readonly protocol: string;
    readonly port: number;
    /** Empty for every address. */
    readonly hostIP: string;
    /** For messages: `DaemonSet kube-flannel/kube-flannel-ds container kube-flannel (hostNetwork)`. */
    readonly owner: string;
    readonly urn?: string;
    readonly everyNode: boolean;
    readonly replicas: number;
    readonly nodeName?: string;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly namespace?: string;
}

const WILDCARD_HOST_IPS = new Set(["", "0.0.0.0", "::"]);

function sameAddress(a: HostPortClaim, b: HostPortClaim): boolean {
    return WILDCARD_HOST_IPS.has(a.hostIP) || WILDCARD_HOST_IPS.has(b.hostIP) || a.hostIP === b.hostIP;
}

/** False only when the two can never land on one node: different pinned nodes, or contradicting nodeSelectors. */
function mayShareNode(a: HostPortClaim, b: HostPortClaim): boolean {
    if (a.nodeName !== undefined && b.nodeName !== undefined && a.nodeName !== b.nodeName) {
        return false;
    }
    return Object.entries(a.nodeSelector).every(
        ([key, value]) => b.nodeSelector[key] === undefined || b.nodeSelector[key] === value,
    );
}

/** Whether any container declares a hostPort, reading nothing else (most pods have none). */
function declaresHostPort(spec: Props): boolean {
    for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
        const containers = asArray(spec[field]);
        for (let index = 0; index < containers.length; index++) {
            const ports = asArray(at(containers[index], "ports"));
            for (let portIndex = 0; portIndex < ports.length; portIndex++) {
                const hostPort = at(ports[portIndex], "hostPort");
                if (hostPort !== undefined && hostPort !== 0) {
                    return true;
                }
            }
        }
    }
    return false;
}

function workloadClaims(workload: Workload): HostPortClaim[] {
    const hostNetwork = asBoolean(workload.spec["hostNetwork"]) === true;
    if (!hostNetwork && !declaresHostPort(workload.spec)) {
        return [];
    }
    const nodeName = asString(workload.spec["nodeName"]);
    const common = {
        source: ClaimSource.Workload,
        urn: workload.resource.urn,
        everyNode: workload.placement === Placement.EveryNode,
        replicas: workload.replicas,
        nodeName: nodeName === "" ? undefined : nodeName,
        nodeSelector: asStringMap(workload.spec["nodeSelector"]),
        namespace: workload.namespace,
    };
    const claims: HostPortClaim[] = [];
    for (const container of workload.containers) {
        // Plain init containers exit before the pod's containers start; they hold no port.
        if (container.kind === ContainerKind.InitContainer && !container.sidecar) {
            continue;
        }
        for (const port of container.ports) {
            // With hostNetwork every container port is a host port (hostPort, if set, must equal it).
            const number = hostNetwork ? (port.containerPort ?? port.hostPort) : port.hostPort;
            if (number === undefined || number === 0) {
                continue;
            }
            claims.push({
                ...common,
                protocol: port.protocol,
                port: number,
                hostIP: hostNetwork ? "" : (port.hostIP ?? ""),
                owner: `${workload.description} ${container.kind} ${container.name} (${hostNetwork ? "hostNetwork" : "hostPort"})`,
            });
        }
    }
    return claims;
}

function nodeScope(claim: HostPortClaim): string {
    if (claim.nodeName !== undefined) {
        return `on node ${claim.nodeName}`;
    }
    return claim.everyNode ? "on every node" : `with ${claim.replicas} replica${claim.replicas === 1 ? "" : "s"}`;
}

/** How many nodes can run pods: config, else the stack's plan, else the Node/NodePatch resources. */
function nodeCountOf(
    resources: readonly ResourceLike[],
    config: HostPortConflictsConfig,
): { count: number; source: string } | undefined {
    if (config.nodeCount !== undefined) {
        return { count: config.nodeCount, source: `${HOST_PORT_CONFLICTS}.nodeCount` };
    }
    const planned = stackPlanOf(resources).nodeCount;
    if (planned > 0) {
        return { count: planned, source: "clusternet:nodes (stack output plan)" };
    }
    const patched = new Set(
        resources
            .filter((resource) => resource.type === ResourceType.NodePatch || resource.type === ResourceType.Node)
            .map((resource) => resource.name),
    ).size;
    return patched > 0 ? { count: patched, source: "the stack's Node resources" } : undefined;
}

/**
 * Two claims on one host port clash on any node they may share: the scheduler then leaves one pod Pending ("didn't
 * have free ports"), a DaemonSet pod never starts there, or kube-proxy's node port rules take the traffic. Claims are
 * bucketed by protocol and port, so only claims on the same port are compared.
 */
export function checkHostPortConflicts(
    resources: readonly ResourceLike[],
    config: HostPortConflictsConfig,
    report: ReportViolation,
): void {
    const buckets = new Map<string, HostPortClaim[]>();
    const add = (claim: HostPortClaim): void => {
        const key = `${claim.protocol}/${claim.port}`;
        const bucket = buckets.get(key);
        if (bucket) {
            bucket.push(claim);
        } else {
            buckets.set(key, [claim]);
        }
    };
    for (const reserved of config.reservedHostPorts) {
        add({
            source: ClaimSource.Reserved,
            protocol: reserved.protocol,
            port: reserved.port,
            hostIP: "",
            owner: reserved.owner,
            everyNode: true,
            replicas: 0,
            nodeSelector: {},
            namespace: reserved.namespace,
        });
    }
    for (const service of servicesOf(resources)) {
        for (const { nodePort, protocol } of fixedNodePorts(service)) {
            add({
                source: ClaimSource.NodePort,
                protocol,
                port: nodePort,
                hostIP: "",
                owner: `${service.description} (its nodePort)`,
                urn: service.resource.urn,
                everyNode: true,
                replicas: 0,
                nodeSelector: {},
            });
        }
    }
    for (const workload of workloadsOf(resources)) {
        const seen = new Set<string>();
        for (const claim of workloadClaims(workload)) {
            const key = `${claim.protocol}/${claim.port}/${claim.hostIP}`;
            if (seen.has(key)) {
                report(
                    formatProblem({
                        key: "",
                        message: `${claim.owner} claims host port ${claim.port}/${claim.protocol} a second time within one pod; Kubernetes rejects the pod`,
                        fix: "declare each host port once",
                    }),
                    claim.urn,
                );
                continue;
            }
            seen.add(key);
            add(claim);
        }
    }

    const nodes = nodeCountOf(resources, config);
    for (const [portKey, claims] of buckets) {
        if (claims.length === 1 && claims[0]!.source !== ClaimSource.Workload) {
            continue;
        }
        // Every claim held on every node clashes with every other claim it may share a node with.
        claims.forEach((wide, wideIndex) => {
            if (!wide.everyNode) {
                return;
            }
            claims.forEach((other, otherIndex) => {
                if (other === wide || other.source !== ClaimSource.Workload) {
                    return;
                }
                // Report each pair once: a pair of two node-wide claims on the later one.
                if (other.everyNode && otherIndex < wideIndex) {
                    return;
                }
                if (
                    wide.source === ClaimSource.Reserved &&
                    wide.namespace !== undefined &&
                    wide.namespace === other.namespace
                ) {
                    return;
                }
                if (!sameAddress(wide, other) || !mayShareNode(wide, other)) {
                    return;
                }
                const consequence =
                    wide.source === ClaimSource.Reserved
                        ? `${wide.owner} already listens there on every node, so the pod cannot bind it`
                        : wide.source === ClaimSource.NodePort
                          ? "kube-proxy's node port rules take that port's traffic on every node before it reaches the pod"
                          : 'on every node they share, one of the two pods cannot start (the scheduler leaves it Pending: "didn\'t have free ports")';
                report(
                    formatProblem({
                        key: "",
                        message: `${other.owner} claims host port ${portKey} ${nodeScope(other)}, which ${wide.owner} holds ${wide.source === ClaimSource.Workload ? nodeScope(wide) : "on every node"}; ${consequence}`,
                        fix: `move one of them to another port${wide.source === ClaimSource.Workload ? ", or keep them on different nodes (nodeSelector)" : ""}`,
                    }),
                    other.urn,
                );
            });
        });
        // Replicas claiming one host port need one node each.
        if (!nodes) {
            continue;
        }
        const placed = claims.filter(
            (claim) =>
                claim.source === ClaimSource.Workload &&
                !claim.everyNode &&
                claim.nodeName === undefined &&
                WILDCARD_HOST_IPS.has(claim.hostIP),
        );
        const needed = placed.reduce((sum, claim) => sum + claim.replicas, 0);
        if (placed.length > 0 && needed > nodes.count) {
            const last = placed[placed.length - 1]!;
            const who =
                placed.length === 1
                    ? `${last.owner} runs ${needed} replicas`
                    : `${listed(placed.map((claim) => `${claim.owner} (${claim.replicas})`))} together run ${needed} replicas`;
            report(
                formatProblem({
                    key: "",
                    message: `${who} on host port ${portKey}, but the cluster has ${nodes.count} node${nodes.count === 1 ? "" : "s"} (${nodes.source}) and each node can give the port to one pod; ${needed - nodes.count} stay Pending`,
                    fix: `lower the replicas to at most ${nodes.count}, use a DaemonSet, or expose the pods through a NodePort Service instead`,
                }),
                last.urn,
            );
        }
    }
}

export const hostPortConflicts: StackValidationPolicy = {
    name: HOST_PORT_CONFLICTS,
    description:
        "No two workloads (nor a workload and a node daemon or Service nodePort) claim the same host port on the same nodes, and replicas with a host port fit on the nodes.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(hostPortConflictsConfig),
    validateStack: (args, reportViolation) =>
        checkHostPortConflicts(
            args.resources,
            configOf(HOST_PORT_CONFLICTS, hostPortConflictsConfig, args),
            reportViolation,
        ),
};
