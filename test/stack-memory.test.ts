/**
 * The stack program's memory on the `pulumi up` path, under Pulumi's mocks: the plan record and the stack's own last
 * outputs must agree, and with a kubeconfig every planned Node is read from the API server (a fake one over TLS)
 * before anything is registered: a missing Node or a different podCIDR stops the run, live podCIDRs are adopted when
 * nothing else remembers. Without a kubeconfig, NodePatches are rendered apart and marked as patches.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { OfflineRun, OfflineRunOptions } from "../cli/offline";
import { SECRET_PLACEHOLDER } from "../components/config";
import { PLAN_RECORD_CONFIG } from "../components/plan";
import { RENDERED_PATCH_ANNOTATION } from "../components/pod-network/constants";
import { REPO, devConfig, temporaryDirectory } from "./helpers/cli";
import { FakeNodeSpec, startFakeApiServer } from "./helpers/fake-api-server";

const dir = temporaryDirectory();

interface Scenario {
    /** The plan record's text; undefined: no record. */
    record?: string;
    previousOutputs?: Record<string, unknown>;
    /** What the mocks answer to the provider's Node reads. */
    liveNodes?: OfflineRunOptions["liveNodes"];
    /** The kubeconfig's content (a secret). */
    kubeconfig?: string;
    nodes?: unknown;
    /** The whole `clusternet:*` config instead of the dev stack's. */
    values?: Record<string, unknown>;
    /** Run as `pulumi preview`. */
    preview?: boolean;
    /** Gets the type and name of every resource the program registers, even when it then fails. */
    registered?: string[];
}

let counter = 0;

async function runStack(scenario: Scenario): Promise<OfflineRun> {
    const { runOffline } = await import("../cli/offline.js");
    let recordFile = "";
    if (scenario.record !== undefined) {
        recordFile = path.join(dir, `record-${counter++}.json`);
        fs.writeFileSync(recordFile, scenario.record);
    }
    const values: Record<string, unknown> = scenario.values ?? {
        ...devConfig(),
        ...(scenario.nodes ? { nodes: scenario.nodes } : {}),
    };
    const config: Record<string, string> = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [`clusternet:${key}`, JSON.stringify(value)]),
    );
    config[PLAN_RECORD_CONFIG] = recordFile;
    if (scenario.kubeconfig !== undefined) {
        config["clusternet:kubeconfig"] = scenario.kubeconfig;
    }
    const program = path.join(REPO, "index.ts");
    const registered = scenario.registered;
    const log = console.log;
    console.log = () => undefined;
    try {
        return await runOffline({
            program:
                registered === undefined
                    ? program
                    : async () => {
                          pulumi.runtime.registerStackTransformation((args) => {
                              registered.push(`${args.type}::${args.name}`);
                              return undefined;
                          });
                          // eslint-disable-next-line @typescript-eslint/no-require-imports
                          return await (require(program) as () => Promise<Record<string, unknown>>)();
                      },
            project: "clusternet",
            stack: "dev",
            config,
            secretKeys: scenario.kubeconfig !== undefined ? ["clusternet:kubeconfig"] : [],
            previousOutputs: scenario.previousOutputs ?? {},
            liveNodes: scenario.liveNodes,
            preview: scenario.preview ?? false,
        });
    } finally {
        console.log = log;
    }
}

/** Runs `body` with a fake API server holding these Nodes, and closes it after. */
async function withCluster<T>(
    nodes: Record<string, FakeNodeSpec>,
    body: (kubeconfig: string, requests: readonly string[]) => Promise<T>,
): Promise<T> {
    const cluster = await startFakeApiServer({ nodes });
    try {
        return await body(cluster.kubeconfig(), cluster.requests);
    } finally {
        await cluster.close();
    }
}

interface Plan {
    nodes: Array<{ name: string; podCidr: string }>;
    retired: Array<{ name: string; podCidr: string }>;
}
const subnets = (run: OfflineRun): Array<[string, string]> =>
    (run.outputs["plan"] as Plan).nodes.map((node) => [node.name, node.podCidr]);

/** The dev stack's committed record: cp-1 10.244.0.0/24, worker-1 .1, worker-2 .2. */
const DEV_RECORD = fs.readFileSync(path.join(REPO, "plans", "dev.json"), "utf8");

