import { performance } from "node:perf_hooks";
import { IPv4CidrRange } from "ip-num";
import { NodeSpec, PlanInput, planNetwork } from "../components/plan";

export interface BenchResult {
    readonly name: string;
    readonly ms: number;
    /** What the measurement must meet, in words; absent for reference measurements. */
    readonly target?: string;
    /** Whether it met the target (absent without one). */
    readonly met?: boolean;
}

/** A dual-stack cluster of `nodes` nodes and `reserved` reserved ranges, none of them overlapping. */
export function largeCluster(nodes: number, reserved: number): PlanInput {
    const nodeSpecs: NodeSpec[] = Array.from({ length: nodes }, (_, i) => ({
        name: `node-${String(i).padStart(5, "0")}`,
        ip: `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    }));
    return {
        cluster: {
            podCidr: "10.128.0.0/9",
            podCidrV6: "fd00:10:244::/48",
            nodeMaskSize: 24,
            nodeMaskSizeV6: 64,
            serviceCidr: "10.96.0.0/12",
            serviceCidrV6: "fd00:10:96::/112",
            nodeNetwork: "192.168.0.0/16",
            reserved: Array.from({ length: reserved }, (_, i) => ({
                name: `reserved-${i}`,
                cidr: `172.${16 + Math.floor(i / 256)}.${i % 256}.0/24`,
            })),
        },
        nodes: nodeSpecs,
    };
}

/** The median of `runs` timings of `work`, after one warm-up run. */
export function medianMs(runs: number, work: () => void): number {
    work();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = performance.now();
        work();
        times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
}

function cpuMs(work: () => void): number {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
}

function median(values: readonly number[]): number {
    return [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
}

/** `a` and `b` alternately, `runs` times each after a warm-up, in CPU time: each one's median and the median ratio. */
export function sideBySide(runs: number, a: () => void, b: () => void): { aMs: number; bMs: number; ratio: number } {
    a();
    b();
    const pairs = Array.from({ length: runs }, () => [cpuMs(a), cpuMs(b)] as const);
    return {
        aMs: median(pairs.map(([x]) => x)),
        bMs: median(pairs.map(([, y]) => y)),
        ratio: median(pairs.map(([x, y]) => x / y)),
    };
}

function planOrThrow(input: PlanInput): void {
    const result = planNetwork(input);
    if (!result.ok) {
        throw new Error(`benchmark input is invalid: ${result.problems[0]!.message}`);
    }
}

/** What the seed's naive approach costs: ip-num's isOverlapping on every pair of node subnets. */
function naivePairwise(count: number): { ms: number; overlaps: number } {
    const ranges = Array.from({ length: count }, (_, i) =>
        IPv4CidrRange.fromCidr(`10.${128 + Math.floor(i / 256)}.${i % 256}.0/24`),
    );
    const start = performance.now();
    let overlaps = 0;
    for (let i = 0; i < ranges.length; i++) {
        for (let j = i + 1; j < ranges.length; j++) {
            if (ranges[i]!.isOverlapping(ranges[j]!)) {
                overlaps++;
            }
        }
    }
    return { ms: performance.now() - start, overlaps };
}

function bareAddress(text: string): { v6: boolean; value: bigint } {
    if (!text.includes(":")) {
        const [a, b, c, d] = text.split(".").map(Number) as [number, number, number, number];
        return { v6: false, value: BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0) };
    }
    const [head, tail] = text.split("::") as [string, string | undefined];
    const left = head === "" ? [] : head.split(":");
    const right = tail === undefined || tail === "" ? [] : tail.split(":");
    const groups = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => "0"), ...right];
    let value = 0n;
    for (const group of groups) {
        value = (value << 16n) | BigInt(parseInt(group, 16));
    }
    return { v6: true, value };
}

function bareCidr(text: string): { v6: boolean; start: bigint; end: bigint } {
    const [address, prefix] = text.split("/") as [string, string];
    const { v6, value } = bareAddress(address);
    const hostBits = BigInt((v6 ? 128 : 32) - Number(prefix));
    return { v6, start: value, end: value + (1n << hostBits) - 1n };
}

/**
 * The reference `planNetwork` is held against: the same cluster in bare bigint arithmetic with no validation and
 * no messages. Parse every CIDR and node IP once (split and parseInt), give each node the next /24 and /64 and
 * write what the plan writes per node (subnets, gateways, VTEP), then sort every range and sweep once for
 * overlaps. Returns the overlaps (none, here).
 */
export function bareSortAndSweep(input: PlanInput): number {
    const cluster = input.cluster;
    const ranges: Array<{ v6: boolean; start: bigint; end: bigint; group: number }> = [];
    const add = (text: string | undefined, group: number): void => {
        if (text !== undefined) {
            ranges.push({ ...bareCidr(text), group });
        }
    };
    add(cluster.podCidr, 0);
    add(cluster.podCidrV6, 0);
    add(cluster.serviceCidr, 1);
    add(cluster.serviceCidrV6, 1);
    add(cluster.nodeNetwork, 2);
    for (const range of cluster.reserved ?? []) {
        add(range.cidr, 3);
    }
    const pod4 = bareCidr(cluster.podCidr!);
    const pod6 = bareCidr(cluster.podCidrV6!);
    // What the plan writes per node: both subnets, both gateways and the VTEP address (IPv6 uncompressed here).
    const v4Text = (value: bigint): string => {
        const n = Number(value);
        return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    };
    const v6Text = (value: bigint): string => (value.toString(16).padStart(32, "0").match(/.{4}/g) ?? []).join(":");
    const subnets: string[] = [];
    input.nodes.forEach((node, index) => {
        const ip = bareAddress(node.ip);
        ranges.push({ v6: ip.v6, start: ip.value, end: ip.value, group: 4 });
        const v4 = pod4.start + (BigInt(index) << 8n);
        const v6 = pod6.start + (BigInt(index) << 64n);
        subnets.push(`${v4Text(v4)}/24`, `${v6Text(v6)}/64`, v4Text(v4 + 1n), v6Text(v6 + 1n), v4Text(v4));
    });
    ranges.sort((a, b) =>
        a.v6 !== b.v6 ? (a.v6 ? 1 : -1) : a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : 1,
    );
    let overlaps = 0;
    const reach = new Map<number, bigint>();
    let v6 = false;
    for (const range of ranges) {
        if (range.v6 !== v6) {
            v6 = range.v6;
            reach.clear();
        }
        for (const [group, end] of reach) {
            // The pod CIDR holds the node subnets and the node network the node IPs: not overlaps.
            if (group !== range.group && end >= range.start && !(group === 2 && range.group === 4)) {
                overlaps++;
            }
        }
        reach.set(range.group, range.end > (reach.get(range.group) ?? -1n) ? range.end : reach.get(range.group)!);
    }
    return overlaps + (subnets.length > 0 ? 0 : 1);
}

export function benchPlan(log: (line: string) => void): BenchResult[] {
    const target = largeCluster(5000, 1000);
    const targetMs = medianMs(9, () => planOrThrow(target));
    // Side by side, in the same run: planNetwork against the bare bigint reference on the same 5,000 nodes,
    // alternating, in CPU time (steadier than wall time on a shared machine); the median of the pairs' ratios.
    const side = sideBySide(
        15,
        () => planOrThrow(target),
        () => {
            if (bareSortAndSweep(target) !== 0) {
                throw new Error("the bare reference found overlaps in a valid cluster");
            }
        },
    );
    const bareRatio = side.ratio;
    const bareMs = side.bMs;
    log(
        `plan vs bare bigint sort-and-sweep, 5,000 dual-stack nodes + 1,000 reserved, CPU time: ${side.aMs.toFixed(1)} ms vs ${bareMs.toFixed(1)} ms (${bareRatio.toFixed(2)}x)`,
    );
    // Growth from 1,000 to 10,000 nodes: large enough at both ends that fixed costs and timer noise do not skew it.
    const smallMs = medianMs(15, () => planOrThrow(largeCluster(1000, 200)));
    const tenfoldMs = medianMs(9, () => planOrThrow(largeCluster(10000, 2000)));
    const growth = tenfoldMs / smallMs;
    log(
        `plan: 5,000 dual-stack nodes + 1,000 reserved ranges in ${targetMs.toFixed(1)} ms; 1,000 + 200 in ${smallMs.toFixed(1)} ms, 10,000 + 2,000 in ${tenfoldMs.toFixed(1)} ms (10x input, ${growth.toFixed(1)}x time)`,
    );

    log(
        "naive: ip-num isOverlapping on every pair of 2,000 node subnets (about 2 million pairs; this takes a while)...",
    );
    const naive = naivePairwise(2000);
    const sweep2000 = medianMs(9, () => planOrThrow(largeCluster(2000, 0)));
    log(
        `naive pairwise check: ${naive.ms.toFixed(0)} ms for 2,000 nodes (${naive.overlaps} overlaps); clusternet's whole plan of the same 2,000 nodes: ${sweep2000.toFixed(1)} ms, ${(naive.ms / sweep2000).toFixed(0)}x faster`,
    );

    return [
        { name: "plan 5,000 dual-stack nodes, 1,000 reserved", ms: targetMs, target: "< 200 ms", met: targetMs < 200 },
        {
            name: "plan / bare bigint sort-and-sweep, 5,000 nodes (CPU)",
            ms: side.aMs,
            target: `< 2x the bare ${bareMs.toFixed(1)} ms (measured ${bareRatio.toFixed(1)}x)`,
            met: bareRatio < 2,
        },
        {
            name: "plan growth, 10x input (1,000 -> 10,000 nodes)",
            ms: tenfoldMs,
            target: `< 15x time (measured ${growth.toFixed(1)}x)`,
            met: growth < 15,
        },
        { name: "plan 2,000 dual-stack nodes", ms: sweep2000 },
        { name: "naive ip-num pairwise overlap check, 2,000 nodes", ms: naive.ms },
    ];
}
