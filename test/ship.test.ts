import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { diffPlans } from "../cli/plan-diff";
import { BIN, REPO, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

/** Runs the CLI with a controlled PATH and environment. */
function run(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env, input: "" });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A project folder with the dev stack and a fake `pulumi` that records its calls. */
function projectWithFakePulumi(exitCodeOfUp = 0): { dir: string; bin: string; calls: () => string[] } {
    const dir = temporaryDirectory();
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
    writeStackFile(dir, "dev", devConfig());
    const bin = path.join(dir, "fake-bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.log");
    fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/bin/sh\nif [ "$1" = version ]; then echo v3.200.0; exit 0; fi\necho "$* | backend=$PULUMI_BACKEND_URL" >> "${log}"\nif [ "$1" = up ]; then exit ${exitCodeOfUp}; fi\nexit 0\n`,
        { mode: 0o755 },
    );
    return { dir, bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}

const BASE_ENV = { PATH: `/usr/bin:/bin`, HOME: process.env["HOME"] ?? "/root" };

describe("npm run up / preview (clusternet pulumi)", () => {
    it("explains how to get the Pulumi CLI when it is missing, exit 2", () => {
        const { dir } = projectWithFakePulumi();
        const result = run(["pulumi", "up"], dir, { ...BASE_ENV, PATH: "/nonexistent" });
        assert.equal(result.code, 2);
        assert.match(result.stderr, /the Pulumi CLI is not installed[\s\S]*get\.pulumi\.com/);
    });

    it("uses a local file backend in the project, creates the stack, and always runs the policy pack", () => {
        const { dir, bin, calls } = projectWithFakePulumi();
        const result = run(["pulumi", "up", "--", "--yes"], dir, {
            ...BASE_ENV,
            PATH: `${bin}:${BASE_ENV.PATH}`,
            PULUMI_CONFIG_PASSPHRASE: "",
        });
        assert.equal(result.code, 0, result.stderr);
        const backend = `file://${path.join(dir, ".pulumi-state")}`;
        assert.deepEqual(calls(), [
            `stack select --create dev --secrets-provider passphrase --cwd ${dir} | backend=${backend}`,
            `up --stack dev --cwd ${dir} --policy-pack ${path.join(dir, "policies")} --yes | backend=${backend}`,
        ]);
        assert.match(result.stderr, /backend: a local file backend in \.pulumi-state\//);
    });

    it("honours PULUMI_BACKEND_URL, and runs refresh without the policy pack", () => {
        const { dir, bin, calls } = projectWithFakePulumi();
        const result = run(["pulumi", "refresh", "--stack", "lab"], dir, {
            ...BASE_ENV,
            PATH: `${bin}:${BASE_ENV.PATH}`,
            PULUMI_BACKEND_URL: "s3://bucket/x",
            PULUMI_CONFIG_PASSPHRASE: "p",
        });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(calls(), [
            `stack select --create lab --secrets-provider passphrase --cwd ${dir} | backend=s3://bucket/x`,
            `refresh --stack lab --cwd ${dir} | backend=s3://bucket/x`,
        ]);
    });

    it("refuses to wait for a passphrase nobody can type", () => {
        const { dir, bin, calls } = projectWithFakePulumi();
        const result = run(["pulumi", "preview"], dir, { ...BASE_ENV, PATH: `${bin}:${BASE_ENV.PATH}` });
        assert.equal(result.code, 2);
        assert.match(result.stderr, /set PULUMI_CONFIG_PASSPHRASE/);
        assert.deepEqual(calls(), []);
    });

    it("passes Pulumi's exit code on", () => {
        const { dir, bin } = projectWithFakePulumi(7);
        const result = run(["pulumi", "up"], dir, {
            ...BASE_ENV,
            PATH: `${bin}:${BASE_ENV.PATH}`,
            PULUMI_CONFIG_PASSPHRASE: "",
        });
        assert.equal(result.code, 7);
    });
});

