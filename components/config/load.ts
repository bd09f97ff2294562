import * as fs from "node:fs";
import { Document, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { Problem, Result, fail, keyPath, ok, show } from "../common";
import {
    CONFIG_KEYS,
    CONFIG_NAMESPACE,
    ClusternetConfig,
    ConfigKey,
    REQUIRED_KEYS,
    STRING_KEYS,
    configSchemas,
} from "./schema";

/** Raw `clusternet:*` values from one place (a stack file or the Pulumi runtime), before validation. */
export interface ConfigSource {
    /** Where the values came from, for messages. */
    readonly label: string;
    /** Whether secrets appear as `{ secure: ... }` ciphertext (a stack file) or as plain text (the Pulumi runtime). */
    readonly kind: "stack-file" | "pulumi";
    /** Values by key without the namespace (`cluster`, `nodes`, ...), as parsed YAML/JSON. */
    readonly values: ReadonlyMap<string, unknown>;
    /** Keys (without namespace) whose values Pulumi holds as secrets. */
    readonly secretKeys: ReadonlySet<string>;
    /**
     * How numbers were spelled where YAML read a number from text that is not its plain form (`1e3`, `0x10`,
     * `010`), by `spellingKey`: so a message can say what was written rather than 1000.
     */
    readonly spellings?: ReadonlyMap<string, string>;
    /**
     * Keys under a near miss of the `clusternet` namespace (`clusternte:ingress`), which Pulumi reads as another
     * package's settings: reported so a typo does not drop a whole section on either path (stack file or runtime).
     */
    readonly foreignKeys?: readonly string[];
}

/** The key of `ConfigSource.spellings` for a value at a path under a config key. */
export function spellingKey(key: string, path: ReadonlyArray<string | number>): string {
    return JSON.stringify([key, ...path]);
}

/** Numbers of the `config:` section whose source text differs from how JavaScript prints them. */
function numberSpellings(document: Document): Map<string, string> {
    const spellings = new Map<string, string>();
    const walk = (node: unknown, key: string, path: Array<string | number>): void => {
        if (isMap(node)) {
            for (const pair of node.items) {
                const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
                if (name !== undefined) {
                    walk(pair.value, key, [...path, name]);
                }
            }
        } else if (isSeq(node)) {
            node.items.forEach((item, index) => walk(item, key, [...path, index]));
        } else if (isScalar(node) && typeof node.value === "number" && node.source !== undefined) {
            if (String(node.source) !== String(node.value)) {
                spellings.set(spellingKey(key, path), String(node.source));
            }
        }
    };
    const config = isMap(document.contents) ? document.contents.get("config", true) : undefined;
    if (isMap(config)) {
        for (const pair of config.items) {
            const fullKey = isScalar(pair.key) ? String(pair.key.value) : "";
            if (fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
                walk(pair.value, fullKey.slice(CONFIG_NAMESPACE.length + 1), []);
            }
        }
    }
    return spellings;
}

/** Offline (a stack file without its passphrase), ciphertext cannot be decrypted: a secret becomes this placeholder. */
export const SECRET_PLACEHOLDER = "<secret>";

/** Fields that may only come from a secret, as paths under their key. */
const SECRET_FIELDS: ReadonlyArray<readonly [ConfigKey, ...string[]]> = [
    ["kubeconfig"],
    ["nodePrep", "privateKey"],
    ["podNetwork", "wireguard", "psk"],
];

/** How many alias expansions a stack file may need (the yaml package's default; a real stack file needs a few). */
export const MAX_ALIAS_COUNT = 100;

/** Reads a Pulumi stack file (`Pulumi.<stack>.yaml` or any file of that form). */
export function readStackFile(path: string): Result<ConfigSource> {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        return fail([
            code === "ENOENT"
                ? {
                      key: path,
                      message: "no such stack file",
                      fix: "pass --stack NAME for Pulumi.NAME.yaml in this folder, or --config-file PATH",
                  }
                : { key: path, message: `cannot be read (${code ?? String(error)})` },
        ]);
    }
    // Merge keys (`<<: *node`) on, as Pulumi's own reader (go-yaml) resolves them, so offline runs and `pulumi up`
    // read the same values.
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, merge: true });
    if (document.errors.length > 0) {
        return fail(
            document.errors.map((error) => ({
                key: `${path}:${error.linePos?.[0]?.line ?? "?"}`,
                message: `is not valid YAML: ${error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:$/, "")}`,
                fix: "fix the YAML syntax",
            })),
        );
    }
    let root: unknown;
    try {
        // Aliases that expand exponentially (a "billion laughs" file) are refused, as go-yaml refuses them too.
        root = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
        return fail([
            {
                key: path,
                message: `expands its YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times: ${(error as Error).message.toLowerCase()}`,
                fix: "write the values out instead of nesting aliases of aliases",
            },
        ]);
    }
    if (root === null || root === undefined) {
        return ok({ label: path, kind: "stack-file", values: new Map(), secretKeys: new Set() });
    }
    if (!isPlainObject(root)) {
        return fail([{ key: path, message: "is not a stack file (expected a mapping with a config: section)" }]);
    }
    const config = root["config"] ?? {};
    if (!isPlainObject(config)) {
        return fail([{ key: `${path}: config`, message: "is not a mapping of keys to values" }]);
    }
    const values = new Map<string, unknown>();
    const secretKeys = new Set<string>();
    const problems: Problem[] = [];
    for (const [fullKey, value] of Object.entries(config)) {
        const separator = fullKey.indexOf(":");
        if (separator < 0) {
            problems.push({ key: fullKey, message: "has no namespace", fix: `write ${CONFIG_NAMESPACE}:${fullKey}` });
            continue;
        }
        const namespace = fullKey.slice(0, separator);
        if (namespace !== CONFIG_NAMESPACE) {
            const nearMiss = nearMissNamespaceProblem(fullKey);
            if (nearMiss) {
                problems.push(nearMiss);
            }
            continue;
        }
        const key = fullKey.slice(separator + 1);
        values.set(key, value);
        if (containsSecure(value)) {
            secretKeys.add(key);
        }
    }
    if (problems.length > 0) {
        return fail(problems);
    }
    return ok({ label: path, kind: "stack-file", values, secretKeys, spellings: numberSpellings(document) });
}

