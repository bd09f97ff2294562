import type { OfflineRun } from "../../cli/offline";

/** A registered resource, for following its dependencies: an id (URN or name), its parent's id, whether it is custom. */
export interface GraphNode {
    readonly id: string;
    readonly parent?: string;
    readonly custom: boolean;
    readonly dependsOn: readonly string[];
}

/**
 * What a resource really waits for, as the Pulumi SDK resolves its `dependsOn`: a custom resource stands for itself,
 * a component resource for every custom resource beneath it (through nested components, not through a custom
 * resource's own children). Sorted, without duplicates.
 */
export function waitsFor(nodes: readonly GraphNode[], id: string): string[] {
    const node = nodes.find((candidate) => candidate.id === id);
    if (!node) {
        throw new Error(`no resource ${id}; have ${nodes.map((candidate) => candidate.id).join(", ")}`);
    }
    const expand = (dependency: string): string[] => {
        const target = nodes.find((candidate) => candidate.id === dependency);
        if (!target || target.custom) {
            return [dependency];
        }
        return nodes
            .filter((child) => child.parent === dependency)
            .flatMap((child) => (child.custom ? [child.id] : expand(child.id)));
    };
    return [...new Set(node.dependsOn.flatMap(expand))].sort();
}

/** The resources of an offline run, by URN. */
export function runGraph(run: OfflineRun): GraphNode[] {
    return run.resources.map((resource) => ({
        id: resource.urn,
        parent: resource.parent,
        custom: resource.custom,
        dependsOn: resource.dependsOn,
    }));
}

/** The resources of `clusternet render`'s summary/resources.yaml, by name (clusternet's components by their type). */
export function summaryGraph(resources: ReadonlyArray<Record<string, unknown>>): GraphNode[] {
    return resources.map((resource) => ({
        id: String(resource["name"]),
        ...(typeof resource["parent"] === "string" ? { parent: resource["parent"] } : {}),
        custom: !String(resource["type"]).startsWith("clusternet:index:"),
        dependsOn: Array.isArray(resource["dependsOn"]) ? resource["dependsOn"].map(String) : [],
    }));
}
