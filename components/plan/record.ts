/**
 * The allocation's memory: the plan record (`plans/<stack>.json`, reviewed and committed like a lock file), the
 * stack's own last outputs, and the live cluster's Nodes. Pure: reading the record file is the only I/O here, and
 * every damaged or disagreeing memory is a list of problems naming the file, the entry and the node, never a guess.
 */
import { Problem, isDns1123Subdomain } from "../common";
import { IpFamily, formatCidr, parseCidr } from "./cidr";
import { AddressPlan, NodeSubnets, PreviousAllocation, RememberedSubnets, SubnetSource } from "./types";

/** Where the stack program finds its plan record; set by the clusternet CLI, else `plans/<stack>.json`. */
export const PLAN_RECORD_CONFIG = "clusternet-offline:planRecord";

/** The outcome of reading a plan record. */
export type PlanRecordRead =
    | { readonly status: "missing" }
    | { readonly status: "ok"; readonly memory: PreviousAllocation }
    | { readonly status: "damaged"; readonly problems: readonly Problem[] };

const SOURCES: ReadonlySet<unknown> = new Set([...Object.values(SubnetSource), null]);

/** The fix of every damaged-record problem: the record is the lock file, so it is restored, never regenerated. */
function restoreFix(file: string): string {
    return `restore ${file} from version control (git checkout -- ${file}) or correct the entry; it is not overwritten while damaged`;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a plan record's text as the memory of the allocation: every node's and every retired node's subnets with
 * the source they were planned with. A record that is not JSON, has the wrong shape, or holds a bad entry (a name
 * that is no Node name, a subnet that is not a canonical CIDR, a subnet missing for a family the record's cluster
 * has, a name or subnet twice) is refused entry by entry.
 */
export function parsePlanRecord(text: string, file: string): PlanRecordRead {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        return {
            status: "damaged",
            problems: [{ key: file, message: `is not JSON (${(error as Error).message})`, fix: restoreFix(file) }],
        };
    }
    const shape = (message: string): PlanRecordRead => ({
        status: "damaged",
        problems: [{ key: file, message, fix: restoreFix(file) }],
    });
    if (!isObject(parsed)) {
        return shape("is not a plan record (expected a JSON object written by clusternet plan)");
    }
    if (!Array.isArray(parsed["nodes"])) {
        return shape("is not a plan record (no nodes list)");
    }
    if (parsed["retired"] !== undefined && !Array.isArray(parsed["retired"])) {
        return shape("is not a plan record (retired is not a list)");
    }
    const cluster = parsed["cluster"];
    if (cluster !== undefined && !isObject(cluster)) {
        return shape("is not a plan record (cluster is not an object)");
    }
    // A family the record's cluster has must have a subnet in every node entry: a null there is damage, not news.
    const expected: Record<IpFamily, boolean> = {
        IPv4: typeof cluster?.["podCidr"] === "string",
        IPv6: typeof cluster?.["podCidrV6"] === "string",
    };

    const problems: Problem[] = [];
    const memory: PreviousAllocation = {};
    const holder = new Map<string, string>();
    const entries = [
        ...(parsed["nodes"] as unknown[]).map((entry, index) => ({ entry, at: `nodes[${index}]`, retired: false })),
        ...((parsed["retired"] as unknown[] | undefined) ?? []).map((entry, index) => ({
            entry,
            at: `retired[${index}]`,
            retired: true,
        })),
    ];
    for (const { entry, at, retired } of entries) {
        const bad = (field: string | undefined, message: string): void => {
            problems.push({ key: `${file}: ${at}${field ? `.${field}` : ""}`, message, fix: restoreFix(file) });
        };
        if (!isObject(entry)) {
            bad(undefined, "is not an object");
            continue;
        }
        const name = entry["name"];
        if (typeof name !== "string" || !isDns1123Subdomain(name)) {
            bad("name", `${JSON.stringify(name ?? null)} is not a Node name`);
            continue;
        }
        if (Object.prototype.hasOwnProperty.call(memory, name)) {
            bad("name", `"${name}" appears twice in the record`);
            continue;
        }
        const remembered: RememberedSubnets = {};
        let usable = true;
        for (const [field, family] of [
            ["podCidr", IpFamily.IPv4],
            ["podCidrV6", IpFamily.IPv6],
        ] as const) {
            const value = entry[field];
            if (value === undefined || value === null) {
                if (!retired && expected[family]) {
                    bad(
                        field,
                        `is ${JSON.stringify(value ?? null)} for node "${name}", but the record's cluster has an ${family} pod CIDR`,
                    );
                    usable = false;
                }
                continue;
            }
            const cidr = typeof value === "string" ? parseCidr(value) : undefined;
            if (!cidr?.ok || cidr.value.family !== family || formatCidr(cidr.value) !== value) {
                bad(field, `${JSON.stringify(value)} (node "${name}") is not a canonical ${family} CIDR`);
                usable = false;
                continue;
            }
            const other = holder.get(value);
            if (other !== undefined) {
                bad(field, `${value} is recorded for both "${other}" and "${name}"`);
                usable = false;
                continue;
            }
            holder.set(value, name);
            remembered[field] = value;
            const sourceField = field === "podCidr" ? "podCidrSource" : "podCidrV6Source";
            const source = entry[sourceField];
            if (source !== undefined && !SOURCES.has(source)) {
                bad(
                    sourceField,
                    `${JSON.stringify(source)} (node "${name}") is not one of ${Object.values(SubnetSource).join(", ")}`,
                );
                usable = false;
                continue;
            }
            if (typeof source === "string") {
                remembered[sourceField] = source as SubnetSource;
            }
        }
        if (retired && remembered.podCidr === undefined && remembered.podCidrV6 === undefined && usable) {
            bad(undefined, `retired node "${name}" has no subnet`);
            usable = false;
        }
        if (usable) {
            memory[name] = remembered;
        }
    }
    return problems.length > 0 ? { status: "damaged", problems } : { status: "ok", memory };
}

