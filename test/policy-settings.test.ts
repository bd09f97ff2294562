/**
 * The policies judge a stack by its own settings on both paths: `clusternet check` and `clusternet pulumi
 * preview|up` (`npm run preview|up`) pass the stack's node port range to the Service port checks, under whatever the
 * user's policy config says.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { main } from "../cli/main";
import { policyPackConfigJson, stackPolicySettings, withStackSettings } from "../cli/policy-settings";
import { runPulumi } from "../cli/pulumi";
import { devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

/** The dev stack with the API server's node port range moved to 20000-22767 and the web Service's port inside it. */
function lowRangeStack(dir: string): string {
    const config = devConfig();
    config["cluster"] = { ...config["cluster"], nodePortRange: "20000-22767" };
    config["services"][0].ports[0].nodePort = 20808;
    config["ingress"].controller = { ...config["ingress"].controller, httpNodePort: 20080, httpsNodePort: 20443 };
    return writeStackFile(dir, "low", config);
}

describe("the stack's settings for the policies", () => {
    it("lets clusternet check pass a node port inside the stack's own node port range", async () => {
        const dir = temporaryDirectory();
        const stackFile = lowRangeStack(dir);
        let stdout = "";
        let stderr = "";
        const code = await main(["check", "--config-file", stackFile, "--no-previous"], {
            stdout: (text) => (stdout += text),
            stderr: (text) => (stderr += text),
            cwd: dir,
        });
        assert.equal(code, 0, stdout + stderr);
        assert.doesNotMatch(stdout, /outside the node port range/);
    });

    it("gives the user's policy config the last word", () => {
        const stack = stackPolicySettings({ cluster: { nodePortRange: "20000-22767" } });
        assert.deepEqual(withStackSettings(stack, {}), {
            "service-ports": { properties: { nodePortRange: "20000-22767" } },
        });
        assert.deepEqual(
            withStackSettings(stack, {
                "service-ports": { enforcementLevel: "advisory", properties: { nodePortRange: "1-2" } },
            }),
            { "service-ports": { enforcementLevel: "advisory", properties: { nodePortRange: "1-2" } } },
        );
        assert.deepEqual(
            policyPackConfigJson(stack, { "service-ports": "disabled", "host-port-conflicts": "advisory" }),
            {
                "service-ports": { nodePortRange: "20000-22767", enforcementLevel: "disabled" },
                "host-port-conflicts": { enforcementLevel: "advisory" },
            },
        );
    });

    it("passes them to pulumi preview as --policy-pack-config, joined with the user's file", () => {
        const dir = temporaryDirectory();
        // A stand-in `pulumi` on PATH, so runPulumi finds a CLI; the real calls go to the recording runner below.
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const userFile = path.join(dir, "mine.json");
        fs.writeFileSync(userFile, JSON.stringify({ "service-backends-ready": "disabled" }));
        const calls: Array<{ args: readonly string[]; config?: unknown }> = [];
        const code = runPulumi({
            command: "preview",
            stack: "dev",
            projectDir: dir,
            extraArgs: ["--diff", "--policy-pack-config", userFile],
            env: { PATH: `${bin}:${process.env["PATH"]}`, PULUMI_CONFIG_PASSPHRASE: "" },
            interactive: false,
            log: () => undefined,
            policySettings: stackPolicySettings({ cluster: { nodePortRange: "20000-22767" } }),
            run: (_command, args) => {
                const at = args.indexOf("--policy-pack-config");
                calls.push({ args, config: at >= 0 ? JSON.parse(fs.readFileSync(args[at + 1]!, "utf8")) : undefined });
                return {
                    status: 0,
                    pid: 0,
                    output: [],
                    stdout: Buffer.from(""),
                    stderr: Buffer.from(""),
                    signal: null,
                };
            },
        });
        assert.equal(code, 0);
        const preview = calls.find((call) => call.args[0] === "preview")!;
        assert.deepEqual(preview.config, {
            "service-ports": { nodePortRange: "20000-22767" },
            "service-backends-ready": { enforcementLevel: "disabled" },
        });
        assert.equal(preview.args.filter((arg) => arg === "--policy-pack-config").length, 1);
        assert.ok(preview.args.includes("--diff"));
    });
});
