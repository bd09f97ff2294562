/**
 * The unit suite in a few processes instead of one per file. Every test file loads tsx and, through the
 * components, the Pulumi SDK (about 1 s of CPU each): over 60 files that was most of the suite's CPU time. A shard
 * runs its share of `test/*.test.ts` (all but the lab suite's files, which `npm run test:lab` runs as processes of
 * their own) one after another in one process, each file inside a suite named after it, so that a file's top-level
 * `before`/`after` hooks stay its own and a failure is reported under its file. Files keep running alone too
 * (`node --import tsx --test test/x.test.ts`).
 *
 * What a file changes in the process (console, Pulumi's mocks) it restores: the suite relies on that already,
 * since a file's tests share a process. The mocked Pulumi runs (`runOffline`, `runCli`, `devStack`) never overlap
 * because the files and their tests run one at a time.
 *
 * Shards share the work by each file's last duration (kept in node_modules/.cache/clusternet/), longest first, each
 * file to the shard with the least work so far; without durations (a fresh clone), alternately by name.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { describe } from "node:test";
import { REPO } from "./cli";

const CACHE = path.join(REPO, "node_modules", ".cache", "clusternet");

/** The lab suite's files, as `npm run test:lab` names them. */
export function labFiles(): string[] {
    const scripts = (
        JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        }
    ).scripts;
    return (scripts["test:lab"] ?? "").split(" ").filter((word) => /^test\/.*\.test\.ts$/.test(word));
}

/** The unit suite's files: every `test/*.test.ts` but the lab suite's, sorted by name. */
export function unitFiles(): string[] {
    const lab = new Set(labFiles());
    return fs
        .readdirSync(path.join(REPO, "test"))
        .filter((file) => file.endsWith(".test.ts"))
        .map((file) => `test/${file}`)
        .filter((file) => !lab.has(file))
        .sort();
}

function durationsFile(shard: number): string {
    return path.join(CACHE, `test-durations-${shard}.json`);
}

/** The last durations any shard recorded, by file. */
function lastDurations(): Map<string, number> {
    const durations = new Map<string, number>();
    const files = fs.existsSync(CACHE) ? fs.readdirSync(CACHE) : [];
    for (const file of files.filter((name) => /^test-durations-\d+\.json$/.test(name))) {
        try {
            for (const [name, ms] of Object.entries(JSON.parse(fs.readFileSync(path.join(CACHE, file), "utf8")))) {
                durations.set(name, Number(ms));
            }
        } catch {
            // A torn or stale file only costs balance.
        }
    }
    return durations;
}

/** Which of `files` shard `index` (1-based) of `count` runs: the same answer in every shard. */
export function shareOf(
    files: readonly string[],
    index: number,
    count: number,
    durations: ReadonlyMap<string, number>,
): string[] {
    const known = files.filter((file) => durations.has(file)).map((file) => durations.get(file)!);
    if (known.length === 0) {
        return files.filter((_, i) => i % count === index - 1);
    }
    // A new file counts as an average one until it has run once.
    const average = known.reduce((sum, ms) => sum + ms, 0) / known.length;
    const cost = (file: string): number => durations.get(file) ?? average;
    const ordered = [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
    const load = Array.from({ length: count }, () => 0);
    const shares: string[][] = Array.from({ length: count }, () => []);
    for (const file of ordered) {
        const least = load.indexOf(Math.min(...load));
        load[least]! += cost(file);
        shares[least]!.push(file);
    }
    return shares[index - 1]!;
}

/** Runs shard `index` of `count`: its files one after another, each as a suite named after it. */
export function runShard(index: number, count: number): void {
    const share = shareOf(unitFiles(), index, count, lastDurations());
    const measured: Record<string, number> = {};
    void (async () => {
        for (const file of share) {
            const start = performance.now();
            await describe(file, () => {
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                require(path.join(REPO, file));
            });
            measured[file] = Math.round(performance.now() - start);
        }
        recordDurations(index, count, measured);
    })();
}

/**
 * Keeps this shard's durations until every shard of the same run (the same test runner, the shards' parent
 * process) has finished, then the last one makes them the durations the next run shares by. Writing them earlier
 * could change the shares of a shard that has not started yet (`--test-concurrency=1`): a file run twice or never.
 */
function recordDurations(index: number, count: number, measured: Record<string, number>): void {
    const pending = (shard: number): string => path.join(CACHE, `test-durations-${shard}.pending.json`);
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(pending(index), JSON.stringify({ run: process.ppid, measured }));
    const runs = Array.from({ length: count }, (_, i) => {
        try {
            return JSON.parse(fs.readFileSync(pending(i + 1), "utf8")) as { run: number; measured: object };
        } catch {
            return undefined;
        }
    });
    if (runs.every((run) => run?.run === process.ppid)) {
        runs.forEach((run, i) => {
            const target = durationsFile(i + 1);
            fs.writeFileSync(`${target}.${process.pid}`, JSON.stringify(run!.measured));
            fs.renameSync(`${target}.${process.pid}`, target);
        });
    }
}
