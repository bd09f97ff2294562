/**
 * End to end: `clusternet plan`, `render` and `check` as whole processes on generated stacks, timed from outside,
 * with each process's peak resident memory (from `/usr/bin/time -v` when installed, else from the process itself
 * through a preloaded hook). Targets (issue 19): render and check of 1,000 nodes x 1,000 NodePort Services
 * (dual-stack) each < 20 s and < 1.5 GB; 5,000 x 100 < 15 s; the dev stack's `npm start` < 4 s; 10x nodes -> < 12x
 * time for plan, render and check.
 *
 * Run alone: `node --import tsx bench/e2e.ts [--runs N] [stack ...]` (stacks: dev 1000x100 5000x100 1000x1000, and
 * 500x100 for the growth ratio); bench/index.ts runs them all once with the rest.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { StackSize, generatedStack } from "./stacks";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "bin", "clusternet.js");
const TIME = "/usr/bin/time";
const GB = 1024 ** 3;

/** Writes the stack file into a fresh directory; its plan record would go to `plans/` beside it (never saved). */
function writeStack(name: string, size: StackSize): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `clusternet-bench-${name}-`));
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, stringify({ config: generatedStack(size) }, { lineWidth: 0 }));
    return file;
}

export interface ProcessMeasure {
    /** Wall time. */
    readonly ms: number;
    /** User + system CPU time: steadier than wall time on a shared machine. */
    readonly cpuMs: number;
    readonly maxRssBytes: number;
    readonly exitCode: number;
    /** What the process wrote to stdout. */
    readonly stdout: string;
}

/** A preloaded hook that writes the process's own peak RSS to the file named by CLUSTERNET_BENCH_RSS. */
function rssHook(): string {
    const file = path.join(os.tmpdir(), "clusternet-bench-rss-hook.cjs");
    fs.writeFileSync(
        file,
        `process.on("exit", () => { const u = process.resourceUsage(); require("node:fs").writeFileSync(process.env.CLUSTERNET_BENCH_RSS, JSON.stringify([u.maxRSS * 1024, (u.userCPUTime + u.systemCPUTime) / 1000])); });\n`,
    );
    return file;
}

/** Runs `command args` as one process; wall time from here, peak RSS from /usr/bin/time -v or the hook. */
export function measureProcess(command: string, args: readonly string[], cwd = ROOT): ProcessMeasure {
    const useTime = fs.existsSync(TIME);
    const rssFile = path.join(os.tmpdir(), `clusternet-bench-rss-${process.pid}`);
    const env = useTime
        ? process.env
        : { ...process.env, NODE_OPTIONS: `--require ${rssHook()}`, CLUSTERNET_BENCH_RSS: rssFile };
    const start = performance.now();
    const result = useTime
        ? spawnSync(TIME, ["-v", command, ...args], { cwd, env, encoding: "utf8", maxBuffer: 1024 * GB })
        : spawnSync(command, [...args], { cwd, env, encoding: "utf8", maxBuffer: 1024 * GB });
    const ms = performance.now() - start;
    let maxRssBytes = 0;
    let cpuMs = 0;
    if (useTime) {
        const field = (name: string): number => Number(new RegExp(`${name}: ([\\d.]+)`).exec(result.stderr)?.[1] ?? 0);
        maxRssBytes = field("Maximum resident set size \\(kbytes\\)") * 1024;
        cpuMs = (field("User time \\(seconds\\)") + field("System time \\(seconds\\)")) * 1000;
    } else if (fs.existsSync(rssFile)) {
        [maxRssBytes, cpuMs] = JSON.parse(fs.readFileSync(rssFile, "utf8")) as [number, number];
        fs.rmSync(rssFile);
    }
    const exitCode = result.status ?? 1;
    if (exitCode !== 0) {
        const tail = (result.stderr ?? "").split("\n").slice(-15).join("\n");
        console.error(`${command} ${args.join(" ")} exited ${exitCode}:\n${tail}`);
    }
    return { ms, cpuMs, maxRssBytes, exitCode, stdout: result.stdout ?? "" };
}

export const Step = { Plan: "plan", Render: "render", Check: "check" } as const;
export type Step = (typeof Step)[keyof typeof Step];

export interface StackMeasure {
    readonly stack: string;
    readonly step: Step | "npm start";
    /** The median run (by time) of `runs`. */
    readonly ms: number;
    readonly cpuMs: number;
    readonly maxRssBytes: number;
    readonly ok: boolean;
}

function median(measures: readonly ProcessMeasure[]): ProcessMeasure {
    return [...measures].sort((a, b) => a.ms - b.ms)[Math.floor(measures.length / 2)]!;
}

function summarize(
    stack: string,
    step: StackMeasure["step"],
    measures: readonly ProcessMeasure[],
    log: (line: string) => void,
): StackMeasure {
    const chosen = median(measures);
    const ok = measures.every((measure) => measure.exitCode === 0);
    log(
        `  ${stack} ${step}: ${(chosen.ms / 1000).toFixed(2)} s (CPU ${(chosen.cpuMs / 1000).toFixed(2)} s), ${(chosen.maxRssBytes / GB).toFixed(2)} GB${ok ? "" : " (FAILED)"}`,
    );
    return { stack, step, ms: chosen.ms, cpuMs: chosen.cpuMs, maxRssBytes: chosen.maxRssBytes, ok };
}

