/**
 * The plan record as the allocation's lock file, through `clusternet plan` in-process: removed nodes stay retired
 * until released, come back to their old subnets, a damaged record is refused and left alone, a missing one is
 * announced, and planning twice rewrites nothing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { main } from "../cli/main";
import { parsePlanRecord } from "../components/plan";
import { temporaryDirectory, writeStackFile } from "./helpers/cli";

interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

async function clusternet(args: readonly string[], cwd: string): Promise<Result> {
    let stdout = "";
    let stderr = "";
    const code = await main(args, {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        cwd,
    });
    return { code, stdout, stderr };
}

const CLUSTER = { name: "lab", podCidr: "10.244.0.0/16", nodeNetwork: "192.168.56.0/24" };
const node = (name: string, last: number) => ({ name, ip: `192.168.56.${last}` });
const THREE = [node("cp-1", 10), node("worker-1", 11), node("worker-2", 12)];

/** A fresh project folder with a stack `lab` of these nodes; returns the folder and its record path. */
function project(nodes: unknown[], cluster: Record<string, unknown> = CLUSTER): { dir: string; record: string } {
    const dir = temporaryDirectory();
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
    writeStackFile(dir, "lab", { cluster, nodes });
    return { dir, record: path.join(dir, "plans", "lab.json") };
}

function restack(dir: string, nodes: unknown[], cluster: Record<string, unknown> = CLUSTER): void {
    writeStackFile(dir, "lab", { cluster, nodes });
}

interface RecordJson {
    nodes: Array<{ name: string; podCidr: string | null; podCidrSource: string }>;
    retired: Array<{ name: string; podCidr: string | null }>;
    capacity: { ipv4: { used: number; retired: number } };
}

const readRecord = (file: string): RecordJson => JSON.parse(fs.readFileSync(file, "utf8")) as RecordJson;
const subnets = (record: RecordJson) => Object.fromEntries(record.nodes.map((entry) => [entry.name, entry.podCidr]));

