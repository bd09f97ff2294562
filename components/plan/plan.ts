import {
    Problem,
    STACK_KEYS,
    SectionKeys,
    formatProblem,
    isDns1123Label,
    isDns1123Subdomain,
    keyPath,
    lengthNote,
    problemAt,
    Result,
    fail,
    ok,
} from "../common";
import { DNS_SERVICE_INDEX, KUBERNETES_SERVICE_INDEX } from "../rules/constants";
import { allocateNodeSubnets } from "./allocate";
import {
    Cidr,
    IpFamily,
    addressAt,
    cidrContainsAddress,
    cidrSize,
    familyBits,
    formatAddress,
    formatCidr,
    hostCidr,
    parseAddress,
    parseCidr,
} from "./cidr";
import { Interval, cidrInterval, lowestFreeBlock, sweepOverlaps } from "./intervals";
import { networkOrBroadcast, specialRangeOfAddress, specialRangeOfCidr } from "./special";
import {
    AddressPlan,
    ClusterSpec,
    FamilyCapacity,
    NodeSpec,
    NodeSubnets,
    PlannedNode,
    PreviousAllocation,
    RetiredNode,
    SubnetSource,
} from "./types";

export const DEFAULT_CLUSTER_NAME = "lab";
/** kubelet's and kubeadm's default cluster domain. */
export const DEFAULT_DNS_DOMAIN = "cluster.local";
export const DEFAULT_NODE_MASK_SIZE = 24;
export const DEFAULT_NODE_MASK_SIZE_V6 = 64;
export const DEFAULT_SERVICE_CIDR = "10.96.0.0/12";
/** Share of node subnets in use past which the plan warns. */
export const CAPACITY_WARNING_PERCENT = 80;
/** kubeadm (and the controller manager's allocator) reject a cluster/node mask difference over 16 bits. */
export const MAX_NODE_MASK_DIFFERENCE = 16;
/** Kubernetes allows at most 20 host bits in a Service CIDR. */
const MAX_SERVICE_HOST_BITS = 20;
/** The pod CIDR size suggested when a given one is too small: kubeadm's usual /16, and a /56 for IPv6. */
const SUGGESTED_POD_PREFIX: Record<IpFamily, number> = { IPv4: 16, IPv6: 56 };
/** The kubelet's default maxPods. */
export const KUBELET_MAX_PODS = 110;

/** Where the inputs live, for naming them in problems. */
export type PlanKeys = Pick<SectionKeys, "cluster" | "nodes" | "previous">;

export interface PlanInput {
    readonly cluster: ClusterSpec;
    readonly nodes: readonly NodeSpec[];
    /** What was allocated before, by node name; see {@link PreviousAllocation}. */
    readonly previous?: PreviousAllocation;
}

/** Private address pools searched when an error suggests a free range. */
const PRIVATE_POOLS: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"].map((text) => {
    const parsed = parseCidr(text);
    if (!parsed.ok) {
        throw new Error(`bad built-in pool ${text}`);
    }
    return parsed.value;
});

/** An input range in the overlap sweep; `rank` orders how easily it can be changed (lowest changes first). */
interface RangeItem extends Interval {
    readonly key: string;
    /** What the range is, for messages: `the pod CIDR`. */
    readonly label: string;
    readonly cidr: Cidr;
    readonly rank: number;
}

/** `the pod CIDR 10.244.0.0/16`, or for a node IP just the address. Built only when a message needs it. */
function describeRange(item: RangeItem): string {
    const shown = item.group === "nodeIp" ? formatAddress(item.cidr.family, item.cidr.start) : formatCidr(item.cidr);
    return `${item.label} ${shown}`;
}

const RANK = { serviceCidr: 0, podCidr: 1, nodeNetwork: 2, nodeIp: 3, reserved: 4 } as const;

function mayOverlap(a: RangeItem, b: RangeItem): boolean {
    const groups = new Set([a.group, b.group]);
    return groups.has("nodeNetwork") && groups.has("nodeIp");
}

