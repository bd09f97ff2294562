import * as fs from "node:fs";
import * as path from "node:path";
import { Argument, Command, CommanderError, Option } from "commander";
import { configReferenceMarkdown, readStackFile, stackFileJsonSchema, validateConfigShape } from "../components/config";
import { clusterIngressPlan } from "../components/cluster-network/ingress-plan";
import { STACK_KEYS, formatProblem } from "../components/common";
import { kubeProxyWarnings } from "../components/kube-proxy/validate";
import { PLAN_RECORD_CONFIG, PreviousAllocation } from "../components/plan";
import { serviceClusterOf } from "../components/services/network";
import { servicePortMaps } from "../components/services/port-map";
import type { CheckReport } from "./check";
import { CheckFailed, ExitCode, ExitWith, InputError, UsageError } from "./errors";
import { isOsError, osErrorLine, writeFileAtomic } from "./files";
import { addLabCommands } from "./lab";
import { LabEnvironmentError, LabInputError } from "../lab/lab";
import { writeRendered, SUMMARY_FILE } from "./manifests";
import type { OfflineRun } from "./offline";
import { ComparablePlan, asComparablePlan, diffPlans, formatPlanDiff } from "./plan-diff";
import { PlanDocument, PlanFormat, formatPlan, ingressPlanJson, planJson, portMapJson } from "./plan-format";
import type { PackSettings } from "./policy-harness";
import { stackPolicySettings, withStackSettings } from "./policy-settings";
import { PulumiCommand, runPulumi } from "./pulumi";
import {
    DEFAULT_STACK,
    StackInput,
    formatProblems,
    projectDirectory,
    loadStackInput,
    readPreviousAllocation,
    resolveStackInput,
    runtimeConfig,
} from "./stack-input";

/** The stack program that `render` runs under mocks: the same one `pulumi up` runs. */
export const STACK_PROGRAM = path.join(__dirname, "..", "index.ts");
export const PROJECT_NAME = "clusternet";
/** Where `schema --readme` puts the configuration reference. */
export const README_REFERENCE_START = "<!-- config-reference:start -->";
export const README_REFERENCE_END = "<!-- config-reference:end -->";

export interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    readonly cwd: string;
}

const processIo: Io = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
};

interface StackCommandOptions {
    stack?: string;
    configFile?: string;
    /** A file (--previous), `false` (--no-previous), or unset: the stack's plan record, if any. */
    previous?: string | boolean;
    save: boolean;
}

function addStackOptions(command: Command, { save = true }: { save?: boolean } = {}): Command {
    command
        .option("-s, --stack <name>", "the stack whose Pulumi.<name>.yaml to read (default: dev)")
        .option("-c, --config-file <file>", "read this stack file instead")
        .option(
            "--previous <file>",
            "the previous plan JSON to keep node subnets stable (default: plans/<stack>.json when it exists)",
        )
        .option("--no-previous", "ignore any previous plan: allocate from scratch");
    // Both spellings set one value (the last wins); given together they contradict each other.
    const given = new Set<string>();
    command.on("option:previous", () => given.add("previous"));
    command.on("option:no-previous", () => given.add("no-previous"));
    command.hook("preAction", () => {
        if (given.size === 2) {
            throw new UsageError("--previous FILE and --no-previous contradict each other: use one of them");
        }
    });
    return save ? command.option("--no-save", "do not update the plan record plans/<stack>.json") : command;
}

/** Reads a plan JSON (for --diff); bad input is an InputError. */
function readPlanJson(file: string): ComparablePlan {
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new InputError([
            {
                key: file,
                message: code ? `cannot be read (${code})` : "is not JSON",
                fix: "pass a plan JSON written by clusternet plan --format json",
            },
        ]);
    }
    const plan = asComparablePlan(parsed);
    if (!plan) {
        throw new InputError([
            {
                key: file,
                message: "is not a plan JSON (no nodes list)",
                fix: "pass a plan JSON written by clusternet plan --format json",
            },
        ]);
    }
    return plan;
}

function previousFor(input: StackInput, options: StackCommandOptions): PreviousAllocation | undefined {
    if (options.previous === false) {
        return undefined;
    }
    return typeof options.previous === "string"
        ? readPreviousAllocation(options.previous, true)
        : readPreviousAllocation(input.planRecord, false);
}

/** Writes the plan record when its content changed, atomically. */
function savePlanRecord(input: StackInput, document: PlanDocument): void {
    const text = planJson(document);
    if (
        fs.existsSync(input.planRecord) &&
        fs.statSync(input.planRecord).isFile() &&
        fs.readFileSync(input.planRecord, "utf8") === text
    ) {
        return;
    }
    writeFileAtomic(input.planRecord, text);
}