/** What a plan remembers for the next one: every node's and every retired node's subnets, with their sources. */
export function memoryOfPlan(plan: Pick<AddressPlan, "nodes" | "retired">): PreviousAllocation {
    const memory: PreviousAllocation = {};
    for (const node of plan.nodes) {
        memory[node.name] = {
            ...(node.podCidr ? { podCidr: node.podCidr, podCidrSource: node.podCidrSource } : {}),
            ...(node.podCidrV6 ? { podCidrV6: node.podCidrV6, podCidrV6Source: node.podCidrV6Source } : {}),
        };
    }
    for (const node of plan.retired) {
        memory[node.name] = {
            ...(node.podCidr ? { podCidr: node.podCidr } : {}),
            ...(node.podCidrV6 ? { podCidrV6: node.podCidrV6 } : {}),
        };
    }
    return memory;
}

/** A memory and what to call it in messages, e.g. `the plan record plans/dev.json`. */
export interface NamedMemory {
    readonly label: string;
    readonly memory: Readonly<Record<string, NodeSubnets>>;
}

/**
 * Joins two memories of one allocation (the plan record and the stack's last outputs): a name either knows is
 * remembered; a name both know must have the same subnets, else one problem per node naming both subnets. The
 * first memory's sources are kept.
 */
export function reconcileMemories(
    first: NamedMemory,
    second: NamedMemory,
): { memory: PreviousAllocation; problems: Problem[] } {
    const memory: PreviousAllocation = {};
    const problems: Problem[] = [];
    for (const name of Object.keys(first.memory)) {
        memory[name] = { ...first.memory[name] };
    }
    for (const name of Object.keys(second.memory)) {
        const theirs = second.memory[name]!;
        const ours = memory[name];
        if (!ours) {
            memory[name] = {
                ...(theirs.podCidr ? { podCidr: theirs.podCidr } : {}),
                ...(theirs.podCidrV6 ? { podCidrV6: theirs.podCidrV6 } : {}),
            };
            continue;
        }
        for (const field of ["podCidr", "podCidrV6"] as const) {
            const a = ours[field];
            const b = theirs[field];
            if (a && b && a !== b) {
                problems.push({
                    key: `node "${name}"`,
                    message: `${first.label} has ${a}, ${second.label} has ${b}`,
                    fix: `see which the Node holds (kubectl get node ${name} -o jsonpath='{.spec.podCIDRs}'), make ${first.label} say so, and commit it`,
                });
            } else if (!a && b) {
                ours[field] = b;
            }
        }
    }
    return { memory, problems };
}

/** What a live Node says about its pod subnets: `spec.podCIDRs`, or the older single `spec.podCIDR`. */
export interface LiveNodeSpec {
    readonly podCIDR?: string;
    readonly podCIDRs?: readonly string[];
}

function liveCidrs(spec: LiveNodeSpec | undefined): string[] {
    if (spec?.podCIDRs && spec.podCIDRs.length > 0) {
        return [...spec.podCIDRs];
    }
    return spec?.podCIDR ? [spec.podCIDR] : [];
}