describe("plan --diff", () => {
    const before = {
        cluster: { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
        nodes: [
            { name: "a", ip: "192.168.1.1", podCidr: "10.244.0.0/24", podCidrV6: null },
            { name: "b", ip: "192.168.1.2", podCidr: "10.244.1.0/24", podCidrV6: null },
        ],
    };

    it("lists nodes added and removed and ranges changed", () => {
        const diff = diffPlans(before, {
            cluster: { podCidr: "10.244.0.0/16", serviceCidr: "10.100.0.0/16" },
            nodes: [before.nodes[0]!, { name: "c", ip: "192.168.1.3", podCidr: "10.244.1.0/24", podCidrV6: null }],
        });
        assert.deepEqual(diff.added, [{ name: "c", podCidr: "10.244.1.0/24", podCidrV6: null, returned: false }]);
        assert.deepEqual(diff.removed, [{ name: "b", podCidr: "10.244.1.0/24", podCidrV6: null }]);
        assert.deepEqual(diff.ranges, [{ field: "serviceCidr", before: "10.96.0.0/12", after: "10.100.0.0/16" }]);
        assert.deepEqual(diff.errors, []);
    });

    it("calls an existing node's changed subnet an error, but a new family's subnet fine", () => {
        const diff = diffPlans(before, {
            nodes: [
                { ...before.nodes[0]!, podCidr: "10.244.5.0/24" },
                { ...before.nodes[1]!, podCidrV6: "fd00:10:244::/64" },
            ],
        });
        assert.deepEqual(
            diff.changed.map((change) => [change.name, change.field, change.error]),
            [
                ["a", "podCidr", true],
                ["b", "podCidrV6", false],
            ],
        );
        assert.deepEqual(diff.errors, [
            'node "a": podCidr 10.244.0.0/24 -> 10.244.5.0/24: Node.spec.podCIDR is immutable; keep 10.244.0.0/24, or drain, delete and re-join the node',
        ]);
    });

    it("exits 1 and reports a changed subnet from the command line, with markdown for a comment", () => {
        const dir = temporaryDirectory();
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
        writeStackFile(dir, "dev", devConfig());
        const old = JSON.parse(fs.readFileSync(path.join(REPO, "plans", "dev.json"), "utf8"));
        old.nodes[1].podCidr = "10.244.9.0/24";
        fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(old));
        const result = run(["plan", "--diff", "old.json", "--format", "markdown", "--no-save"], dir, { ...BASE_ENV });
        assert.equal(result.code, 1);
        assert.match(result.stdout, /- ERROR: node `worker-1` podCidr: `10\.244\.9\.0\/24` -> `10\.244\.1\.0\/24`/);
        assert.match(result.stderr, /Node\.spec\.podCIDR is immutable/);
        const same = run(["plan", "--diff", path.join(REPO, "plans", "dev.json"), "--no-save"], dir, { ...BASE_ENV });
        assert.equal(same.code, 0, same.stderr);
        assert.match(same.stdout, /no change to nodes or ranges/);
        const bad = run(["plan", "--diff", "missing.json"], dir, { ...BASE_ENV });
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /missing\.json: cannot be read \(ENOENT\)/);
    });
});

describe("the pull-request workflow", () => {
    const text = fs.readFileSync(path.join(REPO, ".github", "workflows", "preview.yml"), "utf8");

    it("is a valid GitHub Actions workflow", async () => {
        const { validateWorkflow } = (await import("@action-validator/core")) as {
            validateWorkflow: (source: string) => { errors: unknown[] };
        };
        assert.deepEqual(validateWorkflow(text).errors, []);
    });

    it("tests (the lab suite as root too), posts the plan diff, and previews with the policy pack and a PR comment", () => {
        const workflow = parse(text);
        assert.deepEqual(Object.keys(workflow.on), ["pull_request"]);
        const steps = (job: string): Array<Record<string, any>> => workflow.jobs[job].steps;
        assert.ok(
            steps("test").some((step) => step.run === "npm ci") &&
                steps("test").some((step) => step.run === "npm test"),
        );
        assert.ok(
            steps("plan").some((step) =>
                String(step.run).includes("plan --stack dev --format markdown --no-save --diff"),
            ),
        );
        // The root-only lab suite runs too: .ci/run (its Debian packages, then npm test) as root.
        assert.ok(steps("lab").some((step) => /^sudo -E env "PATH=\$PATH" \.ci\/run$/.test(String(step.run))));
        assert.match(
            fs.readFileSync(path.join(REPO, ".ci", "run"), "utf8"),
            /apt-get install[^\n]* containernetworking-plugins/,
        );
        const preview = steps("preview").find((step) => String(step.uses).startsWith("pulumi/actions@"));
        assert.equal(preview?.with.command, "preview");
        assert.equal(preview?.with.policyPacks, "./policies");
        assert.equal(preview?.with["comment-on-pr"], true);
    });
});
