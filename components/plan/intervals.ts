import { Cidr, IpFamily, cidrEnd } from "./cidr";

/** A closed address interval of one family, tagged with the group it belongs to. */
export interface Interval {
    readonly family: IpFamily;
    readonly start: bigint;
    readonly end: bigint;
    /** Intervals of one group may overlap each other; the caller decides which groups may overlap. */
    readonly group: string;
}

export function cidrInterval(cidr: Cidr): { family: IpFamily; start: bigint; end: bigint } {
    return { family: cidr.family, start: cidr.start, end: cidrEnd(cidr) };
}

function compareIntervals(a: Interval, b: Interval): number {
    if (a.family !== b.family) {
        return a.family < b.family ? -1 : 1;
    }
    if (a.start !== b.start) {
        return a.start < b.start ? -1 : 1;
    }
    // Wider first, so a container is seen before what it contains.
    return a.end === b.end ? 0 : a.end > b.end ? -1 : 1;
}

/**
 * Finds overlapping pairs across groups with one sort and one sweep: O(n log n + n·g) for g groups.
 *
 * For each group the sweep keeps the interval reaching furthest so far; a new interval overlaps a group exactly
 * when that interval reaches it. Within a group of pairwise-disjoint intervals this finds every overlapping pair
 * (at most n of them); where a group's own intervals overlap, each interval is still reported against at least
 * one interval of every group it overlaps. Pairs of the same group are never reported.
 */
export function sweepOverlaps<T extends Interval>(
    items: readonly T[],
    mayOverlap: (a: T, b: T) => boolean,
): Array<[T, T]> {
    const sorted = [...items].sort(compareIntervals);
    const pairs: Array<[T, T]> = [];
    let family: IpFamily | undefined;
    let reach = new Map<string, T>();
    for (const item of sorted) {
        if (item.family !== family) {
            family = item.family;
            reach = new Map();
        }
        for (const [group, furthest] of reach) {
            if (group !== item.group && furthest.end >= item.start && !mayOverlap(furthest, item)) {
                pairs.push([furthest, item]);
            }
        }
        const current = reach.get(item.group);
        if (!current || item.end > current.end) {
            reach.set(item.group, item);
        }
    }
    return pairs;
}

/** Merges intervals of one family into sorted, disjoint, non-adjacent spans. */
export function mergeIntervals(
    items: ReadonlyArray<{ start: bigint; end: bigint }>,
): Array<{ start: bigint; end: bigint }> {
    const sorted = [...items].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const merged: Array<{ start: bigint; end: bigint }> = [];
    for (const { start, end } of sorted) {
        const last = merged[merged.length - 1];
        if (last && start <= last.end + 1n) {
            if (end > last.end) {
                last.end = end;
            }
        } else {
            merged.push({ start, end });
        }
    }
    return merged;
}

/**
 * The lowest block of `prefix` length inside one of `pools` that touches none of the `occupied` spans, for
 * suggesting a free range in an error message. Linear in the number of spans.
 */
export function lowestFreeBlock(
    family: IpFamily,
    prefix: number,
    pools: readonly Cidr[],
    occupied: ReadonlyArray<{ start: bigint; end: bigint }>,
): Cidr | undefined {
    const bits = family === IpFamily.IPv4 ? 32 : 128;
    const size = 1n << BigInt(bits - prefix);
    const spans = mergeIntervals(occupied);
    for (const pool of pools) {
        if (pool.family !== family || pool.prefix > prefix) {
            continue;
        }
        const poolEnd = cidrEnd(pool);
        let candidate = pool.start;
        let spanIndex = 0;
        while (candidate + size - 1n <= poolEnd) {
            while (spanIndex < spans.length && spans[spanIndex]!.end < candidate) {
                spanIndex++;
            }
            const span = spans[spanIndex];
            if (!span || span.start > candidate + size - 1n) {
                return { family, start: candidate, prefix };
            }
            // Jump past the span, to the next aligned block.
            candidate = ((span.end + 1n + size - 1n) / size) * size;
        }
    }
    return undefined;
}
