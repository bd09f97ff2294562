import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
    AddressPlan,
    IpFamily,
    NodeSpec,
    PlanInput,
    PreviousAllocation,
    cidrContains,
    cidrEnd,
    formatCidr,
    nodeSubnetsOf,
    parseCidr,
    parsePlanRecord,
    planNetwork,
} from "../components/plan";

/** A random IPv4 cluster small enough to fill: a pod CIDR of /16 to /22 with 1 to 6 bits per node subnet. */
const clusterArbitrary = fc.record({
    podPrefix: fc.integer({ min: 16, max: 22 }),
    nodeBits: fc.integer({ min: 1, max: 6 }),
});

function nodeName(id: number): string {
    return `node-${id}`;
}

function nodeIp(id: number): string {
    return `192.168.${Math.floor(id / 250)}.${(id % 250) + 1}`;
}

function inputFor(
    podPrefix: number,
    nodeBits: number,
    ids: readonly number[],
    previous?: PreviousAllocation,
    pins: ReadonlyMap<number, string> = new Map(),
): PlanInput {
    const nodes: NodeSpec[] = ids.map((id) => ({
        name: nodeName(id),
        ip: nodeIp(id),
        ...(pins.has(id) ? { podCidr: pins.get(id) } : {}),
    }));
    return {
        cluster: { podCidr: `10.64.0.0/${podPrefix}`, nodeMaskSize: podPrefix + nodeBits, serviceCidr: "10.96.0.0/12" },
        nodes,
        previous,
    };
}

function mustPlan(input: PlanInput): AddressPlan {
    const result = planNetwork(input);
    if (!result.ok) {
        throw new Error(result.problems.map((problem) => `${problem.key}: ${problem.message}`).join("\n"));
    }
    return result.value;
}

function remembered(plan: AddressPlan): PreviousAllocation {
    return nodeSubnetsOf(plan);
}

function assertWellFormed(plan: AddressPlan): void {
    const pod = parseCidr(plan.cluster.podCidr!);
    assert.ok(pod.ok);
    const subnets = plan.nodes.map((node) => {
        const parsed = parseCidr(node.podCidr!);
        assert.ok(parsed.ok, `${node.name}: ${node.podCidr}`);
        return parsed.value;
    });
    for (const subnet of subnets) {
        assert.ok(cidrContains(pod.value, subnet), `${formatCidr(subnet)} inside ${plan.cluster.podCidr}`);
        assert.equal(subnet.prefix, plan.cluster.nodeMaskSize);
    }
    const sorted = [...subnets].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
        assert.ok(
            cidrEnd(sorted[i - 1]!) < sorted[i]!.start,
            `${formatCidr(sorted[i - 1]!)} and ${formatCidr(sorted[i]!)} overlap`,
        );
    }
}

