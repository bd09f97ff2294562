/**
 * `npm run test:profile`: what `npm test` costs, part by part. Runs each part of `npm test` (the package.json
 * scripts check:types, check:lint, check:format, test:unit, test:lab) one after another under `/usr/bin/time -v`
 * and prints a markdown table of CPU time (user + system, of the process and every child it waited for) and wall
 * time. With `--files` (or file names), each test file alone in its own process instead, slowest first.
 *
 * On a shared machine wall time is CPU time plus waiting for a core, so CPU time is the figure to compare; the
 * estimate for a quiet 2-core machine is the CPU time of what runs side by side over 2 cores.
 *
 * `npm run test:profile -- [--cold] [part ...] [--files | test/x.test.ts ...]` (parts: check:types check:lint
 * check:format test:unit test:lab; all by default). `--cold` deletes the caches
 * (node_modules/.cache/clusternet: the checks' and the shards' durations) first, as on a fresh clone.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.join(__dirname, "..");
const TIME = "/usr/bin/time";
const CACHE = path.join(ROOT, "node_modules", ".cache", "clusternet");

interface Measure {
    readonly name: string;
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly exitCode: number;
    /** Tests that passed, failed and were skipped (test files only). */
    readonly counts?: { pass: number; fail: number; skipped: number };
}

function measure(name: string, command: string, args: readonly string[]): Measure {
    const useTime = fs.existsSync(TIME);
    const start = performance.now();
    const result = useTime
        ? spawnSync(TIME, ["-v", command, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 30 })
        : spawnSync(command, [...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 30 });
    const wallMs = performance.now() - start;
    const field = (label: string): number => Number(new RegExp(`${label}: ([\\d.]+)`).exec(result.stderr)?.[1] ?? 0);
    const cpuMs = useTime ? (field("User time \\(seconds\\)") + field("System time \\(seconds\\)")) * 1000 : NaN;
    const count = (label: string): number =>
        Number(new RegExp(`^(?:#|ℹ) ${label} (\\d+)$`, "m").exec(result.stdout)?.[1] ?? 0);
    const exitCode = result.status ?? 1;
    if (exitCode !== 0) {
        const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-20).join("\n");
        console.error(`${name} exited ${exitCode}:\n${tail}`);
    }
    return {
        name,
        wallMs,
        cpuMs,
        exitCode,
        ...(/^(?:#|ℹ) tests /m.test(result.stdout)
            ? { counts: { pass: count("pass"), fail: count("fail"), skipped: count("skipped") } }
            : {}),
    };
}

/** A package.json script, run as npm runs it (a shell, node_modules/.bin first on the PATH). */
function measureScript(script: string, scripts: Record<string, string>): Measure {
    const bin = path.join(ROOT, "node_modules", ".bin");
    return measure(script, "sh", ["-c", `PATH="${bin}${path.delimiter}$PATH"; ${scripts[script]!}`]);
}

/** Wall time of `durations` on `workers` workers, as the test runner hands them out: in order, to the first free. */
function schedule(durations: readonly number[], workers: number): number {
    const free = Array.from({ length: workers }, () => 0);
    for (const duration of durations) {
        const first = free.indexOf(Math.min(...free));
        free[first]! += duration;
    }
    return Math.max(...free);
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

function row(m: Measure): string {
    const counts = m.counts ? `${m.counts.pass}/${m.counts.fail}/${m.counts.skipped}` : "";
    return `| ${m.name} | ${seconds(m.cpuMs)} | ${seconds(m.wallMs)} | ${counts}${m.exitCode === 0 ? "" : " FAILED"} |`;
}

function main(): void {
    const argv = process.argv.slice(2);
    if (argv.includes("--cold")) {
        fs.rmSync(CACHE, { recursive: true, force: true });
    }
    const scripts = (
        JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        }
    ).scripts;
    const PARTS = ["check:types", "check:lint", "check:format", "test:unit", "test:lab"];
    const named = argv.filter((arg) => !arg.startsWith("--") && !PARTS.includes(arg));
    const wantedParts = argv.filter((arg) => PARTS.includes(arg));
    const perFile = argv.includes("--files") || named.length > 0;
    const load = os.loadavg()[0]!;
    console.log(`load average at start ${load.toFixed(1)}, ${os.cpus().length} cores`);
    console.log("");
    console.log("| part | CPU s | wall s | tests pass/fail/skip |");
    console.log("|---|---|---|---|");
    if (!perFile) {
        const parts = (wantedParts.length > 0 ? wantedParts : PARTS).map((script) => {
            const result = measureScript(script, scripts);
            console.log(row(result));
            return result;
        });
        if (parts.length < PARTS.length) {
            return;
        }
        const cpu = (script: string): number => parts.find((part) => part.name === script)!.cpuMs;
        const checksAndUnit = ["check:types", "check:lint", "check:format", "test:unit"].map(cpu);
        const sum = checksAndUnit.reduce((total, ms) => total + ms, 0);
        console.log(`load average at end ${os.loadavg()[0]!.toFixed(1)}`);
        console.log("");
        console.log(
            `quiet 2-core estimate: checks and unit suite side by side ${seconds(Math.max(sum / 2, ...checksAndUnit.map((ms) => (ms === cpu("test:unit") ? ms / 2 : ms))))} s (CPU ${seconds(sum)} s over 2 cores); then the lab suite, at least ${seconds(cpu("test:lab") / 2)} s (its CPU over 2 cores; it also waits on pings and timeouts: its wall time on an idle machine is the figure)`,
        );
        return;
    }
    const files =
        named.length > 0
            ? named
            : fs
                  .readdirSync(path.join(ROOT, "test"))
                  .filter((file) => file.endsWith(".test.ts"))
                  .sort()
                  .map((file) => `test/${file}`);
    const fileMeasures = files.map((file) => {
        const result = measure(file, process.execPath, [
            "--import",
            "./test/helpers/tsx-loader.mjs",
            "--test",
            "--test-reporter=tap",
            file,
        ]);
        console.error(`${file}: CPU ${seconds(result.cpuMs)} s, wall ${seconds(result.wallMs)} s`);
        return result;
    });
    for (const result of [...fileMeasures].sort((a, b) => b.cpuMs - a.cpuMs)) {
        console.log(row(result));
    }
    const cpuSum = fileMeasures.reduce((sum, m) => sum + m.cpuMs, 0);
    console.log(
        `| test files, sum | ${seconds(cpuSum)} | ${seconds(fileMeasures.reduce((s, m) => s + m.wallMs, 0))} | |`,
    );
    console.log("");
    console.log(
        `each file in its own process, by CPU time: ${seconds(
            schedule(
                fileMeasures.map((m) => m.cpuMs),
                2,
            ),
        )} s on 2 workers`,
    );
}

main();
