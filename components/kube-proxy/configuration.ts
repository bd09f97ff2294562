import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { KubeProxyMode, KubeProxySpec } from "./types";

/** kubeadm's names for kube-proxy (cmd/kubeadm/app/constants and phases/addons/proxy). */
export const KUBE_PROXY_NAMESPACE = "kube-system";
export const KUBE_PROXY_NAME = "kube-proxy";
/** The ConfigMap key holding the KubeProxyConfiguration. */
export const KUBE_PROXY_CONFIG_KEY = "config.conf";
/** The ConfigMap key holding kube-proxy's kubeconfig (service account token and CA). */
export const KUBE_PROXY_KUBECONFIG_KEY = "kubeconfig.conf";
/** Where the DaemonSet mounts the ConfigMap. */
export const KUBE_PROXY_CONFIG_DIR = "/var/lib/kube-proxy";
/** The pod-template annotation holding the config's hash: a changed config rolls the DaemonSet. */
export const CONFIG_HASH_ANNOTATION = "clusternet.dev/kube-proxy-config-hash";
/** The registry kubeadm pulls kube-proxy from. */
export const KUBE_PROXY_IMAGE_REPOSITORY = "registry.k8s.io/kube-proxy";

/** The image kubeadm would run for this Kubernetes version: registry.k8s.io/kube-proxy:v1.34.2. */
export function kubeProxyImage(kubernetesVersion: string): string {
    return `${KUBE_PROXY_IMAGE_REPOSITORY}:v${kubernetesVersion.replace(/^v/, "")}`;
}

/** kube-proxy's clusterCIDR: the pod CIDRs, comma-separated (IPv4 first), as kube-proxy parses a dual-stack pair. */
export function clusterCidrValue(clusterCidrs: readonly string[]): string {
    return clusterCidrs.join(",");
}

/**
 * The KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) as kubeadm writes it into the ConfigMap: kubeadm
 * marshals the whole struct, so every field is present, zero values included, keys in alphabetical order; its
 * defaults are bindAddress 0.0.0.0 (:: for IPv6), clientConnection.kubeconfig /var/lib/kube-proxy/kubeconfig.conf
 * and clusterCIDR = the pod subnet. clusternet sets the mode explicitly, the clusterCIDR from the plan, and the
 * settings it was given; everything else stays as kubeadm leaves it, so the same kube-proxy behaviour follows.
 */
export function kubeProxyConfiguration(spec: KubeProxySpec): Record<string, unknown> {
    const ipvs = spec.mode === KubeProxyMode.Ipvs;
    return {
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        bindAddress: spec.ipv4 ? "0.0.0.0" : "::",
        bindAddressHardFail: false,
        clientConnection: {
            acceptContentTypes: "",
            burst: 0,
            contentType: "",
            kubeconfig: `${KUBE_PROXY_CONFIG_DIR}/${KUBE_PROXY_KUBECONFIG_KEY}`,
            qps: 0,
        },
        clusterCIDR: clusterCidrValue(spec.clusterCidrs),
        configSyncPeriod: "0s",
        conntrack: {
            maxPerCore: spec.conntrack.maxPerCore ?? null,
            min: spec.conntrack.min ?? null,
            tcpBeLiberal: false,
            tcpCloseWaitTimeout: spec.conntrack.tcpCloseWaitTimeout ?? null,
            tcpEstablishedTimeout: spec.conntrack.tcpEstablishedTimeout ?? null,
            udpStreamTimeout: "0s",
            udpTimeout: "0s",
        },
        detectLocal: { bridgeInterface: "", interfaceNamePrefix: "" },
        detectLocalMode: "",
        enableProfiling: false,
        healthzBindAddress: "",
        hostnameOverride: "",
        iptables: {
            localhostNodePorts: null,
            masqueradeAll: false,
            masqueradeBit: null,
            minSyncPeriod: "0s",
            syncPeriod: "0s",
        },
        ipvs: {
            excludeCIDRs: null,
            minSyncPeriod: "0s",
            // Only meaningful in ipvs mode: other modes keep kubeadm's zero values.
            scheduler: ipvs ? (spec.ipvs.scheduler ?? "") : "",
            strictARP: ipvs ? (spec.ipvs.strictARP ?? false) : false,
            syncPeriod: "0s",
            tcpFinTimeout: "0s",
            tcpTimeout: "0s",
            udpTimeout: "0s",
        },
        kind: "KubeProxyConfiguration",
        logging: {
            flushFrequency: 0,
            options: { json: { infoBufferSize: "0" }, text: { infoBufferSize: "0" } },
            verbosity: 0,
        },
        metricsBindAddress: "",
        mode: spec.mode,
        nftables: { masqueradeAll: false, masqueradeBit: null, minSyncPeriod: "0s", syncPeriod: "0s" },
        nodePortAddresses: spec.nodePortAddresses ? [...spec.nodePortAddresses] : null,
        oomScoreAdj: null,
        portRange: "",
        showHiddenMetricsForVersion: "",
        winkernel: {
            enableDSR: false,
            forwardHealthCheckVip: false,
            networkName: "",
            rootHnsEndpointName: "",
            sourceVip: "",
        },
    };
}

/** `config.conf` as text: YAML as kubeadm prints it (sigs.k8s.io/yaml: sorted keys, two-space indent). */
export function kubeProxyConfigText(spec: KubeProxySpec): string {
    return stringify(kubeProxyConfiguration(spec), { sortMapEntries: true, indent: 2, lineWidth: 0 });
}

/** The SHA-256 of `config.conf`, first 16 hex digits: the pod-template annotation that rolls the DaemonSet. */
export function configHash(configText: string): string {
    return createHash("sha256").update(configText).digest("hex").slice(0, 16);
}

/**
 * kube-proxy's kubeconfig.conf as kubeadm's addon writes it: the pod's service account token and CA, and the API
 * server (kubeadm's control plane endpoint).
 */
export function kubeProxyKubeconfig(apiServer: string): string {
    return stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [
                {
                    cluster: {
                        "certificate-authority": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                        server: apiServer,
                    },
                    name: "default",
                },
            ],
            contexts: [{ context: { cluster: "default", namespace: "default", user: "default" }, name: "default" }],
            "current-context": "default",
            users: [{ name: "default", user: { tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" } }],
        },
        { indent: 2, lineWidth: 0 },
    );
}