/**
 * A key under a near miss of our namespace (by case or edit distance), which would drop a whole section without a
 * word; other packages' settings (kubernetes:context) are theirs and give none.
 */
function nearMissNamespaceProblem(fullKey: string): Problem | undefined {
    const separator = fullKey.indexOf(":");
    const namespace = fullKey.slice(0, separator);
    if (separator < 0 || namespace === CONFIG_NAMESPACE || closest(namespace, [CONFIG_NAMESPACE]) === undefined) {
        return undefined;
    }
    return {
        key: fullKey,
        message: `is in the namespace ${show(namespace)}, which clusternet does not read`,
        fix: `did you mean ${CONFIG_NAMESPACE}:${fullKey.slice(separator + 1)}?`,
    };
}

/**
 * Reads the `clusternet:*` keys from the Pulumi runtime's config (what `new pulumi.Config()` reads), so unknown
 * keys can be reported too. Structured values arrive as JSON text.
 */
export function readRuntimeConfig(
    all: Readonly<Record<string, string>>,
    isSecret: (fullKey: string) => boolean,
): ConfigSource {
    const values = new Map<string, unknown>();
    const secretKeys = new Set<string>();
    const prefix = `${CONFIG_NAMESPACE}:`;
    const foreignKeys: string[] = [];
    for (const fullKey of Object.keys(all).sort()) {
        if (!fullKey.startsWith(prefix)) {
            if (nearMissNamespaceProblem(fullKey)) {
                foreignKeys.push(fullKey);
            }
            continue;
        }
        const key = fullKey.slice(prefix.length);
        const text = all[fullKey]!;
        values.set(key, (STRING_KEYS as readonly string[]).includes(key) ? text : parseJsonOrText(text));
        if (isSecret(fullKey)) {
            secretKeys.add(key);
        }
    }
    return { label: "Pulumi config", kind: "pulumi", values, secretKeys, foreignKeys };
}

/** The outcome of checking shapes: what parsed (by key) and every problem found. */
export interface ShapeResult {
    readonly parsed: Partial<ClusternetConfig>;
    /** Keys whose value failed, so checks that depend on them can be skipped instead of misreporting. */
    readonly failedKeys: ReadonlySet<ConfigKey>;
    readonly problems: readonly Problem[];
}

