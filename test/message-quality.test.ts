import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { Problem, formatProblem } from "../components/common";
import { loadStack, readStackFile } from "../components/config";
import { devConfig, temporaryDirectory } from "./helpers/cli";

/**
 * Every fix a message suggests must itself pass validation: no advice that, followed, leads to the opposite
 * advice. Each case is a valid stack with one fault; the test follows, once, the concrete fix of the problem(s)
 * it gets (`write X`, `e.g. write X`, `use a node mask of at least/most N`, `did you mean K?`, `quote it: write
 * "X"`) and loads the result, which must be accepted.
 */

const dir = temporaryDirectory();

/** Loads config values (keys without namespace) through a real stack file, as the CLI does. */
function load(config: Record<string, unknown>, raw?: string): ReturnType<typeof loadStack> {
    const file = path.join(dir, "Pulumi.quality.yaml");
    const entries = Object.fromEntries(Object.entries(config).map(([key, value]) => [`clusternet:${key}`, value]));
    fs.writeFileSync(file, raw ?? stringify({ config: entries }));
    const read = readStackFile(file);
    if (!read.ok) {
        return { ok: false, problems: read.problems };
    }
    return loadStack(read.value);
}

/** `clusternet:services[0].ports[1].nodePort` as the path ["services", 0, "ports", 1, "nodePort"]. */
function pathOf(key: string): Array<string | number> {
    const segments: Array<string | number> = [];
    for (const [, name, index] of key.replace(/^clusternet:/, "").matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
        segments.push(index !== undefined ? Number(index) : name!);
    }
    return segments;
}

function setAt(config: Record<string, any>, key: string, value: unknown): void {
    const segments = pathOf(key);
    let target: any = config;
    for (const segment of segments.slice(0, -1)) {
        target = target[segment];
    }
    target[segments.at(-1)!] = value;
}

function renameAt(config: Record<string, any>, key: string, to: string): void {
    const segments = pathOf(key);
    let target: any = config;
    for (const segment of segments.slice(0, -1)) {
        target = target[segment];
    }
    const from = segments.at(-1)!;
    target[to] = target[from];
    delete target[from];
}

/** A value as the config holds it: numbers stay numbers. */
function typed(text: string): unknown {
    return /^\d+$/.test(text) ? Number(text) : text;
}

/** Follows a problem's fix on the config; false when the fix names no concrete value. */
function follow(config: Record<string, any>, problem: Problem): boolean {
    const fix = problem.fix ?? "";
    const mask = /use a node mask of at (?:least|most) (\d+)(?: \((clusternet:[^;)\s]+))?/.exec(fix);
    if (mask) {
        const key = mask[2] ?? problem.key;
        assert.match(key, /nodeMaskSize(V6)?$/, `a mask fix for ${problem.key}`);
        setAt(config, key, Number(mask[1]));
        return true;
    }
    const quoted = /quote it: write ("(?:[^"\\]|\\.)*")/.exec(fix);
    if (quoted) {
        setAt(config, problem.key, JSON.parse(quoted[1]!));
        return true;
    }
    const meant = /did you mean (?:clusternet:)?([\w.]+)\?/.exec(fix);
    if (meant) {
        renameAt(config, problem.key, meant[1]!.split(".").at(-1)!);
        return true;
    }
    const write = /(?:^|, |e\.g\. |: )write ("(?:[^"\\]|\\.)*"|[^\s,;:]+)/.exec(fix);
    if (write) {
        const value = write[1]!.startsWith('"') ? JSON.parse(write[1]!) : typed(write[1]!);
        setAt(config, problem.key, value);
        return true;
    }
    return false;
}

function dev(change: (config: Record<string, any>) => void): Record<string, any> {
    const config = structuredClone(devConfig());
    delete config.nodes[0].podCidr; // pins would tie every cluster-wide change to the dev plan
    change(config);
    return config;
}

