import * as fs from "node:fs";
import * as path from "node:path";
import { Argument, Command, CommanderError, Option } from "commander";
import { configReferenceMarkdown, stackFileJsonSchema } from "../components/config";
import { clusterIngressPlan } from "../components/cluster-network/ingress-plan";
import { STACK_KEYS, formatProblem } from "../components/common";
import { kubeProxyWarnings } from "../components/kube-proxy/validate";
import { PreviousAllocation } from "../components/plan";
import { serviceClusterOf } from "../components/services/network";
import { servicePortMaps } from "../components/services/port-map";
import type { CheckReport } from "./check";
import { CheckFailed, ExitCode, ExitWith, InputError, UsageError } from "./errors";
import { addLabCommands } from "./lab";
import { LabEnvironmentError, LabInputError } from "../lab/lab";
import { writeRendered, SUMMARY_FILE } from "./manifests";
import type { OfflineRun } from "./offline";
import { ComparablePlan, asComparablePlan, diffPlans, formatPlanDiff } from "./plan-diff";
import { PlanDocument, PlanFormat, formatPlan, ingressPlanJson, planJson, portMapJson } from "./plan-format";
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
    /** A file, `true` (the stack's plan record, if any) or `false` (--no-previous). */
    previous: string | boolean;
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
    if (fs.existsSync(input.planRecord) && fs.readFileSync(input.planRecord, "utf8") === text) {
        return;
    }
    fs.mkdirSync(path.dirname(input.planRecord), { recursive: true });
    const temporary = `${input.planRecord}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, input.planRecord);
}

function prepare(options: StackCommandOptions, io: Io) {
    const input = resolveStackInput(options, io.cwd);
    const previous = previousFor(input, options);
    const { source, loaded } = loadStackInput(input, previous);
    const { plan, args } = loaded;
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
    return { input, previous, source, loaded, document };
}

/** Runs the stack program offline, with console.log (the SDK's info lines) sent to stderr. */
async function runStackProgram(prepared: ReturnType<typeof prepare>, io: Io): Promise<OfflineRun> {
    const { config, secretKeys } = runtimeConfig(prepared.source);
    // Loaded on demand: the Pulumi SDK takes a second to load, and plan does not need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runOffline } = require("./offline") as typeof import("./offline");
    const log = console.log;
    console.log = (...args: unknown[]) => io.stderr(`${args.map(String).join(" ")}\n`);
    try {
        return await runOffline({
            program: STACK_PROGRAM,
            project: PROJECT_NAME,
            stack: prepared.input.stackName,
            config,
            secretKeys,
            previousOutputs: prepared.previous ? { nodeSubnets: prepared.previous } : {},
        });
    } finally {
        console.log = log;
    }
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
        if (older) {
            const diff = diffPlans(older, prepared.document);
            io.stdout(formatPlanDiff(diff, prepared.document, options.format));
            if (options.save) {
                savePlanRecord(prepared.input, prepared.document);
            }
            if (diff.errors.length > 0) {
                throw new CheckFailed(diff.errors.join("\n"));
            }
            return;
        }
        io.stdout(formatPlan(prepared.document, options.format));
        if (options.format === PlanFormat.Json) {
            for (const warning of prepared.document.warnings) {
                io.stderr(`warning: ${warning}\n`);
            }
        }
        if (options.save) {
            savePlanRecord(prepared.input, prepared.document);
        }
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
        for (const warning of prepared.document.warnings) {
            io.stderr(`warning: ${warning}\n`);
        }
        const run = await runStackProgram(prepared, io);
        const outDir = path.resolve(io.cwd, options.out);
        let written: ReturnType<typeof writeRendered>;
        try {
            written = writeRendered(outDir, run.resources);
        } catch (error) {
            throw new UsageError((error as Error).message);
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
        const settings =
            options.policyConfig !== undefined ? readPolicyConfig(path.resolve(io.cwd, options.policyConfig)) : {};
        for (const warning of prepared.document.warnings) {
            io.stderr(`warning: ${warning}\n`);
        }
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
            const code = runPulumi({
                command,
                stack: options.stack,
                projectDir: projectDirectory(io.cwd),
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
            if (options.out) {
                fs.writeFileSync(path.resolve(io.cwd, options.out), text);
            } else {
                io.stdout(text);
            }
            if (options.readme) {
                const file = path.resolve(io.cwd, options.readme);
                const readme = fs.readFileSync(file, "utf8");
                const start = readme.indexOf(README_REFERENCE_START);
                const end = readme.indexOf(README_REFERENCE_END);
                if (start < 0 || end < start) {
                    throw new UsageError(
                        `${options.readme} has no ${README_REFERENCE_START} ... ${README_REFERENCE_END} section`,
                    );
                }
                fs.writeFileSync(
                    file,
                    `${readme.slice(0, start + README_REFERENCE_START.length)}\n${configReferenceMarkdown()}${readme.slice(end)}`,
                );
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
                `${error.problems.map((problem) => `lab: ${problem}`).join("\n")}\nclusternet: the rendered stack cannot be built as a lab (${error.problems.length} problem(s)); nothing was built\n`,
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
        io.stderr(
            `clusternet: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        return ExitCode.Internal;
    }
}