function countValue(value: bigint): number | string {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

function fieldFor(family: IpFamily, v4: string): string {
    return family === IpFamily.IPv4 ? v4 : `${v4}V6`;
}

/**
 * Plans a cluster's addresses: validates every range, allocates per-node subnets (stable under adding, removing
 * and reordering nodes), derives the well-known addresses and capacity, and refuses forbidden overlaps. Pure and
 * deterministic: the same input gives the same plan. Returns every problem at once instead of throwing.
 */
export function planNetwork(input: PlanInput, keys: PlanKeys = STACK_KEYS): Result<AddressPlan> {
    const problems: Problem[] = [];
    const warnings: Problem[] = [];
    const cluster = input.cluster;
    const clusterKey = (field: string): string => keyPath(keys.cluster, field);
    const nodeKey = (index: number, field: string): string => keyPath(keys.nodes, index, field);

    const name = cluster.name ?? DEFAULT_CLUSTER_NAME;
    if (!isDns1123Label(name)) {
        problems.push({
            key: clusterKey("name"),
            message: `${JSON.stringify(name)} is not a DNS-1123 label${lengthNote(name, 63)}`,
            fix: "use lowercase letters, digits and '-', at most 63 characters, e.g. lab",
        });
    }

    const parseRange = (text: string | undefined, key: string, family?: IpFamily): Cidr | undefined => {
        if (text === undefined) {
            return undefined;
        }
        const parsed = parseCidr(text);
        if (!parsed.ok) {
            problems.push(...parsed.problems.map((problem) => problemAt(problem, key)));
            return undefined;
        }
        if (family !== undefined && parsed.value.family !== family) {
            const field = key.slice(key.lastIndexOf(".") + 1);
            const other = field.endsWith("V6") ? field.slice(0, -2) : `${field}V6`;
            problems.push({
                key,
                message: `${text} is ${parsed.value.family}, but this key takes ${family}`,
                fix: `move it to ${other}`,
            });
            return undefined;
        }
        return parsed.value;
    };

    // Pod CIDRs and node masks, per family.
    const pod: Partial<Record<IpFamily, Cidr>> = {};
    const mask: Record<IpFamily, number> = {
        IPv4: cluster.nodeMaskSize ?? DEFAULT_NODE_MASK_SIZE,
        IPv6: cluster.nodeMaskSizeV6 ?? DEFAULT_NODE_MASK_SIZE_V6,
    };
    const families: IpFamily[] = [];
    if (cluster.podCidr === undefined && cluster.podCidrV6 === undefined) {
        problems.push({
            key: clusterKey("podCidr"),
            message: "no pod CIDR is set",
            fix: "set podCidr (IPv4, e.g. 10.244.0.0/16) and/or podCidrV6 (IPv6, e.g. fd00:10:244::/56)",
        });
    }
    for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
        const text = family === IpFamily.IPv4 ? cluster.podCidr : cluster.podCidrV6;
        if (text !== undefined) {
            families.push(family);
        }
        const cidr = parseRange(text, clusterKey(fieldFor(family, "podCidr")), family);
        const maskKey = clusterKey(family === IpFamily.IPv4 ? "nodeMaskSize" : "nodeMaskSizeV6");
        const bits = familyBits(family);
        const nodeMask = mask[family];
        if (!Number.isInteger(nodeMask) || nodeMask < 0 || nodeMask > bits) {
            problems.push({
                key: maskKey,
                message: `${nodeMask} is not a prefix length`,
                fix: `use a whole number up to ${bits}`,
            });
            continue;
        }
        if (!cidr) {
            continue;
        }
        // Node masks from the pod CIDR's prefix to the shorter of prefix+16 and bits-2 are valid; when that
        // interval is empty the pod CIDR itself is too small, and saying so avoids advice that cannot be followed.
        if (cidr.prefix > bits - 2) {
            const roomy = {
                family,
                start: cidr.start & ~((1n << BigInt(bits - SUGGESTED_POD_PREFIX[family])) - 1n),
                prefix: SUGGESTED_POD_PREFIX[family],
            };
            problems.push({
                key: clusterKey(fieldFor(family, "podCidr")),
                message: `the /${cidr.prefix} pod CIDR ${formatCidr(cidr)} has no room for a node subnet with a pod address in it`,
                fix: `use a larger range, e.g. write ${formatCidr(roomy)}`,
            });
            continue;
        }
        // The longest node mask Kubernetes and a pod address allow.
        const longest = Math.min(cidr.prefix + MAX_NODE_MASK_DIFFERENCE, bits - 2);
        if (nodeMask < cidr.prefix) {
            problems.push({
                key: maskKey,
                message: `/${nodeMask} node subnets do not fit in the /${cidr.prefix} pod CIDR ${formatCidr(cidr)}`,
                fix: `use a node mask of at least ${Math.min(cidr.prefix + Math.ceil(Math.log2(Math.max(1, input.nodes.length))), longest)}`,
            });
        } else if (nodeMask - cidr.prefix > MAX_NODE_MASK_DIFFERENCE) {
            problems.push({
                key: maskKey,
                message: `/${nodeMask} is ${nodeMask - cidr.prefix} bits longer than the pod CIDR's /${cidr.prefix}; Kubernetes allows at most ${MAX_NODE_MASK_DIFFERENCE}`,
                fix: `use a node mask of at most ${longest}, or a smaller pod CIDR`,
            });
        } else if (bits - nodeMask < 2) {
            problems.push({
                key: maskKey,
                message: `a /${nodeMask} node subnet leaves no address for a pod after the network address and cni0's gateway`,
                fix: `use a node mask of at most ${longest}`,
            });
        } else {
            pod[family] = cidr;
        }
    }

    // Service CIDRs: the IPv4 default applies only to a cluster with IPv4 pods.
    const hasV4 = cluster.podCidr !== undefined;
    const hasV6 = cluster.podCidrV6 !== undefined;
    const service: Partial<Record<IpFamily, Cidr>> = {};
    const serviceText: Record<IpFamily, string | undefined> = {
        IPv4: cluster.serviceCidr ?? (hasV4 ? DEFAULT_SERVICE_CIDR : undefined),
        IPv6: cluster.serviceCidrV6,
    };
    for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
        const field = fieldFor(family, "serviceCidr");
        const key = clusterKey(field);
        const cidr = parseRange(serviceText[family], key, family);
        if (!cidr) {
            continue;
        }
        const hostBits = familyBits(family) - cidr.prefix;
        const minimumPrefix = familyBits(family) - MAX_SERVICE_HOST_BITS;
        // Room for the DNS IP (10th address), and for IPv4 the broadcast address the allocator skips.
        const maximumPrefix = family === IpFamily.IPv4 ? 28 : 124;
        if (!hasV4 && !hasV6) {
            continue; // the missing pod CIDR is the problem already reported
        }
        if (family === IpFamily.IPv4 ? !hasV4 : !hasV6) {
            problems.push({
                key,
                message: `the cluster has no ${family} pod CIDR, so ${family} Services could not reach pods`,
                fix: `remove ${field}, or set ${fieldFor(family, "podCidr")}`,
            });
        } else if (hostBits > MAX_SERVICE_HOST_BITS) {
            problems.push({
                key,
                message: `${formatCidr(cidr)} has ${hostBits} host bits; Kubernetes allows at most ${MAX_SERVICE_HOST_BITS}`,
                fix: `use a /${minimumPrefix} or smaller range`,
            });
        } else if (cidr.prefix > maximumPrefix) {
            problems.push({
                key,
                message: `${formatCidr(cidr)} has no room for the cluster DNS IP (its 10th address)`,
                fix: `use a /${maximumPrefix} or larger range`,
            });
        } else {
            service[family] = cidr;
        }
    }
    if (hasV6 && !hasV4 && serviceText.IPv6 === undefined) {
        problems.push({
            key: clusterKey("serviceCidrV6"),
            message: "an IPv6-only cluster needs an IPv6 Service CIDR",
            fix: "set serviceCidrV6, e.g. fd00:10:96::/112",
        });
    }
    if (hasV4 && hasV6 && serviceText.IPv6 === undefined) {
        warnings.push({
            key: clusterKey("serviceCidrV6"),
            message: "the cluster is dual-stack but has no IPv6 Service CIDR, so Services stay IPv4-only",
            fix: "set serviceCidrV6, e.g. fd00:10:96::/112",
        });
    }

    const nodeNetwork = parseRange(cluster.nodeNetwork, clusterKey("nodeNetwork"));

    const items: RangeItem[] = [];
    const addItem = (cidr: Cidr | undefined, group: keyof typeof RANK, key: string, label: string): void => {
        if (cidr) {
            // Fields written out: a spread here was a fifth of a 5,000-node plan.
            const { family, start, end } = cidrInterval(cidr);
            items.push({ family, start, end, group, key, label, cidr, rank: RANK[group] });
        }
    };
    for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
        const podField = fieldFor(family, "podCidr");
        const serviceField = fieldFor(family, "serviceCidr");
        const podCidr =
            pod[family] ?? parseQuiet(family === IpFamily.IPv4 ? cluster.podCidr : cluster.podCidrV6, family);
        addItem(podCidr, "podCidr", clusterKey(podField), "the pod CIDR");
        addItem(service[family], "serviceCidr", clusterKey(serviceField), "the Service CIDR");
    }
    addItem(nodeNetwork, "nodeNetwork", clusterKey("nodeNetwork"), "the node network");

    const reservedNames = new Map<string, number>();
    (cluster.reserved ?? []).forEach((range, index) => {
        const key = keyPath(keys.cluster, "reserved", index);
        if (range.name.trim() === "") {
            problems.push({ key: `${key}.name`, message: "is empty", fix: "name the range, e.g. office-vpn" });
        } else if (!RESERVED_NAME.test(range.name)) {
            // The name goes into messages, the plan's markdown table and mermaid diagram: plain words only.
            problems.push({
                key: `${key}.name`,
                message: `${JSON.stringify(range.name)} is not a plain name${lengthNote(range.name, 63)}`,
                fix: `use at most 63 letters, digits, spaces, '.', '_' and '-', starting with a letter or digit, e.g. write ${reservedNameFor(range.name)}`,
            });
        } else if (reservedNames.has(range.name)) {
            problems.push({
                key: `${key}.name`,
                message: `"${range.name}" is also the name of reserved[${reservedNames.get(range.name)}]`,
                fix: "give each reserved range its own name",
            });
        } else {
            reservedNames.set(range.name, index);
        }
        const cidr = parseRange(range.cidr, `${key}.cidr`);
        addItem(cidr, "reserved", `${key}.cidr`, `the reserved range ${range.name}`);
    });

    // A host address of the node network that no node uses, to suggest in place of an unusable one.
    const freeNodeAddress = (family: IpFamily): string | undefined => {
        if (!nodeNetwork || nodeNetwork.family !== family || nodeNetwork.prefix > familyBits(family) - 2) {
            return undefined;
        }
        const taken = new Set(input.nodes.map((node) => node.ip));
        for (let index = 1n; index < 1024n && index < cidrSize(nodeNetwork) - 1n; index++) {
            const candidate = formatAddress(family, addressAt(nodeNetwork, index));
            if (!taken.has(candidate)) {
                return candidate;
            }
        }
        return undefined;
    };

    // Nodes: names, addresses, and the node network.
    const nodeNames = new Map<string, number>();
    const nodeIps = new Map<string, number>();
    input.nodes.forEach((node, index) => {
        if (!isDns1123Subdomain(node.name)) {
            problems.push({
                key: nodeKey(index, "name"),
                message: `${JSON.stringify(node.name)} is not a valid Node name (a DNS-1123 subdomain)${lengthNote(node.name, 253)}`,
                fix: "use lowercase letters, digits, '-' and '.', at most 253 characters and 63 between dots, e.g. worker-1",
            });
        } else if (nodeNames.has(node.name)) {
            problems.push({
                key: nodeKey(index, "name"),
                message: `"${node.name}" is also the name of ${keyPath(keys.nodes, nodeNames.get(node.name)!)}`,
                fix: "give each node its own name",
            });
        } else {
            nodeNames.set(node.name, index);
        }
        const parsed = parseAddress(node.ip);
        if (!parsed.ok) {
            problems.push(
                ...parsed.problems.map((problem) =>
                    problemAt(problem, nodeKey(index, "ip"), "write the node's address, e.g. 192.168.56.11"),
                ),
            );
            return;
        }
        const { family, value } = parsed.value;
        const canonical = node.ip; // parseAddress accepts canonical text only: one text per address
        if (nodeIps.has(canonical)) {
            problems.push({
                key: nodeKey(index, "ip"),
                message: `${node.ip} is also the IP of node "${input.nodes[nodeIps.get(canonical)!]!.name}"`,
                fix: "give each node its own IP",
            });
            return;
        }
        nodeIps.set(canonical, index);
        const special = specialRangeOfAddress(family, value);
        if (special) {
            problems.push({
                key: nodeKey(index, "ip"),
                message: `${node.ip} is ${special.label}: no other host can reach a node there`,
                fix: freeNodeAddress(family)
                    ? `use the address the node has on its network (ip -br addr on the node), e.g. write ${freeNodeAddress(family)}`
                    : "use the address the node has on its network (ip -br addr on the node)",
            });
            return;
        }
        if (families.length > 0 && !families.includes(family)) {
            problems.push({
                key: nodeKey(index, "ip"),
                message: `${node.ip} is ${family}, but the cluster is ${families.join("")}-only (no ${fieldFor(family, "podCidr")})`,
                fix: `use the node's ${families[0]} address, or set ${clusterKey(fieldFor(family, "podCidr"))} for a dual-stack cluster`,
            });
        }
        const edge = nodeNetwork ? networkOrBroadcast(nodeNetwork, family, value) : undefined;
        if (nodeNetwork && edge) {
            problems.push({
                key: nodeKey(index, "ip"),
                message: `${node.ip} is the ${edge} address of the node network ${formatCidr(nodeNetwork)}, not a host's`,
                fix: freeNodeAddress(family)
                    ? `use a host address inside ${formatCidr(nodeNetwork)}, e.g. write ${freeNodeAddress(family)}`
                    : `use a host address inside ${formatCidr(nodeNetwork)}`,
            });
        }
        if (nodeNetwork && !cidrContainsAddress(nodeNetwork, family, value)) {
            problems.push({
                key: nodeKey(index, "ip"),
                message: `${node.ip} lies outside the node network ${formatCidr(nodeNetwork)}`,
                fix: `use an address inside ${formatCidr(nodeNetwork)}, or correct ${clusterKey("nodeNetwork")}`,
            });
        }
        addItem(hostCidr(family, value), "nodeIp", nodeKey(index, "ip"), `node "${node.name}"'s IP`);
    });

    // Pod and Service CIDRs and the node network in loopback, link-local, multicast or reserved space: nothing
    // there is routed between hosts. Reported instead of any overlap, with a free private block as the fix.
    for (const item of [...items]) {
        if (item.group !== "podCidr" && item.group !== "serviceCidr" && item.group !== "nodeNetwork") {
            continue;
        }
        const special = specialRangeOfCidr(item.cidr);
        if (!special) {
            continue;
        }
        items.splice(items.indexOf(item), 1);
        const suggestion = lowestFreeBlock(
            item.family,
            item.cidr.prefix,
            PRIVATE_POOLS,
            items.filter((other) => other.family === item.family),
        );
        problems.push({
            key: item.key,
            message: `${describeRange(item)} lies in ${special.label}, which is not routed between hosts`,
            fix: suggestion ? `use a private range, e.g. write ${formatCidr(suggestion)}` : "use a private range",
        });
        if (item.group === "podCidr") {
            delete pod[item.family];
        } else if (item.group === "serviceCidr") {
            delete service[item.family];
        }
    }

    // A pin for a family the cluster does not have would be dropped without a word.
    input.nodes.forEach((node, index) => {
        for (const family of [IpFamily.IPv4, IpFamily.IPv6]) {
            const field = fieldFor(family, "podCidr");
            const pin = family === IpFamily.IPv4 ? node.podCidr : node.podCidrV6;
            if (pin !== undefined && families.length > 0 && !families.includes(family)) {
                problems.push({
                    key: nodeKey(index, field),
                    message: `pins an ${family} subnet, but the cluster has no ${family} pod CIDR (${clusterKey(field)})`,
                    fix: `remove ${field} from this node, or set ${clusterKey(field)}`,
                });
            }
        }
    });

    // Released nodes give their remembered subnets back; other remembered names not among the nodes are retired.
    const released = new Set<string>();
    (cluster.released ?? []).forEach((releasedName, index) => {
        const key = keyPath(keys.cluster, "released", index);
        if (nodeNames.has(releasedName)) {
            problems.push({
                key,
                message: `"${releasedName}" is still a node (${keyPath(keys.nodes, nodeNames.get(releasedName)!)}); only a removed node can be released`,
                fix: `remove "${releasedName}" from ${clusterKey("released")}, or remove the node first`,
            });
        } else {
            released.add(releasedName);
        }
    });
    const retiredNames = Object.keys(input.previous ?? {})
        .filter((remembered) => !nodeNames.has(remembered) && !released.has(remembered))
        .sort();

    const suggestions = new Map<RangeItem, Cidr | undefined>();
    const suggestFor = (moved: RangeItem): Cidr | undefined => {
        if (!suggestions.has(moved)) {
            const prefix = familyBits(moved.family) - bitLength(moved.end - moved.start);
            const occupied = items.filter((item) => item.family === moved.family && item !== moved);
            suggestions.set(
                moved,
                moved.group === "nodeIp" || moved.group === "reserved"
                    ? undefined
                    : lowestFreeBlock(moved.family, prefix, PRIVATE_POOLS, occupied),
            );
        }
        return suggestions.get(moved);
    };
    for (const [a, b] of sweepOverlaps(items, mayOverlap)) {
        const [moved, kept] = a.rank <= b.rank ? [a, b] : [b, a];
        const suggestion = suggestFor(moved);
        problems.push({
            key: moved.key,
            message: `${describeRange(moved)} overlaps ${describeRange(kept)} (${kept.key})`,
            fix: suggestion
                ? `choose a range that overlaps nothing else, e.g. write ${formatCidr(suggestion)}`
                : "choose ranges that do not overlap",
        });
    }

    // Allocation, per family.
    const subnets: Partial<Record<IpFamily, ReadonlyArray<{ cidr: Cidr; source: SubnetSource } | undefined>>> = {};
    const retiredSubnets: Partial<Record<IpFamily, ReadonlyArray<Cidr | undefined>>> = {};
    const capacity: { ipv4: FamilyCapacity | null; ipv6: FamilyCapacity | null } = { ipv4: null, ipv6: null };
    for (const family of families) {
        const podCidr = pod[family];
        if (!podCidr) {
            continue;
        }
        const pinField = fieldFor(family, "podCidr");
        const maskKey = clusterKey(family === IpFamily.IPv4 ? "nodeMaskSize" : "nodeMaskSizeV6");
        const rememberedOf = (nodeName: string) => {
            const remembered = Object.prototype.hasOwnProperty.call(input.previous ?? {}, nodeName)
                ? input.previous![nodeName]
                : undefined;
            return family === IpFamily.IPv4
                ? { cidr: remembered?.podCidr, source: remembered?.podCidrSource }
                : { cidr: remembered?.podCidrV6, source: remembered?.podCidrV6Source };
        };
        const holders = retiredNames
            .map((retiredName) => ({ name: retiredName, cidr: rememberedOf(retiredName).cidr }))
            .filter((holder): holder is { name: string; cidr: string } => typeof holder.cidr === "string");
        const allocation = allocateNodeSubnets(
            podCidr,
            mask[family],
            input.nodes.map((node) => {
                const pin = family === IpFamily.IPv4 ? node.podCidr : node.podCidrV6;
                const remembered = rememberedOf(node.name);
                return {
                    name: node.name,
                    pin,
                    previous: remembered.cidr ?? undefined,
                    previousSource: remembered.source,
                };
            }),
            {
                podCidr: clusterKey(pinField),
                nodeMaskSize: maskKey,
                pin: (index) => nodeKey(index, pinField),
                previous: (nodeName) => `${keys.previous}[${JSON.stringify(nodeName)}].${pinField}`,
                released: clusterKey("released"),
            },
            holders,
        );
        problems.push(...allocation.problems);
        subnets[family] = allocation.subnets;
        const heldByName = new Map(holders.map((holder, index) => [holder.name, allocation.retired[index]]));
        retiredSubnets[family] = retiredNames.map((retiredName) => heldByName.get(retiredName));

        const maxNodes = 1 << (mask[family] - podCidr.prefix);
        const retiredCount = allocation.retired.filter((subnet) => subnet !== undefined).length;
        const used = allocation.subnets.filter((subnet) => subnet !== undefined).length + retiredCount;
        const hostAddresses = 1n << BigInt(familyBits(family) - mask[family]);
        const usedPercent = Math.round((used / maxNodes) * 1000) / 10;
        capacity[family === IpFamily.IPv4 ? "ipv4" : "ipv6"] = {
            podCidr: formatCidr(podCidr),
            nodeMaskSize: mask[family],
            maxNodes,
            podsPerNode: countValue(hostAddresses - (family === IpFamily.IPv4 ? 3n : 2n)),
            used,
            free: maxNodes - used,
            usedPercent,
            retired: retiredCount,
        };
        const podsPerNode = hostAddresses - (family === IpFamily.IPv4 ? 3n : 2n);
        if (podsPerNode < BigInt(KUBELET_MAX_PODS)) {
            // The largest node subnet of 128 addresses holds 125 (IPv4) pods, enough for the kubelet's default.
            const roomyMask = familyBits(family) - 7;
            warnings.push({
                key: maskKey,
                message: `/${mask[family]} node subnets hold ${hostAddresses} addresses, so ${podsPerNode} pod address(es) per node (minus the network address, cni0's gateway${family === IpFamily.IPv4 ? " and broadcast" : ""}); the kubelet runs up to ${KUBELET_MAX_PODS} pods by default and pods past ${podsPerNode} stay ContainerCreating`,
                fix:
                    roomyMask >= podCidr.prefix
                        ? `use a node mask of at most ${roomyMask}, or set the kubelet's maxPods to ${podsPerNode}`
                        : `use a larger pod CIDR (a /${roomyMask} or larger) or set the kubelet's maxPods to ${podsPerNode}`,
            });
        }
        if (usedPercent > CAPACITY_WARNING_PERCENT && used <= maxNodes) {
            warnings.push({
                key: clusterKey(pinField),
                message: `${formatCidr(podCidr)} is ${usedPercent}% used (${used} of ${maxNodes} node subnets)`,
                fix: `plan a larger pod CIDR or a longer node mask before adding nodes`,
            });
        }
    }

    if (problems.length > 0) {
        return fail(problems);
    }

    const nodes: PlannedNode[] = input.nodes.map((node, index) => {
        const v4 = subnets.IPv4?.[index];
        const v6 = subnets.IPv6?.[index];
        return {
            name: node.name,
            ip: node.ip,
            podCidr: v4 ? formatCidr(v4.cidr) : null,
            podCidrV6: v6 ? formatCidr(v6.cidr) : null,
            podCidrSource: v4 ? v4.source : null,
            podCidrV6Source: v6 ? v6.source : null,
            gateway: v4 ? formatAddress(IpFamily.IPv4, addressAt(v4.cidr, 1n)) : null,
            gatewayV6: v6 ? formatAddress(IpFamily.IPv6, addressAt(v6.cidr, 1n)) : null,
            vtep: v4 ? formatAddress(IpFamily.IPv4, v4.cidr.start) : null,
        };
    });
    const retired: RetiredNode[] = retiredNames
        .map((retiredName, index) => {
            const v4 = retiredSubnets.IPv4?.[index];
            const v6 = retiredSubnets.IPv6?.[index];
            return {
                name: retiredName,
                podCidr: v4 ? formatCidr(v4) : null,
                podCidrV6: v6 ? formatCidr(v6) : null,
            };
        })
        .filter((node) => node.podCidr !== null || node.podCidrV6 !== null);
    for (const node of retired) {
        warnings.push({
            key: clusterKey("released"),
            message: `node "${node.name}" was removed from ${keys.nodes} but still holds ${[node.podCidr, node.podCidrV6].filter(Boolean).join(" and ")} (retired: no other node gets it)`,
            fix: `delete its Node (kubectl delete node ${node.name}), then add "${node.name}" to ${clusterKey("released")}; or add the node back to get its subnet again`,
        });
    }
    const serviceAddress = (family: IpFamily, index: bigint): string | null => {
        const cidr = service[family];
        return cidr && index < cidrSize(cidr) ? formatAddress(family, addressAt(cidr, index)) : null;
    };
    return ok({
        cluster: {
            name,
            families,
            podCidr: pod.IPv4 ? formatCidr(pod.IPv4) : null,
            podCidrV6: pod.IPv6 ? formatCidr(pod.IPv6) : null,
            nodeMaskSize: mask.IPv4,
            nodeMaskSizeV6: mask.IPv6,
            serviceCidr: service.IPv4 ? formatCidr(service.IPv4) : null,
            serviceCidrV6: service.IPv6 ? formatCidr(service.IPv6) : null,
            nodeNetwork: nodeNetwork ? formatCidr(nodeNetwork) : null,
            reserved: (cluster.reserved ?? []).map((range) => ({ name: range.name, cidr: range.cidr })),
            dnsDomain: cluster.dnsDomain ?? DEFAULT_DNS_DOMAIN,
        },
        kubernetesServiceIp: serviceAddress(IpFamily.IPv4, KUBERNETES_SERVICE_INDEX),
        kubernetesServiceIpV6: serviceAddress(IpFamily.IPv6, KUBERNETES_SERVICE_INDEX),
        dnsServiceIp: serviceAddress(IpFamily.IPv4, DNS_SERVICE_INDEX),
        dnsServiceIpV6: serviceAddress(IpFamily.IPv6, DNS_SERVICE_INDEX),
        nodes,
        retired,
        capacity,
        warnings: warnings.map(formatProblem),
    });
}

