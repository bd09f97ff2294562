import { Problem, problemAt } from "../common";
import { Cidr, IpFamily, cidrContains, familyBits, formatCidr, parseCidr } from "./cidr";
import { SubnetSource } from "./types";

/** One node as the allocator sees it for one family. */
export interface AllocationRequest {
    readonly name: string;
    /** The node's pinned subnet text for this family, if any. */
    readonly pin?: string;
    /** The subnet the node had before, if any. */
    readonly previous?: string;
    /** Where the remembered subnet came from when it was first planned, if the memory says. */
    readonly previousSource?: SubnetSource | null;
}

/** A removed node that still holds its subnet (retired): nobody else may get it until it is released. */
export interface RetiredHolder {
    readonly name: string;
    /** Its remembered subnet text for this family. */
    readonly cidr: string;
}

export interface AllocationKeys {
    /** Key of the family's pod CIDR, e.g. `clusternet:cluster.podCidr`. */
    readonly podCidr: string;
    /** Key of the family's node mask, e.g. `clusternet:cluster.nodeMaskSize`. */
    readonly nodeMaskSize: string;
    /** Key of node i's pin, e.g. `clusternet:nodes[i].podCidr`. */
    readonly pin: (index: number) => string;
    /** Key of a node's remembered subnet, e.g. `previous allocation["worker-1"].podCidr`. */
    readonly previous: (name: string) => string;
    /** Key of the list of released nodes, e.g. `clusternet:cluster.released`. */
    readonly released: string;
}

export interface Allocation {
    /** Per request, in request order: the subnet and where it came from (undefined where allocation failed). */
    readonly subnets: ReadonlyArray<{ readonly cidr: Cidr; readonly source: SubnetSource } | undefined>;
    /** Per retired holder, in the order given: its subnet (undefined where it does not fit, a problem then). */
    readonly retired: ReadonlyArray<Cidr | undefined>;
    readonly problems: readonly Problem[];
}

const OTHER_PIN_FIELD: Record<IpFamily, string> = { IPv4: "podCidrV6", IPv6: "podCidr" };

/**
 * Gives every node one block of `mask` length inside `pod`, so that no node's block ever moves because others
 * were added, removed or reordered: pins first, then each node's previous block, then the blocks retired nodes
 * still hold, then the lowest free blocks for new nodes in name order. A pin or a changed pod CIDR that would move
 * a node's previous block is refused, since Node.spec.podCIDR is immutable; so is a pin on a retired node's block.
 * A remembered block keeps the source it was first planned with when that was `allocated` (so planning twice
 * changes nothing), else it is `previous`. Linear in the number of nodes (plus the blocks skipped).
 */
