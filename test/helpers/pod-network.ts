import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { AddressPlan, ClusterSpec, NodeSpec, planNetwork } from "../../components/plan";

/** The upstream flannel manifest the objects are compared against. */
/** A copy of upstream's kube-flannel.yml v0.28.9, unmodified. */
export const UPSTREAM_MANIFEST = path.resolve(__dirname, "..", "fixtures", "kube-flannel-v0.28.9.yml");

/** Upstream's objects by `Kind/name`. */
export function upstreamObjects(): Map<string, Record<string, any>> {
    const documents = parseAllDocuments(fs.readFileSync(UPSTREAM_MANIFEST, "utf8"));
    const objects = new Map<string, Record<string, any>>();
    for (const document of documents) {
        const object = document.toJS() as Record<string, any> | null;
        if (object) {
            objects.set(`${object["kind"]}/${object["metadata"]["name"]}`, object);
        }
    }
    return objects;
}

export const THREE_NODES: NodeSpec[] = [
    { name: "cp-1", ip: "192.168.56.10" },
    { name: "worker-1", ip: "192.168.56.11" },
    { name: "worker-2", ip: "192.168.56.12" },
];

export const IPV4: ClusterSpec = { podCidr: "10.244.0.0/16", nodeNetwork: "192.168.56.0/24" };
export const DUAL_STACK: ClusterSpec = {
    podCidr: "10.244.0.0/16",
    podCidrV6: "fd00:10:244::/56",
    serviceCidrV6: "fd00:10:96::/112",
    nodeNetwork: "192.168.56.0/24",
};
export const IPV6_ONLY: ClusterSpec = { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" };
export const IPV6_NODES: NodeSpec[] = [
    { name: "cp-1", ip: "fd00:56::10" },
    { name: "worker-1", ip: "fd00:56::11" },
];

/** A plan that must succeed. */
export function planFor(cluster: ClusterSpec, nodes: NodeSpec[] = THREE_NODES): AddressPlan {
    const result = planNetwork({ cluster, nodes });
    if (!result.ok) {
        throw new Error(`test plan failed: ${JSON.stringify(result.problems)}`);
    }
    return result.value;
}

/** JSON round trip: what the object looks like on the wire (undefined dropped). */
export function wire<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}

/** Every path at which two JSON values differ, e.g. `spec.template.spec.containers[0].args`. */
export function diffPaths(a: unknown, b: unknown, at = ""): string[] {
    if (isDeepStrictEqual(a, b)) {
        return [];
    }
    const isObject = (value: unknown): value is Record<string, unknown> =>
        typeof value === "object" && value !== null && !Array.isArray(value);
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((item, index) => diffPaths(item, b[index], `${at}[${index}]`));
    }
    if (isObject(a) && isObject(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((key) => diffPaths(a[key], b[key], at === "" ? key : `${at}.${key}`));
    }
    return [at];
}
