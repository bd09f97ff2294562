import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, Problem } from "../components/common";
import {
    ConfigSource,
    LoadedStack,
    SECRET_PLACEHOLDER,
    STRING_KEYS,
    loadStack,
    readStackFile,
} from "../components/config";
import { PreviousAllocation } from "../components/plan";
import { InputError, UsageError } from "./errors";
import { asComparablePlan } from "./plan-diff";

/** Which stack a command works on, and where its files are. */
export interface StackInput {
    /** The stack's name: `dev` for `--stack dev` or `Pulumi.dev.yaml`. */
    readonly stackName: string;
    /** Its stack file. */
    readonly stackFile: string;
    /** The plan record: the last plan written for this stack, which keeps node subnets from moving. */
    readonly planRecord: string;
}

export interface StackOptions {
    readonly stack?: string;
    readonly configFile?: string;
}

export const DEFAULT_STACK = "dev";
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** The folder holding Pulumi.yaml at or above `from`, else `from` itself. */
export function projectDirectory(from: string): string {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            return path.resolve(from);
        }
    }
}

export function resolveStackInput(options: StackOptions, cwd: string = process.cwd()): StackInput {
    if (options.stack !== undefined && options.configFile !== undefined) {
        throw new UsageError("use either --stack or --config-file, not both");
    }
    if (options.configFile !== undefined) {
        const stackFile = path.resolve(cwd, options.configFile);
        const base = path
            .basename(stackFile)
            .replace(/\.ya?ml$/, "")
            .replace(/^Pulumi\./, "");
        return { stackName: base, stackFile, planRecord: path.join(path.dirname(stackFile), "plans", `${base}.json`) };
    }
    const stackName = options.stack ?? DEFAULT_STACK;
    if (!STACK_NAME.test(stackName)) {
        throw new UsageError(
            `--stack ${JSON.stringify(stackName)}: a stack name has only letters, digits, '-', '_' and '.'`,
        );
    }
    const dir = projectDirectory(cwd);
    return {
        stackName,
        stackFile: path.join(dir, `Pulumi.${stackName}.yaml`),
        planRecord: path.join(dir, "plans", `${stackName}.json`),
    };
}

/** Reads a plan record (a plan JSON written by `clusternet plan`) as the previous allocation. */
export function readPreviousAllocation(file: string, required: boolean): PreviousAllocation | undefined {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") {
            return undefined;
        }
        throw new InputError([
            {
                key: file,
                message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
                fix: "pass a plan JSON written by clusternet plan, or --no-previous",
            },
        ]);
    }
    const problem: Problem = {
        key: file,
        message: "is not a plan JSON written by clusternet plan (no nodes list)",
        fix: "pass another file with --previous, or --no-previous to ignore it",
    };
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new InputError([problem]);
    }
    const plan = asComparablePlan(parsed);
    if (!plan) {
        throw new InputError([problem]);
    }
    const previous: PreviousAllocation = {};
    const damaged: Problem[] = [];
    plan.nodes.forEach((node, index) => {
        // A damaged entry is refused rather than skipped: skipping it would let the node's subnet move silently.
        for (const field of ["podCidr", "podCidrV6"] as const) {
            const value = (node as Record<string, unknown>)[field];
            if (value !== undefined && value !== null && typeof value !== "string") {
                damaged.push({
                    key: `${file}: nodes[${index}].${field}`,
                    message: `${JSON.stringify(value)} is not a subnet (node ${JSON.stringify(node.name)})`,
                    fix: "restore the record from version control, or pass --no-previous to allocate from scratch",
                });
            }
        }
        if (Object.prototype.hasOwnProperty.call(previous, node.name)) {
            damaged.push({
                key: `${file}: nodes[${index}].name`,
                message: `node ${JSON.stringify(node.name)} appears twice`,
                fix: "restore the record from version control, or pass --no-previous to allocate from scratch",
            });
        }
        previous[node.name] = {
            ...(typeof node.podCidr === "string" ? { podCidr: node.podCidr } : {}),
            ...(typeof node.podCidrV6 === "string" ? { podCidrV6: node.podCidrV6 } : {}),
        };
    });
    if (damaged.length > 0) {
        throw new InputError(damaged);
    }
    return previous;
}

/** Loads and validates a stack; bad input becomes an InputError (exit 2) listing every problem. */
export function loadStackInput(
    input: StackInput,
    previous: PreviousAllocation | undefined,
    previousSource: string = input.planRecord,
): { source: ConfigSource; loaded: LoadedStack } {
    const source = readStackFile(input.stackFile);
    if (!source.ok) {
        throw new InputError(source.problems);
    }
    const loaded = loadStack(source.value, previous, previousSource);
    if (!loaded.ok) {
        throw new InputError(loaded.problems);
    }
    return { source: source.value, loaded: loaded.value };
}

/** The Pulumi runtime config the stack file stands for: structured values as JSON, secrets as placeholders. */
export function runtimeConfig(source: ConfigSource): { config: Record<string, string>; secretKeys: string[] } {
    const config: Record<string, string> = {};
    for (const [key, value] of source.values) {
        const plain = withoutCiphertext(value);
        config[`clusternet:${key}`] =
            (STRING_KEYS as readonly string[]).includes(key) && typeof plain === "string"
                ? plain
                : JSON.stringify(plain);
    }
    return { config, secretKeys: [...source.secretKeys].map((key) => `clusternet:${key}`) };
}

export { SECRET_PLACEHOLDER };

function withoutCiphertext(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutCiphertext);
    }
    if (typeof value === "object" && value !== null) {
        if ("secure" in value) {
            return SECRET_PLACEHOLDER;
        }
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutCiphertext(item)]));
    }
    return value;
}

export function formatProblems(problems: readonly Problem[]): string {
    return problems.map(formatProblem).join("\n");
}
