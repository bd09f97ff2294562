/**
 * Running things for the lab: commands (ip, bridge, iptables-restore, CNI plugins) inside the lab's network
 * namespaces, detached processes, and the namespace inventory. Nothing here touches the root namespace's
 * interfaces, routes, firewall or sysctls: every network command runs with `ip -n NS` or `ip netns exec NS`.
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export class LabCommandError extends Error {
    constructor(
        public readonly command: string,
        public readonly stderr: string,
        public readonly code: number | string | null,
    ) {
        super(`${command}: ${stderr.trim() || `exited ${String(code)}`}`);
        this.name = "LabCommandError";
    }
}

export interface RunOptions {
    readonly input?: string;
    readonly env?: NodeJS.ProcessEnv;
    readonly timeoutMs?: number;
}

export function run(
    command: string,
    args: readonly string[],
    options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = execFile(
            command,
            [...args],
            {
                env: options.env ?? process.env,
                timeout: options.timeoutMs ?? 60_000,
                maxBuffer: 64 * 1024 * 1024,
                encoding: "utf8",
            },
            (error, stdout, stderr) => {
                if (error) {
                    const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
                    reject(
                        new LabCommandError(
                            [command, ...args].join(" "),
                            `${stderr}${stdout && !stderr ? stdout : ""}` || error.message,
                            code,
                        ),
                    );
                    return;
                }
                resolve({ stdout, stderr });
            },
        );
        if (options.input !== undefined) {
            child.stdin?.end(options.input);
        } else {
            child.stdin?.end();
        }
    });
}

/** Runs `ip -batch` (or `bridge -batch`) lines, in a namespace when one is given. */
export async function batch(tool: "ip" | "bridge", netns: string | undefined, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) {
        return;
    }
    await run(tool, [...(netns ? ["-n", netns] : []), "-batch", "-"], { input: `${lines.join("\n")}\n` });
}

export function inNetns(
    netns: string,
    command: string,
    args: readonly string[],
    options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
    return run("ip", ["netns", "exec", netns, command, ...args], options);
}

/** Starts a long-running process inside a namespace, detached from us, output to `logFile`; returns its pid. */
export function spawnInNetns(netns: string, command: string, args: readonly string[], logFile: string): number {
    const log = fs.openSync(logFile, "a");
    try {
        // `ip netns exec` execs the command after entering the namespace, so the pid is the command's own.
        const child = spawn("ip", ["netns", "exec", netns, command, ...args], {
            detached: true,
            stdio: ["ignore", log, log],
        });
        child.unref();
        if (child.pid === undefined) {
            throw new Error(`could not start ${command} in ${netns}`);
        }
        return child.pid;
    } finally {
        fs.closeSync(log);
    }
}

export async function listNamespaces(): Promise<string[]> {
    const { stdout } = await run("ip", ["netns", "list"]);
    return stdout
        .split("\n")
        .map((line) => line.trim().split(/\s+/)[0] ?? "")
        .filter((name) => name !== "");
}

/** Processes whose network namespace is `netns`. */
export async function namespacePids(netns: string): Promise<number[]> {
    try {
        const { stdout } = await run("ip", ["netns", "pids", netns]);
        return stdout
            .split(/\s+/)
            .filter((pid) => /^\d+$/.test(pid))
            .map(Number);
    } catch {
        return [];
    }
}

export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The command line of a process, or "" when it is gone. */
export function commandLineOf(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
        return "";
    }
}

/** The first of `dirs` holding an executable `name`. */
export function findExecutable(name: string, dirs: readonly string[]): string | undefined {
    for (const dir of dirs) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

export function pathDirs(): string[] {
    return [
        ...(process.env["PATH"] ?? "").split(":").filter((dir) => dir !== ""),
        "/usr/sbin",
        "/sbin",
        "/usr/bin",
        "/bin",
    ];
}

/** Runs `work` over `items` with at most `limit` at a time; results in order. */
export async function mapLimit<T, R>(
    items: readonly T[],
    limit: number,
    work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]!, index);
        }
    });
    await Promise.all(workers);
    return results;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes a file atomically (temporary file, then rename), creating its folder. */
export function writeFileAtomic(file: string, content: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, content);
    fs.renameSync(temporary, file);
}
