import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem, problemAt } from "../components/common";
import { z } from "zod";
import {
    Cidr,
    Interval,
    IpFamily,
    cidrContains,
    cidrEnd,
    familyBits,
    formatAddress,
    formatCidr,
    hostCidr,
    lowestFreeBlock,
    parseCidr,
    sweepOverlaps,
} from "../components/plan";
import { parseCidrFast } from "./lib/addresses";
import { SourcedCidr, addressOf, firstCidr, flannelNetworks, serviceCidrs, stackPlanOf } from "./lib/cluster";
import { cidrSetting, configOf, configSchemaOf, reservedRangeSetting } from "./lib/config";
import { ResourceLike, ResourceType, describe, objectName } from "./lib/kubernetes";
import { servicesOf } from "./lib/services";
import { asArray, asRecord, at, listedAtMost, shown } from "./lib/values";

export const NO_OVERLAPPING_RANGES = "no-overlapping-ranges";

export const noOverlappingRangesConfig = z.strictObject({
    podCidr: cidrSetting(IpFamily.IPv4)
        .optional()
        .describe("The IPv4 pod CIDR. Default: flannel's net-conf.json Network, else the stack's plan output."),
    podCidrV6: cidrSetting(IpFamily.IPv6)
        .optional()
        .describe("The IPv6 pod CIDR. Default: flannel's net-conf.json IPv6Network, else the stack's plan output."),
    serviceCidr: cidrSetting(IpFamily.IPv4)
        .optional()
        .describe("The IPv4 Service CIDR. Default: the stack's plan output, else kubeadm's 10.96.0.0/12."),
    serviceCidrV6: cidrSetting(IpFamily.IPv6)
        .optional()
        .describe("The IPv6 Service CIDR. Default: the stack's plan output."),
    nodeNetwork: cidrSetting().optional().describe("The hosts' own network. Default: the stack's plan output."),
    nodeMaskSize: z
        .int()
        .min(0)
        .max(32)
        .optional()
        .describe("The prefix length of every IPv4 node podCIDR. Default: the stack's plan output."),
    nodeMaskSizeV6: z
        .int()
        .min(0)
        .max(128)
        .optional()
        .describe("The prefix length of every IPv6 node podCIDR. Default: the stack's plan output."),
    reserved: z
        .array(reservedRangeSetting)
        .default([])
        .describe(
            "Ranges nothing in the cluster may overlap (VPNs, offices, peered clusters), in addition to the stack's own.",
        ),
});
export type NoOverlappingRangesConfig = z.output<typeof noOverlappingRangesConfig>;

/** The kinds of range the sweep compares. */
const Group = {
    Pod: "pod CIDR",
    Service: "Service CIDR",
    NodeNetwork: "node network",
    Reserved: "reserved range",
    NodeIp: "node IP",
    NodePodCidr: "node podCIDR",
    ClusterIp: "Service clusterIP",
    ExternalIp: "Service externalIP",
} as const;
type Group = (typeof Group)[keyof typeof Group];

/** Pairs of groups that may overlap; every other pair of different groups must not. */
const ALLOWED_OVERLAPS: ReadonlyArray<readonly [Group, Group]> = [
    [Group.NodeNetwork, Group.NodeIp],
    // Containment is required here, and checked separately.
    [Group.Pod, Group.NodePodCidr],
    // service-cluster-ip-in-range checks that clusterIPs lie inside the Service CIDR.
    [Group.Service, Group.ClusterIp],
    // An externalIP is normally a node's own address.
    [Group.NodeNetwork, Group.ExternalIp],
    [Group.NodeIp, Group.ExternalIp],
];
const allowed = new Set(ALLOWED_OVERLAPS.flatMap(([a, b]) => [`${a}|${b}`, `${b}|${a}`]));

/** Which of two overlapping ranges a message asks to change: the lowest rank (the most specific, most easily moved). */
const RANK: Record<Group, number> = {
    [Group.NodePodCidr]: 0,
    [Group.ClusterIp]: 0,
    [Group.ExternalIp]: 0,
    [Group.Service]: 1,
    [Group.Pod]: 2,
    [Group.NodeNetwork]: 3,
    [Group.NodeIp]: 4,
    [Group.Reserved]: 5,
};

