import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { AddressPlan } from "../plan";
import {
    FlannelBackend,
    FLANNEL_CLUSTER_ROLE,
    FLANNEL_CONFIG_MAP,
    FLANNEL_DAEMON_SET,
    FLANNEL_NAMESPACE,
    FLANNEL_NET_CONF_SECRET,
    FLANNEL_SERVICE_ACCOUNT,
    POD_CIDR_FIELD_MANAGER,
    SECRET_NET_CONF_DIR,
} from "./constants";
import { cniConf, jsonText, netConf } from "./net-conf";
import { FlannelSpec } from "./types";

/** A Kubernetes object type from @pulumi/kubernetes with every Input unwrapped: what the builders return. */
type Plain<T> = pulumi.Unwrap<T>;

type Namespace = Plain<k8s.types.input.core.v1.Namespace>;
type ServiceAccount = Plain<k8s.types.input.core.v1.ServiceAccount>;
type ClusterRole = Plain<k8s.types.input.rbac.v1.ClusterRole>;
type ClusterRoleBinding = Plain<k8s.types.input.rbac.v1.ClusterRoleBinding>;
type ConfigMap = Plain<k8s.types.input.core.v1.ConfigMap>;
type Secret = Plain<k8s.types.input.core.v1.Secret>;
type DaemonSet = Plain<k8s.types.input.apps.v1.DaemonSet>;
type Node = Plain<k8s.types.input.core.v1.Node>;
type ObjectMeta = Plain<k8s.types.input.meta.v1.ObjectMeta>;

/** The labels upstream puts on each object. */
const K8S_APP = { "k8s-app": "flannel" } as const;
const NODE_TIER = { tier: "node", "k8s-app": "flannel", app: "flannel" } as const;

/** Every flannel object's metadata: constant, so components can register it without waiting for any Input. */
export const FLANNEL_METADATA = {
    namespace: {
        name: FLANNEL_NAMESPACE,
        // Pod Security "privileged": flanneld needs hostNetwork, hostPath volumes and NET_ADMIN ("baseline" is rejected).
        labels: { ...K8S_APP, "pod-security.kubernetes.io/enforce": "privileged" },
    },
    serviceAccount: { labels: { ...K8S_APP }, name: FLANNEL_SERVICE_ACCOUNT, namespace: FLANNEL_NAMESPACE },
    clusterRole: { labels: { ...K8S_APP }, name: FLANNEL_CLUSTER_ROLE },
    clusterRoleBinding: { labels: { ...K8S_APP }, name: FLANNEL_CLUSTER_ROLE },
    configMap: { name: FLANNEL_CONFIG_MAP, namespace: FLANNEL_NAMESPACE, labels: { ...NODE_TIER } },
    netConfSecret: { name: FLANNEL_NET_CONF_SECRET, namespace: FLANNEL_NAMESPACE, labels: { ...NODE_TIER } },
    daemonSet: {
        name: FLANNEL_DAEMON_SET,
        namespace: FLANNEL_NAMESPACE,
        labels: { tier: "node", app: "flannel", "k8s-app": "flannel" },
    },
} as const satisfies Record<string, ObjectMeta>;

/** A fresh copy of an object's metadata, so callers may edit what a builder returns. */
export function flannelMetadata(kind: keyof typeof FLANNEL_METADATA): ObjectMeta {
    return structuredClone(FLANNEL_METADATA[kind]);
}

export function flannelNamespace(): Namespace {
    return { apiVersion: "v1", kind: "Namespace", metadata: flannelMetadata("namespace") };
}

export function flannelServiceAccount(): ServiceAccount {
    return { apiVersion: "v1", kind: "ServiceAccount", metadata: flannelMetadata("serviceAccount") };
}

/** Exactly upstream's rules: read its own pod, watch the nodes (their podCIDRs and flannel's annotations), annotate its node. */
export function flannelClusterRole(): ClusterRole {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: flannelMetadata("clusterRole"),
        rules: [
            { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
            { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
        ],
    };
}

export function flannelClusterRoleBinding(): ClusterRoleBinding {
    return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: flannelMetadata("clusterRoleBinding"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: FLANNEL_CLUSTER_ROLE },
        subjects: [{ kind: "ServiceAccount", name: FLANNEL_SERVICE_ACCOUNT, namespace: FLANNEL_NAMESPACE }],
    };
}

