import { SpawnSyncReturns, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UsageError } from "./errors";
import type { PackSettings } from "./policy-harness";
import { policyPackConfigJson } from "./policy-settings";

/** The Pulumi commands `clusternet pulumi` runs, and whether the policy pack applies to them. */
export const PulumiCommand = {
    Preview: "preview",
    Up: "up",
    Refresh: "refresh",
    Destroy: "destroy",
} as const;
export type PulumiCommand = (typeof PulumiCommand)[keyof typeof PulumiCommand];

const WITH_POLICIES: readonly PulumiCommand[] = [PulumiCommand.Preview, PulumiCommand.Up];

/** Where the default local backend keeps state: inside the project, out of git. */
export const LOCAL_STATE_DIR = ".pulumi-state";

export const INSTALL_HINT = [
    "the Pulumi CLI is not installed (or not on PATH).",
    "Install it with `curl -fsSL https://get.pulumi.com | sh` (Linux, macOS) or see https://www.pulumi.com/docs/iac/download-install/,",
    "open a new shell so `pulumi version` works, and run this again.",
    "Without it, `npm start` still plans, renders and checks the stack offline.",
].join("\n  ");

export interface PulumiRunOptions {
    readonly command: PulumiCommand;
    readonly stack: string;
    readonly projectDir: string;
    readonly extraArgs: readonly string[];
    readonly env: NodeJS.ProcessEnv;
    /** Whether a person can answer Pulumi's passphrase prompt. */
    readonly interactive: boolean;
    readonly log: (line: string) => void;
    /** The policy settings the stack's own config implies, passed with --policy-pack-config. Default: none. */
    readonly policySettings?: PackSettings;
    /** Runs a command with inherited stdio (replaceable in tests). */
    readonly run?: (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => SpawnSyncReturns<Buffer>;
}

/** The environment for Pulumi: a local file backend in the project unless one is chosen, and a note of it. */
export function pulumiEnvironment(
    projectDir: string,
    env: NodeJS.ProcessEnv,
): { env: NodeJS.ProcessEnv; notes: string[] } {
    const notes: string[] = [];
    const next = { ...env };
    if (!next["PULUMI_BACKEND_URL"] && !next["PULUMI_ACCESS_TOKEN"]) {
        const dir = path.join(projectDir, LOCAL_STATE_DIR);
        fs.mkdirSync(dir, { recursive: true });
        next["PULUMI_BACKEND_URL"] = `file://${dir}`;
        notes.push(
            `backend: a local file backend in ${LOCAL_STATE_DIR}/ (set PULUMI_BACKEND_URL, or PULUMI_ACCESS_TOKEN for Pulumi Cloud, to use another)`,
        );
    } else {
        notes.push(`backend: ${next["PULUMI_BACKEND_URL"] ?? "Pulumi Cloud (PULUMI_ACCESS_TOKEN)"}`);
    }
    return { env: next, notes };
}

function defaultRun(command: string, args: readonly string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<Buffer> {
    return spawnSync(command, [...args], { stdio: "inherit", env });
}

/**
 * Runs the real Pulumi CLI on a stack with the policy pack always on for preview and up: selects (or creates) the
 * stack, then runs the command. Returns Pulumi's exit code.
 */
export function runPulumi(options: PulumiRunOptions): number {
    const run = options.run ?? defaultRun;
    const version = spawnSync("pulumi", ["version"], { env: options.env, encoding: "utf8" });
    if (version.error || version.status !== 0) {
        throw new UsageError(INSTALL_HINT);
    }
    const { env, notes } = pulumiEnvironment(options.projectDir, options.env);
    const usesPassphrase = !env["PULUMI_ACCESS_TOKEN"] || (env["PULUMI_BACKEND_URL"] ?? "").length > 0;
    if (
        usesPassphrase &&
        env["PULUMI_CONFIG_PASSPHRASE"] === undefined &&
        !env["PULUMI_CONFIG_PASSPHRASE_FILE"] &&
        !options.interactive
    ) {
        throw new UsageError(
            "this backend encrypts secrets with a passphrase, and nobody can type it here: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE); an empty passphrase is allowed for a throw-away lab",
        );
    }
    for (const note of notes) {
        options.log(`clusternet: ${note}`);
    }
    // A new stack on a self-managed backend keeps its secrets with a passphrase; Pulumi Cloud has its own provider.
    const secretsProvider = env["PULUMI_BACKEND_URL"] ? "passphrase" : "default";
    const select = run(
        "pulumi",
        [
            "stack",
            "select",
            "--create",
            options.stack,
            "--secrets-provider",
            secretsProvider,
            "--cwd",
            options.projectDir,
        ],
        env,
    );
    if (select.status !== 0) {
        return select.status ?? 1;
    }
    const args = [options.command, "--stack", options.stack, "--cwd", options.projectDir];
    let extraArgs = [...options.extraArgs];
    let configDir: string | undefined;
    if (WITH_POLICIES.includes(options.command)) {
        args.push("--policy-pack", path.join(options.projectDir, "policies"));
        const stackSettings = options.policySettings ?? {};
        if (Object.keys(stackSettings).length > 0) {
            // The stack's settings and the user's --policy-pack-config file (which wins) in one file for the pack.
            const given = userPolicyConfig(extraArgs);
            extraArgs = given.rest;
            configDir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-policy-"));
            const file = path.join(configDir, "policy-config.json");
            fs.writeFileSync(file, `${JSON.stringify(policyPackConfigJson(stackSettings, given.json), null, 2)}\n`);
            args.push("--policy-pack-config", file);
        }
    }
    args.push(...extraArgs);
    options.log(`clusternet: pulumi ${args.join(" ")}`);
    try {
        return run("pulumi", args, env).status ?? 1;
    } finally {
        if (configDir) {
            fs.rmSync(configDir, { recursive: true, force: true });
        }
    }
}

/** Takes `--policy-pack-config FILE` (or `=FILE`) out of the arguments and reads it. */
function userPolicyConfig(extraArgs: readonly string[]): { json: Record<string, unknown>; rest: string[] } {
    const rest: string[] = [];
    let file: string | undefined;
    for (let index = 0; index < extraArgs.length; index++) {
        const arg = extraArgs[index]!;
        if (arg === "--policy-pack-config") {
            file = extraArgs[++index];
        } else if (arg.startsWith("--policy-pack-config=")) {
            file = arg.slice("--policy-pack-config=".length);
        } else {
            rest.push(arg);
        }
    }
    if (file === undefined) {
        return { json: {}, rest };
    }
    try {
        const json: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
        if (typeof json !== "object" || json === null || Array.isArray(json)) {
            throw new Error("not a JSON object");
        }
        return { json: json as Record<string, unknown>, rest };
    } catch (error) {
        throw new UsageError(`--policy-pack-config ${file}: ${(error as Error).message}`);
    }
}
