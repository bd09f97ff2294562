import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { OfflineRun } from "../cli/offline";
import { PLAN_RECORD_CONFIG } from "../components/plan";
import { REPO, devConfig } from "./helpers/cli";

// The stack program (index.ts) under Pulumi's mocks, as `clusternet render` and `pulumi up` run it, with no plan
// record and a previous allocation served as this stack's own last outputs.
let run: OfflineRun;

before(async () => {
    const { runOffline } = await import("../cli/offline.js");
    const config = {
        ...Object.fromEntries(
            Object.entries(devConfig()).map(([key, value]) => [`clusternet:${key}`, JSON.stringify(value)]),
        ),
        [PLAN_RECORD_CONFIG]: "",
    };
    run = await runOffline({
        program: path.join(REPO, "index.ts"),
        project: "clusternet",
        stack: "dev",
        config,
        secretKeys: [],
        previousOutputs: { nodeSubnets: { "worker-1": { podCidr: "10.244.5.0/24" } } },
    });
});

describe("the stack program", () => {
    it("reads its own last nodeSubnets output, so a remembered subnet stays where it was", () => {
        const plan = run.outputs["plan"] as { nodes: Array<{ name: string; podCidr: string; podCidrSource: string }> };
        assert.deepEqual(
            plan.nodes.map((node) => [node.name, node.podCidr, node.podCidrSource]),
            [
                ["cp-1", "10.244.0.0/24", "pinned"],
                ["worker-1", "10.244.5.0/24", "previous"],
                ["worker-2", "10.244.1.0/24", "allocated"],
            ],
        );
    });

    it("exports the node subnets it will read back next time", () => {
        assert.deepEqual(run.outputs["nodeSubnets"], {
            "cp-1": { podCidr: "10.244.0.0/24" },
            "worker-1": { podCidr: "10.244.5.0/24" },
            "worker-2": { podCidr: "10.244.1.0/24" },
        });
        assert.equal(run.outputs["kubernetesServiceIp"], "10.96.0.1");
        assert.equal(run.outputs["dnsServiceIp"], "10.96.0.10");
    });

    it("reads the previous outputs through a StackReference to itself", () => {
        assert.ok(
            run.resources.some(
                (resource) =>
                    resource.type === "pulumi:pulumi:StackReference" && resource.name === "organization/clusternet/dev",
            ),
        );
    });

    it("renders to a directory instead of touching a cluster when no kubeconfig is set", () => {
        const provider = run.resources.find((resource) => resource.type === "pulumi:providers:kubernetes");
        assert.equal(provider?.props["renderYamlToDirectory"], "rendered/pulumi-dev");
        const network = run.resources.find((resource) => resource.type === "clusternet:index:ClusterNetwork");
        assert.ok(network, "the ClusterNetwork component is registered");
    });
});