/** Validates the shape of every key at once: unknown keys, missing keys, types, enums, secrets. */
export function validateConfigShape(source: ConfigSource): ShapeResult {
    const problems: Problem[] = [];
    const parsed: Partial<Record<ConfigKey, unknown>> = {};
    const failedKeys = new Set<ConfigKey>();
    for (const fullKey of source.foreignKeys ?? []) {
        problems.push(nearMissNamespaceProblem(fullKey)!);
    }
    for (const key of source.values.keys()) {
        if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
            const suggestion = closest(key, CONFIG_KEYS);
            problems.push({
                key: `${CONFIG_NAMESPACE}:${key}`,
                message: "is not a clusternet setting",
                fix: suggestion
                    ? `did you mean ${CONFIG_NAMESPACE}:${suggestion}?`
                    : `remove it; the settings are ${CONFIG_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}`,
            });
        }
    }
    for (const key of CONFIG_KEYS) {
        const root = `${CONFIG_NAMESPACE}:${key}`;
        const value = source.values.get(key);
        if (value === undefined && REQUIRED_KEYS.includes(key)) {
            problems.push({
                key: root,
                message: "is not set",
                fix: `add ${root} to the stack file (see docs/configuration.md)`,
            });
            failedKeys.add(key);
            continue;
        }
        const schema = configSchemas[key] as z.ZodType;
        const result = schema.safeParse(value, { reportInput: true });
        if (!result.success) {
            for (const issue of result.error.issues) {
                const spelled = source.spellings?.get(spellingKey(key, issue.path as Array<string | number>));
                problems.push(...issueProblems(issue, root, schema, spelled));
            }
            // A value whose only fault is unknown keys is still checked further without them, so a typo does
            // not hide the other problems.
            const salvaged = result.error.issues.every((issue) => issue.code === "unrecognized_keys")
                ? schema.safeParse(withoutKeys(value, result.error.issues))
                : undefined;
            if (salvaged?.success) {
                parsed[key] = salvaged.data;
            } else {
                failedKeys.add(key);
            }
            continue;
        }
        parsed[key] = result.data;
    }
    for (const [key, ...path] of SECRET_FIELDS) {
        const value = dig(source.values.get(key), path);
        if (value === undefined) {
            continue;
        }
        const where = keyPath(`${CONFIG_NAMESPACE}:${key}`, ...path);
        const isSecret =
            source.kind === "stack-file" ? isPlainObject(value) && "secure" in value : source.secretKeys.has(key);
        if (!isSecret) {
            failedKeys.add(key);
            problems.push({
                key: where,
                message: "holds a secret in plain text",
                fix: `set it with: pulumi config set --secret ${path.length > 0 ? `--path '${where}'` : where} <value>`,
            });
        }
    }
    return { parsed: parsed as Partial<ClusternetConfig>, failedKeys, problems };
}

function issueProblems(issue: z.core.$ZodIssue, root: string, schema: z.ZodType, spelled?: string): Problem[] {
    const key = keyPath(root, ...(issue.path as Array<string | number>));
    const input = (issue as { input?: unknown }).input;
    switch (issue.code) {
        case "unrecognized_keys": {
            const known = knownKeys(schema, issue.path as Array<string | number>);
            return issue.keys.map((unknownKey) => {
                const suggestion = closest(unknownKey, known);
                return {
                    key: keyPath(key, unknownKey),
                    message: "is not a known key here",
                    fix: suggestion
                        ? `did you mean ${suggestion}?`
                        : known.length > 0
                          ? `the keys here are ${known.join(", ")}`
                          : "remove it",
                };
            });
        }
        case "invalid_type":
            if (input === undefined) {
                return [{ key, message: "is required", fix: `set it (expected ${article(issue.expected)})` }];
            }
            if (
                issue.expected === "number" &&
                typeof input === "string" &&
                input.trim() !== "" &&
                !Number.isNaN(Number(input))
            ) {
                return [
                    {
                        key,
                        message: `${show(input)} is a string, not a number`,
                        fix: `write it without quotes: ${input.trim()}`,
                    },
                ];
            }
            if (issue.expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
                // YAML reads unquoted 1e3, 0x10, 010, true or no as numbers and booleans: say what was written.
                const written = spelled ?? String(input);
                return [
                    {
                        key,
                        message: `${written} is read by YAML as the ${typeof input} ${String(input)}, not a string`,
                        fix: `quote it: write ${JSON.stringify(written)}`,
                    },
                ];
            }
            return [
                {
                    key,
                    message: `${show(input)} is not ${article(issue.expected)}`,
                    fix: `write ${article(issue.expected)}`,
                },
            ];
        case "invalid_value":
            return [
                {
                    key,
                    message: `${show(input)} is not allowed`,
                    // "" is allowed where the API server defaults it, but is no value to suggest.
                    fix: `use one of ${issue.values
                        .filter((v) => v !== "")
                        .map((v) => show(v))
                        .join(", ")}`,
                },
            ];
        case "too_small":
            return [
                {
                    key,
                    message: issue.origin === "array" ? `has too few entries` : `${show(input)} is too small`,
                    fix: `use at least ${String(issue.minimum)}${issue.origin === "array" ? " entries" : ""}`,
                },
            ];
        case "too_big":
            return [{ key, message: `${show(input)} is too large`, fix: `use at most ${String(issue.maximum)}` }];
        default:
            return [
                {
                    key,
                    message:
                        input === undefined
                            ? issue.message
                            : `${show(input)}: ${issue.message.replace(/^Invalid input: /, "")}`,
                },
            ];
    }
}

