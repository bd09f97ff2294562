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

export function benchPlan(log: (line: string) => void): BenchResult[] {
    const target = largeCluster(5000, 1000);
    const targetMs = medianMs(9, () => planOrThrow(target));
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
            name: "plan growth, 10x input (1,000 -> 10,000 nodes)",
            ms: tenfoldMs,
            target: `< 15x time (measured ${growth.toFixed(1)}x)`,
            met: growth < 15,
        },
        { name: "plan 2,000 dual-stack nodes", ms: sweep2000 },
        { name: "naive ip-num pairwise overlap check, 2,000 nodes", ms: naive.ms },
    ];
}
