/**
 * `clusternet lab up | check | down`: the command line of the lab. The stack is planned and rendered exactly as
 * `plan` and `render` do (main.ts hands its helpers in), so the lab builds what `pulumi up` would apply.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { Command } from "commander";
import type { LoadedStack } from "../components/config";
import { CheckFailed, UsageError } from "./errors";
import { manifestsOf } from "./manifests";
import type { OfflineRun } from "./offline";
import { resolveStackInput } from "./stack-input";
import { DEFAULT_PREFIX, prefixProblem } from "../lab/names";
import {
    LabContext,
    labCheck,
    labDown,
    labSync,
    labUp,
    loadState,
    lookAround,
    podTable,
    resolveStateDir,
} from "../lab/lab";
import { modelledLegend } from "../lab/checks";
import { DiagnoseInputError, formatDiagnosis, labDiagnose } from "../lab/diagnose";
import { readManifestFiles } from "../lab/manifest-files";
import { LabManifest } from "../lab/model";
import { ProxyMode } from "../lab/proxy-mode";
import { labSwitchProxyMode } from "../lab/switch-mode";
import { DEFAULT_BENCH_SIZES, DEFAULT_CONNECTS, benchChart, benchTable, benchVerdict, labBench } from "../lab/bench";

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    readonly cwd: string;
}

interface PreparedStack {
    readonly input: { readonly stackName: string };
    readonly loaded: LoadedStack;
}

/** What main.ts shares with the lab: its stack options and the way it loads and renders a stack. */
export interface StackHelpers<P extends PreparedStack, O> {
    addStackOptions(command: Command): Command;
    prepare(options: O, io: Io): P;
    runStackProgram(prepared: P, io: Io): Promise<OfflineRun>;
}

interface LabOptions {
    stack?: string;
    configFile?: string;
    prefix: string;
    stateDir?: string;
}

function contextOf(options: LabOptions, io: Io): LabContext {
    const problem = prefixProblem(options.prefix);
    if (problem) {
        throw new UsageError(problem);
    }
    return {
        prefix: options.prefix,
        stateDir: resolveStateDir(options.prefix, options.stateDir),
        log: (line) => io.stdout(`${line}\n`),
    };
}

function addLabOptions(command: Command): Command {
    return command
        .option(
            "--prefix <prefix>",
            "name prefix of the lab's network namespaces; labs with different prefixes live side by side",
            DEFAULT_PREFIX,
        )
        .option("--state-dir <dir>", "the lab's state folder (default: /run/clusternet-lab/<prefix>)");
}

/** With --stack or --config-file, the lab that is up must be that stack's. */
function requireSameStack(context: LabContext, options: LabOptions, io: Io): void {
    if (options.stack === undefined && options.configFile === undefined) {
        return;
    }
    const wanted = resolveStackInput(options, io.cwd).stackName;
    const state = loadState(context);
    if (state.plan.stack !== wanted) {
        throw new UsageError(`the lab with prefix ${context.prefix} runs stack ${state.plan.stack}, not ${wanted}`);
    }
}