/**
 * The ConfigMap: cni-conf.json, and net-conf.json unless a WireGuard PSK is set (a ConfigMap is readable by anyone
 * who may read the namespace's ConfigMaps, so the key then lives only in the Secret).
 */
export function flannelConfigMap(spec: FlannelSpec): ConfigMap {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: flannelMetadata("configMap"),
        data: {
            "cni-conf.json": jsonText(cniConf()),
            ...(spec.wireguard.hasPsk ? {} : { "net-conf.json": jsonText(netConf(spec)) }),
        },
    };
}

/** The Secret holding net-conf.json with the WireGuard PSK, mounted for flanneld's --net-config-path. */
export function flannelNetConfSecret(spec: FlannelSpec, psk: string): Secret {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: flannelMetadata("netConfSecret"),
        type: "Opaque",
        stringData: { "net-conf.json": jsonText(netConf(spec, psk)) },
    };
}

/** flanneld's arguments: upstream's, then --iface and the Secret's net-conf path when configured. */
export function flanneldArgs(spec: FlannelSpec): string[] {
    return [
        "--ip-masq",
        "--kube-subnet-mgr",
        "--healthz-port=8081",
        ...(spec.iface !== undefined ? [`--iface=${spec.iface}`] : []),
        ...(spec.wireguard.hasPsk ? [`--net-config-path=${SECRET_NET_CONF_DIR}net-conf.json`] : []),
    ];
}

/**
 * The DaemonSet, field for field as upstream's except what the spec changes: images, --iface, resources, node
 * selector, and the Secret's net-conf.json with a WireGuard PSK.
 */
