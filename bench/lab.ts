/**
 * Times `lab up` (root only): the dev-shaped stack (target < 10 s), 10 nodes x 5 pods (target < 60 s), and 5,000
 * Services end to end (issue 14: < 15 s from typing `clusternet lab up` to the lab being up), with that stack's
 * `clusternet render` beside it. Each lab has its own prefix and is removed afterwards.
 * Run alone: `node --import tsx bench/lab.ts [dev] [10x5] [5000-services]`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { environmentProblem, labDown, labUp, LabContext, resolveStateDir } from "../lab/lab";
import { readManifestFiles } from "../lab/manifest-files";
import { LabInput } from "../lab/plan";
import { loadStack, readStackFile } from "../components/config";
import { measureProcess } from "./e2e";
import { labServicesStack } from "./stacks";

export interface BenchResult {
    readonly name: string;
    readonly ms: number;
    /** The most it may take; none for a figure shown for reference. */
    readonly target?: number;
}

const REPO = path.resolve(__dirname, "..");

/** The lab's input as `lab up` builds it: the stack's plan, and the manifests `clusternet render` writes. */
export function inputFor(stackFile: string, stack: string): LabInput {
    const source = readStackFile(stackFile);
    const loaded = source.ok ? loadStack(source.value) : source;
    if (!loaded.ok) {
        throw new Error(`bench stack ${stackFile}: ${loaded.problems.map((problem) => problem.message).join("; ")}`);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-render-"));
    try {
        const render = spawnSync(
            process.execPath,
            [
                path.join(REPO, "bin", "clusternet.js"),
                "render",
                "--config-file",
                stackFile,
                "--out",
                out,
                "--no-save",
                "--no-previous",
            ],
            { encoding: "utf8" },
        );
        if (render.status !== 0) {
            throw new Error(`bench render of ${stackFile}: ${render.stderr}`);
        }
        const { config, plan } = loaded.value;
        return {
            stack,
            plan,
            manifests: readManifestFiles(out),
            underlayMtu: config.podNetwork.mtu,
            nodePortRange: config.cluster.nodePortRange,
        };
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/** 10 nodes and 50 pods: five Deployments of ten replicas, each behind a NodePort Service. */
function tenByFiveStackFile(): string {
    const services = ["a", "b", "c", "d", "e"].map((letter, index) => ({
        name: `app-${letter}`,
        namespace: "bench",
        type: "NodePort",
        app: { image: "registry.lab.example/app:1.0.0", replicas: 10, containerPorts: [{ name: "http", port: 8080 }] },
        ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 31000 + index }],
    }));
    const config = {
        "clusternet:cluster": {
            name: "lab",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            nodeNetwork: "192.168.56.0/24",
        },
        "clusternet:nodes": Array.from({ length: 10 }, (_, index) => ({
            name: `node-${index}`,
            ip: `192.168.56.${10 + index}`,
        })),
        "clusternet:services": services,
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-stack-")), "Pulumi.bench.yaml");
    fs.writeFileSync(file, stringify({ config }));
    return file;
}

async function timeUp(name: string, input: LabInput, target: number, tag: string): Promise<BenchResult> {
    const prefix = `b${(process.pid % 1296).toString(36)}${tag}-`;
    const context: LabContext = {
        prefix,
        stateDir: path.join(os.tmpdir(), `clusternet-bench-${prefix}`),
        log: () => undefined,
    };
    try {
        const { state, ms } = await labUp(input, context);
        const notReady = Object.entries(state.pods).filter(([, pod]) => !pod.ready);
        if (notReady.length > 0) {
            throw new Error(`${name}: pods not Ready: ${notReady.map(([key]) => key).join(", ")}`);
        }
        return { name, ms, target };
    } finally {
        await labDown(context);
    }
}

const SERVICES = 5000;

/** `clusternet lab up`'s own account of its time: the lab's part, and the command's part before it. */
function labUpSplit(stdout: string): { labMs: number; beforeMs: number; beforeCpuMs: number } | undefined {
    const match = /lab up: built in ([\d.]+) s; before that, .* took ([\d.]+) s \(CPU ([\d.]+) s\)/.exec(stdout);
    return match
        ? { labMs: Number(match[1]) * 1000, beforeMs: Number(match[2]) * 1000, beforeCpuMs: Number(match[3]) * 1000 }
        : undefined;
}

/**
 * 5,000 Services, as a user runs them: `clusternet render` of the stack, then `clusternet lab up` on it as one
 * process (wall and CPU time, the command's children included), split into the command's planning and rendering
 * and the lab's own build as `lab up` reports them.
 */
async function benchManyServices(log: (line: string) => void): Promise<BenchResult[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-services-"));
    const file = path.join(dir, "Pulumi.services.yaml");
    fs.writeFileSync(file, stringify({ config: labServicesStack(SERVICES) }, { lineWidth: 0 }));
    const cli = path.join(REPO, "bin", "clusternet.js");
    const prefix = `b${(process.pid % 1296).toString(36)}s-`;
    const stack = ["--config-file", file, "--no-save", "--no-previous"];
    try {
        const render = measureProcess(process.execPath, [cli, "render", ...stack, "--out", path.join(dir, "out")]);
        const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
        const renderName = `render: ${SERVICES} Services (3 nodes; CPU ${s(render.cpuMs)}, ${(render.maxRssBytes / 1024 ** 3).toFixed(2)} GB)`;
        log(`  ${renderName}: ${s(render.ms)}`);
        const up = measureProcess(process.execPath, [cli, "lab", "up", ...stack, "--prefix", prefix]);
        const split = labUpSplit(up.stdout);
        const detail = split
            ? `planning and rendering ${s(split.beforeMs)} (CPU ${s(split.beforeCpuMs)}), the lab ${s(split.labMs)}`
            : "no split: lab up failed";
        const upName = `lab up: ${SERVICES} Services end to end (CPU ${s(up.cpuMs)}; ${detail})`;
        log(`  ${upName}: ${s(up.ms)}`);
        return [
            { name: renderName, ms: render.exitCode === 0 ? render.ms : Infinity },
            { name: upName, ms: up.exitCode === 0 && split ? up.ms : Infinity, target: 15_000 },
        ];
    } finally {
        await labDown({ prefix, stateDir: resolveStateDir(prefix, undefined), log: () => undefined });
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** `lab up` timings (all, or those named: dev, 10x5, 5000-services); empty where the lab cannot run. */
export async function benchLab(only: readonly string[] = [], log: (line: string) => void = () => undefined) {
    const problem = environmentProblem({ platform: process.platform, uid: process.getuid?.(), hasNetns: true });
    if (problem) {
        process.stderr.write(`bench lab: skipped: ${problem}\n`);
        return [];
    }
    const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
    const results: BenchResult[] = [];
    if (wanted("dev")) {
        results.push(
            await timeUp(
                "lab up: dev stack (3 nodes, 6 pods, vxlan, Services, Ingress)",
                inputFor(path.join(REPO, "Pulumi.dev.yaml"), "dev"),
                10_000,
                "d",
            ),
        );
    }
    if (wanted("10x5")) {
        results.push(
            await timeUp(
                "lab up: 10 nodes x 5 pods each (vxlan, 5 NodePort Services)",
                inputFor(tenByFiveStackFile(), "bench"),
                60_000,
                "t",
            ),
        );
    }
    if (wanted("5000-services")) {
        results.push(...(await benchManyServices(log)));
    }
    return results;
}

if (require.main === module) {
    benchLab(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`))
        .then((results) => {
            for (const result of results) {
                const verdict =
                    result.target === undefined
                        ? ""
                        : ` (target < ${result.target / 1000} s) ${result.ms < result.target ? "ok" : "SLOW"}`;
                process.stdout.write(`${result.name}: ${(result.ms / 1000).toFixed(2)} s${verdict}\n`);
            }
        })
        .catch((error: unknown) => {
            process.stderr.write(`bench lab: ${String(error)}\n`);
            process.exitCode = 1;
        });
}
