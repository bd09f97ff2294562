import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { Io, main } from "../cli/main";
import { REPO, devConfig, temporaryDirectory } from "./helpers/cli";

/**
 * Fuzzing what users hand the command: the stack file (as values and as raw YAML text) and the plan record. Whatever
 * the input, `clusternet plan` ends with exit 0, 1 or 2, never prints a stack trace, and after a refusal (exit 2)
 * has printed nothing on stdout and left the plan record as it was. (A hang would stop the run at the test's
 * timeout, which is a guard, not a measurement.)
 */

const dir = temporaryDirectory("clusternet-fuzz-");
const STACK_FILE = path.join(dir, "Pulumi.dev.yaml");
const RECORD = path.join(dir, "plans", "dev.json");
fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: clusternet\nruntime: nodejs\n");
const DEV_TEXT = fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8");

/** Values users get wrong, and values that are wrong in other languages. */
const NASTY_STRINGS = [
    "",
    " ",
    "127.0.0.1",
    "0.0.0.0",
    "::",
    "::1",
    "255.255.255.255",
    "010.244.0.0/16",
    "10.244.0.0/33",
    "10.244.0.1/16",
    "fe80::/10",
    "/*",
    "/a { return 200 x; } location /b",
    "a\nb",
    "a|b",
    '"',
    "'",
    "`rm -rf /`",
    "$(id)",
    "${x}",
    "1e3",
    "-1",
    "30000-",
    "65535-1",
    "__proto__",
    "constructor",
    "\u0000",
    "\u202e",
    "é",
    "x".repeat(300),
];

const scalar = fc.oneof(
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: -70000, max: 70000 }),
    fc.constantFrom(0, 1, 24, 32, 64, 128, 65535, 65536, 1e21, -0, 0.5, Number.MAX_SAFE_INTEGER),
    fc.boolean(),
    fc.constant(null),
);
const value = fc.oneof(
    { weight: 4, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("name", "ip", "cidr", "port", "x", "__proto__"), scalar) },
);

/** Every path into a value, containers included. */
function pathsOf(node: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
    const paths: Array<Array<string | number>> = [prefix];
    if (Array.isArray(node)) {
        node.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
    } else if (typeof node === "object" && node !== null) {
        for (const [key, item] of Object.entries(node)) {
            paths.push(...pathsOf(item, [...prefix, key]));
        }
    }
    return paths;
}

const DEV = devConfig();
const DEV_PATHS = pathsOf(DEV).filter((item) => item.length > 0);

interface Mutation {
    readonly at: number;
    readonly kind: "replace" | "delete" | "add";
    readonly value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("replace", "delete", "add"),
    value,
});

function mutate(mutations: readonly Mutation[]): Record<string, unknown> {
    const config: Record<string, any> = structuredClone(DEV);
    for (const { at, kind, value: item } of mutations) {
        const target = DEV_PATHS[at % DEV_PATHS.length]!;
        let parent: any = config;
        for (const segment of target.slice(0, -1)) {
            parent = parent?.[segment];
        }
        if (typeof parent !== "object" || parent === null) {
            continue;
        }
        const last = target.at(-1)!;
        if (kind === "delete") {
            if (Array.isArray(parent) && typeof last === "number") {
                parent.splice(last, 1);
            } else {
                delete parent[last];
            }
        } else if (kind === "add" && !Array.isArray(parent)) {
            parent[`extra${at % 7}`] = item;
        } else {
            parent[last] = item;
        }
    }
    return config;
}

interface Outcome {
    code: number;
    stdout: string;
    stderr: string;
}

async function plan(args: readonly string[] = []): Promise<Outcome> {
    let stdout = "";
    let stderr = "";
    const io: Io = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd: dir };
    const code = await main(["plan", ...args], io);
    return { code, stdout, stderr };
}