export function flannelDaemonSet(spec: FlannelSpec): DaemonSet {
    const resources = {
        requests: { ...spec.resources.requests },
        ...(spec.resources.limits ? { limits: { ...spec.resources.limits } } : {}),
    };
    const secretMount = spec.wireguard.hasPsk
        ? [{ name: "flannel-net-conf", mountPath: SECRET_NET_CONF_DIR, readOnly: true }]
        : [];
    const secretVolume = spec.wireguard.hasPsk
        ? [{ name: "flannel-net-conf", secret: { secretName: FLANNEL_NET_CONF_SECRET, defaultMode: 0o400 } }]
        : [];
    return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: flannelMetadata("daemonSet"),
        spec: {
            selector: { matchLabels: { app: "flannel" } },
            template: {
                metadata: { labels: { tier: "node", app: "flannel" } },
                spec: {
                    affinity: {
                        nodeAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: {
                                nodeSelectorTerms: [
                                    {
                                        matchExpressions: [
                                            { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
                                        ],
                                    },
                                ],
                            },
                        },
                    },
                    hostNetwork: true,
                    priorityClassName: "system-node-critical",
                    tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
                    serviceAccountName: FLANNEL_SERVICE_ACCOUNT,
                    initContainers: [
                        {
                            // Copies the flannel CNI plugin to the host's /opt/cni/bin/flannel.
                            name: "install-cni-plugin",
                            image: spec.images.cniPlugin,
                            command: ["cp"],
                            args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
                            volumeMounts: [{ name: "cni-plugin", mountPath: "/opt/cni/bin" }],
                        },
                        {
                            // Installs cni-conf.json atomically as the host's /etc/cni/net.d/10-flannel.conflist.
                            name: "install-cni",
                            image: spec.images.flannel,
                            command: ["/opt/bin/install-conf"],
                            args: ["/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                            volumeMounts: [
                                { name: "cni", mountPath: "/etc/cni/net.d" },
                                { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
                            ],
                        },
                    ],
                    containers: [
                        {
                            name: "kube-flannel",
                            image: spec.images.flannel,
                            command: ["/opt/bin/flanneld"],
                            args: flanneldArgs(spec),
                            ports: [{ name: "healthz", containerPort: 8081, protocol: "TCP" }],
                            livenessProbe: {
                                httpGet: { path: "/healthz", port: "healthz" },
                                initialDelaySeconds: 10,
                                periodSeconds: 30,
                            },
                            // Ready once /run/flannel/subnet.env and the masquerade rules exist: "DaemonSet ready" means "pod network up".
                            readinessProbe: {
                                httpGet: { path: "/readyz", port: "healthz" },
                                initialDelaySeconds: 5,
                                periodSeconds: 10,
                            },
                            resources,
                            // The udp backend opens /dev/net/tun, which an unprivileged container cannot (flannel's
                            // own e2e runs udp privileged); every other backend needs only these capabilities.
                            securityContext: {
                                privileged: spec.backend === FlannelBackend.Udp,
                                capabilities: { add: ["NET_ADMIN", "NET_RAW"] },
                            },
                            env: [
                                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                { name: "EVENT_QUEUE_DEPTH", value: "5000" },
                                { name: "CONT_WHEN_CACHE_NOT_READY", value: "false" },
                            ],
                            volumeMounts: [
                                { name: "run", mountPath: "/run/flannel" },
                                { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
                                { name: "xtables-lock", mountPath: "/run/xtables.lock" },
                                ...secretMount,
                            ],
                        },
                    ],
                    volumes: [
                        { name: "run", hostPath: { path: "/run/flannel" } },
                        { name: "cni-plugin", hostPath: { path: "/opt/cni/bin" } },
                        { name: "cni", hostPath: { path: "/etc/cni/net.d" } },
                        { name: "flannel-cfg", configMap: { name: FLANNEL_CONFIG_MAP } },
                        { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
                        ...secretVolume,
                    ],
                    ...(spec.nodeSelector !== undefined && Object.keys(spec.nodeSelector).length > 0
                        ? { nodeSelector: { ...spec.nodeSelector } }
                        : {}),
                },
            },
        },
    };
}

/** Every flannel object, in apply order. `psk` is needed only when the spec has one. */
export function flannelManifests(
    spec: FlannelSpec,
    psk?: string,
): Array<Namespace | ServiceAccount | ClusterRole | ClusterRoleBinding | ConfigMap | Secret | DaemonSet> {
    if (spec.wireguard.hasPsk && psk === undefined) {
        throw new Error("flannelManifests: the spec has a WireGuard PSK, so pass it");
    }
    return [
        flannelNamespace(),
        flannelServiceAccount(),
        flannelClusterRole(),
        flannelClusterRoleBinding(),
        flannelConfigMap(spec),
        ...(spec.wireguard.hasPsk ? [flannelNetConfSecret(spec, psk!)] : []),
        flannelDaemonSet(spec),
    ];
}

/**
 * One partial Node per planned node, applied with server-side apply: spec.podCIDR and spec.podCIDRs (IPv4 first in
 * a dual-stack cluster; podCIDR is podCIDRs[0], as Kubernetes requires), owned by the field manager
 * "clusternet-pod-cidr". Nothing else of the Node is touched.
 */
export function nodeCidrPatches(plan: AddressPlan): Node[] {
    return plan.nodes.map((node) => {
        const podCIDRs = [node.podCidr, node.podCidrV6].filter((cidr): cidr is string => cidr !== null);
        return {
            apiVersion: "v1",
            kind: "Node",
            metadata: { name: node.name, annotations: { "pulumi.com/patchFieldManager": POD_CIDR_FIELD_MANAGER } },
            spec: { podCIDR: podCIDRs[0], podCIDRs },
        };
    });
}

/**
 * The kube-controller-manager flags that make its range allocator hand out node subnets of the plan's sizes from
 * the plan's pod CIDRs, for clusters that leave podCIDR assignment to it (assignNodeCidrs false). Dual-stack
 * clusters need the per-family mask flags: --node-cidr-mask-size is refused there.
 */
export function controllerManagerFlags(plan: AddressPlan): string[] {
    const { podCidr, podCidrV6, nodeMaskSize, nodeMaskSizeV6, serviceCidr, serviceCidrV6 } = plan.cluster;
    const clusterCidrs = [podCidr, podCidrV6].filter((cidr): cidr is string => cidr !== null);
    const serviceCidrs = [serviceCidr, serviceCidrV6].filter((cidr): cidr is string => cidr !== null);
    const masks =
        podCidr !== null && podCidrV6 !== null
            ? [`--node-cidr-mask-size-ipv4=${nodeMaskSize}`, `--node-cidr-mask-size-ipv6=${nodeMaskSizeV6}`]
            : [`--node-cidr-mask-size=${podCidr !== null ? nodeMaskSize : nodeMaskSizeV6}`];
    return [
        "--allocate-node-cidrs=true",
        `--cluster-cidr=${clusterCidrs.join(",")}`,
        ...masks,
        ...(serviceCidrs.length > 0 ? [`--service-cluster-ip-range=${serviceCidrs.join(",")}`] : []),
    ];
}