/** A change to the node list: add a new node, remove one, or shuffle them. */
const stepArbitrary = fc.oneof(
    fc.record({ kind: fc.constant("add" as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("remove" as const), index: fc.nat() }),
    fc.record({ kind: fc.constant("shuffle" as const), seed: fc.nat() }),
);

describe("address plan properties", () => {
    it("never gives two nodes overlapping subnets, and keeps them inside the pod CIDR and aligned", () => {
        fc.assert(
            fc.property(clusterArbitrary, fc.integer({ min: 0, max: 64 }), ({ podPrefix, nodeBits }, count) => {
                const capacity = 1 << nodeBits;
                const ids = Array.from({ length: Math.min(count, capacity) }, (_, i) => i);
                assertWellFormed(mustPlan(inputFor(podPrefix, nodeBits, ids)));
            }),
        );
    });

    it("never moves a node's subnet when others are added, removed or reordered", () => {
        fc.assert(
            fc.property(
                clusterArbitrary,
                fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }),
                ({ podPrefix, nodeBits }, steps) => {
                    const capacity = 1 << nodeBits;
                    let ids = Array.from({ length: Math.min(3, capacity) }, (_, i) => i);
                    let nextId = ids.length;
                    let plan = mustPlan(inputFor(podPrefix, nodeBits, ids));
                    for (const step of steps) {
                        if (step.kind === "add") {
                            for (let i = 0; i < step.count && ids.length < capacity; i++) {
                                ids = [...ids, nextId++];
                            }
                        } else if (step.kind === "remove" && ids.length > 0) {
                            ids = ids.filter((_, index) => index !== step.index % ids.length);
                        } else if (step.kind === "shuffle") {
                            ids = [...ids].sort(
                                (a, b) => ((a * 7919 + step.seed) % 101) - ((b * 7919 + step.seed) % 101),
                            );
                        }
                        const before = new Map(plan.nodes.map((node) => [node.name, node.podCidr]));
                        plan = mustPlan(inputFor(podPrefix, nodeBits, ids, remembered(plan)));
                        assertWellFormed(plan);
                        for (const node of plan.nodes) {
                            if (before.has(node.name)) {
                                assert.equal(node.podCidr, before.get(node.name), `${node.name} moved`);
                            }
                        }
                    }
                },
            ),
        );
    });

    it("honours every pin", () => {
        fc.assert(
            fc.property(
                clusterArbitrary.chain(({ podPrefix, nodeBits }) =>
                    fc.record({
                        podPrefix: fc.constant(podPrefix),
                        nodeBits: fc.constant(nodeBits),
                        // distinct blocks to pin, by index, for some of the nodes
                        pinned: fc.uniqueArray(fc.integer({ min: 0, max: (1 << nodeBits) - 1 }), {
                            maxLength: Math.min(8, 1 << nodeBits),
                        }),
                        extra: fc.integer({ min: 0, max: 8 }),
                    }),
                ),
                ({ podPrefix, nodeBits, pinned, extra }) => {
                    const capacity = 1 << nodeBits;
                    const count = Math.min(pinned.length + extra, capacity);
                    const ids = Array.from({ length: count }, (_, i) => i);
                    const blockSize = 1 << (32 - podPrefix - nodeBits);
                    const pins = new Map(
                        pinned.slice(0, count).map((block, i) => {
                            const start = (10 << 24) + (64 << 16) + block * blockSize;
                            const address = [24, 16, 8, 0].map((shift) => (start >>> shift) & 255).join(".");
                            return [i, `${address}/${podPrefix + nodeBits}`];
                        }),
                    );
                    const plan = mustPlan(inputFor(podPrefix, nodeBits, ids, undefined, pins));
                    assertWellFormed(plan);
                    for (const [id, pin] of pins) {
                        const node = plan.nodes.find((candidate) => candidate.name === nodeName(id))!;
                        assert.equal(node.podCidr, pin);
                        assert.equal(node.podCidrSource, "pinned");
                    }
                },
            ),
        );
    });

    it("gives the same plan, byte for byte, for the same input", () => {
        fc.assert(
            fc.property(
                clusterArbitrary,
                fc.integer({ min: 0, max: 40 }),
                fc.boolean(),
                ({ podPrefix, nodeBits }, count, dualStack) => {
                    const ids = Array.from({ length: Math.min(count, 1 << nodeBits) }, (_, i) => i);
                    const input = inputFor(podPrefix, nodeBits, ids);
                    const cluster = dualStack
                        ? { ...input.cluster, podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" }
                        : input.cluster;
                    const first = JSON.stringify(mustPlan({ ...input, cluster }));
                    const second = JSON.stringify(mustPlan(structuredClone({ ...input, cluster })));
                    assert.equal(first, second);
                },
            ),
        );
    });

    it("allocates independently of node order when nothing is remembered", () => {
        fc.assert(
            fc.property(
                clusterArbitrary,
                fc.integer({ min: 1, max: 20 }),
                fc.nat(),
                ({ podPrefix, nodeBits }, count, seed) => {
                    const ids = Array.from({ length: Math.min(count, 1 << nodeBits) }, (_, i) => i);
                    const shuffled = [...ids].sort((a, b) => ((a * 31 + seed) % 17) - ((b * 31 + seed) % 17));
                    const subnetsOf = (plan: AddressPlan) =>
                        Object.fromEntries(plan.nodes.map((node) => [node.name, node.podCidr]));
                    assert.deepEqual(
                        subnetsOf(mustPlan(inputFor(podPrefix, nodeBits, ids))),
                        subnetsOf(mustPlan(inputFor(podPrefix, nodeBits, shuffled))),
                    );
                },
            ),
        );
    });

    it("never accepts a CIDR whose canonical form differs from the input", () => {
        fc.assert(
            fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, prefix) => {
                const parsed = parseCidr(`${address}/${prefix}`);
                if (parsed.ok) {
                    assert.equal(formatCidr(parsed.value), `${address}/${prefix}`);
                    assert.equal(parsed.value.family, IpFamily.IPv4);
                }
            }),
        );
        fc.assert(
            fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (address, prefix) => {
                const parsed = parseCidr(`${address}/${prefix}`);
                if (parsed.ok) {
                    assert.equal(formatCidr(parsed.value), `${address}/${prefix}`);
                }
            }),
        );
    });

    it("over add, remove, re-add and release: no subnet held twice, no node moves, a returning node gets its subnet back", () => {
        const stepOf = fc.oneof(
            fc.record({ kind: fc.constant("add" as const) }),
            fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
            fc.record({ kind: fc.constant("readd" as const), pick: fc.nat() }),
            fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
        );
        fc.assert(
            fc.property(
                fc.integer({ min: 2, max: 5 }),
                fc.array(stepOf, { minLength: 1, maxLength: 25 }),
                (nodeBits, steps) => {
                    const capacity = 1 << nodeBits;
                    const podPrefix = 20;
                    let ids: number[] = [0, 1];
                    let nextId = 2;
                    let released: number[] = [];
                    const planWith = (memory: PreviousAllocation | undefined): AddressPlan => {
                        const input = inputFor(podPrefix, nodeBits, ids, memory);
                        return mustPlan({
                            ...input,
                            cluster: { ...input.cluster, released: released.map(nodeName) },
                        });
                    };
                    let plan = planWith(undefined);
                    // What each name held when it was last planned or retired.
                    const held = new Map<string, string>();
                    // The model: names removed and not released, which must stay retired.
                    let removed: number[] = [];
                    for (const step of steps) {
                        if (step.kind === "add" && ids.length + removed.length < capacity) {
                            ids = [...ids, nextId++];
                        } else if (step.kind === "remove" && ids.length > 0) {
                            const id = ids[step.pick % ids.length]!;
                            ids = ids.filter((other) => other !== id);
                            removed = [...removed, id];
                        } else if (step.kind === "readd" && removed.length > 0) {
                            const id = removed[step.pick % removed.length]!;
                            ids = [...ids, id];
                            removed = removed.filter((other) => other !== id);
                        } else if (step.kind === "release" && removed.length > 0) {
                            const id = removed[step.pick % removed.length]!;
                            released = [...released, id];
                            removed = removed.filter((other) => other !== id);
                            held.delete(nodeName(id));
                        }
                        // A released name that comes back is a new node: it leaves the released list.
                        released = released.filter((id) => !ids.includes(id));
                        // The memory goes through the record's JSON, as plans/<stack>.json carries it.
                        const read = parsePlanRecord(JSON.stringify(plan), "record.json");
                        assert.equal(read.status, "ok");
                        const before = new Map(plan.nodes.map((node) => [node.name, node.podCidr]));
                        plan = planWith(read.status === "ok" ? read.memory : undefined);
                        assertWellFormed(plan);

                        const owners = new Map<string, string>();
                        for (const entry of [...plan.nodes, ...plan.retired]) {
                            assert.ok(
                                !owners.has(entry.podCidr!),
                                `${entry.podCidr} held by ${owners.get(entry.podCidr!)} and ${entry.name}`,
                            );
                            owners.set(entry.podCidr!, entry.name);
                        }
                        for (const node of plan.nodes) {
                            if (before.has(node.name)) {
                                assert.equal(node.podCidr, before.get(node.name), `${node.name} moved`);
                            }
                            if (held.has(node.name)) {
                                assert.equal(node.podCidr, held.get(node.name), `${node.name} came back elsewhere`);
                            }
                        }
                        for (const entry of [...plan.nodes, ...plan.retired]) {
                            held.set(entry.name, entry.podCidr!);
                        }
                        assert.deepEqual(
                            plan.retired.map((node) => node.name),
                            removed.map(nodeName).sort(),
                        );
                        assert.equal(plan.capacity.ipv4!.used, plan.nodes.length + plan.retired.length);
                        assert.equal(plan.capacity.ipv4!.retired, plan.retired.length);
                        // Planning again from its own record changes nothing, byte for byte.
                        const again = parsePlanRecord(JSON.stringify(plan), "record.json");
                        assert.equal(
                            JSON.stringify(planWith(again.status === "ok" ? again.memory : undefined)),
                            JSON.stringify(plan),
                        );
                    }
                },
            ),
        );
    });
});