describe("the stack program's memory", () => {
    it("reads the same plan record as the offline path", async () => {
        const run = await runStack({ record: DEV_RECORD });
        assert.deepEqual(subnets(run), [
            ["cp-1", "10.244.0.0/24"],
            ["worker-1", "10.244.1.0/24"],
            ["worker-2", "10.244.2.0/24"],
        ]);
    });

    it("stops when the record and its own last outputs disagree, naming the node and both subnets", async () => {
        await assert.rejects(
            runStack({
                record: DEV_RECORD,
                previousOutputs: { nodeSubnets: { "worker-1": { podCidr: "10.244.7.0/24" } } },
            }),
            (error: Error) =>
                /node "worker-1": .*10\.244\.1\.0\/24.*10\.244\.7\.0\/24/.test(error.message) &&
                error.message.split("\n").length === 2,
        );
    });

    it("refuses a damaged record, naming the entry", async () => {
        const damaged = JSON.parse(DEV_RECORD) as { nodes: Array<{ podCidr: string | null }> };
        damaged.nodes[1]!.podCidr = null;
        await assert.rejects(
            runStack({ record: JSON.stringify(damaged) }),
            /nodes\[1\]\.podCidr: is null for node "worker-1"/,
        );
    });

    it("keeps a removed node's subnet retired, exports it, and gives it back when the node returns", async () => {
        const devNodes = devConfig()["nodes"] as Array<{ name: string }>;
        const without = await runStack({
            record: DEV_RECORD,
            nodes: [...devNodes.filter((node) => node.name !== "worker-1"), { name: "worker-3", ip: "192.168.56.13" }],
        });
        assert.deepEqual(subnets(without), [
            ["cp-1", "10.244.0.0/24"],
            ["worker-2", "10.244.2.0/24"],
            ["worker-3", "10.244.3.0/24"],
        ]);
        assert.deepEqual(without.outputs["retiredSubnets"], { "worker-1": { podCidr: "10.244.1.0/24" } });
        // No record this time: the stack's own outputs, retired included, are the memory.
        const back = await runStack({
            previousOutputs: {
                nodeSubnets: without.outputs["nodeSubnets"],
                retiredSubnets: without.outputs["retiredSubnets"],
            },
        });
        assert.deepEqual(subnets(back), [
            ["cp-1", "10.244.0.0/24"],
            ["worker-1", "10.244.1.0/24"],
            ["worker-2", "10.244.2.0/24"],
        ]);
    });

    it("reads every planned Node before patching, and goes through where they match", async () => {
        const { run, requests } = await withCluster(
            { "cp-1": { podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"] }, "worker-1": {}, "worker-2": {} },
            async (kubeconfig, requests) => ({ run: await runStack({ record: DEV_RECORD, kubeconfig }), requests }),
        );
        assert.deepEqual([...requests].sort(), [
            "/api/v1/nodes/cp-1",
            "/api/v1/nodes/worker-1",
            "/api/v1/nodes/worker-2",
        ]);
        // The provider's reads stay, so pulumi preview shows them.
        const reads = run.resources.filter((resource) => resource.read && resource.type === "kubernetes:core/v1:Node");
        assert.deepEqual(
            reads.map((resource) => resource.name),
            ["lab-live-node-cp-1", "lab-live-node-worker-1", "lab-live-node-worker-2"],
        );
        const patches = run.resources.filter((resource) => resource.type === "kubernetes:core/v1:NodePatch");
        assert.equal(patches.length, 3);
        const firstPatch = run.resources.indexOf(patches[0]!);
        assert.ok(
            reads.every((read) => run.resources.indexOf(read) < firstPatch),
            "reads come before any patch",
        );
    });

    for (const preview of [true, false]) {
        it(`stops ${preview ? "a preview" : "an update"} when a planned Node does not exist, with one line per missing Node and nothing registered`, async () => {
            const registered: string[] = [];
            await withCluster({ "cp-1": {} }, (kubeconfig) =>
                assert.rejects(runStack({ record: DEV_RECORD, kubeconfig, preview, registered }), (error: Error) => {
                    const lines = error.message.split("\n");
                    assert.equal(
                        lines[0],
                        `clusternet: reading the planned Nodes from the cluster stopped the ${preview ? "preview" : "update"}; nothing was registered:`,
                    );
                    assert.deepEqual(
                        lines.slice(1).map((line) => line.split(";")[0]),
                        [
                            "clusternet:nodes[1].name: node worker-1 is not in the cluster",
                            "clusternet:nodes[2].name: node worker-2 is not in the cluster",
                        ],
                    );
                    assert.match(lines[1]!, /join it first \(e\.g\. kubeadm join on worker-1\), then run again/);
                    return true;
                }),
            );
            // Not a NodePatch, not a read, not even the provider: the run stopped before registering anything.
            assert.deepEqual(
                registered.filter((entry) => entry.startsWith("kubernetes:") || entry.startsWith("pulumi:providers:")),
                [],
            );
        });
    }

    it("says a config problem before the cluster's answer, since a misspelt node is missing there too", async () => {
        const devNodes = devConfig()["nodes"] as Array<{ name: string }>;
        await withCluster({ "cp-1": {}, "worker-1": {}, "worker-2": {} }, (kubeconfig) =>
            assert.rejects(
                runStack({
                    record: DEV_RECORD,
                    kubeconfig,
                    nodes: [...devNodes, { name: "Worker_3", ip: "192.168.56.13" }],
                }),
                (error: Error) => {
                    assert.match(
                        error.message,
                        /^clusternet: the stack config has 1 problem\(s\):\nclusternet:nodes\[3\]\.name: /,
                    );
                    assert.doesNotMatch(error.message, /is not in the cluster/);
                    return true;
                },
            ),
        );
    });

    it("stops when a live Node holds another podCIDR, naming node, live and planned subnets", async () => {
        await withCluster(
            { "cp-1": {}, "worker-1": {}, "worker-2": { podCIDR: "10.244.9.0/24", podCIDRs: ["10.244.9.0/24"] } },
            (kubeconfig) =>
                assert.rejects(
                    runStack({ record: DEV_RECORD, kubeconfig }),
                    (error: Error) =>
                        /clusternet:nodes\[2\]: the live Node "worker-2" has podCIDRs 10\.244\.9\.0\/24, the plan gives it 10\.244\.2\.0\/24/.test(
                            error.message,
                        ) && /kubectl delete node worker-2/.test(error.message),
                ),
        );
    });

    it("adopts the live podCIDRs when neither a record nor stack outputs remember anything", async () => {
        const run = await withCluster(
            {
                "cp-1": { podCIDR: "10.244.0.0/24" },
                "worker-1": { podCIDR: "10.244.4.0/24", podCIDRs: ["10.244.4.0/24"] },
                "worker-2": { podCIDR: "10.244.1.0/24" },
            },
            (kubeconfig) => runStack({ kubeconfig }),
        );
        assert.deepEqual(subnets(run), [
            ["cp-1", "10.244.0.0/24"],
            ["worker-1", "10.244.4.0/24"],
            ["worker-2", "10.244.1.0/24"],
        ]);
    });

    it("asks no API server offline, where the kubeconfig is a placeholder: the mocks answer the reads", async () => {
        // As clusternet render/check run it: a secret that cannot be decrypted there.
        await assert.rejects(
            runStack({
                record: DEV_RECORD,
                kubeconfig: SECRET_PLACEHOLDER,
                liveNodes: { "worker-2": { podCIDR: "10.244.9.0/24" } },
            }),
            /clusternet:nodes\[2\]: the live Node "worker-2" has podCIDRs 10\.244\.9\.0\/24/,
        );
    });

    it("renders NodePatches apart and marked as patches when there is no kubeconfig", async () => {
        const run = await runStack({ record: DEV_RECORD });
        const providers = run.resources.filter((resource) => resource.type === "pulumi:providers:kubernetes");
        assert.deepEqual(
            providers.map((provider) => provider.props["renderYamlToDirectory"]),
            ["rendered/pulumi-dev", "rendered/pulumi-dev/node-patches"],
        );
        const patch = run.resources.find((resource) => resource.type === "kubernetes:core/v1:NodePatch")!;
        const annotations = (patch.props["metadata"] as { annotations: Record<string, string> }).annotations;
        assert.match(annotations[RENDERED_PATCH_ANNOTATION]!, /kubectl patch node cp-1 --type=merge/);
    });

    it("exports the IPv6 Service addresses of an IPv6-only cluster", async () => {
        const run = await runStack({
            values: {
                cluster: { name: "v6", podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
                nodes: [{ name: "n1", ip: "fd00:56::10" }],
            },
        });
        assert.equal(run.outputs["kubernetesServiceIp"], "fd00:10:96::1");
        assert.equal(run.outputs["dnsServiceIp"], "fd00:10:96::a");
        assert.equal(run.outputs["kubernetesServiceIpV6"], "fd00:10:96::1");
        assert.equal(run.outputs["dnsServiceIpV6"], "fd00:10:96::a");
    });
});
