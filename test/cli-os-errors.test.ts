import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { Io, main } from "../cli/main";
import { BIN, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the command in-process in `cwd`. */
async function run(args: readonly string[], cwd: string): Promise<Run> {
    let stdout = "";
    let stderr = "";
    const io: Io = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd };
    const code = await main(args, io);
    return { code, stdout, stderr };
}

function project(config: Record<string, unknown> = devConfig()): string {
    const dir = temporaryDirectory();
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
    writeStackFile(dir, "dev", config);
    return dir;
}

/** One line on stderr, naming what it is about, and no stack trace. */
function assertOneLine(result: Run, about: RegExp): void {
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, about);
    assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
}

void describe("OS errors: one line and exit 2, nothing half-written", () => {
    void it("schema --out a folder, --readme a missing file", async () => {
        const dir = project();
        fs.mkdirSync(path.join(dir, "folder"));
        const folder = await run(["schema", "--out", "folder"], dir);
        assert.equal(folder.code, 2);
        assertOneLine(folder, /--out folder is a folder/);
        const missing = await run(["schema", "--readme", "missing.md"], dir);
        assert.equal(missing.code, 2);
        assertOneLine(missing, /missing\.md: cannot open: no such file or folder \(ENOENT\)/);
        const missingDir = await run(["schema", "--out", "no/such/dir/s.json", "--readme", "missing.md"], dir);
        assert.equal(missingDir.code, 2);
        assert.ok(!fs.existsSync(path.join(dir, "no")), "nothing written");
    });

    void it("schema --out and --readme are all or nothing", async () => {
        const dir = project();
        fs.writeFileSync(path.join(dir, "plain.md"), "# no markers here\n");
        const result = await run(["schema", "--out", "s.json", "--readme", "plain.md"], dir);
        assert.equal(result.code, 2);
        assertOneLine(result, /plain\.md has no .* section; nothing was written/);
        assert.ok(!fs.existsSync(path.join(dir, "s.json")), "s.json is not written when the readme is refused");
        fs.writeFileSync(
            path.join(dir, "ok.md"),
            "a\n<!-- config-reference:start -->\n<!-- config-reference:end -->\n",
        );
        const both = await run(["schema", "--out", "s.json", "--readme", "ok.md"], dir);
        assert.equal(both.code, 0, both.stderr);
        assert.ok(fs.existsSync(path.join(dir, "s.json")));
        assert.match(fs.readFileSync(path.join(dir, "ok.md"), "utf8"), /clusternet:cluster/);
    });

    void it("a folder where the plan record goes: exit 2 before anything is printed", async () => {
        const dir = project();
        fs.mkdirSync(path.join(dir, "plans", "dev.json"), { recursive: true });
        for (const args of [["plan", "--no-previous"], ["plan"]]) {
            const result = await run(args, dir);
            assert.equal(result.code, 2, args.join(" "));
            assert.equal(result.stdout, "", "the plan is not printed when its record cannot be written");
            assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
            assert.match(result.stderr, /plans\/dev\.json/);
        }
    });

    void it("refuses --previous FILE with --no-previous, in either order", async () => {
        const dir = project();
        for (const args of [
            ["plan", "--previous", "x.json", "--no-previous"],
            ["plan", "--no-previous", "--previous", "x.json"],
        ]) {
            const result = await run(args, dir);
            assert.equal(result.code, 2);
            assertOneLine(result, /--previous FILE and --no-previous contradict each other/);
            assert.ok(!fs.existsSync(path.join(dir, "plans")), "no record written");
        }
    });

    void it("a damaged plan-record entry: exit 2 naming the file and the entry, no write", async () => {
        const dir = project();
        const record = path.join(dir, "plans", "dev.json");
        fs.mkdirSync(path.dirname(record));
        const damaged = JSON.stringify({ nodes: [{ name: "cp-1", podCidr: 42 }] });
        fs.writeFileSync(record, damaged);
        const result = await run(["plan"], dir);
        assert.equal(result.code, 2);
        assert.match(
            result.stderr,
            /plans\/dev\.json: nodes\[0\]\.podCidr: 42 \(node "cp-1"\) is not a canonical IPv4 CIDR/,
        );
        assert.equal(fs.readFileSync(record, "utf8"), damaged);
    });

    void it("render -o under /proc ends with one line instead of spinning", () => {
        const dir = project();
        const result = spawnSync(process.execPath, [BIN, "render", "--no-save", "-o", "/proc/clusternet-x"], {
            cwd: dir,
            encoding: "utf8",
        });
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /^clusternet: \/proc\/clusternet-x: cannot mkdir: .*\(ENOENT\)$/m);
        assert.doesNotMatch(result.stderr, /\n\s+at /);
    });

    void it(
        "plan > /dev/full: one line, exit 2",
        { skip: !fs.existsSync("/dev/full") ? "no /dev/full" : false },
        () => {
            const dir = project();
            const full = fs.openSync("/dev/full", "w");
            try {
                const result = spawnSync(process.execPath, [BIN, "plan", "--no-save", "--no-previous"], {
                    cwd: dir,
                    encoding: "utf8",
                    stdio: ["ignore", full, "pipe"],
                });
                assert.equal(result.status, 2, result.stderr);
                assert.equal(result.stderr, "clusternet: stdout: cannot write: no space left on the device (ENOSPC)\n");
            } finally {
                fs.closeSync(full);
            }
        },
    );

    void it("plan | head -c 100: the closed pipe ends the command quietly with exit 0", () => {
        // Enough nodes that the output outgrows the pipe's buffer after head has gone.
        const config = devConfig();
        config.nodes = Array.from({ length: 3000 }, (_, index) => ({
            name: `node-${index}`,
            ip: `192.168.${56 + Math.floor(index / 250)}.${(index % 250) + 1}`,
        }));
        config.cluster.nodeNetwork = "192.168.0.0/16";
        config.cluster.podCidr = "10.128.0.0/10";
        delete config.cluster.reserved;
        const dir = project(config);
        const result = spawnSync(
            "bash",
            [
                "-c",
                `"${process.execPath}" "${BIN}" plan --no-save --no-previous --format markdown | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`,
            ],
            { cwd: dir, encoding: "utf8" },
        );
        assert.equal(result.stderr, "exit=0\n");
    });
});