/** Where the plan's memory came from, as the stack program is told it: the record file, or "" for none. */
function recordFileFor(input: StackInput, options: StackCommandOptions): string {
    return options.previous === false ? "" : typeof options.previous === "string" ? options.previous : input.planRecord;
}

function prepare(options: StackCommandOptions, io: Io) {
    const input = resolveStackInput(options, io.cwd);
    const previous = previousFor(input, options);
    const { source, loaded } = loadStackInput(
        input,
        previous,
        typeof options.previous === "string" ? path.resolve(io.cwd, options.previous) : input.planRecord,
    );
    const { plan, args } = loaded;
    if (options.previous !== false && typeof options.previous !== "string" && previous === undefined) {
        const shown = path.relative(io.cwd, input.planRecord) || input.planRecord;
        io.stderr(
            `clusternet: no plan record ${shown}: this is a fresh allocation; ${options.save === false ? "run clusternet plan to write it" : "it is written now"}, commit it: it is the allocation's lock file\n`,
        );
    }
    for (const name of Object.keys(previous ?? {})) {
        if (!plan.nodes.some((node) => node.name === name) && !plan.retired.some((node) => node.name === name)) {
            const subnets = [previous![name]!.podCidr, previous![name]!.podCidrV6].filter(Boolean).join(" and ");
            io.stderr(`clusternet: released node "${name}": ${subnets} may be given to another node again\n`);
        }
    }
    const portMaps = servicePortMaps(args.services ?? [], serviceClusterOf(plan, args.cluster), plan.cluster.name).map(
        portMapJson,
    );
    const ingress = clusterIngressPlan(args, plan);
    // kube-proxy's ipvs mode is deprecated: said on every command that plans the stack.
    const kubeProxy = args.kubeProxy ? kubeProxyWarnings(args.kubeProxy, STACK_KEYS).map(formatProblem) : [];
    const document: PlanDocument = {
        stack: input.stackName,
        ...plan,
        portMaps,
        ...(ingress ? { ingress: ingressPlanJson(ingress) } : {}),
        ...(ingress || kubeProxy.length > 0
            ? { warnings: [...plan.warnings, ...(ingress?.warnings ?? []), ...kubeProxy] }
            : {}),
    };
    return { input, previous, source, loaded, document, recordFile: recordFileFor(input, options) };
}

/** Runs the stack program offline, with the SDK's log lines (console.log/warn/error) sent to stderr. */
async function runStackProgram(prepared: ReturnType<typeof prepare>, io: Io): Promise<OfflineRun> {
    const { config, secretKeys } = runtimeConfig(prepared.source);
    config[PLAN_RECORD_CONFIG] = prepared.recordFile === "" ? "" : path.resolve(prepared.recordFile);
    // Loaded on demand: the Pulumi SDK takes a second to load, and plan does not need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runOffline } = require("./offline") as typeof import("./offline");
    // The SDK logs through console.log/warn/error without an engine; all of it is diagnostics, so it goes to stderr.
    const { log, warn, error } = console;
    const printed = prepared.document.warnings;
    const toStderr = (...args: unknown[]) => {
        const line = args.map(String).join(" ");
        // A component's warning that the plan already printed (ingress-nginx's retirement) is said once.
        if (!printed.some((warning) => line.includes(warning))) {
            io.stderr(`${line}\n`);
        }
    };
    console.log = console.warn = console.error = toStderr;
    try {
        return await runOffline({
            program: STACK_PROGRAM,
            project: PROJECT_NAME,
            stack: prepared.input.stackName,
            config,
            secretKeys,
            // Offline there is no stack state: the stack program reads the same plan record as this command.
            previousOutputs: {},
        });
    } finally {
        Object.assign(console, { log, warn, error });
    }
}

function printWarnings(warnings: readonly string[], io: Io): void {
    for (const warning of warnings) {
        io.stderr(`warning: ${warning}\n`);
    }
}

/**
 * Makes the process's own stdout and stderr fail as Unix tools do: a reader that closed the pipe (`plan | head -1`)
 * ends the command quietly with exit 0; any other write error (a full disk) is one line and exit 2.
 */
export function guardStandardStreams(): void {
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "EPIPE") {
            process.exit(process.exitCode ?? 0);
        }
        try {
            process.stderr.write(
                `clusternet: ${isOsError(error) ? osErrorLine(error, "stdout") : `stdout: ${error.message}`}\n`,
            );
        } finally {
            process.exit(ExitCode.BadInput);
        }
    });
    process.stderr.on("error", () => process.exit(process.exitCode ?? ExitCode.BadInput));
}

/** The policy settings a stack file implies (see ./policy-settings); none when it cannot be read: Pulumi says why. */
function stackSettingsOf(stack: string, cwd: string): PackSettings {
    const source = readStackFile(resolveStackInput({ stack }, cwd).stackFile);
    return source.ok ? stackPolicySettings(validateConfigShape(source.value).parsed) : {};
}

