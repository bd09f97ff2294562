import { asString, at } from "./values";

/** Type tokens of the resources the policies read, as @pulumi/kubernetes registers them. */
export const ResourceType = {
    Stack: "pulumi:pulumi:Stack",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    Node: "kubernetes:core/v1:Node",
    NodePatch: "kubernetes:core/v1:NodePatch",
    Pod: "kubernetes:core/v1:Pod",
    Service: "kubernetes:core/v1:Service",
    Deployment: "kubernetes:apps/v1:Deployment",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    IngressClass: "kubernetes:networking.k8s.io/v1:IngressClass",
} as const;

/**
 * What every policy needs of a resource: the engine's resource policy args and stack policy resources both have
 * this shape (props are inputs for the former, outputs for the latter).
 */
export interface ResourceLike {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly provider?: { readonly props: Record<string, unknown> };
}

const CLUSTER_SCOPED_KINDS = new Set([
    "Node",
    "Namespace",
    "IngressClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "GatewayClass",
]);

/** The kind a type token stands for: `kubernetes:core/v1:NodePatch` → `Node` (a patch of a Node). */
export function kindOf(type: string): string {
    const kind = type.slice(type.lastIndexOf(":") + 1);
    return kind.endsWith("Patch") ? kind.slice(0, -"Patch".length) : kind;
}

/** The object's name: metadata.name, or the Pulumi resource name when the provider would auto-name it. */
export function objectName(resource: ResourceLike): string {
    return asString(at(resource.props, "metadata", "name")) ?? resource.name;
}

/**
 * The object's namespace: metadata.namespace, else the provider's default namespace, else `default` (what the
 * Kubernetes provider does). Empty for cluster-scoped kinds.
 */
export function namespaceOf(resource: ResourceLike): string {
    if (CLUSTER_SCOPED_KINDS.has(kindOf(resource.type))) {
        return "";
    }
    return (
        asString(at(resource.props, "metadata", "namespace")) ??
        asString(at(resource.provider?.props, "namespace")) ??
        "default"
    );
}

/** `Service demo/web`, `Node worker-1`, or `NodePatch worker-1` for a patch. */
export function describe(resource: ResourceLike): string {
    const kind = resource.type.slice(resource.type.lastIndexOf(":") + 1);
    const namespace = namespaceOf(resource);
    return `${kind} ${namespace ? `${namespace}/` : ""}${objectName(resource)}`;
}

/** `namespace/name`, the key by which policy config names objects. */
export function qualifiedName(resource: ResourceLike): string {
    const namespace = namespaceOf(resource);
    return namespace ? `${namespace}/${objectName(resource)}` : objectName(resource);
}

export function isOfType(resource: ResourceLike, ...types: readonly string[]): boolean {
    return types.includes(resource.type);
}
