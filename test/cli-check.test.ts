/** `clusternet check` end to end, as a user runs it. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clusternet, runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

function writeJson(dir: string, name: string, value: unknown): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(value, null, 2));
    return file;
}

void describe("clusternet check", () => {
    void it("passes the dev stack", () => {
        const result = clusternet(["check", "--stack", "dev"]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(
            result.stdout,
            /^clusternet check: stack dev: passed: 33 policies of clusternet-guardrails over \d+ resources: 0 mandatory and \d+ advisory violation\(s\)$/m,
        );
        assert.ok(!/^mandatory /m.test(result.stdout));
    });

    void it("exits 1 naming the policy and the ranges when a reserved range in the policy config overlaps a node's podCIDR", async () => {
        const dir = temporaryDirectory();
        const stackFile = writeStackFile(dir, "lab", devConfig());
        const policyConfig = writeJson(dir, "policy-config.json", {
            "no-overlapping-ranges": { reserved: [{ name: "peer-cluster", cidr: "10.244.1.0/24" }] },
        });
        const result = await runCli([
            "check",
            "--config-file",
            stackFile,
            "--no-previous",
            "--policy-config",
            policyConfig,
        ]);
        assert.equal(result.code, 1, result.stdout + result.stderr);
        const line = result.stdout
            .split("\n")
            .find((text) => text.startsWith("mandatory no-overlapping-ranges urn:pulumi:lab::clusternet::"));
        assert.ok(line, result.stdout);
        assert.match(
            line,
            /IPv4 pod CIDR 10\.244\.0\.0\/16 .* overlaps the reserved range peer-cluster 10\.244\.1\.0\/24 \(policy config no-overlapping-ranges\.reserved\[0\]\).*; move the IPv4 pod CIDR/,
        );
        assert.match(
            line,
            /inside the overlap: the podCIDR 10\.244\.1\.0\/24 of NodePatch worker-1/,
            "the node inside the overlap is named too",
        );
        assert.match(result.stdout, /clusternet check: stack lab: FAILED: .* 1 mandatory/);
    });

    void it("exits 2, naming each bad key, on an invalid policy config", async () => {
        const dir = temporaryDirectory();
        const policyConfig = writeJson(dir, "bad.json", {
            "no-overlaping-ranges": {},
            "service-ports": { nodePortRange: "40000-30000" },
            "host-network-restricted": "strict",
        });
        const result = await runCli(["check", "--stack", "dev", "--policy-config", policyConfig]);
        assert.equal(result.code, 2, result.stdout + result.stderr);
        assert.match(
            result.stderr,
            /bad\.json: no-overlaping-ranges: is not a policy of clusternet-guardrails; use one of no-overlapping-ranges,/,
        );
        assert.match(
            result.stderr,
            /bad\.json: service-ports\.nodePortRange: expected the API server's --service-node-port-range, such as 30000-32767/,
        );
        assert.match(
            result.stderr,
            /bad\.json: host-network-restricted: "strict" is not an enforcement level; use one of advisory, mandatory, remediate, disabled/,
        );
        assert.equal(result.stdout, "");
    });

    void it("accepts the example policy config", async () => {
        const result = await runCli([
            "check",
            "--stack",
            "dev",
            "--policy-config",
            "policies/policy-config.example.json",
        ]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /clusternet check: stack dev: passed: 32 policies/);
    });

    void it("can turn a policy down to advisory through the policy config, and then exits 0", async () => {
        const dir = temporaryDirectory();
        const policyConfig = writeJson(dir, "soft.json", {
            "no-overlapping-ranges": {
                enforcementLevel: "advisory",
                reserved: [{ name: "peer-cluster", cidr: "10.244.1.0/24" }],
            },
        });
        const result = await runCli(["check", "--stack", "dev", "--policy-config", policyConfig]);
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /^advisory no-overlapping-ranges .*peer-cluster/m);
    });

    void it("refuses a stack file that gives two Services one nodePort before the policies run: exit 2 naming the key", async () => {
        // The config layer stops this collision first; service-node-ports-unique is the second line, for resources
        // the config does not describe (components used from other stacks), and is tested on mutated resources.
        const dir = temporaryDirectory();
        const app = { image: "nginx:1.27.5", replicas: 1, containerPorts: [{ name: "http", port: 80 }] };
        const port = { name: "http", port: 8080, targetPort: "http", nodePort: 30808 };
        const stackFile = writeStackFile(dir, "clash", {
            ...devConfig(),
            services: [
                { name: "web", namespace: "demo", type: "NodePort", app, ports: [port] },
                { name: "api", namespace: "demo", type: "NodePort", app, ports: [port] },
            ],
        });
        const result = await runCli(["check", "--config-file", stackFile, "--no-previous"]);
        assert.equal(result.code, 2, result.stdout + result.stderr);
        assert.match(
            result.stderr,
            /^clusternet:services\[1\]\.ports\[0\]\.nodePort: 30808 is already the node port of Service demo\/web \(clusternet:services\[0\]\.ports\[0\]\.nodePort\)/m,
        );
        assert.equal(result.stdout, "");
    });
});
