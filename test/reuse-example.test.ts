import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { OfflineRun } from "../cli/offline";
import { REPO } from "./helpers/cli";

// The README's second stack, which imports a component from "clusternet", run under Pulumi's mocks.
let run: OfflineRun;

before(async () => {
    const { runOffline } = await import("../cli/offline.js");
    run = await runOffline({
        program: path.join(REPO, "examples", "reuse", "index.ts"),
        project: "reuse",
        stack: "dev",
        config: {},
        secretKeys: [],
    });
});

describe("a second stack reusing AppService", () => {
    it("registers the component with its Service and Deployment", () => {
        const types = run.resources.map((resource) => `${resource.type}::${resource.name}`);
        for (const expected of [
            "clusternet:index:AppService::whoami",
            "kubernetes:core/v1:Service::whoami-service",
            "kubernetes:apps/v1:Deployment::whoami-deployment",
        ]) {
            assert.ok(types.includes(expected), `${expected} in ${types.join(", ")}`);
        }
    });

    it("exports the port map from client to pod", () => {
        const [entry] = run.outputs["portMap"] as Array<{ chains: string[]; nodeCount: number }>;
        assert.deepEqual(entry?.chains, ["client -> 192.168.56.10:30900 -> <clusterIP>:8080 -> <podIP>:80"]);
        assert.equal(entry?.nodeCount, 2);
    });
});
