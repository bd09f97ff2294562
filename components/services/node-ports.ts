import { Problem } from "../common";
import { NodePortRange } from "./network";
import { Protocol } from "./types";
import type { NodePortClaim } from "./validate";

/**
 * A port something on every node already listens on. A node port is opened on every node by kube-proxy, whose
 * rules come before the local socket: a Service on node port 22 takes SSH over, on 6443 the API server, on 8472/UDP
 * flannel's VXLAN tunnel. So a node port must never be one of these.
 */
export interface NodeListener {
    readonly port: number;
    readonly protocol: Protocol;
    /** What listens there, for messages: `the kubelet`. */
    readonly what: string;
}

/** What a kubeadm node listens on on its own addresses (kubernetes.io "Ports and Protocols"). */
export const KUBERNETES_NODE_LISTENERS: readonly NodeListener[] = [
    { port: 22, protocol: Protocol.TCP, what: "SSH" },
    { port: 2379, protocol: Protocol.TCP, what: "etcd's client port" },
    { port: 2380, protocol: Protocol.TCP, what: "etcd's peer port" },
    { port: 6443, protocol: Protocol.TCP, what: "the API server" },
    { port: 10250, protocol: Protocol.TCP, what: "the kubelet" },
    { port: 10256, protocol: Protocol.TCP, what: "kube-proxy's health check" },
];

/**
 * Node port claims inside the range that take over a port the node itself listens on (same number and
 * protocol): refused, naming the listener. The fix picks a free port of the range. Usable by the config validators and the policy pack.
 */
export function nodeListenerProblems(
    claims: readonly NodePortClaim[],
    listeners: readonly NodeListener[],
    range: NodePortRange | undefined,
): Problem[] {
    const problems: Problem[] = [];
    const taken = new Set([
        ...claims.map((claim) => `${claim.protocol}/${claim.nodePort}`),
        ...listeners.map((listener) => `${listener.protocol}/${listener.port}`),
    ]);
    for (const claim of claims) {
        if (range && (claim.nodePort < range.first || claim.nodePort > range.last)) {
            continue; // outside the range: reported as that
        }
        const listener = listeners.find((item) => item.port === claim.nodePort && item.protocol === claim.protocol);
        if (!listener) {
            continue;
        }
        const free = range ? freePort(range, claim.protocol, taken) : undefined;
        problems.push({
            key: claim.key,
            message: `${claim.protocol} node port ${claim.nodePort} is where ${listener.what} listens on every node; the node port would take it over`,
            fix:
                free !== undefined
                    ? `pick a port nothing on the node uses, e.g. write ${free}`
                    : "pick a port nothing on the node uses",
        });
    }
    return problems;
}

/** Node listeners the node port range covers: allowed, but one Service away from taking them over. */
export function nodePortRangeWarnings(
    range: NodePortRange,
    text: string,
    key: string,
    listeners: readonly NodeListener[],
): Problem[] {
    const covered = listeners.filter((listener) => listener.port >= range.first && listener.port <= range.last);
    if (covered.length === 0) {
        return [];
    }
    return [
        {
            key,
            message: `${text} covers ports the nodes listen on: ${covered.map((listener) => `${listener.port}/${listener.protocol} (${listener.what})`).join(", ")}`,
            fix: "use a range above them, such as the default 30000-32767",
        },
    ];
}

/** A free port of the range, from 30000 (the default range's start) when the range holds it, else above 1023. */
function freePort(range: NodePortRange, protocol: Protocol, taken: ReadonlySet<string>): number | undefined {
    const start = range.first <= 30000 && range.last >= 30000 ? 30000 : Math.max(range.first, 1024);
    for (let port = start <= range.last ? start : range.first; port <= range.last; port++) {
        if (!taken.has(`${protocol}/${port}`)) {
            return port;
        }
    }
    return undefined;
}
