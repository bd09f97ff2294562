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
import { readPlanRecord } from "../components/plan/record-file";
import { InputError, UsageError } from "./errors";

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

/**
 * Reads a plan record (a plan JSON written by `clusternet plan`) as the previous allocation: every node's and
 * every retired node's subnets. A damaged record is an InputError naming the file and each bad entry (so it is
 * never overwritten); a missing one is undefined unless `required` (given with --previous).
 */
export function readPreviousAllocation(file: string, required: boolean): PreviousAllocation | undefined {
    const read = readPlanRecord(file);
    if (read.status === "missing") {
        if (!required) {
            return undefined;
        }
        throw new InputError([
            {
                key: file,
                message: "cannot be read (ENOENT)",
                fix: "pass a plan JSON written by clusternet plan, or --no-previous",
            },
        ]);
    }
    if (read.status === "damaged") {
        throw new InputError(read.problems);
    }
    return read.memory;
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