export function addLabCommands<P extends PreparedStack, O>(
    program: Command,
    io: Io,
    helpers: StackHelpers<P, O>,
): void {
    const lab = program
        .command("lab")
        .description(
            "Build the stack's data plane in network namespaces on this machine (Linux, root), prove every path, tear it down.",
        );

    helpers
        .addStackOptions(
            addLabOptions(
                lab
                    .command("up")
                    .description(
                        "Render the stack and build its LAN, nodes, flannel pod network, pods (real CNI plugins), kube-proxy Services and Ingress (nginx) in namespaces.",
                    )
                    .option(
                        "--manifests <path>",
                        "build from these manifests (a folder written by clusternet render, or a YAML file) instead of rendering the stack",
                    )
                    .option("--keep-on-failure", "leave a half-built lab in place to look at when up fails"),
            ),
        )
        .action(async (options: O & LabOptions & { manifests?: string; keepOnFailure?: boolean }) => {
            const context = contextOf(options, io);
            // The command's own part, before the lab's: on a big stack rendering it is most of the wait.
            const started = performance.now();
            const cpuStarted = process.cpuUsage();
            const prepared = helpers.prepare(options, io);
            let manifests: LabManifest[];
            if (options.manifests !== undefined) {
                try {
                    manifests = readManifestFiles(
                        options.manifests.startsWith("/") ? options.manifests : `${io.cwd}/${options.manifests}`,
                    );
                } catch (error) {
                    throw new UsageError(`--manifests ${options.manifests}: ${(error as Error).message}`);
                }
            } else {
                manifests = manifestsOf((await helpers.runStackProgram(prepared, io)).resources);
            }
            const { config, plan } = prepared.loaded;
            const cpu = process.cpuUsage(cpuStarted);
            const before = `${options.manifests !== undefined ? "reading the manifests" : "planning and rendering the stack"} took ${seconds(performance.now() - started)} (CPU ${seconds((cpu.user + cpu.system) / 1000)})`;
            const { state, ms } = await labUp(
                {
                    stack: prepared.input.stackName,
                    plan,
                    manifests,
                    underlayMtu: config.podNetwork.mtu,
                    nodePortRange: config.cluster.nodePortRange,
                },
                context,
                { keepOnFailure: options.keepOnFailure },
            );
            // The same lab for the next commands: its prefix, and its state folder when it is not the default.
            const where = `--prefix ${context.prefix}${options.stateDir !== undefined ? ` --state-dir ${context.stateDir}` : ""}`;
            io.stdout(
                `lab up: built in ${seconds(ms)}; before that, ${before}\n\n${podTable(state)}\n${lookAround(state)}\nNext: clusternet lab check ${where}   (then: clusternet lab down ${where})\n`,
            );
        });

    addLabOptions(
        lab
            .command("check")
            .description(
                "Run the matrix against the lab that is up and print it; exit 1 naming every path that fails.",
            ),
    )
        .option("-s, --stack <name>", "the stack the lab must be running")
        .option("-c, --config-file <file>", "the stack file the lab must be running")
        .option("--format <format>", "table, or json (the rows with what each models, and the lab's warnings)", "table")
        .action(async (options: LabOptions & { format: string }) => {
            if (options.format !== "table" && options.format !== "json") {
                throw new UsageError(`lab check --format: ${JSON.stringify(options.format)} is not table or json`);
            }
            const context = contextOf(options, io);
            requireSameStack(context, options, io);
            const result = await labCheck(context);
            const total = result.rows.length;
            if (options.format === "json") {
                io.stdout(
                    `${JSON.stringify(
                        {
                            paths: total,
                            failed: result.failed.length,
                            ms: result.ms,
                            changes: result.changes,
                            warnings: result.warnings,
                            kubeProxy: result.kubeProxy,
                            modelled: modelledLegend(result.rows),
                            rows: result.rows,
                        },
                        null,
                        2,
                    )}\n`,
                );
            } else {
                for (const change of result.changes) {
                    io.stdout(`sync: ${change}\n`);
                }
                // What up warned about (settings the lab models or does not build) holds for every check too.
                for (const warning of result.warnings) {
                    io.stdout(`warning: ${warning}\n`);
                }
                io.stdout(result.table);
                io.stdout(
                    `\nlab check: ${total - result.failed.length} of ${total} paths work, ${result.failed.length} fail (${(result.ms / 1000).toFixed(1)} s; kube-proxy in ${result.kubeProxy})\n`,
                );
            }
            if (result.failed.length > 0) {
                for (const row of result.failed) {
                    io.stderr(`FAIL ${row.group}: ${row.path}\n     expected ${row.expected}; got ${row.got}\n`);
                }
                throw new CheckFailed(`clusternet: lab check: ${result.failed.length} path(s) fail`);
            }
        });

    addLabOptions(
        lab
            .command("diagnose")
            .description(
                "The troubleshooting checklist for a path (DNS, endpoints, kube-proxy's rules, rule counters, routes, listening): each hop with its evidence, then the first broken one with its fix. Without --to: every failing path of lab check.",
            ),
    )
        .option("--from <pod|node>", "where the path starts: a pod (namespace/name) or a node name")
        .option(
            "--to <target>",
            "a Service by name or cluster IP, with an optional port: web.demo:8080, 10.96.0.2:8080",
        )
        .action(async (options: LabOptions & { from?: string; to?: string }) => {
            const context = contextOf(options, io);
            let paths: Array<{ from: string; to: string }>;
            if (options.to !== undefined || options.from !== undefined) {
                if (options.to === undefined || options.from === undefined) {
                    throw new UsageError(
                        "lab diagnose: give both --from and --to, or neither (to diagnose every failing path)",
                    );
                }
                paths = [{ from: options.from, to: options.to }];
            } else {
                const result = await labCheck(context);
                const seen = new Set<string>();
                paths = result.failed.flatMap((row) => {
                    const key = row.diagnose ? `${row.diagnose.from} ${row.diagnose.to}` : "";
                    return row.diagnose && !seen.has(key) && seen.add(key) ? [row.diagnose] : [];
                });
                io.stdout(
                    `lab check: ${result.failed.length} path(s) fail, ${paths.length} of them to a Service${paths.length > 0 ? ": diagnosing" : ""}\n`,
                );
            }
            let broken = 0;
            for (const item of paths) {
                let diagnosis;
                try {
                    diagnosis = await labDiagnose(context, item.from, item.to);
                } catch (error) {
                    if (error instanceof DiagnoseInputError) {
                        throw new UsageError(error.message);
                    }
                    throw error;
                }
                io.stdout(`${formatDiagnosis(diagnosis)}\n`);
                broken += diagnosis.broken ? 1 : 0;
            }
            if (broken > 0) {
                throw new CheckFailed(`clusternet: lab diagnose: ${broken} path(s) have a broken hop`);
            }
        });

    addLabOptions(
        lab
            .command("sync")
            .description(
                "One sync of the lab's control plane: re-run readiness probes, recompute endpoints, rewrite kube-proxy's rules on every node (a full, idempotent sync), reload the Ingress controller and the cluster DNS. Not a loop: nothing watches the lab between syncs.",
            ),
    ).action(async (options: LabOptions) => {
        const context = contextOf(options, io);
        const { changes } = await labSync(context, { full: true });
        for (const change of changes) {
            io.stdout(`sync: ${change}\n`);
        }
        io.stdout(
            `lab sync: ${changes.length === 0 ? "nothing changed" : `${changes.length} change(s)`}; kube-proxy's rules rewritten on every node\n`,
        );
    });

    addLabOptions(
        lab
            .command("proxy-mode")
            .argument("<mode>", "iptables or nftables")
            .description(
                "Switch kube-proxy's mode on the lab that is up, as a restarted kube-proxy does: the old mode's rules go, the new mode's are written; pods stay.",
            ),
    ).action(async (mode: string, options: LabOptions) => {
        const context = contextOf(options, io);
        if (mode !== ProxyMode.Iptables && mode !== ProxyMode.Nftables) {
            throw new UsageError(`lab proxy-mode: ${JSON.stringify(mode)} is not iptables or nftables`);
        }
        const result = await labSwitchProxyMode(context, mode);
        io.stdout(
            `lab proxy-mode: kube-proxy ${result.from} → ${mode} on every node: ${result.size.chains} chains, ${result.size.rules} rules, ${result.size.elements} map elements per node, loaded in ${result.ms} ms\n`,
        );
    });

    addLabOptions(
        lab
            .command("bench")
            .description(
                "Measure kube-proxy's modes on this kernel: program time, one-Service update time, first-packet connect latency to the first and last Service, ruleset size, for N Services; prints a table, writes bench.json and bench.svg.",
            ),
    )
        .option("--sizes <list>", "Service counts, comma-separated", DEFAULT_BENCH_SIZES.join(","))
        .option("--modes <list>", "kube-proxy modes, comma-separated", "iptables,nftables")
        .option(
            "--connects <n>",
            "fresh connect()s per latency point (at least 1000 for a p99)",
            String(DEFAULT_CONNECTS),
        )
        .option("--out <dir>", "where bench.json and bench.svg go", "lab-bench")
        .action(async (options: LabOptions & { sizes: string; modes: string; connects: string; out: string }) => {
            const context = contextOf(options, io);
            const sizes = options.sizes.split(",").map((item) => Number(item.trim()));
            if (sizes.some((size) => !Number.isInteger(size) || size < 1 || size > 60000)) {
                throw new UsageError(`lab bench --sizes ${options.sizes}: expected whole numbers from 1 to 60000`);
            }
            const modes = options.modes.split(",").map((item) => item.trim());
            const unknown = modes.find((mode) => mode !== ProxyMode.Iptables && mode !== ProxyMode.Nftables);
            if (unknown !== undefined) {
                throw new UsageError(`lab bench --modes: ${JSON.stringify(unknown)} is not iptables or nftables`);
            }
            const connects = Number(options.connects);
            if (!Number.isInteger(connects) || connects < 1) {
                throw new UsageError(`lab bench --connects ${options.connects}: expected a whole number >= 1`);
            }
            io.stdout(
                `lab bench: ${modes.join(" and ")} at ${sizes.join(", ")} Services, ${connects} connects per point\n`,
            );
            const report = await labBench({
                prefix: context.prefix,
                sizes,
                modes: modes as ProxyMode[],
                connects,
                workDir: `${context.stateDir}-bench`,
                log: context.log,
            });
            const out = options.out.startsWith("/") ? options.out : `${io.cwd}/${options.out}`;
            fs.mkdirSync(out, { recursive: true });
            fs.writeFileSync(`${out}/bench.json`, `${JSON.stringify(report, null, 2)}\n`);
            fs.writeFileSync(`${out}/bench.svg`, benchChart(report));
            io.stdout(
                `\n${benchTable(report)}\n${benchVerdict(report).join("\n")}\n\nkernel ${report.kernel}, ${report.nft}, ${report.iptables}; ${(report.totalMs / 1000).toFixed(0)} s; wrote ${out}/bench.json and ${out}/bench.svg\n`,
            );
        });

    addLabOptions(
        lab
            .command("down")
            .description(
                "Remove the lab: its processes, namespaces and state folder. Safe to repeat, also after a crash.",
            ),
    )
        .option("-s, --stack <name>", "the stack the lab must be running")
        .option("-c, --config-file <file>", "the stack file the lab must be running")
        .action(async (options: LabOptions) => {
            const context = contextOf(options, io);
            try {
                requireSameStack(context, options, io);
            } catch (error) {
                // No lab state: nothing to compare against; down still removes whatever the prefix names.
                if (error instanceof UsageError) {
                    throw error;
                }
            }
            const result = await labDown(context);
            io.stdout(
                `lab down: removed ${result.namespaces} namespaces and ended ${result.processes} processes (prefix ${context.prefix})\n`,
            );
        });
}
