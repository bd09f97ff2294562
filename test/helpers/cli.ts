import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

export const REPO = path.resolve(__dirname, "..", "..");
export const BIN = path.join(REPO, "bin", "clusternet.js");

export interface CliResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs the clusternet command line in `cwd` as a user would: a new process through bin/clusternet.js. Costs a
 * process start and the SDK's load (seconds on a busy machine): keep it for one smoke test per command and use
 * {@link runCli} for the rest.
 */
export function clusternet(args: readonly string[], cwd: string = REPO): CliResult {
    const result = spawnSync(process.execPath, [BIN, ...args], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the clusternet command line in this process, through `main(args, io)` with `cwd` as its working directory:
 * the same parsing, output and exit codes as {@link clusternet}, without starting a process. Each call builds its
 * own command tree; the stack program may run many times in one process (each run sets Pulumi's mocks afresh).
 * Calls must not overlap (the SDK's runtime state is global): await each one.
 */
export async function runCli(args: readonly string[], cwd: string = REPO): Promise<CliResult> {
    // Loaded on first use, so test files that only spawn the command do not load the CLI.
    const { main } = await import("../../cli/main.js");
    let stdout = "";
    let stderr = "";
    const code = await main(args, {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        cwd,
    });
    return { code, stdout, stderr };
}

const temporaryDirectories: string[] = [];

/** A fresh temporary folder, removed when the process exits (one exit listener for all: a shard has many files). */
export function temporaryDirectory(prefix = "clusternet-test-"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    if (temporaryDirectories.push(dir) === 1) {
        process.on("exit", () => {
            for (const each of temporaryDirectories) {
                fs.rmSync(each, { recursive: true, force: true });
            }
        });
    }
    return dir;
}

/** Writes a stack file with these `clusternet:*` values (keys without the namespace) and returns its path. */
export function writeStackFile(dir: string, name: string, config: Record<string, unknown>): string {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    const entries = Object.fromEntries(
        Object.entries(config).map(([key, value]) => [key.includes(":") ? key : `clusternet:${key}`, value]),
    );
    fs.writeFileSync(file, stringify({ config: entries }));
    return file;
}

/** The dev stack's `clusternet:*` values (keys without the namespace), read from Pulumi.dev.yaml, to vary in tests. */
export function devConfig(): Record<string, any> {
    const document = parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as {
        config: Record<string, unknown>;
    };
    return Object.fromEntries(
        Object.entries(document.config).map(([key, value]) => [key.replace(/^clusternet:/, ""), value]),
    );
}
