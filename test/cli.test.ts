import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { REPO, clusternet, runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

/** A temp project folder with a copy of the dev stack file, so runs write their plan record there. */
function devProject(change?: (config: Record<string, any>) => void): { dir: string; file: string } {
    const dir = temporaryDirectory();
    const config = structuredClone(devConfig());
    change?.(config);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
    return { dir, file: writeStackFile(dir, "dev", config) };
}

describe("clusternet plan", () => {
    it("prints the dev plan as a table", () => {
        const { dir } = devProject();
        const result = clusternet(["plan", "--stack", "dev"], dir);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^clusternet plan: stack dev, cluster lab \(IPv4\)/);
        assert.match(
            result.stdout,
            /worker-2\s+192\.168\.56\.12\s+10\.244\.2\.0\/24\s+10\.244\.2\.1\s+10\.244\.2\.0\s+allocated/,
        );
        assert.match(
            result.stdout,
            /Service CIDR\s+10\.96\.0\.0\/12\s+kubernetes 10\.96\.0\.1, cluster DNS 10\.96\.0\.10/,
        );
    });

    it("prints JSON with the documented fields, and records it as the plan record", async () => {
        const { dir } = devProject();
        const result = await runCli(["plan", "--format", "json"], dir);
        assert.equal(result.code, 0, result.stderr);
        const plan = JSON.parse(result.stdout);
        assert.equal(plan.cluster.podCidr, "10.244.0.0/16");
        assert.equal(plan.cluster.podCidrV6, null);
        assert.equal(plan.cluster.serviceCidr, "10.96.0.0/12");
        assert.equal(plan.kubernetesServiceIp, "10.96.0.1");
        assert.equal(plan.dnsServiceIp, "10.96.0.10");
        assert.deepEqual(plan.nodes[1], {
            name: "worker-1",
            ip: "192.168.56.11",
            podCidr: "10.244.1.0/24",
            podCidrV6: null,
            podCidrSource: "allocated",
            podCidrV6Source: null,
            gateway: "10.244.1.1",
            gatewayV6: null,
            vtep: "10.244.1.0",
        });
        assert.equal(plan.capacity.ipv4.maxNodes, 256);
        assert.equal(plan.capacity.ipv4.podsPerNode, 253);
        assert.deepEqual(plan.warnings, []);
        assert.equal(fs.readFileSync(path.join(dir, "plans", "dev.json"), "utf8"), result.stdout);
    });

    it("prints markdown with a table and a mermaid diagram for a pull request", async () => {
        const result = await runCli(["plan", "--format", "markdown", "--no-save"]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^### clusternet plan: `dev`/);
        assert.match(result.stdout, /\| NODE \| IP \| POD CIDR \|/);
        assert.match(
            result.stdout,
            /```mermaid\nflowchart LR\n {2}subgraph pod4\["pod CIDR 10\.244\.0\.0\/16: 3\/256 node subnets"\]/,
        );
    });

    it("keeps existing nodes' subnets when a node is added before them (plan record)", async () => {
        const { dir, file } = devProject();
        assert.equal((await runCli(["plan"], dir)).code, 0);
        const config = structuredClone(devConfig());
        config["nodes"].splice(1, 0, { name: "worker-0", ip: "192.168.56.13" });
        writeStackFile(dir, "dev", config);
        const result = await runCli(["plan", "--config-file", file, "--format", "json"], dir);
        assert.equal(result.code, 0, result.stderr);
        const subnets = Object.fromEntries(
            JSON.parse(result.stdout).nodes.map((node: { name: string; podCidr: string }) => [node.name, node.podCidr]),
        );
        assert.deepEqual(subnets, {
            "cp-1": "10.244.0.0/24",
            "worker-0": "10.244.3.0/24",
            "worker-1": "10.244.1.0/24",
            "worker-2": "10.244.2.0/24",
        });
        const fresh = await runCli(
            ["plan", "--config-file", file, "--format", "json", "--no-previous", "--no-save"],
            dir,
        );
        assert.equal(
            JSON.parse(fresh.stdout).nodes[1].podCidr,
            "10.244.1.0/24",
            "without the record, allocation starts over",
        );
    });

    it("refuses to move a recorded node's subnet, exit 2", async () => {
        const { dir } = devProject();
        assert.equal((await runCli(["plan"], dir)).code, 0);
        const config = structuredClone(devConfig());
        config["nodes"][1].podCidr = "10.244.7.0/24";
        writeStackFile(dir, "dev", config);
        const result = await runCli(["plan"], dir);
        assert.equal(result.code, 2);
        assert.match(
            result.stderr,
            /^clusternet:nodes\[1\]\.podCidr: node "worker-1" already has 10\.244\.1\.0\/24; pinning 10\.244\.7\.0\/24 would move it/m,
        );
    });

    it("reports every mistake in a stack file on its own line, naming the key, exit 2, and writes nothing", async () => {
        const { dir } = devProject((config) => {
            config["cluster"].serviceCidr = "10.96.0.1/12";
            config["cluster"].podCIDR = "x";
            config["nodes"][0].ip = "192.168.56.300";
            config["nodes"][2].name = "Worker_2";
            config["podNetwork"] = { backend: "geneve" };
        });
        const result = await runCli(["plan"], dir);
        assert.equal(result.code, 2);
        assert.equal(result.stdout, "");
        const lines = result.stderr.trim().split("\n");
        assert.deepEqual(
            lines.map((line) => line.split(": ")[0]),
            [
                "clusternet:cluster.podCIDR",
                "clusternet:podNetwork.backend",
                "clusternet:cluster.serviceCidr",
                "clusternet:nodes[0].ip",
                "clusternet:nodes[2].name",
                "clusternet",
            ],
        );
        assert.equal(lines.at(-1), "clusternet: 5 problem(s) in the input; nothing was written");
        assert.ok(!fs.existsSync(path.join(dir, "plans")));
    });

    it("reads any stack file with --config-file", async () => {
        const dir = temporaryDirectory();
        const file = writeStackFile(dir, "other", {
            cluster: { podCidr: "10.32.0.0/16" },
            nodes: [{ name: "a", ip: "192.168.1.10" }],
        });
        const result = await runCli(["plan", "--config-file", file, "--format", "json"], dir);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(JSON.parse(result.stdout).stack, "other");
        assert.ok(fs.existsSync(path.join(dir, "plans", "other.json")));
    });
});

describe("clusternet usage", () => {
    for (const args of [["--help"], ["plan", "--help"], ["render", "--help"]]) {
        it(`${args.join(" ")} prints help, exit 0`, async () => {
            const result = await runCli(args);
            assert.equal(result.code, 0);
            assert.match(result.stdout, /Usage: clusternet/);
        });
    }

    const usageErrors: Array<[string[], RegExp]> = [
        [
            ["plan", "--stack", "dev", "--config-file", "Pulumi.dev.yaml"],
            /use either --stack or --config-file, not both/,
        ],
        [["plan", "--format", "yaml"], /argument 'yaml' is invalid/],
        [["frobnicate"], /unknown command 'frobnicate'/],
        [["plan", "--stack", "no/such"], /a stack name has only letters/],
        [["plan", "--stack", "missing"], /Pulumi\.missing\.yaml: no such stack file/],
        [["plan", "--previous", "no-such-file.json"], /no-such-file\.json: cannot be read \(ENOENT\)/],
    ];
    for (const [args, expected] of usageErrors) {
        it(`${args.join(" ")}: exit 2`, async () => {
            const result = await runCli(args);
            assert.equal(result.code, 2);
            assert.match(result.stderr, expected);
        });
    }

    it("with no arguments prints help on stderr... and exits 2", () => {
        const result = clusternet([]);
        assert.equal(result.code, 2);
    });
});

describe("clusternet render", () => {
    it("runs the stack program offline and writes the same files, byte for byte, every time", () => {
        const { dir } = devProject();
        const first = clusternet(["render", "--out", "out"], dir);
        assert.equal(first.code, 0, first.stderr);
        const read = () =>
            Object.fromEntries(
                fs
                    .readdirSync(path.join(dir, "out"))
                    .filter((f) => f.endsWith(".yaml"))
                    .map((f) => [f, fs.readFileSync(path.join(dir, "out", f), "utf8")]),
            );
        const firstFiles = read();
        const summary = parse(fs.readFileSync(path.join(dir, "out", "summary", "resources.yaml"), "utf8"));
        assert.ok(
            summary.resources.some(
                (r: { type: string; name: string }) =>
                    r.type === "clusternet:index:NetworkPlan" && r.name === "lab-plan",
            ),
        );
        const second = clusternet(["render", "--out", "out"], dir);
        assert.equal(second.code, 0, second.stderr);
        assert.deepEqual(read(), firstFiles);
        assert.equal(second.stdout, first.stdout);
    });

    it("refuses to clear a folder it did not write", async () => {
        const { dir } = devProject();
        fs.mkdirSync(path.join(dir, "precious"));
        fs.writeFileSync(path.join(dir, "precious", "notes.txt"), "keep me");
        const result = await runCli(["render", "--out", "precious"], dir);
        assert.equal(result.code, 2);
        assert.match(result.stderr, /precious exists and was not written by clusternet render/);
        assert.equal(fs.readFileSync(path.join(dir, "precious", "notes.txt"), "utf8"), "keep me");
    });

    it("refuses bad input before running the program, exit 2", async () => {
        const { dir } = devProject((config) => (config["nodes"][0].ip = "not-an-ip"));
        const result = await runCli(["render"], dir);
        assert.equal(result.code, 2);
        assert.match(result.stderr, /^clusternet:nodes\[0\]\.ip: "not-an-ip" is not an IPv4 or IPv6 address/m);
        assert.ok(!fs.existsSync(path.join(dir, "rendered")));
    });
});

describe("the repository's own dev stack", () => {
    it("has a plan record that matches what plan computes", async () => {
        const result = await runCli(["plan", "--format", "json", "--no-save"]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(fs.readFileSync(path.join(REPO, "plans", "dev.json"), "utf8"), result.stdout);
    });
});

describe("clusternet schema", () => {
    it("matches the committed JSON Schema for editors", () => {
        const result = clusternet(["schema"]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(
            result.stdout,
            fs.readFileSync(path.join(REPO, "schema", "clusternet-stack.schema.json"), "utf8"),
            "run npm run schema",
        );
        const schema = JSON.parse(result.stdout);
        assert.deepEqual(schema.properties.config.required, ["clusternet:cluster", "clusternet:nodes"]);
        assert.equal(
            schema.properties.config.properties["clusternet:cluster"].properties.podCidr.description.startsWith(
                "The IPv4 pod network",
            ),
            true,
        );
    });

    it("keeps docs/configuration.md's reference in step with the schema", async () => {
        const { configReferenceMarkdown } = await import("../components/config/json-schema.js");
        const readme = fs.readFileSync(path.join(REPO, "docs", "configuration.md"), "utf8");
        assert.ok(
            readme.includes(
                `<!-- config-reference:start -->\n${configReferenceMarkdown()}<!-- config-reference:end -->`,
            ),
            "run npm run schema",
        );
    });
});
