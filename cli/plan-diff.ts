import { FamilyCapacity } from "../components/plan";
import { PlanDocument, PlanFormat } from "./plan-format";

/** The parts of a plan JSON a diff reads; older or hand-made plans may lack the rest. */
export interface ComparablePlan {
    readonly cluster?: Partial<
        Record<"podCidr" | "podCidrV6" | "serviceCidr" | "serviceCidrV6" | "nodeNetwork", string | null>
    >;
    readonly nodes: ReadonlyArray<{
        readonly name: string;
        readonly ip?: string;
        readonly podCidr?: string | null;
        readonly podCidrV6?: string | null;
    }>;
    /** Removed nodes that still hold their subnets (absent in plans written before retiring existed). */
    readonly retired?: ReadonlyArray<{
        readonly name: string;
        readonly podCidr?: string | null;
        readonly podCidrV6?: string | null;
    }>;
    readonly capacity?: { readonly ipv4?: FamilyCapacity | null; readonly ipv6?: FamilyCapacity | null };
}

export interface NodeChange {
    readonly name: string;
    readonly field: "podCidr" | "podCidrV6" | "ip";
    readonly before: string | null;
    readonly after: string | null;
    /** A moved pod subnet is an error: Node.spec.podCIDR is immutable. */
    readonly error: boolean;
}

interface NodeSubnetsRow {
    name: string;
    podCidr: string | null;
    podCidrV6: string | null;
}

export interface PlanDiff {
    /** Nodes new to the plan; `returned` when the node was retired before and gets its old subnet back. */
    readonly added: ReadonlyArray<NodeSubnetsRow & { returned: boolean }>;
    /** Nodes removed from the config: their subnets stay reserved (retired) until released. */
    readonly retired: ReadonlyArray<NodeSubnetsRow>;
    /** Retired nodes released on purpose: their subnets are free again. */
    readonly released: ReadonlyArray<NodeSubnetsRow>;
    /** Nodes gone without being retired (plans written before retiring existed, or hand-made). */
    readonly removed: ReadonlyArray<NodeSubnetsRow>;
    readonly changed: readonly NodeChange[];
    readonly ranges: ReadonlyArray<{ field: string; before: string | null; after: string | null }>;
    readonly capacity: ReadonlyArray<{
        family: "ipv4" | "ipv6";
        before: FamilyCapacity | null;
        after: FamilyCapacity | null;
    }>;
    readonly errors: readonly string[];
}

const RANGE_FIELDS = ["podCidr", "podCidrV6", "serviceCidr", "serviceCidrV6", "nodeNetwork"] as const;

/** Compares two plans node by node (by name). Linear in the number of nodes. */
export function diffPlans(before: ComparablePlan, after: ComparablePlan): PlanDiff {
    const beforeNodes = new Map(before.nodes.map((node) => [node.name, node]));
    const afterNodes = new Map(after.nodes.map((node) => [node.name, node]));
    const subnets = (node: ComparablePlan["nodes"][number]) => ({
        name: node.name,
        podCidr: node.podCidr ?? null,
        podCidrV6: node.podCidrV6 ?? null,
    });
    const beforeRetired = new Map((before.retired ?? []).map((node) => [node.name, node]));
    const afterRetired = new Map((after.retired ?? []).map((node) => [node.name, node]));
    const added = after.nodes
        .filter((node) => !beforeNodes.has(node.name))
        .map((node) => ({ ...subnets(node), returned: beforeRetired.has(node.name) }));
    const retired = (after.retired ?? []).filter((node) => !beforeRetired.has(node.name)).map(subnets);
    const released = (before.retired ?? []).filter(
        (node) => !afterRetired.has(node.name) && !afterNodes.has(node.name),
    );
    const removed = before.nodes.filter((node) => !afterNodes.has(node.name) && !afterRetired.has(node.name));
    const changed: NodeChange[] = [];
    for (const node of after.nodes) {
        const old = beforeNodes.get(node.name) ?? beforeRetired.get(node.name);
        if (!old) {
            continue;
        }
        for (const field of ["podCidr", "podCidrV6"] as const) {
            const was = old[field] ?? null;
            const now = node[field] ?? null;
            if (was !== now) {
                // A subnet may appear (a new family) but never change or vanish on a live Node.
                changed.push({ name: node.name, field, before: was, after: now, error: was !== null });
            }
        }
        const oldIp = (old as { ip?: string }).ip;
        if (oldIp !== undefined && node.ip !== undefined && oldIp !== node.ip) {
            changed.push({ name: node.name, field: "ip", before: oldIp, after: node.ip, error: false });
        }
    }
    const ranges = RANGE_FIELDS.map((field) => ({
        field,
        before: before.cluster?.[field] ?? null,
        after: after.cluster?.[field] ?? null,
    })).filter((range) => range.before !== range.after);
    const capacity = (["ipv4", "ipv6"] as const).map((family) => ({
        family,
        before: before.capacity?.[family] ?? null,
        after: after.capacity?.[family] ?? null,
    }));
    const errors = changed
        .filter((change) => change.error)
        .map(
            (change) =>
                `node "${change.name}": ${change.field} ${change.before} -> ${change.after ?? "(none)"}: Node.spec.${change.field === "podCidr" ? "podCIDR" : "podCIDRs"} is immutable; keep ${change.before}, or drain, delete and re-join the node`,
        );
    return {
        added,
        retired,
        released: released.map(subnets),
        removed: removed.map(subnets),
        changed,
        ranges,
        capacity,
        errors,
    };
}