function stepArgs(step: Step, file: string): string[] {
    switch (step) {
        case Step.Plan:
            return ["plan", "--config-file", file, "--no-save"];
        case Step.Render:
            return ["render", "--config-file", file, "--no-save", "--out", path.join(path.dirname(file), "rendered")];
        case Step.Check:
            return ["check", "--config-file", file];
    }
}

/** Plan, render and check of one generated stack, each `runs` times. */
export function measureStack(name: string, size: StackSize, runs: number, log: (line: string) => void): StackMeasure[] {
    const file = writeStack(name, size);
    const results: StackMeasure[] = [];
    try {
        for (const step of Object.values(Step)) {
            const measures = Array.from({ length: runs }, () =>
                measureProcess(process.execPath, [CLI, ...stepArgs(step, file)]),
            );
            results.push(summarize(name, step, measures, log));
        }
    } finally {
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
    return results;
}

/** `npm start` on the dev stack, end to end (its plan record is rewritten only when its content changes). */
export function measureNpmStart(runs: number, log: (line: string) => void): StackMeasure {
    const measures = Array.from({ length: runs }, () => measureProcess("npm", ["start", "--silent"]));
    return summarize("dev", "npm start", measures, log);
}

export const STACKS: Readonly<Record<string, StackSize>> = {
    "500x100": { nodes: 500, services: 100, dualStack: false },
    "1000x100": { nodes: 1000, services: 100, dualStack: false },
    "5000x100": { nodes: 5000, services: 100, dualStack: false },
    "1000x1000": { nodes: 1000, services: 1000, dualStack: true },
};

export interface E2eResult {
    readonly name: string;
    readonly ms: number;
    readonly target?: string;
    readonly met?: boolean;
}

/** Every stack's measures, then each against its target. */
export function benchEndToEnd(log: (line: string) => void, runs = 1, only: readonly string[] = []): E2eResult[] {
    const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
    const measures: StackMeasure[] = [];
    if (wanted("dev")) {
        measures.push(measureNpmStart(runs, log));
    }
    for (const [name, size] of Object.entries(STACKS)) {
        if (wanted(name)) {
            measures.push(...measureStack(name, size, runs, log));
        }
    }
    const find = (stack: string, step: string): StackMeasure | undefined =>
        measures.find((measure) => measure.stack === stack && measure.step === step);
    const results: E2eResult[] = [];
    const gb = (bytes: number): string => `${(bytes / GB).toFixed(2)} GB`;
    for (const measure of measures) {
        const label = `e2e ${measure.stack} ${measure.step}${measure.ok ? "" : " (FAILED)"} [CPU ${(measure.cpuMs / 1000).toFixed(1)} s, ${gb(measure.maxRssBytes)}]`;
        if (measure.step === "npm start") {
            results.push({ name: label, ms: measure.ms, target: "< 4 s", met: measure.ok && measure.ms < 4000 });
        } else if (measure.stack === "1000x1000" && measure.step !== Step.Plan) {
            results.push({
                name: label,
                ms: measure.ms,
                target: "< 20 s and < 1.5 GB",
                met: measure.ok && measure.ms < 20000 && measure.maxRssBytes < 1.5 * GB,
            });
        } else if (measure.stack === "5000x100" && measure.step !== Step.Plan) {
            results.push({ name: label, ms: measure.ms, target: "< 15 s", met: measure.ok && measure.ms < 15000 });
        } else {
            results.push({ name: label, ms: measure.ms });
        }
    }
    // On a shared machine wall time is CPU time plus waiting: say so when waiting dominated.
    const loaded = measures.filter((measure) => measure.ms > 2 * measure.cpuMs);
    if (loaded.length > 0) {
        log(
            `  note: ${loaded.length} of ${measures.length} runs waited more than they computed (wall > 2x CPU; load average ${os.loadavg()[0]!.toFixed(1)}): their wall times say more about the machine than about clusternet`,
        );
    }
    // Growth: 500 -> 5,000 nodes at 100 Services, large enough at both ends that start-up does not hide it.
    for (const step of Object.values(Step)) {
        const small = find("500x100", step);
        const large = find("5000x100", step);
        if (small && large) {
            const growth = large.ms / small.ms;
            const cpuGrowth = large.cpuMs / small.cpuMs;
            results.push({
                name: `e2e growth ${step}, 10x nodes (500 -> 5,000, 100 Services)`,
                ms: large.ms,
                target: `< 12x time (measured ${growth.toFixed(1)}x wall, ${cpuGrowth.toFixed(1)}x CPU)`,
                met: growth < 12 && cpuGrowth < 12,
            });
        }
    }
    return results;
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const runsAt = argv.indexOf("--runs");
    const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 1;
    const only = argv.filter((arg, index) => arg !== "--runs" && (runsAt < 0 || index !== runsAt + 1));
    for (const result of benchEndToEnd((line) => console.log(line), runs, only)) {
        console.log(
            `${result.name}: ${(result.ms / 1000).toFixed(2)} s ${result.target ?? ""} ${result.met === undefined ? "" : result.met ? "met" : "MISSED"}`,
        );
    }
}