export function buildProgram(io: Io): Command {
    const program = new Command("clusternet")
        .description("A Kubernetes lab cluster's network as code: plan, render and check a clusternet stack offline.")
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
        .showHelpAfterError("(run with --help for usage)");

    addStackOptions(
        program
            .command("plan")
            .description(
                "Print the address plan (pod, Service and node ranges, each node's subnets, capacity) and the Services' port maps. Records it in plans/<stack>.json.",
            )
            .addOption(
                new Option("-f, --format <format>", "output format")
                    .choices(Object.values(PlanFormat))
                    .default(PlanFormat.Table),
            )
            .option(
                "--diff <old.json>",
                "compare with an older plan JSON instead of printing the plan: nodes added and removed, subnets changed (an error: exit 1), capacity",
            ),
    ).action((options: StackCommandOptions & { format: PlanFormat; diff?: string }) => {
        const older = options.diff === undefined ? undefined : readPlanJson(path.resolve(io.cwd, options.diff));
        const prepared = prepare(options, io);
        // The record first: a record that cannot be written stops the run before anything is printed.
        if (options.save) {
            savePlanRecord(prepared.input, prepared.document);
        }
        if (older) {
            const diff = diffPlans(older, prepared.document);
            io.stdout(formatPlanDiff(diff, prepared.document, options.format));
            if (diff.errors.length > 0) {
                throw new CheckFailed(diff.errors.join("\n"));
            }
            return;
        }
        io.stdout(formatPlan(prepared.document, options.format));
        // Warnings go to stderr in every format (JSON and markdown also hold them as data).
        printWarnings(prepared.document.warnings, io);
    });

    addStackOptions(
        program
            .command("render")
            .description(
                "Run the stack program (index.ts) under Pulumi's mocks and write every Kubernetes object it registers as YAML.",
            )
            .option("-o, --out <dir>", "where to write the manifests", "rendered"),
    ).action(async (options: StackCommandOptions & { out: string }) => {
        const prepared = prepare(options, io);
        printWarnings(prepared.document.warnings, io);
        const run = await runStackProgram(prepared, io);
        const outDir = path.resolve(io.cwd, options.out);
        let written: ReturnType<typeof writeRendered>;
        try {
            written = writeRendered(outDir, run.resources);
        } catch (error) {
            throw isOsError(error) ? error : new UsageError((error as Error).message);
        }
        if (options.save) {
            savePlanRecord(prepared.input, prepared.document);
        }
        const shown = path.relative(io.cwd, outDir) || ".";
        io.stdout(
            `clusternet render: stack ${prepared.input.stackName}: ${written.files.length} Kubernetes objects written to ${shown}/ (${run.resources.length} resources registered; see ${path.join(shown, SUMMARY_FILE)})\n`,
        );
        for (const file of written.files) {
            io.stdout(`  ${file}\n`);
        }
    });

    addStackOptions(
        program
            .command("check")
            .description(
                "Run the clusternet-guardrails policies over every resource the stack program (index.ts) registers under Pulumi's mocks, as `pulumi preview --policy-pack ./policies` would. Exit 1 on a mandatory violation.",
            )
            .option(
                "-p, --policy-config <file>",
                'policy settings as for pulumi\'s --policy-pack-config, e.g. extra reserved ranges: {"no-overlapping-ranges": {"reserved": [...]}}',
            ),
        { save: false },
    ).action(async (options: StackCommandOptions & { policyConfig?: string }) => {
        // Loaded on demand, like the offline runner: the policies need the Pulumi SDK, plan and render do not.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { checkRun, readPolicyConfig } = require("./check") as typeof import("./check");
        const prepared = prepare(options, io);
        const userSettings =
            options.policyConfig !== undefined ? readPolicyConfig(path.resolve(io.cwd, options.policyConfig)) : {};
        // The stack's own settings (e.g. its node port range), under whatever the policy config file says.
        const settings = withStackSettings(stackPolicySettings(prepared.loaded.config), userSettings);
        printWarnings(prepared.document.warnings, io);
        const run = await runStackProgram(prepared, io);
        const report: CheckReport = await checkRun(run, PROJECT_NAME, prepared.input.stackName, settings);
        for (const line of report.lines) {
            io.stdout(`${line}\n`);
        }
        io.stdout(`${report.summary}\n`);
        if (report.mandatory > 0) {
            throw new CheckFailed(`clusternet check: ${report.mandatory} mandatory policy violation(s)`);
        }
    });

    program
        .command("pulumi")
        .description(
            "Run the real Pulumi CLI on a stack (preview and up with the policy pack always on), with a local file backend in the project unless PULUMI_BACKEND_URL says otherwise.",
        )
        .addArgument(new Argument("<command>", "what to run").choices(Object.values(PulumiCommand)))
        .argument("[pulumiArgs...]", "more arguments for pulumi, after --")
        .option("-s, --stack <name>", "the stack", DEFAULT_STACK)
        .action((command: PulumiCommand, pulumiArgs: string[], options: { stack: string }) => {
            const projectDir = projectDirectory(io.cwd);
            const code = runPulumi({
                command,
                stack: options.stack,
                projectDir,
                policySettings: stackSettingsOf(options.stack, io.cwd),
                extraArgs: pulumiArgs,
                env: process.env,
                interactive: Boolean(process.stdin.isTTY),
                log: (line) => io.stderr(`${line}\n`),
            });
            if (code !== 0) {
                throw new ExitWith(code);
            }
        });

    program
        .command("schema")
        .description("Print the JSON Schema of clusternet stack files, for editors (yaml-language-server).")
        .option("-o, --out <file>", "write it to this file instead")
        .option(
            "--readme <file>",
            `also write the configuration reference table into this markdown file, between ${README_REFERENCE_START} and ${README_REFERENCE_END}`,
        )
        .action((options: { out?: string; readme?: string }) => {
            const text = `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`;
            // All or nothing: the readme is read and checked before either file is written.
            let readmeUpdate: { file: string; text: string } | undefined;
            if (options.readme) {
                const file = path.resolve(io.cwd, options.readme);
                const readme = fs.readFileSync(file, "utf8");
                const start = readme.indexOf(README_REFERENCE_START);
                const end = readme.indexOf(README_REFERENCE_END);
                if (start < 0 || end < start) {
                    throw new UsageError(
                        `${options.readme} has no ${README_REFERENCE_START} ... ${README_REFERENCE_END} section; nothing was written`,
                    );
                }
                readmeUpdate = {
                    file,
                    text: `${readme.slice(0, start + README_REFERENCE_START.length)}\n${configReferenceMarkdown()}${readme.slice(end)}`,
                };
            }
            if (options.out !== undefined) {
                const out = path.resolve(io.cwd, options.out);
                if (fs.existsSync(out) && fs.statSync(out).isDirectory()) {
                    throw new UsageError(
                        `--out ${options.out} is a folder; name a file such as ${path.join(options.out, "clusternet-stack.schema.json")}; nothing was written`,
                    );
                }
                writeFileAtomic(out, text);
            } else {
                io.stdout(text);
            }
            if (readmeUpdate) {
                writeFileAtomic(readmeUpdate.file, readmeUpdate.text);
            }
        });

    addLabCommands(program, io, { addStackOptions, prepare, runStackProgram });

    return program;
}

