/**
 * `npm test`: the static checks (`check:types`, `check:lint`, `check:format`) and the unit suite (`test:unit`) at
 * the same time, then the lab suite (`test:lab`: root only, its tests skip with the reason otherwise). Each part is
 * its package.json script, so each also runs alone (`npm run test:unit`). The unit suite's output streams; a check's
 * output is printed when it ends. Exits 1 when any part failed, after every part has run.
 *
 * The lab suite runs after the rest, not beside it: its checks wait on real timeouts (ping, connect), which a
 * machine busy with the type checker would stretch.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.join(__dirname, "..");
const SCRIPTS = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    }
).scripts;
const ENV = {
    ...process.env,
    PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env["PATH"]}`,
};

interface Outcome {
    readonly script: string;
    readonly code: number;
    readonly ms: number;
}

/** Runs a package.json script as npm would (its command in a shell, node_modules/.bin first on the PATH). */
function run(script: string, stream: boolean): Promise<Outcome> {
    const start = performance.now();
    const child = spawn("sh", ["-c", SCRIPTS[script]!], {
        cwd: ROOT,
        env: ENV,
        stdio: stream ? "inherit" : ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve) => {
        child.on("close", (code) => {
            const ms = performance.now() - start;
            if (!stream) {
                process.stdout.write(`\n# ${script} (${SCRIPTS[script]}): ${code === 0 ? "ok" : "FAILED"}\n`);
                if (output.trim() !== "") {
                    process.stdout.write(`${output.trimEnd()}\n`);
                }
            }
            resolve({ script, code: code ?? 1, ms });
        });
    });
}

async function main(): Promise<number> {
    const start = performance.now();
    const checks = ["check:types", "check:lint", "check:format"].map((script) => run(script, false));
    const unit = await run("test:unit", true);
    const outcomes = [...(await Promise.all(checks)), unit];
    outcomes.push(await run("test:lab", true));
    process.stdout.write("\n");
    for (const outcome of outcomes) {
        process.stdout.write(
            `# ${outcome.script}: ${outcome.code === 0 ? "ok" : "FAILED"}, ${(outcome.ms / 1000).toFixed(1)} s\n`,
        );
    }
    const failed = outcomes.filter((outcome) => outcome.code !== 0);
    process.stdout.write(
        `# npm test: ${failed.length === 0 ? "ok" : `${failed.length} part(s) FAILED`}, ${((performance.now() - start) / 1000).toFixed(1)} s\n`,
    );
    return failed.length === 0 ? 0 : 1;
}

void main().then((code) => {
    process.exitCode = code;
});
