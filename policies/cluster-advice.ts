/**
 * Cluster-level mistakes the API server accepts: a hostNetwork pod that cannot resolve Service names, NetworkPolicy
 * objects flannel does not enforce, flannel's ConfigMap beside the wrong DaemonSet.
 */
import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { FLANNEL_CONFIG_MAP, isFlannelConfigMap } from "./lib/flannel";
import { ResourceLike, ResourceType, describe, namespaceOf } from "./lib/kubernetes";
import { asArray, asBoolean, asString, at, listed } from "./lib/values";
import { Workload, workloadOf, workloadsOf } from "./lib/workloads";
import { DEFAULT_SYSTEM_NAMESPACES } from "./host-network";

export const HOST_NETWORK_DNS_POLICY = "host-network-dns-policy";
export const NETWORK_POLICY_ENFORCED = "network-policy-enforced";
export const FLANNEL_CONFIG_NAMESPACE = "flannel-config-namespace";

/**
 * A hostNetwork pod with the default dnsPolicy (ClusterFirst) gets the node's resolv.conf (kubelet falls back to
 * Default for host-network pods), so it cannot resolve Service names. System components in kube-system and the pod
 * network's namespace do not use Service names, and are left alone.
 */
export function checkHostNetworkDns(workload: Workload, report: (message: string) => void): void {
    if (asBoolean(workload.spec["hostNetwork"]) !== true || DEFAULT_SYSTEM_NAMESPACES.includes(workload.namespace)) {
        return;
    }
    const policy = asString(workload.spec["dnsPolicy"]) ?? "ClusterFirst";
    if (policy === "ClusterFirst") {
        report(
            formatProblem({
                key: "",
                message: `${workload.description} sets hostNetwork: true with dnsPolicy ${workload.spec["dnsPolicy"] === undefined ? "unset (ClusterFirst)" : "ClusterFirst"}: kubelet gives host-network pods the node's resolv.conf in that case, so names like web.demo.svc.cluster.local do not resolve`,
                fix: "set dnsPolicy: ClusterFirstWithHostNet",
            }),
        );
    }
}

export const hostNetworkDnsPolicy: ResourceValidationPolicy = {
    name: HOST_NETWORK_DNS_POLICY,
    description:
        "hostNetwork pods (outside kube-system and the pod network's namespace) use dnsPolicy ClusterFirstWithHostNet, or they cannot resolve Service names.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
        const workload = workloadOf(args);
        if (workload) {
            checkHostNetworkDns(workload, reportViolation);
        }
    },
};

/** NetworkPolicy objects on a cluster whose pod network is flannel alone: flannel enforces none of them. */
export function checkNetworkPolicies(resources: readonly ResourceLike[], report: ReportViolation): void {
    if (!resources.some(isFlannelConfigMap)) {
        return;
    }
    for (const resource of resources) {
        if (resource.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy") {
            report(
                formatProblem({
                    key: "",
                    message: `${describe(resource)} is not enforced: the pod network is flannel, which implements no NetworkPolicy, so namespace ${namespaceOf(resource)} is not isolated`,
                    fix: `add a policy engine beside flannel (e.g. Calico in policy-only mode, "canal", or kube-network-policies), or do not rely on this policy`,
                }),
                resource.urn,
            );
        }
    }
}

export const networkPolicyEnforced: StackValidationPolicy = {
    name: NETWORK_POLICY_ENFORCED,
    description: "NetworkPolicy objects on a flannel-only cluster (flannel does not enforce them).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkNetworkPolicies(args.resources, reportViolation),
};

/** The ConfigMap names a pod spec mounts as volumes. */
function mountedConfigMaps(workload: Workload): string[] {
    return asArray(workload.spec["volumes"]).flatMap((volume) => {
        const name = asString(at(volume, "configMap", "name"));
        return name ? [name] : [];
    });
}

/**
 * flannel's DaemonSet mounts its ConfigMap (kube-flannel-cfg) as a volume; a ConfigMap volume is looked up in the
 * pod's own namespace, so with the ConfigMap elsewhere the pods stay in ContainerCreating ("configmap not found").
 */
export function checkFlannelConfigNamespace(resources: readonly ResourceLike[], report: ReportViolation): void {
    const configMaps = resources.filter((resource) => resource.type === ResourceType.ConfigMap);
    const flannelMaps = configMaps.filter(isFlannelConfigMap);
    if (flannelMaps.length === 0) {
        return;
    }
    for (const workload of workloadsOf(resources)) {
        if (workload.resource.type !== ResourceType.DaemonSet) {
            continue;
        }
        for (const name of mountedConfigMaps(workload)) {
            const candidates = flannelMaps.filter((resource) => at(resource.props, "metadata", "name") === name);
            if (name !== FLANNEL_CONFIG_MAP && candidates.length === 0) {
                continue;
            }
            const here = configMaps.some(
                (resource) =>
                    at(resource.props, "metadata", "name") === name && namespaceOf(resource) === workload.namespace,
            );
            if (!here && candidates.length > 0) {
                report(
                    formatProblem({
                        key: "",
                        message: `${workload.description} mounts ConfigMap ${name}, which the stack creates in namespace ${listed(candidates.map((resource) => namespaceOf(resource)))}, not in ${workload.namespace}: a ConfigMap volume is looked up in the pod's own namespace, so the volume never mounts and flannel's pods stay in ContainerCreating`,
                        fix: `create the ConfigMap in namespace ${workload.namespace}, or move the DaemonSet beside it`,
                    }),
                    workload.resource.urn,
                );
            }
        }
    }
}

export const flannelConfigNamespace: StackValidationPolicy = {
    name: FLANNEL_CONFIG_NAMESPACE,
    description: "flannel's ConfigMap lives in the namespace of the DaemonSet that mounts it.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkFlannelConfigNamespace(args.resources, reportViolation),
};