/** A range inside one of the cluster's ranges: its overlap with X is the container's overlap with X. */
const CONTAINER: Partial<Record<Group, Group>> = {
    [Group.NodePodCidr]: Group.Pod,
    [Group.ClusterIp]: Group.Service,
    [Group.NodeIp]: Group.NodeNetwork,
};

/** Past this many overlaps of one range with one kind of range, a message lists the first ones and counts the rest. */
const LISTED = 5;

/** One range in the sweep. Its message label is built only when a message needs it: most ranges never do. */
class RangeItem implements Interval {
    readonly family: IpFamily;
    readonly start: bigint;
    readonly end: bigint;
    private text?: string;

    constructor(
        readonly group: Group,
        readonly cidr: Cidr,
        private readonly describeRange: () => string,
        /** The resource to report on, when the range comes from one. */
        readonly urn?: string,
        /** For node podCIDRs: the node's name. */
        readonly node?: string,
        /** Where a cluster-wide range is set: `clusternet:cluster.podCidr (stack output plan)`. */
        readonly source?: string,
    ) {
        this.family = cidr.family;
        this.start = cidr.start;
        this.end = cidr.prefix === familyBits(cidr.family) ? cidr.start : cidrEnd(cidr);
    }

    /** For messages: `the IPv4 pod CIDR 10.244.0.0/16 (clusternet:cluster.podCidr (stack output plan))`. */
    get label(): string {
        this.text ??= this.describeRange();
        return this.text;
    }
}

function rangeItem(group: Group, range: SourcedCidr | undefined, what: string): RangeItem[] {
    return range
        ? [
              new RangeItem(
                  group,
                  range.cidr,
                  () => `${what} ${formatCidr(range.cidr)} (${range.source})`,
                  range.urn,
                  undefined,
                  range.source,
              ),
          ]
        : [];
}

/** Private blocks searched when a message suggests a free range. */
const PRIVATE_POOLS: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"].flatMap((text) => {
    const parsed = parseCidr(text);
    return parsed.ok ? [parsed.value] : [];
});

/** Reads a list once, index by index (cheaper through the engine's proxy than array methods). */
function plainList(value: unknown): unknown[] {
    const list = asArray(value);
    const result: unknown[] = [];
    for (let index = 0; index < list.length; index++) {
        result.push(list[index]);
    }
    return result;
}

/** spec.podCIDR and spec.podCIDRs of a Node or NodePatch, reporting what Kubernetes would refuse. */
function nodePodCidrsOf(
    resource: ResourceLike,
    report: (message: string) => void,
): Array<{ readonly text: unknown; readonly field: string }> {
    const spec = asRecord(at(resource.props, "spec"));
    const single = spec?.["podCIDR"];
    const list = plainList(spec?.["podCIDRs"]);
    if (single !== undefined && single !== "" && list.length > 0 && list[0] !== single) {
        report(
            formatProblem({
                key: "",
                message: `${describe(resource)} sets spec.podCIDR ${shown(single)} but spec.podCIDRs[0] ${shown(list[0])}; Kubernetes requires podCIDRs[0] to equal podCIDR`,
                fix: "make them the same",
            }),
        );
    }
    if (list.length > 2) {
        report(
            formatProblem({
                key: "",
                message: `${describe(resource)} has ${list.length} spec.podCIDRs; a node takes at most one per IP family`,
                fix: "keep one IPv4 and/or one IPv6 CIDR",
            }),
        );
    }
    if (list.length > 0) {
        return list.map((text, index) => ({ text, field: `spec.podCIDRs[${index}]` }));
    }
    return single !== undefined && single !== "" ? [{ text: single, field: "spec.podCIDR" }] : [];
}

/**
 * Whole-cluster address rules, over everything the stack sets: pod CIDR(s) (flannel's net-conf.json, policy config
 * or the stack's plan), Service CIDR(s), node network and node IPs (policy config or the stack's plan), reserved
 * ranges (policy config plus the stack's), every node's podCIDR(s) (NodePatch/Node) and every Service's clusterIPs
 * and externalIPs. One sort-and-sweep finds every forbidden overlap, so the cost is O(n log n) in the number of
 * nodes and Services.
 */
