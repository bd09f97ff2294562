import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { formatProblem } from "../components/common";
import {
    ConfigSource,
    closest,
    loadStack,
    readRuntimeConfig,
    readStackFile,
    validateConfigShape,
} from "../components/config";
import { devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

const dir = temporaryDirectory();

function sourceOf(config: Record<string, unknown>): ConfigSource {
    const file = writeStackFile(dir, "case", config);
    const read = readStackFile(file);
    assert.ok(read.ok, read.ok ? "" : read.problems.map(formatProblem).join("\n"));
    return read.value;
}

/** The problem lines a stack file with these values gets. */
function lines(config: Record<string, unknown>): string[] {
    const loaded = loadStack(sourceOf(config));
    assert.equal(loaded.ok, false, "expected problems");
    return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

function withDev(change: (config: Record<string, any>) => void): Record<string, unknown> {
    const config = structuredClone(devConfig());
    change(config);
    return config;
}

describe("the dev stack file", () => {
    it("loads, with defaults applied", () => {
        const loaded = loadStack(sourceOf(devConfig()));
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        assert.equal(loaded.value.config.cluster.nodeMaskSizeV6, 64);
        assert.equal(loaded.value.config.cluster.nodePortRange, "30000-32767");
        assert.equal(loaded.value.config.cluster.dnsDomain, "cluster.local");
        assert.equal(loaded.value.plan.cluster.dnsDomain, "cluster.local", "the plan carries it to the lab");
        assert.equal(loaded.value.plan.nodes.length, 3);
    });
});

describe("config shape problems, one line each naming the key", () => {
    const cases: Array<[string, (config: Record<string, any>) => void, string[]]> = [
        [
            "a typo in a top-level key",
            (c) => ((c["nodez"] = c["nodes"]), delete c["nodes"]),
            [
                "clusternet:nodez: is not a clusternet setting; did you mean clusternet:nodes?",
                "clusternet:nodes: is not set; add clusternet:nodes to the stack file (see docs/configuration.md)",
            ],
        ],
        [
            "an unknown top-level key",
            (c) => (c["flannel"] = {}),
            [
                "clusternet:flannel: is not a clusternet setting; remove it; the settings are clusternet:cluster, clusternet:nodes, clusternet:podNetwork, clusternet:nodePrep, clusternet:kubeProxy, clusternet:services, clusternet:ingress, clusternet:kubeconfig, clusternet:context",
            ],
        ],
        [
            "a cluster DNS domain that is not lowercase DNS labels",
            (c) => (c["cluster"].dnsDomain = "Cluster.Local."),
            [
                'clusternet:cluster.dnsDomain: "Cluster.Local.": expected a DNS domain of lowercase labels, e.g. cluster.local',
            ],
        ],
        [
            "a typo in a nested key",
            (c) => (c["cluster"].podCIDR = "10.1.0.0/16"),
            ["clusternet:cluster.podCIDR: is not a known key here; did you mean podCidr?"],
        ],
        [
            "a typo in a node's key",
            (c) => (c["nodes"][1].adress = "x"),
            ["clusternet:nodes[1].adress: is not a known key here; the keys here are name, ip, podCidr, podCidrV6"],
        ],
        [
            "a missing node IP",
            (c) => delete c["nodes"][2].ip,
            ["clusternet:nodes[2].ip: is required; set it (expected a string)"],
        ],
        [
            "a number where a string belongs",
            (c) => (c["nodes"][0].name = 7),
            ['clusternet:nodes[0].name: 7 is read by YAML as the number 7, not a string; quote it: write "7"'],
        ],
        [
            "a string where a number belongs",
            (c) => (c["cluster"].nodeMaskSize = "24"),
            ['clusternet:cluster.nodeMaskSize: "24" is a string, not a number; write it without quotes: 24'],
        ],
        [
            "a fraction where a whole number belongs",
            (c) => (c["cluster"].nodeMaskSize = 24.5),
            ["clusternet:cluster.nodeMaskSize: 24.5 is not a whole number; write a whole number"],
        ],
        [
            "nodes as a mapping",
            (c) => (c["nodes"] = { "cp-1": "192.168.56.10" }),
            ['clusternet:nodes: {"cp-1":"192.168.56.10"} is not a list; write a list'],
        ],
        ["no nodes", (c) => (c["nodes"] = []), ["clusternet:nodes: has too few entries; use at least 1 entries"]],
        [
            "an unknown backend",
            (c) => (c["podNetwork"] = { backend: "vxaln" }),
            [
                'clusternet:podNetwork.backend: "vxaln" is not allowed; use one of "vxlan", "host-gw", "wireguard", "udp"',
            ],
        ],
        [
            "a boolean as a string",
            (c) => (c["podNetwork"] = { assignNodeCidrs: "yes" }),
            ['clusternet:podNetwork.assignNodeCidrs: "yes" is not true or false; write true or false'],
        ],
        [
            "a port out of range",
            (c) => (c["nodePrep"] = { port: 70000 }),
            ["clusternet:nodePrep.port: 70000 is too large; use at most 65535"],
        ],
        [
            "a private key in plain text",
            (c) => (c["nodePrep"] = { enabled: true, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }),
            [
                "clusternet:nodePrep.privateKey: holds a secret in plain text; set it with: pulumi config set --secret --path 'clusternet:nodePrep.privateKey' <value>",
            ],
        ],
        [
            "a kubeconfig in plain text",
            (c) => (c["kubeconfig"] = "apiVersion: v1"),
            [
                "clusternet:kubeconfig: holds a secret in plain text; set it with: pulumi config set --secret clusternet:kubeconfig <value>",
            ],
        ],
        [
            "a reserved range without a name",
            (c) => (c["cluster"].reserved = [{ cidr: "10.8.0.0/16" }]),
            ["clusternet:cluster.reserved[0].name: is required; set it (expected a string)"],
        ],
    ];
    for (const [title, change, expected] of cases) {
        it(title, () => {
            assert.deepEqual(lines(withDev(change)), expected);
        });
    }

    it("accepts secrets held as ciphertext", () => {
        const config = withDev((c) => {
            c["nodePrep"] = { enabled: false, privateKey: { secure: "v1:abc" } };
            c["kubeconfig"] = { secure: "v1:def" };
        });
        const source = sourceOf(config);
        assert.deepEqual([...source.secretKeys].sort(), ["kubeconfig", "nodePrep"]);
        assert.ok(loadStack(source).ok);
    });

    it("checks the plan too when only other sections are broken, so one run reports everything", () => {
        const problems = lines(
            withDev((c) => {
                c["podNetwork"] = { backend: "geneve" };
                c["nodes"][1].ip = "192.168.56.300";
            }),
        );
        assert.deepEqual(problems, [
            'clusternet:podNetwork.backend: "geneve" is not allowed; use one of "vxlan", "host-gw", "wireguard", "udp"',
            'clusternet:nodes[1].ip: "192.168.56.300" is not an IPv4 or IPv6 address; write the node\'s address, e.g. 192.168.56.11',
        ]);
    });
});

describe("stack files", () => {
    it("reports a missing file", () => {
        const read = readStackFile(path.join(dir, "Pulumi.nope.yaml"));
        assert.equal(read.ok, false);
        assert.match(
            read.ok ? "" : formatProblem(read.problems[0]!),
            /Pulumi\.nope\.yaml: no such stack file; pass --stack NAME/,
        );
    });

    it("reports YAML syntax errors with their line", () => {
        const file = path.join(dir, "Pulumi.broken.yaml");
        fs.writeFileSync(file, "config:\n  clusternet:cluster:\n    podCidr: [10.244.0.0/16\n");
        const read = readStackFile(file);
        assert.equal(read.ok, false);
        assert.match(read.ok ? "" : formatProblem(read.problems[0]!), /Pulumi\.broken\.yaml:\d+: is not valid YAML/);
    });

    it("reports a key without a namespace", () => {
        const file = path.join(dir, "Pulumi.bare.yaml");
        fs.writeFileSync(file, "config:\n  nodes: []\n");
        const read = readStackFile(file);
        assert.equal(read.ok, false);
        assert.equal(
            read.ok ? "" : formatProblem(read.problems[0]!),
            "nodes: has no namespace; write clusternet:nodes",
        );
    });

    it("ignores other packages' settings", () => {
        const source = sourceOf({ ...devConfig(), "kubernetes:context": "lab" });
        assert.ok(!source.values.has("context"));
        assert.ok(loadStack(source).ok);
    });
});

describe("runtime config (what the Pulumi program reads)", () => {
    it("parses structured values and checks secrets by key", () => {
        const all = {
            "clusternet:cluster": JSON.stringify(devConfig()["cluster"]),
            "clusternet:nodes": JSON.stringify(devConfig()["nodes"]),
            "clusternet:kubeconfig": "apiVersion: v1\nkind: Config\n",
            "kubernetes:context": "ignored",
        };
        const plain = validateConfigShape(readRuntimeConfig(all, () => false));
        assert.deepEqual(plain.problems.map(formatProblem), [
            "clusternet:kubeconfig: holds a secret in plain text; set it with: pulumi config set --secret clusternet:kubeconfig <value>",
        ]);
        const secret = validateConfigShape(readRuntimeConfig(all, (key) => key === "clusternet:kubeconfig"));
        assert.deepEqual(secret.problems, []);
        assert.equal(secret.parsed.kubeconfig, "apiVersion: v1\nkind: Config\n");
    });
});

describe("namespace near misses on the runtime path", () => {
    it("reports keys under a near miss of clusternet from Pulumi's own config, as from a stack file", () => {
        const all = {
            "clusternet:cluster": JSON.stringify(devConfig()["cluster"]),
            "clusternet:nodes": JSON.stringify(devConfig()["nodes"]),
            "clusternte:ingress": JSON.stringify({ routes: [] }),
            "Clusternet:podNetwork": JSON.stringify({ backend: "vxlan" }),
            "clusternet-offline:planRecord": "",
            "kubernetes:context": "ignored",
            "aws:region": "eu-west-1",
        };
        const { problems } = validateConfigShape(readRuntimeConfig(all, () => false));
        assert.deepEqual(
            problems.map((problem) => problem.key),
            ["Clusternet:podNetwork", "clusternte:ingress"],
        );
        assert.ok(problems.every((problem) => /did you mean clusternet:/.test(problem.fix ?? "")));
    });
});

describe("closest", () => {
    it("suggests within two edits, or a case change", () => {
        assert.equal(closest("podCIDR", ["podCidr", "podCidrV6"]), "podCidr");
        assert.equal(closest("nodz", ["nodes", "cluster"]), "nodes");
        assert.equal(closest("completely", ["nodes", "cluster"]), undefined);
    });
});
