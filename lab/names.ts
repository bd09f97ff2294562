import { createHash } from "node:crypto";

/**
 * Names of everything the lab creates. Every network namespace is `<prefix><role>...`, so `down` finds a lab's
 * namespaces by name alone (also after a crash), and two labs with different prefixes never touch each other.
 */

/** The default prefix of a lab's namespaces. */
export const DEFAULT_PREFIX = "cnl-";

/** A prefix is short, lowercase, and ends with '-' so that no prefix is the start of another lab's role names. */
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,11}-$/;

export function prefixProblem(prefix: string): string | undefined {
    return PREFIX_PATTERN.test(prefix)
        ? undefined
        : `--prefix ${JSON.stringify(prefix)}: use 1-12 lowercase letters or digits (starting with a letter) followed by '-', e.g. cnl-`;
}

export const NamespaceRole = {
    Lan: "lan",
    Client: "client",
    Node: "node-",
    Pod: "pod-",
} as const;

export function lanNamespace(prefix: string): string {
    return `${prefix}${NamespaceRole.Lan}`;
}

export function clientNamespace(prefix: string): string {
    return `${prefix}${NamespaceRole.Client}`;
}

export function nodeNamespace(prefix: string, node: string): string {
    return `${prefix}${NamespaceRole.Node}${node}`;
}

/** A pod's namespace: Kubernetes namespaces hold no dots, so `<namespace>.<pod>` is unambiguous. */
export function podNamespace(prefix: string, namespace: string, pod: string): string {
    return `${prefix}${NamespaceRole.Pod}${namespace}.${pod}`;
}

/** True when `netns` is one this lab (this exact prefix) would create. */
export function isLabNamespace(prefix: string, netns: string): boolean {
    if (!netns.startsWith(prefix)) {
        return false;
    }
    const role = netns.slice(prefix.length);
    return (
        role === NamespaceRole.Lan ||
        role === NamespaceRole.Client ||
        (role.startsWith(NamespaceRole.Node) && role.length > NamespaceRole.Node.length) ||
        (role.startsWith(NamespaceRole.Pod) && role.length > NamespaceRole.Pod.length)
    );
}

/** Linux limits interface names to 15 bytes (IFNAMSIZ - 1). */
export const MAX_IFNAME = 15;

/** The LAN bridge, inside the LAN namespace. */
export const LAN_BRIDGE = "br-lan";
/** Every node's and the client's interface on the LAN, inside its own namespace. */
export const LAN_IFNAME = "eth0";
/** flannel's VXLAN device (flannel names it `flannel.<VNI>`; the upstream default VNI 1 gives `flannel.1`). */
export function vtepIfname(vni: number): string {
    return `flannel.${vni}`;
}
/** The bridge the CNI bridge plugin creates when the config names none. */
export const CNI_BRIDGE = "cni0";

/** The LAN-side end of node `index`'s cable, inside the LAN namespace: `node0`, `node1`... */
export function lanPortName(index: number): string {
    return `node${index}`;
}
export const CLIENT_PORT = "client";

/**
 * A deterministic, locally administered unicast MAC for a node's VTEP. flanneld picks a random one and
 * publishes it in the Node annotation `flannel.alpha.coreos.com/backend-data`; the lab derives it from the name.
 */
export function vtepMac(node: string): string {
    const bytes = [...createHash("sha256").update(`clusternet-lab/vtep/${node}`).digest().subarray(0, 6)];
    bytes[0] = (bytes[0]! & 0xfe) | 0x02;
    return bytes.map((byte) => byte.toString(16).padStart(2, "0")).join(":");
}

/** A short stable hash, for names that must be unique but need not be read (nginx upstreams). */
export function shortHash(text: string, length = 10): string {
    return createHash("sha256").update(text).digest("hex").slice(0, length);
}
