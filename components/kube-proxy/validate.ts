import { Problem, SectionKeys, keyPath, show } from "../common";
import { AddressPlan, parseCidr } from "../plan";
import { imageProblem } from "../pod-network/validate";
import { kubeProxyImage } from "./configuration";
import {
    KUBE_PROXY_MODES,
    KubeProxyArgs,
    KubeProxyManage,
    KubeProxyMode,
    KubeProxySettings,
    KubeProxySpec,
} from "./types";

/** Where kube-proxy's settings and the cluster's version live, for naming them in problems. */
export type KubeProxyKeys = Pick<SectionKeys, "kubeProxy" | "cluster" | "nodes">;

/** The release that deprecated IPVS mode, and the one its removal is targeted at (KEP-5495). */
export const IPVS_DEPRECATED_IN = "1.35";
export const IPVS_REMOVAL_TARGET = "1.38";
/** nftables mode: beta (on by default) in 1.31, GA in 1.33. */
export const NFTABLES_MIN_VERSION: readonly [number, number] = [1, 31];
/** What every node needs for nftables mode (kube-proxy refuses to start without them). */
export const NFTABLES_MIN_KERNEL = "5.13";
export const NFTABLES_MIN_NFT = "1.0.1";

const KUBERNETES_VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const IPVS_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh"];
const NODE_PORT_KEYWORDS = ["primary", "localhost", "all"];

