/**
 * One shape of problem and one result type across the tree: every problem is a `Problem` (key, message, fix)
 * formatted by `formatProblem`, and every parse or validation returns `Result<T>` (components/common/result.ts).
 * These checks read the source, so a new ad-hoc `{ ok: true; ... } | { ok: false; ... }` union or a hand-built
 * "; fix:" line fails here instead of starting a second shape.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "./helpers/cli";

/** The source of the program, the policies, the lab, the CLI and the benchmarks (tests may quote the patterns). */
const ROOTS = ["components", "policies", "lab", "cli", "bench", "examples", "index.ts"];
/** The one file that declares the union. */
const RESULT_FILE = "components/common/result.ts";

function sourceFiles(relative: string): string[] {
    const full = path.join(REPO, relative);
    if (!fs.existsSync(full)) {
        return [];
    }
    if (fs.statSync(full).isFile()) {
        return relative.endsWith(".ts") ? [relative] : [];
    }
    return fs
        .readdirSync(full, { withFileTypes: true })
        .filter((entry) => entry.name !== "node_modules")
        .flatMap((entry) => sourceFiles(path.posix.join(relative, entry.name)))
        .sort();
}

/**
 * A type member `ok: true` / `ok: false` (a discriminated result union): `ok: true;`, `readonly ok: false`, or a
 * one-member type `{ ok: false }` joined by `|` or `&`. Object literals (`{ ok: true, value }`, and the lab's probe
 * and hop records, typed `ok: boolean`) do not match.
 */
const RESULT_UNION = [
    /\bok\??:\s*(?:true|false)\s*;/,
    /\breadonly\s+ok\??:\s*(?:true|false)\b/,
    /\{\s*ok:\s*(?:true|false)\s*\}\s*[|&]/,
    /[|&]\s*\{\s*ok:\s*(?:true|false)\s*\}/,
];
/** A fix appended to a message by hand (not a `message: string; fix: string` type): formatProblem writes it. */
const HAND_FIX = /;\s*fix:\s(?!string\b)/;

interface Hit {
    readonly file: string;
    readonly line: number;
    readonly text: string;
}

function hits(file: string, text: string, patterns: readonly RegExp[]): Hit[] {
    return text
        .split("\n")
        .map((line, index) => ({ file, line: index + 1, text: line.trim() }))
        .filter((hit) => patterns.some((pattern) => pattern.test(hit.text)));
}

function scan(patterns: readonly RegExp[], skip: readonly string[] = []): string[] {
    return ROOTS.flatMap(sourceFiles)
        .filter((file) => !skip.includes(file))
        .flatMap((file) => hits(file, fs.readFileSync(path.join(REPO, file), "utf8"), patterns))
        .map((hit) => `${hit.file}:${hit.line}: ${hit.text}`);
}

void describe("one problem shape, one result type", () => {
    void it("finds the shapes it forbids (the detectors can fail)", () => {
        const old = [
            "export type ParsedRange = { ok: true; value: NodePortRange } | { ok: false; message: string; fix: string };",
            "    { readonly ok: true; readonly value: ServiceBackend } | ({ readonly ok: false } & BackendError);",
            "): { ok: true } | { ok: false; message: string } {",
            "type Checked = { ok: false } & Reason;",
            'report(`${who}: net-conf.json has no Backend; fix: add "Backend": {"Type": "vxlan"}`);',
        ].join("\n");
        assert.equal(hits("old.ts", old, RESULT_UNION).length, 4);
        assert.equal(hits("old.ts", old, [HAND_FIX]).length, 1);
        const allowed = [
            "return { ok: true, value: { first, last } };",
            'finish({ ok: false, error: "not run" });',
            "socket.on(\"message\", (message) => finish({ ok: true, body: message.toString('utf8') }));",
            "readonly ok: boolean;",
            "return fail({ key: path, message: \"no such stack file\", fix: 'pass --stack NAME' });",
        ].join("\n");
        assert.deepEqual(hits("new.ts", allowed, [...RESULT_UNION, HAND_FIX]), []);
    });

    void it("declares the ok/problems union once, as Result<T> in components/common", () => {
        assert.ok(fs.existsSync(path.join(REPO, RESULT_FILE)));
        assert.deepEqual(
            scan(RESULT_UNION, [RESULT_FILE]),
            [],
            "use Result<T>, ok() and fail() from components/common",
        );
    });

    void it("builds no problem line by hand", () => {
        assert.deepEqual(scan([HAND_FIX]), [], "report formatProblem({ key, message, fix }) instead");
    });
});