/** Runs the command line; returns the exit code instead of exiting, for tests. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
    const program = buildProgram(io);
    if (argv.length === 0) {
        program.outputHelp();
        return ExitCode.BadInput;
    }
    try {
        await program.parseAsync([...argv], { from: "user" });
        return ExitCode.Ok;
    } catch (error) {
        if (error instanceof CommanderError) {
            return error.code === "commander.helpDisplayed" ||
                error.code === "commander.help" ||
                error.code === "commander.version"
                ? ExitCode.Ok
                : ExitCode.BadInput;
        }
        if (error instanceof InputError) {
            io.stderr(`${formatProblems(error.problems)}\n`);
            io.stderr(`clusternet: ${error.problems.length} problem(s) in the input; nothing was written\n`);
            return ExitCode.BadInput;
        }
        if (error instanceof ExitWith) {
            return error.code;
        }
        if (error instanceof CheckFailed) {
            io.stderr(`${error.message}\n`);
            return ExitCode.Failed;
        }
        if (error instanceof LabInputError) {
            io.stderr(
                `${error.problems.map((problem) => `lab: ${formatProblem(problem)}`).join("\n")}\nclusternet: the rendered stack cannot be built as a lab (${error.problems.length} problem(s)); nothing was built\n`,
            );
            return ExitCode.BadInput;
        }
        if (error instanceof LabEnvironmentError) {
            io.stderr(`clusternet lab: ${error.message}\n`);
            return ExitCode.BadInput;
        }
        if (error instanceof Error && error.name === "PolicyFailure") {
            io.stderr(`clusternet: ${error.message}\n`);
            return ExitCode.Internal;
        }
        if (error instanceof UsageError) {
            io.stderr(`clusternet: ${error.message}\n`);
            return ExitCode.BadInput;
        }
        if (isOsError(error)) {
            io.stderr(`clusternet: ${osErrorLine(error)}\n`);
            return ExitCode.BadInput;
        }
        io.stderr(
            `clusternet: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        return ExitCode.Internal;
    }
}