export function allocateNodeSubnets(
    pod: Cidr,
    mask: number,
    requests: readonly AllocationRequest[],
    keys: AllocationKeys,
    retiredHolders: readonly RetiredHolder[] = [],
): Allocation {
    const problems: Problem[] = [];
    const blockSize = 1n << BigInt(familyBits(pod.family) - mask);
    const blockCount = 1 << (mask - pod.prefix);
    const blockIndex = (cidr: Cidr): number => Number((cidr.start - pod.start) / blockSize);
    // Block -> request index; retired holder i is owner requests.length + i.
    const owner = new Map<number, number>();
    const retired = Array.from<Cidr | undefined>({ length: retiredHolders.length });
    const subnets = Array.from<{ cidr: Cidr; source: SubnetSource } | undefined>({ length: requests.length });
    const fits = (cidr: Cidr): boolean => cidr.prefix === mask && cidrContains(pod, cidr);
    const describePod = `${formatCidr(pod)} with /${mask} node subnets`;

    requests.forEach((request, index) => {
        if (request.pin === undefined) {
            return;
        }
        const key = keys.pin(index);
        const parsed = parseCidr(request.pin);
        if (!parsed.ok) {
            problems.push(...parsed.problems.map((problem) => problemAt(problem, key)));
            return;
        }
        const cidr = parsed.value;
        if (cidr.family !== pod.family) {
            problems.push({
                key,
                message: `${request.pin} is ${cidr.family}, not ${pod.family}`,
                fix: `pin it as ${OTHER_PIN_FIELD[pod.family]} instead`,
            });
            return;
        }
        if (!cidrContains(pod, cidr)) {
            problems.push({
                key,
                message: `${request.pin} lies outside the pod CIDR ${formatCidr(pod)} (${keys.podCidr})`,
                fix: `pin a /${mask} inside ${formatCidr(pod)}`,
            });
            return;
        }
        if (cidr.prefix !== mask) {
            problems.push({
                key,
                message: `${request.pin} is a /${cidr.prefix}, but node subnets are /${mask} (${keys.nodeMaskSize})`,
                fix: `pin a /${mask}`,
            });
            return;
        }
        if (request.previous !== undefined && request.previous !== request.pin) {
            problems.push({
                key,
                message: `node "${request.name}" already has ${request.previous}; pinning ${request.pin} would move it, and Node.spec.podCIDR is immutable`,
                fix: `pin ${request.previous} or remove the pin (to move it, drain, delete and re-join the node, then plan again)`,
            });
            return;
        }
        const index0 = blockIndex(cidr);
        const other = owner.get(index0);
        if (other !== undefined) {
            problems.push({
                key,
                message: `${request.pin} is also pinned by node "${requests[other]!.name}" (${keys.pin(other)})`,
                fix: "give each node its own subnet",
            });
            return;
        }
        owner.set(index0, index);
        subnets[index] = { cidr, source: SubnetSource.Pinned };
    });

    requests.forEach((request, index) => {
        if (request.pin !== undefined || request.previous === undefined) {
            return;
        }
        const parsed = parseCidr(request.previous);
        if (!parsed.ok) {
            problems.push({
                key: keys.previous(request.name),
                message: parsed.problems[0]!.message,
                fix: "correct or delete the previous plan's entry for this node",
            });
            return;
        }
        const cidr = parsed.value;
        if (cidr.family !== pod.family || !fits(cidr)) {
            problems.push({
                key: keys.podCidr,
                message: `node "${request.name}" already has ${request.previous} (${keys.previous(request.name)}), which is not a /${mask} inside ${formatCidr(pod)}; changing the pod CIDR or node mask would move it, and Node.spec.podCIDR is immutable`,
                fix: "keep the previous pod CIDR and node mask, or rebuild the cluster and plan without the previous allocation",
            });
            return;
        }
        const index0 = blockIndex(cidr);
        const other = owner.get(index0);
        if (other !== undefined) {
            const otherRequest = requests[other]!;
            problems.push(
                otherRequest.pin !== undefined
                    ? {
                          key: keys.pin(other),
                          message: `${otherRequest.pin} already belongs to node "${request.name}"; pinning it here would move that node's subnet`,
                          fix: `pin a free /${mask} instead`,
                      }
                    : {
                          key: keys.previous(request.name),
                          message: `${request.previous} is remembered for both node "${otherRequest.name}" and node "${request.name}"`,
                          fix: "correct the previous plan so that each subnet belongs to one node",
                      },
            );
            return;
        }
        owner.set(index0, index);
        subnets[index] = {
            cidr,
            source: request.previousSource === SubnetSource.Allocated ? SubnetSource.Allocated : SubnetSource.Previous,
        };
    });

    retiredHolders.forEach((holder, position) => {
        const parsed = parseCidr(holder.cidr);
        if (!parsed.ok || parsed.value.family !== pod.family || !fits(parsed.value)) {
            problems.push({
                key: keys.previous(holder.name),
                message: `removed node "${holder.name}" still holds ${holder.cidr}, which is not a /${mask} inside ${formatCidr(pod)}`,
                fix: `keep the pod CIDR and node mask, or delete its Node (kubectl delete node ${holder.name}) and add "${holder.name}" to ${keys.released}`,
            });
            return;
        }
        const cidr = parsed.value;
        const index0 = blockIndex(cidr);
        const other = owner.get(index0);
        if (other !== undefined) {
            const otherRequest = requests[other]!;
            problems.push(
                otherRequest.pin !== undefined && otherRequest.previous === undefined
                    ? {
                          key: keys.pin(other),
                          message: `${otherRequest.pin} still belongs to removed node "${holder.name}" (retired: its Node may still hold it)`,
                          fix: `pin another /${mask}, or delete that Node (kubectl delete node ${holder.name}) and add "${holder.name}" to ${keys.released}`,
                      }
                    : {
                          key: keys.previous(holder.name),
                          message: `${holder.cidr} is remembered for both node "${otherRequest.name}" and removed node "${holder.name}"`,
                          fix: "correct the plan record so that each subnet belongs to one node",
                      },
            );
            return;
        }
        owner.set(index0, requests.length + position);
        retired[position] = cidr;
    });

    const waiting = requests
        .map((request, index) => ({ request, index }))
        .filter(
            ({ request, index }) =>
                subnets[index] === undefined && request.pin === undefined && request.previous === undefined,
        )
        .sort((a, b) =>
            a.request.name < b.request.name ? -1 : a.request.name > b.request.name ? 1 : a.index - b.index,
        );
    let cursor = 0;
    let unplaced = 0;
    for (const { index } of waiting) {
        while (cursor < blockCount && owner.has(cursor)) {
            cursor++;
        }
        if (cursor >= blockCount) {
            unplaced++;
            continue;
        }
        owner.set(cursor, index);
        subnets[index] = {
            cidr: { family: pod.family, start: pod.start + BigInt(cursor) * blockSize, prefix: mask },
            source: SubnetSource.Allocated,
        };
        cursor++;
    }
    if (unplaced > 0) {
        const held = retired.filter((cidr) => cidr !== undefined).length;
        problems.push({
            key: keys.podCidr,
            message: `${describePod} holds ${blockCount} node subnets, but ${requests.length} nodes need one${held > 0 ? ` and ${held} removed nodes still hold theirs` : ""} (${unplaced} left without)`,
            fix: `${capacityFix(pod, mask, requests.length + held, keys)}${held > 0 ? `; or release removed nodes whose Nodes are deleted (${keys.released})` : ""}`,
        });
    }
    return { subnets, retired, problems };
}