function capacityText(capacity: FamilyCapacity | null): string {
    return capacity ? `${capacity.used}/${capacity.maxNodes} (${capacity.usedPercent}%)` : "-";
}

function lines(diff: PlanDiff, bullet: string, code: (text: string) => string): string[] {
    const out: string[] = [];
    const cidrs = (node: NodeSubnetsRow): string =>
        [node.podCidr, node.podCidrV6]
            .filter(Boolean)
            .map((s) => code(s!))
            .join(", ");
    for (const node of diff.added) {
        out.push(
            `${bullet}${node.returned ? "re-added" : "added"} node ${code(node.name)}: ${cidrs(node)}${node.returned ? " (its old subnet)" : ""}`,
        );
    }
    for (const node of diff.retired) {
        out.push(
            `${bullet}removed node ${code(node.name)}: ${cidrs(node)} stays reserved (retired); to free it, ${code(`kubectl delete node ${node.name}`)}, then add it to ${code("clusternet:cluster.released")}`,
        );
    }
    for (const node of diff.released) {
        out.push(`${bullet}released node ${code(node.name)}: frees ${cidrs(node)}`);
    }
    for (const node of diff.removed) {
        out.push(`${bullet}removed node ${code(node.name)}: frees ${cidrs(node)}`);
    }
    for (const change of diff.changed) {
        out.push(
            `${bullet}${change.error ? "ERROR: " : ""}node ${code(change.name)} ${change.field}: ${code(change.before ?? "(none)")} -> ${code(change.after ?? "(none)")}`,
        );
    }
    for (const range of diff.ranges) {
        out.push(`${bullet}${range.field}: ${code(range.before ?? "(none)")} -> ${code(range.after ?? "(none)")}`);
    }
    if (out.length === 0) {
        out.push(`${bullet}no change to nodes or ranges`);
    }
    return out;
}

export function formatPlanDiff(diff: PlanDiff, document: PlanDocument, format: PlanFormat): string {
    if (format === PlanFormat.Json) {
        return `${JSON.stringify(diff, null, 2)}\n`;
    }
    const capacityRows = diff.capacity.filter((row) => row.before || row.after);
    if (format === PlanFormat.Markdown) {
        const parts = [
            `### clusternet plan diff: \`${document.stack}\``,
            lines(diff, "- ", (text) => `\`${text}\``).join("\n"),
        ];
        if (capacityRows.length > 0) {
            parts.push(
                [
                    "| family | node subnets before | after |",
                    "|---|---|---|",
                    ...capacityRows.map(
                        (row) => `| ${row.family} | ${capacityText(row.before)} | ${capacityText(row.after)} |`,
                    ),
                ].join("\n"),
            );
        }
        if (diff.errors.length > 0) {
            parts.push(diff.errors.map((error) => `> **Error:** ${error}`).join("\n"));
        }
        return `${parts.join("\n\n")}\n`;
    }
    const out = [`clusternet plan diff: stack ${document.stack}`, ...lines(diff, "  ", (text) => text)];
    for (const row of capacityRows) {
        out.push(`  capacity ${row.family}: ${capacityText(row.before)} -> ${capacityText(row.after)}`);
    }
    return `${out.join("\n")}\n`;
}

/** Checks that parsed JSON looks like a plan (a `nodes` list of named entries). */
export function asComparablePlan(value: unknown): ComparablePlan | undefined {
    const nodes = (value as { nodes?: unknown } | null)?.nodes;
    if (
        !Array.isArray(nodes) ||
        !nodes.every((node) => typeof (node as { name?: unknown } | null)?.name === "string")
    ) {
        return undefined;
    }
    return value as ComparablePlan;
}
