/** kube-proxy's modes on Linux. */
export const KubeProxyMode = {
    /** The default: one rule per Service port in KUBE-SERVICES, walked in order for every new connection. */
    Iptables: "iptables",
    /** GA since Kubernetes 1.33: verdict maps keyed by address, protocol and port; cost flat in the number of Services. */
    Nftables: "nftables",
    /** Deprecated since 1.35, removal targeted at 1.38: move to nftables. */
    Ipvs: "ipvs",
} as const;
export type KubeProxyMode = (typeof KubeProxyMode)[keyof typeof KubeProxyMode];
export const KUBE_PROXY_MODES: readonly KubeProxyMode[] = Object.values(KubeProxyMode);

/** How much of kube-proxy the stack owns. */
export const KubeProxyManage = {
    /** Take over kubeadm's ConfigMap (a ConfigMapPatch) and roll its DaemonSet when the config changes (a DaemonSetPatch). */
    Config: "config",
    /** Deploy kube-proxy as kubeadm's addon does, for clusters set up with `--skip-phases=addon/kube-proxy`. */
    Full: "full",
} as const;
export type KubeProxyManage = (typeof KubeProxyManage)[keyof typeof KubeProxyManage];

/** kube-proxy's conntrack settings; unset ones keep kube-proxy's defaults. */
export interface KubeProxyConntrack {
    /** Conntrack entries per CPU core; 0 leaves the kernel's limit alone. Default 32768. */
    maxPerCore?: number;
    /** The least conntrack entries, whatever the cores. Default 131072. */
    min?: number;
    /** Idle timeout of established TCP connections, a Go duration such as `24h0m0s`. Default 24h. */
    tcpEstablishedTimeout?: string;
    /** Timeout of TCP connections in CLOSE_WAIT, e.g. `1h0m0s`. Default 1h. */
    tcpCloseWaitTimeout?: string;
}

/** IPVS settings (mode ipvs only). */
export interface KubeProxyIpvs {
    /** Answer ARP only for addresses on the receiving interface (MetalLB L2 needs it). Default false. */
    strictARP?: boolean;
    /** The IPVS scheduler (rr, wrr, lc, sh, ...). Default rr. */
    scheduler?: string;
}

/** kube-proxy as a cluster configures it (ClusterNetwork's `kubeProxy`); clusterCIDR comes from the plan. */
export interface KubeProxySettings {
    /** The proxy mode, see {@link KubeProxyMode}. Plain: it decides node preparation and flannel's nftables. Default iptables. */
    mode?: KubeProxyMode;
    /** How much of kube-proxy the stack owns, see {@link KubeProxyManage}. Plain: it decides which resources exist. Default config. */
    manage?: KubeProxyManage;
    /** CIDRs (or `primary`, `localhost`, `all`) of the node addresses that accept NodePort traffic. Default: kube-proxy's (all; primary in nftables mode). */
    nodePortAddresses?: string[];
    /** Conntrack settings. Default: kube-proxy's. */
    conntrack?: KubeProxyConntrack;
    /** IPVS settings; only with mode ipvs. Default: kube-proxy's. */
    ipvs?: KubeProxyIpvs;
    /** kube-proxy's image with manage full, pinned. Default registry.k8s.io/kube-proxy:v<kubernetesVersion>. */
    image?: string;
    /** The API server URL in kube-proxy's kubeconfig with manage full. Default https://<first node's IP>:6443. */
    apiServer?: string;
}

/** KubeProxy's args: the settings plus what the plan decides. */
export interface KubeProxyArgs extends KubeProxySettings {
    /** The pod CIDR(s), one per family (IPv4 first): kube-proxy's clusterCIDR. Plain, from the address plan. */
    clusterCidrs: string[];
    /** The cluster's Kubernetes version, e.g. 1.34.2 (the image tag with manage full). Default: unknown. */
    kubernetesVersion?: string;
}

/** The settings resolved to plain values with defaults applied: the input of the pure builders. */
export interface KubeProxySpec {
    readonly mode: KubeProxyMode;
    readonly manage: KubeProxyManage;
    readonly clusterCidrs: readonly string[];
    /** Whether the cluster has IPv4 (bindAddress 0.0.0.0, else ::). */
    readonly ipv4: boolean;
    readonly nodePortAddresses?: readonly string[];
    readonly conntrack: KubeProxyConntrack;
    readonly ipvs: KubeProxyIpvs;
    readonly image?: string;
    readonly apiServer?: string;
}