describe("the plan record", () => {
    it("says plainly that a missing record is a fresh allocation to commit, then rewrites nothing", async () => {
        const { dir, record } = project(THREE);
        const first = await clusternet(["plan", "--stack", "lab"], dir);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stderr, /no plan record plans\/lab\.json: this is a fresh allocation.*commit it/);
        const text = fs.readFileSync(record, "utf8");
        const mtime = fs.statSync(record).mtimeMs;
        assert.deepEqual(
            readRecord(record).nodes.map((entry) => entry.podCidrSource),
            ["allocated", "allocated", "allocated"],
        );
        const second = await clusternet(["plan", "--stack", "lab"], dir);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.stderr, "");
        assert.equal(fs.readFileSync(record, "utf8"), text, "byte-identical");
        assert.equal(fs.statSync(record).mtimeMs, mtime, "not rewritten");
    });

    it("keeps a removed node's subnet retired, shows it with the fix, and gives it back when the node returns", async () => {
        const { dir, record } = project(THREE);
        assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
        const before = path.join(dir, "before.json");
        fs.copyFileSync(record, before);

        restack(dir, [node("cp-1", 10), node("worker-2", 12), node("worker-3", 13)]);
        const table = await clusternet(["plan", "--stack", "lab"], dir);
        assert.equal(table.code, 0, table.stderr);
        assert.match(
            table.stdout,
            /worker-1\s+10\.244\.1\.0\/24\s+kubectl delete node worker-1, then add worker-1 to clusternet:cluster\.released/,
        );
        assert.match(table.stderr, /warning: clusternet:cluster\.released: node "worker-1" was removed/);
        const retired = readRecord(record);
        assert.deepEqual(subnets(retired), {
            "cp-1": "10.244.0.0/24",
            "worker-2": "10.244.2.0/24",
            "worker-3": "10.244.3.0/24",
        });
        assert.deepEqual(retired.retired, [{ name: "worker-1", podCidr: "10.244.1.0/24", podCidrV6: null }]);
        assert.equal(retired.capacity.ipv4.used, 4);
        assert.equal(retired.capacity.ipv4.retired, 1);

        const markdown = await clusternet(["plan", "--stack", "lab", "--format", "markdown", "--no-save"], dir);
        assert.match(markdown.stdout, /\| worker-1 \| 10\.244\.1\.0\/24 \| kubectl delete node worker-1/);
        const diff = await clusternet(["plan", "--stack", "lab", "--diff", before, "--no-save"], dir);
        assert.equal(diff.code, 0, diff.stderr);
        assert.match(diff.stdout, /removed node worker-1: 10\.244\.1\.0\/24 stays reserved \(retired\)/);
        assert.match(diff.stdout, /added node worker-3: 10\.244\.3\.0\/24/);

        const afterRetire = path.join(dir, "retired.json");
        fs.copyFileSync(record, afterRetire);
        restack(dir, [...THREE, node("worker-3", 13)]);
        const back = await clusternet(["plan", "--stack", "lab", "--diff", afterRetire], dir);
        assert.equal(back.code, 0, back.stderr);
        assert.match(back.stdout, /re-added node worker-1: 10\.244\.1\.0\/24 \(its old subnet\)/);
        assert.equal(subnets(readRecord(record))["worker-1"], "10.244.1.0/24");
        assert.deepEqual(readRecord(record).retired, []);
    });

    it("frees a retired subnet only when released, and refuses to release a node still in the config", async () => {
        const { dir, record } = project(THREE);
        assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
        restack(dir, [node("cp-1", 10), node("worker-2", 12)]);
        assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
        const retiredRecord = path.join(dir, "retired.json");
        fs.copyFileSync(record, retiredRecord);

        restack(dir, [node("cp-1", 10), node("worker-2", 12)], { ...CLUSTER, released: ["worker-1"] });
        const released = await clusternet(["plan", "--stack", "lab", "--diff", retiredRecord], dir);
        assert.equal(released.code, 0, released.stderr);
        assert.match(released.stdout, /released node worker-1: frees 10\.244\.1\.0\/24/);
        assert.match(released.stderr, /released node "worker-1": 10\.244\.1\.0\/24 may be given to another node again/);
        assert.deepEqual(readRecord(record).retired, []);
        assert.equal(readRecord(record).capacity.ipv4.used, 2);

        restack(dir, [node("cp-1", 10), node("worker-2", 12), node("worker-9", 19)], {
            ...CLUSTER,
            released: ["worker-1"],
        });
        assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
        assert.equal(subnets(readRecord(record))["worker-9"], "10.244.1.0/24");

        restack(dir, [node("cp-1", 10), node("worker-2", 12)], { ...CLUSTER, released: ["worker-2"] });
        const refused = await clusternet(["plan", "--stack", "lab"], dir);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /^clusternet:cluster\.released\[0\]: "worker-2" is still a node/m);
    });

    it("refuses a pin on a retired node's subnet", async () => {
        const { dir } = project(THREE);
        assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
        restack(dir, [node("cp-1", 10), node("worker-2", 12), { ...node("worker-3", 13), podCidr: "10.244.1.0/24" }]);
        const result = await clusternet(["plan", "--stack", "lab"], dir);
        assert.equal(result.code, 2);
        assert.match(
            result.stderr,
            /^clusternet:nodes\[2\]\.podCidr: 10\.244\.1\.0\/24 still belongs to removed node "worker-1"/m,
        );
    });

    for (const [what, damage, key] of [
        ["bad JSON", (text: string) => text.slice(0, 40), /plans\/lab\.json: is not JSON/],
        [
            "a null podCidr",
            (text: string) => text.replace('"podCidr": "10.244.1.0/24"', '"podCidr": null'),
            /plans\/lab\.json: nodes\[1\]\.podCidr: is null for node "worker-1"/,
        ],
        [
            "the wrong shape",
            () => JSON.stringify({ nodes: {} }),
            /plans\/lab\.json: is not a plan record \(no nodes list\)/,
        ],
        [
            "a subnet held twice",
            (text: string) => text.replace('"podCidr": "10.244.2.0/24"', '"podCidr": "10.244.1.0/24"'),
            /nodes\[2\]\.podCidr: 10\.244\.1\.0\/24 is recorded for both "worker-1" and "worker-2"/,
        ],
        [
            "a non-canonical subnet",
            (text: string) => text.replace('"podCidr": "10.244.1.0/24"', '"podCidr": "10.244.1.7/24"'),
            /nodes\[1\]\.podCidr: "10\.244\.1\.7\/24" \(node "worker-1"\) is not a canonical IPv4 CIDR/,
        ],
    ] as const) {
        it(`refuses a record with ${what} (exit 2, naming the file and entry) and never overwrites it`, async () => {
            const { dir, record } = project(THREE);
            assert.equal((await clusternet(["plan", "--stack", "lab"], dir)).code, 0);
            const damaged = damage(fs.readFileSync(record, "utf8"));
            fs.writeFileSync(record, damaged);
            for (const command of ["plan", "render"]) {
                const result = await clusternet([command, "--stack", "lab"], dir);
                assert.equal(result.code, 2, `${command}: ${result.stderr}`);
                assert.match(result.stderr, key);
                assert.match(result.stderr, /git checkout --/);
                assert.equal(fs.readFileSync(record, "utf8"), damaged);
            }
        });
    }
});