export function checkRanges(
    resources: readonly ResourceLike[],
    config: NoOverlappingRangesConfig,
    report: ReportViolation,
): void {
    const plan = stackPlanOf(resources);
    const stackUrn = plan.urn;
    const flannel = flannelNetworks(resources);
    const flannelSource = flannel.resource ? `net-conf.json of ${describe(flannel.resource)}` : "";
    const configKey = (key: string): string => `policy config ${NO_OVERLAPPING_RANGES}.${key}`;

    const pod: Partial<Record<IpFamily, SourcedCidr>> = {};
    for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
        const v4 = family === IpFamily.IPv4;
        const configured = firstCidr(family, {
            text: v4 ? config.podCidr : config.podCidrV6,
            source: configKey(v4 ? "podCidr" : "podCidrV6"),
        });
        const planned = firstCidr(family, {
            text: v4 ? plan.podCidr : plan.podCidrV6,
            source: `clusternet:cluster.${v4 ? "podCidr" : "podCidrV6"} (stack output plan)`,
            urn: stackUrn,
        });
        const flannelNetwork = firstCidr(family, {
            text: v4 ? flannel.network : flannel.ipv6Network,
            source: `${flannelSource} ${v4 ? "Network" : "IPv6Network"}`,
            urn: flannel.resource?.urn,
        });
        const expected = configured ?? planned;
        // flanneld refuses a node whose podCIDR lies outside its Network, so Network must be the cluster's pod CIDR.
        if (flannelNetwork && expected && formatCidr(flannelNetwork.cidr) !== formatCidr(expected.cidr)) {
            report(
                formatProblem({
                    key: describe(flannel.resource!),
                    message: `net-conf.json ${v4 ? "Network" : "IPv6Network"} is ${formatCidr(flannelNetwork.cidr)}, but the cluster's ${family} pod CIDR is ${formatCidr(expected.cidr)} (${expected.source}); flanneld would refuse every node podCIDR outside its Network`,
                    fix: `set ${v4 ? "Network" : "IPv6Network"} to ${formatCidr(expected.cidr)}`,
                }),
                flannel.resource!.urn,
            );
        }
        const chosen = configured ?? flannelNetwork ?? planned;
        if (chosen) {
            pod[family] = chosen;
        }
    }
    const service = serviceCidrs(config, plan, NO_OVERLAPPING_RANGES);
    const nodeNetwork =
        firstCidr(
            IpFamily.IPv4,
            { text: config.nodeNetwork, source: configKey("nodeNetwork") },
            { text: plan.nodeNetwork, source: "clusternet:cluster.nodeNetwork (stack output plan)", urn: stackUrn },
        ) ??
        firstCidr(
            IpFamily.IPv6,
            { text: config.nodeNetwork, source: configKey("nodeNetwork") },
            { text: plan.nodeNetwork, source: "clusternet:cluster.nodeNetwork (stack output plan)", urn: stackUrn },
        );
    const nodeMask: Record<IpFamily, { size: number; source: string } | undefined> = {
        IPv4:
            config.nodeMaskSize !== undefined
                ? { size: config.nodeMaskSize, source: configKey("nodeMaskSize") }
                : plan.nodeMaskSize !== undefined
                  ? { size: plan.nodeMaskSize, source: "clusternet:cluster.nodeMaskSize (stack output plan)" }
                  : undefined,
        IPv6:
            config.nodeMaskSizeV6 !== undefined
                ? { size: config.nodeMaskSizeV6, source: configKey("nodeMaskSizeV6") }
                : plan.nodeMaskSizeV6 !== undefined
                  ? { size: plan.nodeMaskSizeV6, source: "clusternet:cluster.nodeMaskSizeV6 (stack output plan)" }
                  : undefined,
    };

    const items: RangeItem[] = [];
    for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
        items.push(...rangeItem(Group.Pod, pod[family], `the ${family} pod CIDR`));
        items.push(...rangeItem(Group.Service, service[family], `the ${family} Service CIDR`));
    }
    items.push(...rangeItem(Group.NodeNetwork, nodeNetwork, "the node network"));
    const reserved = [
        ...config.reserved.map((range, index) => ({
            ...range,
            source: `${configKey("reserved")}[${index}]`,
            urn: undefined,
        })),
        ...plan.reserved.map((range, index) => ({
            ...range,
            source: `clusternet:cluster.reserved[${index}] (stack output plan)`,
            urn: stackUrn,
        })),
    ];
    for (const range of reserved) {
        const parsed = parseCidr(range.cidr);
        if (parsed.ok) {
            const cidr = parsed.value;
            items.push(
                new RangeItem(
                    Group.Reserved,
                    cidr,
                    () => `the reserved range ${range.name} ${formatCidr(cidr)} (${range.source})`,
                    range.urn,
                    undefined,
                    range.source,
                ),
            );
        }
    }
    plan.nodes.forEach((node, index) => {
        const address = addressOf(node.ip);
        if (address) {
            items.push(
                new RangeItem(
                    Group.NodeIp,
                    hostCidr(address.family, address.value),
                    () => `node ${node.name}'s IP ${node.ip} (clusternet:nodes[${index}].ip, stack output plan)`,
                    stackUrn,
                ),
            );
        }
    });

    // Node podCIDRs: valid, of a family the cluster has, inside its pod CIDR, of the node mask; then disjoint.
    const nodeItems: RangeItem[] = [];
    for (const resource of resources) {
        if (resource.type !== ResourceType.NodePatch && resource.type !== ResourceType.Node) {
            continue;
        }
        const reportHere = (message: string): void => report(message, resource.urn);
        const cidrs = nodePodCidrsOf(resource, reportHere);
        const node = objectName(resource);
        const seenFamilies = new Set<IpFamily>();
        for (const { text, field } of cidrs) {
            const parsed = typeof text === "string" ? parseCidrFast(text) : undefined;
            if (!parsed?.ok) {
                const problem =
                    parsed && !parsed.ok ? parsed.problems[0]! : { key: "", message: `${shown(text)} is not a CIDR` };
                reportHere(
                    formatProblem(
                        problemAt(problem, `${describe(resource)} ${field}`, "write a CIDR such as 10.244.1.0/24"),
                    ),
                );
                continue;
            }
            const cidr = parsed.value;
            const family = cidr.family;
            const label = (): string => `the podCIDR ${formatCidr(cidr)} of ${describe(resource)}`;
            if (seenFamilies.has(family)) {
                reportHere(
                    formatProblem({
                        key: "",
                        message: `${describe(resource)} has two ${family} podCIDRs (${field} ${formatCidr(cidr)}); a node takes one per family`,
                        fix: "keep one",
                    }),
                );
                continue;
            }
            seenFamilies.add(family);
            const podCidr = pod[family];
            if (!podCidr) {
                reportHere(
                    formatProblem({
                        key: "",
                        message: `${capitalize(label())} is ${family}, but the cluster has no ${family} pod CIDR (no ${family === IpFamily.IPv4 ? "Network" : "IPv6Network"} in flannel's net-conf.json, the policy config or the stack's plan)`,
                        fix: `remove it, or give the cluster a ${family} pod CIDR`,
                    }),
                );
                continue;
            }
            const mask = nodeMask[family];
            if (!cidrContains(podCidr.cidr, cidr)) {
                reportHere(
                    formatProblem({
                        key: "",
                        message: `${capitalize(label())} lies outside the ${family} pod CIDR ${formatCidr(podCidr.cidr)} (${podCidr.source}); flanneld exits on a node whose podCIDR its Network does not contain`,
                        fix: `give node ${node} a /${mask?.size ?? cidr.prefix} inside ${formatCidr(podCidr.cidr)}`,
                    }),
                );
            } else if (mask && cidr.prefix !== mask.size) {
                reportHere(
                    formatProblem({
                        key: "",
                        message: `${capitalize(label())} is a /${cidr.prefix}, but node podCIDRs are /${mask.size} (${mask.source})`,
                        fix: `give node ${node} a /${mask.size} inside ${formatCidr(podCidr.cidr)}`,
                    }),
                );
            }
            nodeItems.push(new RangeItem(Group.NodePodCidr, cidr, label, resource.urn, node));
        }
    }
    items.push(...nodeItems);

    for (const svc of servicesOf(resources)) {
        const clusterIps =
            svc.clusterIPs.length > 0 ? svc.clusterIPs : svc.clusterIP !== undefined ? [svc.clusterIP] : [];
        for (const text of clusterIps) {
            const address = addressOf(text);
            if (address) {
                items.push(
                    new RangeItem(
                        Group.ClusterIp,
                        hostCidr(address.family, address.value),
                        () => `the clusterIP ${formatAddress(address.family, address.value)} of ${svc.description}`,
                        svc.resource.urn,
                    ),
                );
            }
        }
        for (const text of svc.externalIPs) {
            const address = addressOf(text);
            if (address) {
                items.push(
                    new RangeItem(
                        Group.ExternalIp,
                        hostCidr(address.family, address.value),
                        () => `the externalIP ${formatAddress(address.family, address.value)} of ${svc.description}`,
                        svc.resource.urn,
                    ),
                );
            }
        }
    }

    // One suggestion per family and prefix: the lowest block of the pod CIDR that overlaps nothing.
    const suggestions = new Map<string, Cidr | undefined>();
    function suggestNodeCidr(moved: RangeItem): string | undefined {
        const podCidr = pod[moved.family];
        if (!podCidr) {
            return undefined;
        }
        const key = `${moved.family}/${moved.cidr.prefix}`;
        if (!suggestions.has(key)) {
            const occupied = items.filter((other) => other.family === moved.family && other.group !== Group.Pod);
            suggestions.set(key, lowestFreeBlock(moved.family, moved.cidr.prefix, [podCidr.cidr], occupied));
        }
        const found = suggestions.get(key);
        return found ? formatCidr(found) : undefined;
    }

    // A free block of the same size in the private ranges, clear of everything but what lies inside the moved range;
    // once per range (a handful of cluster-wide ranges at most).
    const clusterSuggestions = new Map<RangeItem, string | undefined>();
    function suggestClusterRange(moved: RangeItem): string | undefined {
        if (!clusterSuggestions.has(moved)) {
            const occupied = items.filter(
                (other) =>
                    other !== moved &&
                    other.family === moved.family &&
                    !(CONTAINER[other.group] === moved.group && cidrContains(moved.cidr, other.cidr)),
            );
            const found = lowestFreeBlock(moved.family, moved.cidr.prefix, PRIVATE_POOLS, occupied);
            clusterSuggestions.set(moved, found ? formatCidr(found) : undefined);
        }
        return clusterSuggestions.get(moved);
    }

    // Node podCIDRs are pairwise disjoint: after sorting, each one must start past the furthest end seen so far.
    const sortedNodes = [...nodeItems].sort((a, b) =>
        a.family !== b.family ? (a.family < b.family ? -1 : 1) : a.start < b.start ? -1 : a.start > b.start ? 1 : 0,
    );
    let furthest: RangeItem | undefined;
    for (const current of sortedNodes) {
        if (furthest && furthest.family === current.family && furthest.end >= current.start) {
            report(
                formatProblem({
                    key: "",
                    message: `${capitalize(current.label)} overlaps ${furthest.label}; two nodes would hand out the same pod addresses`,
                    fix: `give each node its own /${current.cidr.prefix}, e.g. ${suggestNodeCidr(current) ?? "a free one"}`,
                }),
                current.urn,
            );
        }
        if (!furthest || furthest.family !== current.family || current.end > furthest.end) {
            furthest = current;
        }
    }

    const pairs = sweepOverlaps(items, (a, b) => allowed.has(`${a.group}|${b.group}`));
    // A node podCIDR (or clusterIP) overlapping X is a consequence of its pod (Service) CIDR overlapping X: report
    // the cause once and name the affected nodes in it, instead of one message per node.
    const containers = new Map<string, RangeItem>();
    for (const range of items) {
        if (range.group === Group.Pod || range.group === Group.Service || range.group === Group.NodeNetwork) {
            containers.set(`${range.group}|${range.family}`, range);
        }
    }
    const containerOf = (range: RangeItem): RangeItem | undefined => {
        const group = CONTAINER[range.group];
        const container = group ? containers.get(`${group}|${range.family}`) : undefined;
        return container && cidrContains(container.cidr, range.cidr) ? container : undefined;
    };
    const ids = new Map(items.map((range, index) => [range, index]));
    const pairKey = (a: RangeItem, b: RangeItem): string => `${ids.get(a)}|${ids.get(b)}`;
    const foundPairs = new Set(pairs.flatMap(([a, b]) => [pairKey(a, b), pairKey(b, a)]));
    const consequences = new Map<string, string[]>();
    const direct: Array<[RangeItem, RangeItem]> = [];
    for (const [a, b] of pairs) {
        const [moved, kept] = RANK[a.group] <= RANK[b.group] ? [a, b] : [b, a];
        const container = containerOf(moved);
        if (container && foundPairs.has(pairKey(container, kept))) {
            const key = pairKey(container, kept);
            const affected = consequences.get(key);
            if (affected) {
                affected.push(moved.label);
            } else {
                consequences.set(key, [moved.label]);
            }
            continue;
        }
        direct.push([moved, kept]);
    }
    // One message per range and kind of range it overlaps: a pod CIDR over 5,000 node IPs is one mistake.
    const grouped = new Map<string, Array<[RangeItem, RangeItem]>>();
    for (const pair of direct) {
        const key = `${ids.get(pair[0])}|${pair[1].group}`;
        const list = grouped.get(key);
        if (list) {
            list.push(pair);
        } else {
            grouped.set(key, [pair]);
        }
    }
    for (const group of grouped.values()) {
        const [moved, kept] = group[0]!;
        const messagePairs = group.length > LISTED ? [group[0]!] : group;
        for (const [, other] of messagePairs) {
            const affected = [
                ...(consequences.get(pairKey(moved, other)) ?? []),
                ...(consequences.get(pairKey(other, moved)) ?? []),
            ];
            const alsoAffected = affected.length > 0 ? `; inside the overlap: ${listedAtMost(affected, LISTED)}` : "";
            const overlapped =
                group.length > LISTED
                    ? `${group.length} ${kept.group}s: ${listedAtMost(
                          group.map(([, item]) => item.label),
                          LISTED,
                      )}`
                    : other.label;
            report(
                formatProblem({
                    key: "",
                    message: `${capitalize(moved.label)} overlaps ${overlapped}${alsoAffected}`,
                    fix: fixFor(moved, other, suggestNodeCidr, suggestClusterRange),
                }),
                moved.urn ?? other.urn ?? stackUrn,
            );
        }
    }
}