/** The live Nodes' podCIDRs as a memory (a cluster whose allocator already assigned them is taken over as it is). */
export function memoryOfLiveNodes(live: Readonly<Record<string, LiveNodeSpec | undefined>>): PreviousAllocation {
    const memory: PreviousAllocation = {};
    for (const [name, spec] of Object.entries(live)) {
        const remembered: RememberedSubnets = {};
        for (const text of liveCidrs(spec)) {
            const parsed = parseCidr(text);
            const field = parsed.ok && parsed.value.family === IpFamily.IPv6 ? "podCidrV6" : "podCidr";
            remembered[field] = parsed.ok ? formatCidr(parsed.value) : text;
        }
        if (remembered.podCidr !== undefined || remembered.podCidrV6 !== undefined) {
            memory[name] = remembered;
        }
    }
    return memory;
}

/**
 * Compares each planned Node with the live one: a Node without a podCIDR takes the plan's; one whose podCIDRs differ
 * in any way cannot (Node.spec.podCIDR(s) may only change from empty), so it is one problem naming the node, the
 * live and the planned subnets, and the fix.
 */
export function liveNodeProblems(
    plan: Pick<AddressPlan, "nodes">,
    live: Readonly<Record<string, LiveNodeSpec | undefined>>,
    keys: { readonly nodes: string },
): Problem[] {
    const problems: Problem[] = [];
    plan.nodes.forEach((node, index) => {
        const planned = [node.podCidr, node.podCidrV6].filter((cidr): cidr is string => cidr !== null);
        const current = liveCidrs(live[node.name]);
        if (current.length === 0 || current.join(",") === planned.join(",")) {
            return;
        }
        problems.push({
            key: `${keys.nodes}[${index}]`,
            message: `the live Node "${node.name}" has podCIDRs ${current.join(",")}, the plan gives it ${planned.join(",") || "none"}; Node.spec.podCIDRs is immutable`,
            fix: `pin ${current.join(" and ")} for "${node.name}" (podCidr/podCidrV6) and correct the plan record, or drain, delete (kubectl delete node ${node.name}) and re-join the node`,
        });
    });
    return problems;
}

/** The memories a stack run has: the plan record, the stack's last outputs, and (with a kubeconfig) the live Nodes. */
export interface MemorySources {
    /** The record file (for messages) and what reading it gave; the file is "" when the run uses no record. */
    readonly record: { readonly file: string; readonly read: PlanRecordRead };
    /** The stack's last `nodeSubnets` and `retiredSubnets` outputs; empty on a new stack. */
    readonly state: Readonly<Record<string, NodeSubnets>>;
    /** The live Nodes' pod CIDRs by name, when a cluster is at hand. */
    readonly live?: Readonly<Record<string, LiveNodeSpec | undefined>>;
}

/**
 * Chooses the allocation's memory, never silently: the plan record joined with the stack's last outputs (any
 * disagreement is a problem per node); without a record, the stack's outputs; without either, the live Nodes'
 * podCIDRs (a cluster whose own allocator assigned them is taken over); and with nothing at all, a fresh
 * allocation. Each fallback says so in a note, with what to commit.
 */
export function resolveMemory(sources: MemorySources): {
    memory: PreviousAllocation | undefined;
    problems: Problem[];
    notes: string[];
} {
    const { record, state, live } = sources;
    const file = record.file;
    if (record.read.status === "damaged") {
        return { memory: undefined, problems: [...record.read.problems], notes: [] };
    }
    const stateLabel = "the stack's last outputs (nodeSubnets, retiredSubnets)";
    const hasState = Object.keys(state).length > 0;
    if (record.read.status === "ok") {
        if (!hasState) {
            return { memory: record.read.memory, problems: [], notes: [] };
        }
        const joined = reconcileMemories(
            { label: `the plan record ${file}`, memory: record.read.memory },
            { label: stateLabel, memory: state },
        );
        return { memory: joined.memory, problems: joined.problems, notes: [] };
    }
    const commit =
        file === ""
            ? "no plan record is used in this run"
            : `run clusternet plan for this stack and commit ${file}: it is the allocation's lock file`;
    if (hasState) {
        return {
            memory: reconcileMemories({ label: stateLabel, memory: state }, { label: "", memory: {} }).memory,
            problems: [],
            notes: [`no plan record ${file}: node subnets come from ${stateLabel}; ${commit}`],
        };
    }
    const adopted = live ? memoryOfLiveNodes(live) : {};
    if (Object.keys(adopted).length > 0) {
        return {
            memory: adopted,
            problems: [],
            notes: [
                `no plan record and no stack outputs: the live Nodes' podCIDRs are adopted (${Object.keys(adopted).sort().join(", ")}); ${commit}`,
            ],
        };
    }
    return {
        memory: undefined,
        problems: [],
        notes: [`no plan record ${file} and no stack outputs: this is a fresh allocation; ${commit}`],
    };
}