describe("parsePlanRecord", () => {
    it("keeps each subnet's source, so an allocated subnet is not re-labelled previous", () => {
        const read = parsePlanRecord(
            JSON.stringify({
                cluster: { podCidr: "10.244.0.0/16" },
                nodes: [{ name: "a", podCidr: "10.244.0.0/24", podCidrSource: "allocated" }],
                retired: [{ name: "b", podCidr: "10.244.1.0/24" }],
            }),
            "r.json",
        );
        assert.deepEqual(read, {
            status: "ok",
            memory: { a: { podCidr: "10.244.0.0/24", podCidrSource: "allocated" }, b: { podCidr: "10.244.1.0/24" } },
        });
    });

    it("reports every bad entry at once", () => {
        const read = parsePlanRecord(
            JSON.stringify({
                cluster: { podCidr: "10.244.0.0/16" },
                nodes: [{ name: "A!" }, { name: "b", podCidr: "10.244.0.0/24", podCidrSource: "guessed" }, 7],
                retired: [{ name: "c" }],
            }),
            "r.json",
        );
        assert.equal(read.status, "damaged");
        assert.deepEqual(read.status === "damaged" ? read.problems.map((problem) => problem.key) : [], [
            "r.json: nodes[0].name",
            "r.json: nodes[1].podCidrSource",
            "r.json: nodes[2]",
            "r.json: retired[0]",
        ]);
    });
});

describe("clusternet render of NodePatches", () => {
    it("marks each NodePatch file as a patch with the command that applies it, and names no folder it does not write", async () => {
        const { dir } = project(THREE);
        const result = await clusternet(["render", "--stack", "lab", "--out", "out"], dir);
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /rendered\/pulumi-/);
        const files = fs.readdirSync(path.join(dir, "out")).filter((file) => file.includes("-node-patch-"));
        assert.equal(files.length, 3);
        const text = fs.readFileSync(path.join(dir, "out", files[0]!), "utf8");
        assert.match(text, /^# NOT a Node to create: a patch \(kubernetes:core\/v1:NodePatch\)/);
        assert.match(text, new RegExp(`kubectl patch node cp-1 --type=merge --patch-file=${files[0]}`));
        assert.match(text, /clusternet\.io\/rendered-patch: .*kubectl patch node cp-1/);
    });
});
