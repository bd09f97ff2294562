import { FLANNEL_BACKEND_OVERHEAD } from "../rules/constants";
/** flannel's names, images and numbers, as upstream v0.28.9 has them (see docs/pod-network.md, "Differences from upstream flannel"). */

/** The flannel release these objects follow. */
export const FLANNEL_VERSION = "v0.28.9";
/** flanneld's image, pinned. */
export const DEFAULT_FLANNEL_IMAGE = `ghcr.io/flannel-io/flannel:${FLANNEL_VERSION}`;
/** The flannel CNI plugin's image, pinned. */
export const DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3";

export const FLANNEL_NAMESPACE = "kube-flannel";
export const FLANNEL_SERVICE_ACCOUNT = "flannel";
export const FLANNEL_CLUSTER_ROLE = "flannel";
export const FLANNEL_CONFIG_MAP = "kube-flannel-cfg";
/** Holds net-conf.json instead of the ConfigMap when it carries a WireGuard pre-shared key. */
export const FLANNEL_NET_CONF_SECRET = "kube-flannel-net-conf";
export const FLANNEL_DAEMON_SET = "kube-flannel-ds";

/** Where the Secret's net-conf.json is mounted in the flanneld container. */
export const SECRET_NET_CONF_DIR = "/etc/kube-flannel-net-conf/";

/** The field manager of the NodePatches, so `kubectl get node --show-managed-fields` names the owner of podCIDR. */
export const POD_CIDR_FIELD_MANAGER = "clusternet-pod-cidr";

/** flannel's backends (Backend.Type in net-conf.json). */
export const FlannelBackend = {
    Vxlan: "vxlan",
    HostGw: "host-gw",
    WireGuard: "wireguard",
    Udp: "udp",
} as const;
export type FlannelBackend = (typeof FlannelBackend)[keyof typeof FlannelBackend];
export const FLANNEL_BACKENDS: readonly FlannelBackend[] = Object.values(FlannelBackend);

/** How the wireguard backend builds its tunnels (Backend.Mode). */
export const WireGuardMode = {
    /** One tunnel per IP family (flannel's default). */
    Separate: "separate",
    /** One tunnel carrying both families; the endpoint family is picked per peer. */
    Auto: "auto",
    /** One tunnel between the nodes' IPv4 addresses. */
    IPv4: "ipv4",
    /** One tunnel between the nodes' IPv6 addresses. */
    IPv6: "ipv6",
} as const;
export type WireGuardMode = (typeof WireGuardMode)[keyof typeof WireGuardMode];
export const WIREGUARD_MODES: readonly WireGuardMode[] = Object.values(WireGuardMode);

/** Bytes each backend adds to a packet (stated once in components/rules, with the arithmetic). */
export const BACKEND_OVERHEAD: Readonly<Record<FlannelBackend, number>> = FLANNEL_BACKEND_OVERHEAD;

/** The underlay MTU assumed when none is configured (flannel itself then uses the interface's MTU). */
export const DEFAULT_UNDERLAY_MTU = 1500;
/** The largest MTU Linux accepts on an interface. */
export const MAX_MTU = 65535;
/** Every IPv4 host must accept datagrams of this size (RFC 791). */
export const MIN_POD_MTU_IPV4 = 576;
/** IPv6 needs links of at least this MTU (RFC 8200). */
export const MIN_POD_MTU_IPV6 = 1280;

/** flannel's defaults for the backend options, shown in messages and docs. */
export const VXLAN_DEFAULT_VNI = 1;
export const VXLAN_DEFAULT_PORT = 8472;
export const VXLAN_MAX_VNI = 16777215;
export const WIREGUARD_DEFAULT_PORT = 51820;
export const WIREGUARD_DEFAULT_PORT_V6 = 51821;
export const UDP_DEFAULT_PORT = 8285;
/** WireGuard stores the keepalive interval in 16 bits of seconds. */
export const WIREGUARD_MAX_KEEPALIVE = 65535;

/** flanneld's requests, as upstream sets them. */
export const DEFAULT_FLANNEL_REQUESTS: Readonly<Record<string, string>> = { cpu: "100m", memory: "50Mi" };

/** The vxlan devices flanneld creates: flannel.<VNI> for IPv4, flannel-v6.<VNI> for IPv6. */
export function vxlanDeviceNames(vni: number, ipv4: boolean, ipv6: boolean): string[] {
    return [...(ipv4 ? [`flannel.${vni}`] : []), ...(ipv6 ? [`flannel-v6.${vni}`] : [])];
}

/**
 * Marks a NodePatch rendered to files (no kubeconfig) as a patch of an existing Node, with the command that applies
 * it: as a plain `kind: Node` manifest, `kubectl apply` would create a bare Node or rewrite a live one.
 */
export const RENDERED_PATCH_ANNOTATION = "clusternet.io/rendered-patch";

/** The value of {@link RENDERED_PATCH_ANNOTATION} for one Node. */
export function renderedPatchNote(nodeName: string): string {
    return `a patch of the existing Node, not a Node to create: kubectl patch node ${nodeName} --type=merge --patch-file=<this file>; kubectl apply would create a bare Node`;
}