/** A reserved range's name: a few plain words, safe in a message, a markdown table and a mermaid label. */
const RESERVED_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/;

/** A plain name made from a rejected one, to suggest. */
function reservedNameFor(name: string): string {
    const plain = name
        .replace(/[^A-Za-z0-9._-]+/g, "-")
        .replace(/^[^A-Za-z0-9]+/, "")
        .replace(/-+$/, "")
        .slice(0, 63);
    return plain === "" ? "office-vpn" : plain;
}

function parseQuiet(text: string | undefined, family: IpFamily): Cidr | undefined {
    if (text === undefined) {
        return undefined;
    }
    const parsed = parseCidr(text);
    return parsed.ok && parsed.value.family === family ? parsed.value : undefined;
}

function bitLength(value: bigint): number {
    return value === 0n ? 0 : value.toString(2).length;
}

/** Each node's pod subnets by node name, absent families left out. */
export function nodeSubnetsOf(plan: AddressPlan): Record<string, NodeSubnets> {
    return Object.fromEntries(
        plan.nodes.map((node) => [
            node.name,
            {
                ...(node.podCidr ? { podCidr: node.podCidr } : {}),
                ...(node.podCidrV6 ? { podCidrV6: node.podCidrV6 } : {}),
            },
        ]),
    );
}
