import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { makeDirectory } from "./files";
import { RecordedResource } from "./offline";
import { SECRET_PLACEHOLDER } from "./stack-input";

/** A Kubernetes object the program registered, as a manifest. */
export interface Manifest {
    /** The Pulumi resource it came from. */
    readonly resource: RecordedResource;
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
    /** True for Patch resources (NodePatch...): a partial object applied server-side onto an existing one. */
    readonly patch: boolean;
    /** The object, secrets replaced by a placeholder. */
    readonly object: Record<string, unknown>;
}

/** Apply order by kind, after Helm's install order: what others refer to comes first. */
const KIND_ORDER = [
    "Namespace",
    "Node",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    // Gateway API: the class, the Gateway, the grants its listeners need, then the routes attached to it.
    "GatewayClass",
    "Gateway",
    "ReferenceGrant",
    "HTTPRoute",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

function kindRank(kind: string): number {
    const index = KIND_ORDER.indexOf(kind);
    return index < 0 ? KIND_ORDER.length : index;
}

/** `kubernetes:apps/v1:DaemonSet` → apps/v1, DaemonSet; `kubernetes:core/v1:NodePatch` → v1, Node (a patch). */
export function parseKubernetesType(type: string): { apiVersion: string; kind: string; patch: boolean } | undefined {
    const match = /^kubernetes:([^:/]+)\/([^:]+):(\w+)$/.exec(type);
    if (!match) {
        return undefined;
    }
    const [, group, version, typeKind] = match as unknown as [string, string, string, string];
    const patch = typeKind.endsWith("Patch");
    return {
        apiVersion: group === "core" ? version : `${group}/${version}`,
        kind: patch ? typeKind.slice(0, -"Patch".length) : typeKind,
        patch,
    };
}

/** A secret value's stand-in: maps and lists keep their shape (a Secret's data stays a map), every leaf is the placeholder. */
function placeholderFor(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(placeholderFor);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, placeholderFor(item)]));
    }
    return SECRET_PLACEHOLDER;
}

function redact(value: unknown, paths: ReadonlyArray<ReadonlyArray<string | number>>): unknown {
    if (paths.length === 0) {
        return value;
    }
    const copy = structuredClone(value) as Record<string | number, unknown>;
    for (const at of paths) {
        if (at.length === 0) {
            return placeholderFor(copy);
        }
        let node: Record<string | number, unknown> | undefined = copy;
        for (const segment of at.slice(0, -1)) {
            node = node?.[segment] as Record<string | number, unknown> | undefined;
        }
        if (node) {
            node[at[at.length - 1]!] = placeholderFor(node[at[at.length - 1]!]);
        }
    }
    return copy;
}

/** The Kubernetes objects among the recorded resources, in apply order (kind, namespace, name). */
export function manifestsOf(resources: readonly RecordedResource[]): Manifest[] {
    const manifests: Manifest[] = [];
    for (const resource of resources) {
        const parsed = resource.custom && !resource.read ? parseKubernetesType(resource.type) : undefined;
        if (!parsed) {
            continue;
        }
        const object = redact(resource.props, resource.secretPaths) as Record<string, unknown>;
        const metadata = (object["metadata"] ?? {}) as { name?: string; namespace?: string };
        manifests.push({
            resource,
            apiVersion: parsed.apiVersion,
            kind: parsed.kind,
            namespace: metadata.namespace,
            name: metadata.name ?? resource.name,
            patch: parsed.patch,
            object: { apiVersion: parsed.apiVersion, kind: parsed.kind, ...object },
        });
    }
    const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return manifests.sort(
        (a, b) =>
            kindRank(a.kind) - kindRank(b.kind) ||
            compare(a.kind, b.kind) ||
            compare(a.namespace ?? "", b.namespace ?? "") ||
            compare(a.name, b.name) ||
            Number(a.patch) - Number(b.patch) ||
            compare(a.resource.urn, b.resource.urn),
    );
}