/** Kubernetes allows at most 16 bits between the pod CIDR's prefix and the node mask. */
const MAX_MASK_DIFFERENCE = 16;

/**
 * Advice for too many nodes that can itself be followed: a node mask or a pod CIDR that holds them within
 * Kubernetes' limits (at most 16 bits between the two, at least one pod address per node), or, past 65,536
 * nodes, that no single pod CIDR can.
 */
function capacityFix(pod: Cidr, mask: number, nodes: number, keys: AllocationKeys): string {
    const bits = familyBits(pod.family);
    const needed = Math.ceil(Math.log2(nodes));
    if (needed > MAX_MASK_DIFFERENCE) {
        return `one pod CIDR holds at most ${(2 ** MAX_MASK_DIFFERENCE).toLocaleString("en-US")} node subnets (Kubernetes allows ${MAX_MASK_DIFFERENCE} bits between pod CIDR and node mask): split the nodes into several clusters`;
    }
    const longerMask = pod.prefix + needed;
    if (longerMask <= bits - 2) {
        return `use a node mask of at least ${longerMask} (${keys.nodeMaskSize}; ${2 ** needed} subnets of ${2n ** BigInt(bits - longerMask)} addresses), or a larger pod CIDR`;
    }
    const prefix = Math.min(mask, bits - 2) - needed;
    const start = pod.start & ~((1n << BigInt(bits - prefix)) - 1n);
    return `use a larger pod CIDR, e.g. write ${formatCidr({ family: pod.family, start, prefix })}`;
}
