import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, NodeSpec, NodeSubnets } from "../plan";
import { FlannelBackend, WireGuardMode } from "./constants";

/** flanneld's container resources, as in a Kubernetes container spec; quantities as strings ("100m", "0.5", "50Mi"). */
export interface FlannelResources {
    /** Requests by resource name, e.g. { cpu: "100m", memory: "50Mi" }. */
    requests?: Record<string, string>;
    /** Limits by resource name, e.g. { memory: "128Mi" }. */
    limits?: Record<string, string>;
}

/** Options of the vxlan backend. Unset options keep flannel's defaults and are not written to net-conf.json. */
export interface VxlanOptions {
    /** The VXLAN network identifier (Backend.VNI); the device is flannel.<VNI>. Default 1. */
    vni?: pulumi.Input<number>;
    /** The UDP port of the tunnel (Backend.Port). Default 8472, the Linux kernel's. */
    port?: pulumi.Input<number>;
    /** Route directly, like host-gw, to nodes on the same subnet (Backend.DirectRouting). Default false. */
    directRouting?: pulumi.Input<boolean>;
    /** VXLAN Group Based Policy (Backend.GBP). Default false. */
    gbp?: pulumi.Input<boolean>;
}

/** Options of the wireguard backend. Unset options keep flannel's defaults. */
export interface WireGuardOptions {
    /** The UDP port of the IPv4 tunnel (Backend.ListenPort). Default 51820. */
    listenPort?: pulumi.Input<number>;
    /** The UDP port of the IPv6 tunnel (Backend.ListenPortV6). Default 51821. */
    listenPortV6?: pulumi.Input<number>;
    /**
     * A pre-shared key (`wg genpsk`) mixed into every tunnel (Backend.PSK); pass a Pulumi secret. With a PSK,
     * net-conf.json lives in a Secret instead of the ConfigMap. Default none.
     */
    psk?: pulumi.Input<string>;
    /** Seconds between keepalive packets (Backend.PersistentKeepaliveInterval); 0 turns them off. Default 0. */
    persistentKeepaliveInterval?: pulumi.Input<number>;
    /** How tunnels are built per IP family (Backend.Mode), see {@link WireGuardMode}. Default separate. */
    mode?: pulumi.Input<WireGuardMode>;
}

/** Options of the udp backend (debugging only, amd64 only, IPv4 only). */
export interface UdpOptions {
    /** The UDP port (Backend.Port). Default 8285. */
    port?: pulumi.Input<number>;
}

/** Image overrides; each must be pinned by a tag other than latest, or by a digest. */
export interface FlannelImages {
    /** flanneld's image (also runs the install-cni init container). Default ghcr.io/flannel-io/flannel:v0.28.9. */
    flannel?: pulumi.Input<string>;
    /** The image installing the flannel CNI plugin. Default ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3. */
    cniPlugin?: pulumi.Input<string>;
}

/** The pod network's settings, without the cluster and nodes they apply to (ClusterNetwork passes its own). */
export interface PodNetworkSettings {
    /** flannel's backend, see {@link FlannelBackend}. Plain, not an Input: it decides which objects exist. Default vxlan. */
    backend?: FlannelBackend;
    /**
     * The underlay (node interface) MTU. vxlan and wireguard write it as Backend.MTU; host-gw and udp always use
     * the interface's own MTU, so there it only feeds the exported pod MTU. Default: the interface's MTU,
     * assumed to be 1500 for the pod MTU.
     */
    mtu?: pulumi.Input<number>;
    /** flanneld --iface: the node interface (a name such as eth1) carrying pod traffic, for multi-NIC VMs. Default: the default route's. */
    iface?: pulumi.Input<string>;
    /**
     * Patch every Node's spec.podCIDR(s) from the plan. False leaves that to kube-controller-manager, which then
     * needs the flags in `controllerManagerFlags`. Plain, not an Input: it decides which resources exist. Default true.
     */
    assignNodeCidrs?: boolean;
    /**
     * flannel's EnableNFTables: its masquerade rules in nftables instead of iptables. ClusterNetwork turns it on with
     * kube-proxy's nftables mode, so one node does not mix both. Plain. Default false.
     */
    enableNFTables?: boolean;
    /** Options of the vxlan backend; only with backend vxlan. */
    vxlan?: VxlanOptions;
    /** Options of the wireguard backend; only with backend wireguard. */
    wireguard?: WireGuardOptions;
    /** Options of the udp backend; only with backend udp. */
    udp?: UdpOptions;
    /** Image overrides. Default: flannel v0.28.9's images. */
    images?: FlannelImages;
    /** flanneld's resources. Default requests 100m CPU and 50Mi memory, no limits; given requests replace the default. */
    resources?: pulumi.Input<FlannelResources>;
    /** Labels a node needs to run flannel, added to the DaemonSet's pod spec. Default none (every Linux node). */
    nodeSelector?: pulumi.Input<Record<string, string>>;
}

/**
 * PodNetwork's args: the settings, and the cluster and nodes it plans like NetworkPlan (flannel's Network and each
 * node's subnet). Resources flanneld must wait for, such as a NodePrep, go in `opts.dependsOn`.
 */
export interface PodNetworkArgs extends PodNetworkSettings {
    /** Cluster-wide address settings: the pod CIDRs become flannel's Network. Plain, not an Input: the plan decides which resources exist. */
    cluster: ClusterSpec;
    /** The nodes, with optional pinned pod subnets: one NodePatch each. Plain, not an Input. */
    nodes: NodeSpec[];
    /** What was allocated before, by node name (e.g. the stack's last `nodeSubnets` output), so no node's subnet moves. Default: nothing remembered. */
    previous?: Record<string, NodeSubnets>;
}

/** The pod network's settings resolved to plain values with defaults applied: the input of the pure builders. */
export interface FlannelSpec {
    readonly podCidr: string | null;
    readonly podCidrV6: string | null;
    readonly backend: FlannelBackend;
    /** The configured underlay MTU, or undefined to leave it to flannel. */
    readonly mtu?: number;
    readonly iface?: string;
    /** net-conf.json's EnableNFTables. Default false. */
    readonly enableNFTables?: boolean;
    readonly vxlan: {
        readonly vni?: number;
        readonly port?: number;
        readonly directRouting?: boolean;
        readonly gbp?: boolean;
    };
    readonly wireguard: {
        readonly listenPort?: number;
        readonly listenPortV6?: number;
        /** Whether a PSK is set: net-conf.json then goes into a Secret. */
        readonly hasPsk: boolean;
        readonly persistentKeepaliveInterval?: number;
        readonly mode?: WireGuardMode;
    };
    readonly udp: { readonly port?: number };
    readonly images: { readonly flannel: string; readonly cniPlugin: string };
    readonly resources: {
        readonly requests: Readonly<Record<string, string>>;
        readonly limits?: Readonly<Record<string, string>>;
    };
    readonly nodeSelector?: Readonly<Record<string, string>>;
}