const CASES: Array<[string, Record<string, any>]> = [
    ["more nodes than node subnets", dev((c) => (c.cluster.podCidr = "10.244.0.0/23"))],
    ["a node mask shorter than the pod CIDR", dev((c) => (c.cluster.nodeMaskSize = 12))],
    ["a node mask with no pod address", dev((c) => (c.cluster.nodeMaskSize = 31))],
    [
        "a node mask too far from the pod CIDR",
        dev((c) => {
            c.cluster.podCidr = "10.240.0.0/12";
            c.cluster.serviceCidr = "172.20.0.0/16";
            c.cluster.nodeMaskSize = 30;
        }),
    ],
    [
        "a /15 pod CIDR with /32 node subnets",
        dev((c) => Object.assign(c.cluster, { podCidr: "10.244.0.0/15", nodeMaskSize: 32 })),
    ],
    ["a /32 pod CIDR", dev((c) => (c.cluster.podCidr = "10.244.0.0/32"))],
    ["a /31 pod CIDR", dev((c) => (c.cluster.podCidr = "10.244.0.0/31"))],
    ["leading zeros in a CIDR", dev((c) => (c.cluster.podCidr = "010.244.0.0/16"))],
    ["leading zeros in a prefix", dev((c) => (c.cluster.podCidr = "10.244.0.0/016"))],
    ["host bits in a CIDR", dev((c) => (c.cluster.podCidr = "10.244.0.1/16"))],
    ["leading zeros in a node IP", dev((c) => (c.nodes[1].ip = "192.168.056.11"))],
    ["a node IP that is the node network's address", dev((c) => (c.nodes[1].ip = "192.168.56.0"))],
    ["a node IP that is the node network's broadcast", dev((c) => (c.nodes[1].ip = "192.168.56.255"))],
    ["a loopback node IP", dev((c) => (c.nodes[1].ip = "127.0.0.1"))],
    ["a loopback pod CIDR", dev((c) => (c.cluster.podCidr = "127.0.0.0/16"))],
    ["a multicast Service CIDR", dev((c) => (c.cluster.serviceCidr = "224.96.0.0/12"))],
    ["a Service CIDR overlapping the pod CIDR", dev((c) => (c.cluster.serviceCidr = "10.244.0.0/16"))],
    [
        "a node port on SSH",
        dev((c) => {
            c.cluster.nodePortRange = "1-32767";
            c.services[0].ports[0].nodePort = 22;
        }),
    ],
    ["a node port range written backwards", dev((c) => (c.cluster.nodePortRange = "32767-30000"))],
    ["a glob in a Prefix path", dev((c) => (c.ingress.routes[0].paths[0].path = "/web/*"))],
    ["a regex in a Prefix path", dev((c) => (c.ingress.routes[0].paths[0].path = "/api/.*"))],
    ["a space in a path", dev((c) => (c.ingress.routes[0].paths[0].path = "/a b"))],
    ["a newline in a path", dev((c) => (c.ingress.routes[0].paths[0].path = "/a\nb"))],
    ["a reserved name with a pipe", dev((c) => (c.cluster.reserved[0].name = "office|vpn"))],
    ["a reserved name with a newline", dev((c) => (c.cluster.reserved[0].name = "office\nvpn"))],
    ["a typo in a cluster key", dev((c) => renameAt(c, "clusternet:cluster.podCidr", "podCidrr"))],
    [
        "a readiness path with a space",
        dev((c) => Object.assign(c.services[0].app, { readinessPath: "/health z", readinessPort: "http" })),
    ],
];

void describe("every suggested fix passes validation when followed", () => {
    for (const [name, config] of CASES) {
        void it(name, () => {
            assert.ok(load(devConfig()).ok, "the dev stack is valid");
            let current = structuredClone(config);
            const first = load(current);
            assert.equal(first.ok, false, "the case is refused");
            // Follow the advice once: it must be enough (advice that leads to other advice is what this forbids).
            const result = load(current);
            const next = structuredClone(current);
            const followed = result.ok ? [] : result.problems.filter((problem) => follow(next, problem));
            assert.ok(
                followed.length > 0,
                `no concrete fix to follow in:\n${result.ok ? "" : result.problems.map(formatProblem).join("\n")}`,
            );
            current = next;
            const last = load(current);
            assert.ok(
                last.ok,
                last.ok
                    ? ""
                    : `still refused after following the fixes:\n${last.problems.map(formatProblem).join("\n")}`,
            );
        });
    }

    void it("a number YAML read where a string belongs: quoting it as written is accepted", () => {
        const raw = [
            "config:",
            "  clusternet:cluster: {podCidr: 10.244.0.0/16, nodeNetwork: 192.168.56.0/24}",
            "  clusternet:nodes: [{name: 1e3, ip: 192.168.56.10}, {name: 0x10, ip: 192.168.56.11}]",
            "",
        ].join("\n");
        const result = load({}, raw);
        assert.equal(result.ok, false);
        const problems = result.ok ? [] : result.problems;
        assert.deepEqual(
            problems.map((problem) => problem.fix),
            ['quote it: write "1e3"', 'quote it: write "0x10"'],
        );
        const fixed = raw.replace("name: 1e3", 'name: "1e3"').replace("name: 0x10", 'name: "0x10"');
        assert.ok(load({}, fixed).ok);
    });

    void it("past 65,536 nodes no mask or CIDR is suggested: the nodes must be split", () => {
        const config = dev((c) => {
            c.cluster.podCidr = "10.0.0.0/8";
            c.cluster.serviceCidr = "172.20.0.0/16";
            c.cluster.nodeNetwork = "100.64.0.0/10";
            delete c.cluster.reserved;
            c.nodes = Array.from({ length: 65_600 }, (_, index) => ({
                name: `n${index}`,
                ip: `100.${64 + Math.floor(index / 65_000)}.${Math.floor((index % 65_000) / 250)}.${(index % 250) + 1}`,
            }));
        });
        const result = loadStack({
            label: "test",
            kind: "stack-file",
            values: new Map(Object.entries(config)),
            secretKeys: new Set(),
        });
        assert.equal(result.ok, false);
        const problems = result.ok ? [] : result.problems;
        const capacity = problems.find((problem) => problem.key === "clusternet:cluster.podCidr")!;
        assert.match(capacity.fix ?? "", /split the nodes into several clusters/);
        assert.doesNotMatch(capacity.fix ?? "", /use a node mask|write /);
    });
});