/** Deterministic file name: apply order, kind, namespace, name. */
export function manifestFileName(manifest: Manifest, index: number): string {
    const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
    const parts = [
        String(index).padStart(3, "0"),
        slug(manifest.kind) + (manifest.patch ? "-patch" : ""),
        manifest.namespace ? slug(manifest.namespace) : undefined,
        slug(manifest.name),
    ];
    return `${parts.filter((part) => part !== undefined).join("-")}.yaml`;
}

/**
 * What a rendered patch is and how to apply it: as a plain manifest, `kubectl apply` would create the object when it
 * is missing (a bare Node that flannel then waits on) or rewrite it.
 */
export function patchHeader(manifest: Manifest, file: string): string {
    const kind = manifest.kind.toLowerCase();
    const target = manifest.namespace
        ? `${kind} -n ${manifest.namespace} ${manifest.name}`
        : `${kind} ${manifest.name}`;
    return [
        `# NOT a ${manifest.kind} to create: a patch (${manifest.resource.type}) that Pulumi applies server-side onto the existing ${manifest.kind} ${manifest.name}.`,
        `# By hand: kubectl patch ${target} --type=merge --patch-file=${file}`,
        `# Never kubectl apply it: that would create a bare ${manifest.kind} when none exists, or rewrite the live one.`,
        "",
    ].join("\n");
}

const MARKER = ".clusternet-render";
export const SUMMARY_FILE = path.join("summary", "resources.yaml");

export function toYaml(value: unknown): string {
    return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Writes every manifest under `outDir` (one file each, in apply order), and a summary of every resource with
 * what it became. Refuses to clear a folder it did not write.
 */
export function writeRendered(
    outDir: string,
    resources: readonly RecordedResource[],
): { manifests: Manifest[]; files: string[] } {
    if (fs.existsSync(outDir)) {
        const entries = fs.readdirSync(outDir);
        if (entries.length > 0 && !entries.includes(MARKER)) {
            throw new Error(
                `${outDir} exists and was not written by clusternet render; choose another --out or empty it`,
            );
        }
        for (const entry of entries) {
            if (entry === MARKER || entry.endsWith(".yaml")) {
                fs.rmSync(path.join(outDir, entry));
            }
        }
    }
    makeDirectory(outDir);
    fs.writeFileSync(
        path.join(outDir, MARKER),
        "This folder is written by `clusternet render`; its YAML files are replaced on every run.\n",
    );
    const manifests = manifestsOf(resources);
    const files = manifests.map((manifest, index) => {
        const file = manifestFileName(manifest, index);
        const header = manifest.patch ? patchHeader(manifest, file) : "";
        fs.writeFileSync(path.join(outDir, file), header + toYaml(manifest.object));
        return file;
    });
    const fileByUrn = new Map(manifests.map((manifest, index) => [manifest.resource.urn, files[index]!]));
    const summary = {
        resources: resources
            .filter((resource) => resource.type !== "pulumi:pulumi:Stack")
            .map((resource) => ({
                type: resource.type,
                name: resource.name,
                ...(resource.parent ? { parent: resource.parent.split("::").pop() } : {}),
                ...(resource.dependsOn.length > 0
                    ? { dependsOn: resource.dependsOn.map((urn) => urn.split("::").pop()) }
                    : {}),
                ...(fileByUrn.has(resource.urn) ? { manifest: fileByUrn.get(resource.urn) } : {}),
                ...(resource.custom && !fileByUrn.has(resource.urn) && !resource.type.startsWith("pulumi:")
                    ? { props: redact(resource.props, resource.secretPaths) }
                    : {}),
            })),
    };
    // In a subfolder, so `kubectl apply -f DIR` (not recursive) applies only the manifests.
    makeDirectory(path.join(outDir, "summary"));
    fs.writeFileSync(
        path.join(outDir, SUMMARY_FILE),
        `# Every resource the stack registers, and the manifest each Kubernetes object was written to.\n${toYaml(summary)}`,
    );
    return { manifests, files };
}