function article(expected: string): string {
    const names: Record<string, string> = {
        int: "a whole number",
        number: "a number",
        string: "a string",
        boolean: "true or false",
        object: "a mapping",
        array: "a list",
        record: "a mapping",
    };
    return names[expected] ?? expected;
}

interface SchemaDef {
    type: string;
    shape?: Record<string, z.ZodType>;
    element?: z.ZodType;
    innerType?: z.ZodType;
    in?: z.ZodType;
}

/** The keys the schema allows at a path, to suggest a correction for a typo. */
function knownKeys(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
    let current: z.ZodType | undefined = schema;
    const unwrap = (node: z.ZodType | undefined): z.ZodType | undefined => {
        let inner = node;
        while (inner) {
            const def = (inner as unknown as { _zod: { def: SchemaDef } })._zod.def;
            if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) {
                inner = def.innerType;
            } else if (def.type === "pipe" && def.in) {
                // A transform after the object (schema.ts withoutUnset): its keys are the input's.
                inner = def.in;
            } else {
                return inner;
            }
        }
        return inner;
    };
    for (const segment of path) {
        current = unwrap(current);
        if (!current) {
            return [];
        }
        const def = (current as unknown as { _zod: { def: SchemaDef } })._zod.def;
        current = typeof segment === "number" ? def.element : def.shape?.[segment];
    }
    current = unwrap(current);
    const shape = current ? (current as unknown as { _zod: { def: SchemaDef } })._zod.def.shape : undefined;
    return shape ? Object.keys(shape) : [];
}

/** The candidate within edit distance 2 (or differing only in case), if exactly one is closest. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of candidates) {
        const distance =
            candidate.toLowerCase() === word.toLowerCase()
                ? 0
                : editDistance(word.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return bestDistance <= 2 ? best : undefined;
}

function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j]! + 1,
                current[j - 1]! + 1,
                previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length]!;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function containsSecure(value: unknown): boolean {
    if (Array.isArray(value)) {
        return value.some(containsSecure);
    }
    if (isPlainObject(value)) {
        return "secure" in value || Object.values(value).some(containsSecure);
    }
    return false;
}

/** The value at a path of property names or list indexes (as strings). */
function dig(value: unknown, path: readonly string[]): unknown {
    let current = value;
    for (const segment of path) {
        if (typeof current !== "object" || current === null) {
            return undefined;
        }
        current = (current as Record<string, unknown>)[segment];
    }
    return current;
}

/** A copy of `value` without the keys that unrecognized_keys issues name. */
function withoutKeys(value: unknown, issues: readonly z.core.$ZodIssue[]): unknown {
    const copy = structuredClone(value);
    for (const issue of issues) {
        if (issue.code !== "unrecognized_keys") {
            continue;
        }
        const target = dig(copy, issue.path.map(String));
        if (isPlainObject(target)) {
            for (const unknownKey of issue.keys) {
                delete target[unknownKey];
            }
        }
    }
    return copy;
}

function parseJsonOrText(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