function capitalize(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

function fixFor(
    moved: RangeItem,
    kept: RangeItem,
    suggestNode: (range: RangeItem) => string | undefined,
    suggestRange: (range: RangeItem) => string | undefined,
): string {
    switch (moved.group) {
        case Group.NodePodCidr: {
            const suggestion = suggestNode(moved);
            return `give node ${moved.node} a /${moved.cidr.prefix} that overlaps nothing else${suggestion ? `, e.g. ${suggestion}` : ""}`;
        }
        case Group.ClusterIp:
            return "leave clusterIP unset (the cluster picks a free one) or choose a free address inside the Service CIDR";
        case Group.ExternalIp:
            return `remove the externalIP (see service-no-external-ips); an externalIP inside the ${kept.group} captures traffic meant for it`;
        case Group.NodeIp:
            return `give the node an address outside ${kept.label.replace(/ \(.*\)$/, "")}, or correct ${kept.source ?? "that range"}`;
        default: {
            const suggestion = suggestRange(moved);
            const where = moved.source ? ` (set in ${moved.source})` : "";
            return `move ${moved.label.replace(/ \(.*\)$/, "")}${where} clear of it${suggestion ? `, e.g. to ${suggestion}, the lowest free /${moved.cidr.prefix}` : ""}; on a running cluster changing the pod or Service CIDR means rebuilding it, so consider changing ${kept.source ?? "the other range"} instead`;
        }
    }
}

export const noOverlappingRanges: StackValidationPolicy = {
    name: NO_OVERLAPPING_RANGES,
    description:
        "Pod CIDRs, Service CIDRs, the node network, node IPs, reserved ranges, node podCIDRs and Service clusterIPs/externalIPs must not overlap; every node podCIDR lies inside the pod CIDR of its family, aligned to the node mask, and no two overlap.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(noOverlappingRangesConfig),
    validateStack: (args, reportViolation) => {
        checkRanges(args.resources, configOf(NO_OVERLAPPING_RANGES, noOverlappingRangesConfig, args), reportViolation);
    },
};