/** The properties every run must have, given the record before it. */
function assertWellBehaved(outcome: Outcome, recordBefore: string | undefined, input: string): void {
    assert.ok([0, 1, 2].includes(outcome.code), `exit ${outcome.code} for:\n${input}\n${outcome.stderr}`);
    assert.doesNotMatch(outcome.stderr, /\n\s+at |internal error/, `a stack trace for:\n${input}`);
    const recordAfter = fs.existsSync(RECORD) ? fs.readFileSync(RECORD, "utf8") : undefined;
    if (outcome.code === 2) {
        assert.equal(outcome.stdout, "", `printed after a refusal for:\n${input}`);
        assert.equal(recordAfter, recordBefore, `the record changed after a refusal for:\n${input}`);
        assert.ok(outcome.stderr.length > 0, "a refusal says why");
    }
    if (outcome.code === 0) {
        assert.ok(recordAfter !== undefined && JSON.parse(recordAfter), "a run that succeeds leaves a record");
    }
}

function resetRecord(text: string | undefined): void {
    fs.rmSync(path.join(dir, "plans"), { recursive: true, force: true });
    if (text !== undefined) {
        fs.mkdirSync(path.dirname(RECORD), { recursive: true });
        fs.writeFileSync(RECORD, text);
    }
}

function writeStack(config: Record<string, unknown>): string {
    const text = stringify({
        config: Object.fromEntries(Object.entries(config).map(([key, item]) => [`clusternet:${key}`, item])),
    });
    fs.writeFileSync(STACK_FILE, text);
    return text;
}

void describe("fuzzing the stack file and the plan record", { timeout: 600_000 }, () => {
    void it("stack files with mutated values", async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
                resetRecord(undefined);
                const text = writeStack(mutate(mutations));
                assertWellBehaved(await plan(), undefined, text);
            }),
            { numRuns: 250 },
        );
    });

    void it("stack files with mangled YAML text", async () => {
        const snippet = fc.constantFrom(
            "&a ",
            "*a",
            "<<: *a",
            "!!binary ",
            "!Custom ",
            "? ",
            "\t",
            "---\n",
            "...\n",
            "{",
            "]",
            ": ",
            "- ",
            "#",
            '"',
            "\\",
            "\u0000",
            "\n  ",
            "clusternte:",
            "Clusternet:",
        );
        const edit = fc.record({
            at: fc.nat(),
            drop: fc.nat({ max: 6 }),
            insert: fc.oneof(snippet, fc.string({ maxLength: 4 })),
        });
        await fc.assert(
            fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 5 }), async (edits) => {
                resetRecord(undefined);
                let text = DEV_TEXT;
                for (const { at, drop, insert } of edits) {
                    const position = at % (text.length + 1);
                    text = text.slice(0, position) + insert + text.slice(position + drop);
                }
                fs.writeFileSync(STACK_FILE, text);
                assertWellBehaved(await plan(), undefined, text);
            }),
            { numRuns: 250 },
        );
    });

    void it("plan records: mangled JSON, wrong shapes, damaged entries", async () => {
        writeStack(DEV);
        resetRecord(undefined);
        const good = (await plan()).stdout.length > 0 ? fs.readFileSync(RECORD, "utf8") : "";
        assert.ok(good.length > 0, "the dev stack plans");
        const parsed = JSON.parse(good) as { nodes: Array<Record<string, unknown>> };
        const record = fc.oneof(
            fc.jsonValue().map((item) => JSON.stringify(item)),
            fc.string({ maxLength: 40 }),
            fc
                .record({ node: fc.nat(), field: fc.constantFrom("name", "podCidr", "podCidrV6", "ip", "x"), value })
                .map(({ node, field, value: item }) => {
                    const copy = structuredClone(parsed);
                    const entry = copy.nodes[node % copy.nodes.length]!;
                    entry[field] = item;
                    return JSON.stringify(copy);
                }),
            fc.nat({ max: good.length }).map((cut) => good.slice(0, cut)),
            fc.constant(JSON.stringify({ ...parsed, nodes: [...parsed.nodes, parsed.nodes[0]] })),
        );
        await fc.assert(
            fc.asyncProperty(record, fc.boolean(), async (text, explicit) => {
                resetRecord(text);
                const args = explicit ? ["--previous", RECORD] : [];
                assertWellBehaved(await plan(args), text, text);
            }),
            { numRuns: 250 },
        );
    });
});
