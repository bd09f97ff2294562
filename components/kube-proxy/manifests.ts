import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    CONFIG_HASH_ANNOTATION,
    KUBE_PROXY_CONFIG_DIR,
    KUBE_PROXY_CONFIG_KEY,
    KUBE_PROXY_KUBECONFIG_KEY,
    KUBE_PROXY_NAME,
    KUBE_PROXY_NAMESPACE,
    configHash,
    kubeProxyConfigText,
    kubeProxyKubeconfig,
} from "./configuration";
import { KubeProxySpec } from "./types";

type Plain<T> = pulumi.Unwrap<T>;
type ServiceAccount = Plain<k8s.types.input.core.v1.ServiceAccount>;
type ClusterRoleBinding = Plain<k8s.types.input.rbac.v1.ClusterRoleBinding>;
type Role = Plain<k8s.types.input.rbac.v1.Role>;
type RoleBinding = Plain<k8s.types.input.rbac.v1.RoleBinding>;
type ConfigMap = Plain<k8s.types.input.core.v1.ConfigMap>;
type DaemonSet = Plain<k8s.types.input.apps.v1.DaemonSet>;

/** kubeadm's RBAC names (phases/addons/proxy/proxy.go). */
export const KUBE_PROXY_CLUSTER_ROLE = "system:node-proxier";
export const KUBE_PROXY_CLUSTER_ROLE_BINDING = "kubeadm:node-proxier";
/** The group of kubeadm's bootstrap tokens, which read the ConfigMap during `kubeadm join`. */
export const NODE_BOOTSTRAP_TOKEN_GROUP = "system:bootstrappers:kubeadm:default-node-token";

const K8S_APP = { "k8s-app": KUBE_PROXY_NAME } as const;

/**
 * Server-side apply annotations of the Patch resources: kubeadm created these objects with Update, so its field
 * manager owns config.conf and the pod template; `patchForce` takes those fields over instead of failing with a
 * conflict. Only the fields written here change hands.
 */
export const PATCH_ANNOTATIONS = {
    "pulumi.com/patchForce": "true",
    "pulumi.com/patchFieldManager": "clusternet-kube-proxy",
} as const;

/** The ServiceAccount kube-proxy runs as (manage full). */
export function kubeProxyServiceAccount(): ServiceAccount {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE },
    };
}

/** Binds the built-in system:node-proxier ClusterRole to kube-proxy's ServiceAccount (manage full). */
export function kubeProxyClusterRoleBinding(): ClusterRoleBinding {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: KUBE_PROXY_CLUSTER_ROLE_BINDING },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: KUBE_PROXY_CLUSTER_ROLE },
        subjects: [{ kind: "ServiceAccount", name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE }],
    };
}

/** Lets `kubeadm join` (bootstrap tokens) read the kube-proxy ConfigMap, as kubeadm's addon does (manage full). */
export function kubeProxyConfigReaderRole(): Role {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE },
        rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [KUBE_PROXY_NAME], verbs: ["get"] }],
    };
}

export function kubeProxyConfigReaderRoleBinding(): RoleBinding {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: KUBE_PROXY_NAME },
        subjects: [{ kind: "Group", name: NODE_BOOTSTRAP_TOKEN_GROUP }],
    };
}

/** The whole ConfigMap as kubeadm's addon writes it: config.conf and kubeconfig.conf (manage full). */
export function kubeProxyConfigMap(spec: KubeProxySpec): ConfigMap {
    if (spec.apiServer === undefined) {
        throw new Error("kubeProxyConfigMap: manage full needs the API server URL (spec.apiServer)");
    }
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE, labels: { app: KUBE_PROXY_NAME } },
        data: {
            [KUBE_PROXY_KUBECONFIG_KEY]: kubeProxyKubeconfig(spec.apiServer),
            [KUBE_PROXY_CONFIG_KEY]: kubeProxyConfigText(spec),
        },
    };
}

/**
 * The ConfigMapPatch of kubeadm's ConfigMap (manage config): only config.conf; kubeconfig.conf (the API server
 * kubeadm knows) stays kubeadm's.
 */
export function kubeProxyConfigMapPatch(spec: KubeProxySpec): ConfigMap {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE, annotations: { ...PATCH_ANNOTATIONS } },
        data: { [KUBE_PROXY_CONFIG_KEY]: kubeProxyConfigText(spec) },
    };
}

/** The pod-template annotation that makes a changed config roll the DaemonSet (kube-proxy reads it only at start). */
export function configHashAnnotation(spec: KubeProxySpec): Record<string, string> {
    return { [CONFIG_HASH_ANNOTATION]: configHash(kubeProxyConfigText(spec)) };
}

/** The DaemonSetPatch of kubeadm's DaemonSet (manage config): the config hash on the pod template, nothing else. */
export function kubeProxyDaemonSetPatch(spec: KubeProxySpec): DaemonSet {
    return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE, annotations: { ...PATCH_ANNOTATIONS } },
        spec: { template: { metadata: { annotations: configHashAnnotation(spec) } } } as DaemonSet["spec"],
    };
}

/**
 * The DaemonSet as kubeadm's addon writes it (phases/addons/proxy/manifests.go), with the image pinned and the
 * config hash on the pod template (manage full).
 */
export function kubeProxyDaemonSet(spec: KubeProxySpec): DaemonSet {
    if (spec.image === undefined) {
        throw new Error("kubeProxyDaemonSet: manage full needs an image (spec.image)");
    }
    return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: KUBE_PROXY_NAME, namespace: KUBE_PROXY_NAMESPACE, labels: { ...K8S_APP } },
        spec: {
            selector: { matchLabels: { ...K8S_APP } },
            updateStrategy: { type: "RollingUpdate" },
            template: {
                metadata: { labels: { ...K8S_APP }, annotations: configHashAnnotation(spec) },
                spec: {
                    priorityClassName: "system-node-critical",
                    containers: [
                        {
                            name: KUBE_PROXY_NAME,
                            image: spec.image,
                            imagePullPolicy: "IfNotPresent",
                            command: [
                                "/usr/local/bin/kube-proxy",
                                `--config=${KUBE_PROXY_CONFIG_DIR}/${KUBE_PROXY_CONFIG_KEY}`,
                                "--hostname-override=$(NODE_NAME)",
                            ],
                            // kubeadm's: privileged, so it can write the conntrack sysctls and load modules.
                            securityContext: { privileged: true },
                            volumeMounts: [
                                { mountPath: KUBE_PROXY_CONFIG_DIR, name: KUBE_PROXY_NAME },
                                { mountPath: "/run/xtables.lock", name: "xtables-lock", readOnly: false },
                                { mountPath: "/lib/modules", name: "lib-modules", readOnly: true },
                            ],
                            env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                        },
                    ],
                    hostNetwork: true,
                    serviceAccountName: KUBE_PROXY_NAME,
                    volumes: [
                        { name: KUBE_PROXY_NAME, configMap: { name: KUBE_PROXY_NAME } },
                        { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
                        { name: "lib-modules", hostPath: { path: "/lib/modules" } },
                    ],
                    tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, { operator: "Exists" }],
                    nodeSelector: { "kubernetes.io/os": "linux" },
                },
            },
        },
    };
}