void describe("YAML as Pulumi reads it", () => {
    void it("resolves merge keys, overriding what the node sets itself", async () => {
        const dir = temporaryDirectory();
        fs.writeFileSync(
            path.join(dir, "Pulumi.merge.yaml"),
            [
                "config:",
                "  clusternet:cluster: {podCidr: 10.244.0.0/16, nodeNetwork: 192.168.56.0/24}",
                "  clusternet:nodes:",
                "    - &node {name: cp-1, ip: 192.168.56.10}",
                "    - <<: *node",
                "      name: worker-1",
                "      ip: 192.168.56.11",
                "    - {<<: *node, name: worker-2, ip: 192.168.56.12}",
                "",
            ].join("\n"),
        );
        const result = await run(["plan", "--config-file", "Pulumi.merge.yaml", "--no-save", "--format", "json"], dir);
        assert.equal(result.code, 0, result.stderr);
        const plan = JSON.parse(result.stdout) as { nodes: Array<{ name: string; ip: string }> };
        assert.deepEqual(
            plan.nodes.map((node) => `${node.name}=${node.ip}`),
            ["cp-1=192.168.56.10", "worker-1=192.168.56.11", "worker-2=192.168.56.12"],
        );
    });

    void it("refuses alias bombs of any depth with one line, exit 2", async () => {
        const dir = temporaryDirectory();
        for (const depth of [4, 6, 9]) {
            const lines = ["config:", '  a: &a0 ["x","x","x","x","x","x","x","x","x"]'];
            for (let level = 1; level < depth; level++) {
                lines.push(`  a${level}: &a${level} [${Array.from({ length: 9 }, () => `*a${level - 1}`).join(",")}]`);
            }
            fs.writeFileSync(path.join(dir, "Pulumi.bomb.yaml"), `${lines.join("\n")}\n`);
            const result = await run(["plan", "--config-file", "Pulumi.bomb.yaml", "--no-save"], dir);
            assert.equal(result.code, 2, `depth ${depth}`);
            assert.match(result.stderr, /Pulumi\.bomb\.yaml: expands its YAML aliases \(\*name\) more than 100 times/);
            assert.doesNotMatch(result.stderr, /\n\s+at |internal error/);
        }
    });
});