/** Major and minor of a Kubernetes version such as 1.34.2 (or v1.34.2), or undefined when it is not one. */
export function parseKubernetesVersion(version: string): [number, number] | undefined {
    const match = KUBERNETES_VERSION.exec(version);
    return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The ipvs deprecation, as a warning naming the removal target and the way out. */
export function ipvsDeprecationWarning(key: string): Problem {
    return {
        key,
        message: `ipvs is deprecated since Kubernetes ${IPVS_DEPRECATED_IN} and its removal is targeted at ${IPVS_REMOVAL_TARGET}`,
        fix: `use mode: nftables (GA since 1.33; needs kernel >= ${NFTABLES_MIN_KERNEL} and nft >= ${NFTABLES_MIN_NFT} on every node)`,
    };
}

/** Warnings that do not stop a run: ipvs mode. */
export function kubeProxyWarnings(settings: KubeProxySettings, keys: Pick<SectionKeys, "kubeProxy">): Problem[] {
    return settings.mode === KubeProxyMode.Ipvs ? [ipvsDeprecationWarning(keyPath(keys.kubeProxy, "mode"))] : [];
}

/**
 * kube-proxy's settings against the cluster: a mode the version has, IPVS settings only in ipvs mode, node port
 * addresses that parse, conntrack durations kube-proxy reads, and what manage full needs (a version or an image,
 * an https API server).
 */
export function validateKubeProxy(
    settings: KubeProxySettings,
    cluster: { readonly kubernetesVersion?: string },
    keys: KubeProxyKeys,
): Problem[] {
    const problems: Problem[] = [];
    const key = (...segments: Array<string | number>): string => keyPath(keys.kubeProxy, ...segments);
    const mode = settings.mode ?? KubeProxyMode.Iptables;
    const manage = settings.manage ?? KubeProxyManage.Config;
    if (!KUBE_PROXY_MODES.includes(mode)) {
        problems.push({
            key: key("mode"),
            message: `${show(mode)} is not a kube-proxy mode`,
            fix: "use iptables, nftables or ipvs",
        });
    }
    if (manage !== KubeProxyManage.Config && manage !== KubeProxyManage.Full) {
        problems.push({ key: key("manage"), message: `${show(manage)} is not allowed`, fix: "use config or full" });
    }
    const versionKey = keyPath(keys.cluster, "kubernetesVersion");
    const version =
        cluster.kubernetesVersion === undefined ? undefined : parseKubernetesVersion(cluster.kubernetesVersion);
    if (cluster.kubernetesVersion !== undefined && version === undefined) {
        problems.push({
            key: versionKey,
            message: `${show(cluster.kubernetesVersion)} is not a Kubernetes version`,
            fix: "write MAJOR.MINOR.PATCH as kubectl version prints it, without the v, e.g. 1.34.2",
        });
    }
    if (mode === KubeProxyMode.Nftables && version !== undefined && compare(version, NFTABLES_MIN_VERSION) < 0) {
        problems.push({
            key: key("mode"),
            message: `nftables mode needs Kubernetes 1.31 or later (GA in 1.33), but the cluster runs ${cluster.kubernetesVersion}`,
            fix: "upgrade the cluster first, or keep mode: iptables",
        });
    }
    if (settings.ipvs !== undefined && mode !== KubeProxyMode.Ipvs) {
        problems.push({
            key: key("ipvs"),
            message: `is only read in ipvs mode, but the mode is ${mode}`,
            fix: "remove it (strictARP matters only for MetalLB L2 with IPVS)",
        });
    }
    const scheduler = settings.ipvs?.scheduler;
    if (scheduler !== undefined && !IPVS_SCHEDULERS.includes(scheduler)) {
        problems.push({
            key: key("ipvs", "scheduler"),
            message: `${show(scheduler)} is not an IPVS scheduler`,
            fix: `use one of ${IPVS_SCHEDULERS.join(", ")}`,
        });
    }
    (settings.nodePortAddresses ?? []).forEach((entry, index) => {
        if (NODE_PORT_KEYWORDS.includes(entry)) {
            return;
        }
        const cidr = parseCidr(entry);
        if (!cidr.ok) {
            problems.push({
                key: key("nodePortAddresses", index),
                message: `${show(entry)} is neither a CIDR nor one of ${NODE_PORT_KEYWORDS.join(", ")}: ${cidr.problems[0]!.message}`,
                fix: "write the node network, e.g. 192.168.56.0/24, or primary",
            });
        }
    });
    for (const field of ["tcpEstablishedTimeout", "tcpCloseWaitTimeout"] as const) {
        const value = settings.conntrack?.[field];
        if (value !== undefined && !GO_DURATION.test(value)) {
            problems.push({
                key: key("conntrack", field),
                message: `${show(value)} is not a duration`,
                fix: "write a duration such as 24h0m0s, 1h or 90s",
            });
        }
    }
    for (const field of ["maxPerCore", "min"] as const) {
        const value = settings.conntrack?.[field];
        if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
            problems.push({
                key: key("conntrack", field),
                message: `${show(value)} is not a whole number >= 0`,
                fix: "write a count, e.g. 32768",
            });
        }
    }
    if (settings.image !== undefined) {
        if (manage !== KubeProxyManage.Full) {
            problems.push({
                key: key("image"),
                message: "is only used with manage: full (with manage: config kubeadm's DaemonSet keeps its image)",
                fix: "remove it, or set manage: full",
            });
        }
        const problem = imageProblem(settings.image, key("image"), "registry.k8s.io/kube-proxy:v1.34.2");
        if (problem) {
            problems.push(problem);
        }
    } else if (manage === KubeProxyManage.Full && cluster.kubernetesVersion === undefined) {
        problems.push({
            key: versionKey,
            message: "is not set, but kubeProxy.manage: full needs it for kube-proxy's image tag",
            fix: "set it to the cluster's version (kubectl version), e.g. 1.34.2, or set kubeProxy.image",
        });
    }
    if (settings.apiServer !== undefined) {
        if (manage !== KubeProxyManage.Full) {
            problems.push({
                key: key("apiServer"),
                message: "is only used with manage: full (kubeadm's kubeconfig.conf names the API server otherwise)",
                fix: "remove it, or set manage: full",
            });
        }
        if (!/^https:\/\/[^\s/?#]+(?::\d+)?\/?$/.test(settings.apiServer)) {
            problems.push({
                key: key("apiServer"),
                message: `${show(settings.apiServer)} is not an https URL of a host`,
                fix: "write https://HOST:PORT, e.g. https://192.168.56.10:6443",
            });
        }
    }
    return problems;
}

function compare(a: readonly [number, number], b: readonly [number, number]): number {
    return a[0] - b[0] || a[1] - b[1];
}

/** The pod CIDRs of the plan in kube-proxy's order (IPv4 first): its clusterCIDR. */
export function planClusterCidrs(plan: Pick<AddressPlan, "cluster">): string[] {
    return [plan.cluster.podCidr, plan.cluster.podCidrV6].filter((cidr): cidr is string => cidr !== null);
}

/** The default API server of manage full: the first node's address, port 6443 (kubeadm's default). */
export function defaultApiServer(firstNodeIp: string): string {
    return firstNodeIp.includes(":") ? `https://[${firstNodeIp}]:6443` : `https://${firstNodeIp}:6443`;
}

/** Component-level checks of the args (ClusterNetwork checks its settings with config keys first). */
export function kubeProxyArgsProblems(args: KubeProxyArgs): Problem[] {
    // Args are flat: `args.mode`, `args.kubernetesVersion`.
    const problems = validateKubeProxy(
        args,
        { kubernetesVersion: args.kubernetesVersion },
        { kubeProxy: "args", cluster: "args", nodes: "args" },
    );
    if (args.clusterCidrs.length === 0 || args.clusterCidrs.length > 2) {
        problems.push({
            key: "args.clusterCidrs",
            message: `has ${args.clusterCidrs.length} entries`,
            fix: "pass the pod CIDR of each family, IPv4 first (one or two)",
        });
    }
    args.clusterCidrs.forEach((cidr, index) => {
        const parsed = parseCidr(cidr);
        if (!parsed.ok) {
            problems.push({
                key: keyPath("args.clusterCidrs", index),
                message: `${show(cidr)}: ${parsed.problems[0]!.message}`,
            });
        }
    });
    if ((args.manage ?? KubeProxyManage.Config) === KubeProxyManage.Full && args.apiServer === undefined) {
        problems.push({
            key: "args.apiServer",
            message: "is required with manage full",
            fix: "pass the API server URL, e.g. https://192.168.56.10:6443",
        });
    }
    return problems;
}

/** The args as plain values with defaults applied, for the builders; validate them first. */
export function resolveKubeProxySpec(args: KubeProxyArgs): KubeProxySpec {
    const manage = args.manage ?? KubeProxyManage.Config;
    const image =
        args.image ?? (args.kubernetesVersion !== undefined ? kubeProxyImage(args.kubernetesVersion) : undefined);
    return {
        mode: args.mode ?? KubeProxyMode.Iptables,
        manage,
        clusterCidrs: [...args.clusterCidrs],
        ipv4: args.clusterCidrs.some((cidr) => !cidr.includes(":")),
        ...(args.nodePortAddresses !== undefined ? { nodePortAddresses: [...args.nodePortAddresses] } : {}),
        conntrack: { ...args.conntrack },
        ipvs: { ...args.ipvs },
        ...(manage === KubeProxyManage.Full && image !== undefined ? { image } : {}),
        ...(manage === KubeProxyManage.Full && args.apiServer !== undefined ? { apiServer: args.apiServer } : {}),
    };
}
