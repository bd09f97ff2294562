/**
 * `lab check` at scale, repeated (root only): one lab of 5,000 Services is brought up, then `lab check` runs 5 times
 * in iptables mode and 5 times in nftables mode (switched on the same lab, as `lab proxy-mode` does). Every failing
 * row is a false failure: nothing is broken on purpose. The target is zero in every run.
 *
 * `npm run bench -- lab-check`, or alone: `node --import tsx bench/lab-check.ts [--runs 5] [--services 5000]
 * [--nodes 3] [--modes iptables,nftables]`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { environmentProblem, labCheck, labDown, labUp, LabContext } from "../lab/lab";
import { ProxyMode } from "../lab/proxy-mode";
import { labSwitchProxyMode } from "../lab/switch-mode";
import { inputFor } from "./lab";

export interface LabCheckBenchOptions {
    readonly services: number;
    readonly nodes: number;
    readonly runs: number;
    readonly modes: readonly ProxyMode[];
    readonly log: (line: string) => void;
}

export interface LabCheckRun {
    readonly mode: ProxyMode;
    readonly run: number;
    readonly rows: number;
    readonly failed: number;
    readonly ms: number;
    /** The first few failing rows, as the table prints them. */
    readonly examples: readonly string[];
}

/** Deployments behind the Services: one replica each, so each Service has one endpoint (one request per row). */
const APPS = 10;

function ipv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/**
 * A stack of `services` ClusterIP Services on `nodes` nodes. Ten of them bring a one-replica Deployment; the others
 * select those Deployments' pods by label (a pod per Service would be thousands of namespaces and processes), so
 * every Service has one endpoint and `lab check` probes every Service from every node and every node's probe pod.
 */
export function labCheckStack(services: number, nodes: number): Record<string, unknown> {
    const apps = Math.min(APPS, services);
    return {
        "clusternet:cluster": {
            name: "scale",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/16",
            nodeNetwork: "192.168.0.0/16",
        },
        "clusternet:nodes": Array.from({ length: nodes }, (_, i) => ({
            name: `node-${i}`,
            ip: ipv4(((192 << 24) | (168 << 16)) + 10 + i),
        })),
        "clusternet:services": Array.from({ length: services }, (_, i) => {
            const app = `svc-${String(i % apps).padStart(5, "0")}`;
            const base = {
                name: `svc-${String(i).padStart(5, "0")}`,
                namespace: `ns-${i % apps}`,
                ports: [{ name: "http", port: 8080, targetPort: 8080 }],
            };
            return i < apps
                ? {
                      ...base,
                      app: {
                          image: "registry.lab.example/echo:1.0.0",
                          replicas: 1,
                          containerPorts: [{ name: "http", port: 8080 }],
                      },
                  }
                : { ...base, selector: { "app.kubernetes.io/instance": "scale", "app.kubernetes.io/name": app } };
        }),
    };
}

export async function benchLabCheck(options: LabCheckBenchOptions): Promise<LabCheckRun[]> {
    const problem = environmentProblem({ platform: process.platform, uid: process.getuid?.(), hasNetns: true });
    if (problem) {
        process.stderr.write(`bench lab-check: skipped: ${problem}\n`);
        return [];
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-check-"));
    const stackFile = path.join(dir, "Pulumi.scale.yaml");
    fs.writeFileSync(stackFile, stringify({ config: labCheckStack(options.services, options.nodes) }));
    const prefix = `bc${(process.pid % 1296).toString(36)}-`;
    const context: LabContext = {
        prefix,
        stateDir: path.join(os.tmpdir(), `clusternet-bench-${prefix}`),
        log: () => undefined,
    };
    const runs: LabCheckRun[] = [];
    try {
        options.log(`lab-check: rendering ${options.services} Services on ${options.nodes} nodes...`);
        const input = inputFor(stackFile, "scale");
        const { state, ms } = await labUp(input, context);
        options.log(`lab-check: lab up in ${(ms / 1000).toFixed(1)} s (${state.plan.pods.length} pods)`);
        for (const mode of options.modes) {
            await labSwitchProxyMode(context, mode);
            for (let run = 1; run <= options.runs; run++) {
                const result = await labCheck(context);
                const examples = result.failed
                    .slice(0, 5)
                    .map((row) => `${row.path}: expected ${row.expected}, got ${row.got}`);
                runs.push({
                    mode,
                    run,
                    rows: result.rows.length,
                    failed: result.failed.length,
                    ms: result.ms,
                    examples,
                });
                options.log(
                    `lab-check: ${mode} run ${run}: ${result.rows.length - result.failed.length} of ${result.rows.length} paths passed in ${(result.ms / 1000).toFixed(1)} s${examples.map((line) => `\n    FAILED ${line}`).join("")}`,
                );
            }
        }
        return runs;
    } finally {
        await labDown(context);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The runs per mode, and the verdict against the target (zero false failures in every run). */
export function labCheckSummary(runs: readonly LabCheckRun[]): string {
    const lines: string[] = [];
    for (const mode of [...new Set(runs.map((run) => run.mode))]) {
        const mine = runs.filter((run) => run.mode === mode);
        const failed = mine.reduce((sum, run) => sum + run.failed, 0);
        const slowest = Math.max(...mine.map((run) => run.ms));
        lines.push(
            `lab check ${mode}: ${mine.length} runs of ${mine[0]!.rows} paths, ${failed} failures (runs with failures: ${mine.filter((run) => run.failed > 0).length}), slowest ${(slowest / 1000).toFixed(1)} s: target zero false failures ${failed === 0 ? "met" : "MISSED"}`,
        );
    }
    return lines.join("\n");
}

function argument(name: string, fallback: string): string {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 && process.argv[index + 1] !== undefined ? process.argv[index + 1]! : fallback;
}

if (require.main === module) {
    benchLabCheck({
        services: Number(argument("services", "5000")),
        nodes: Number(argument("nodes", "3")),
        runs: Number(argument("runs", "5")),
        modes: argument("modes", "iptables,nftables").split(",") as ProxyMode[],
        log: (line) => process.stdout.write(`${line}\n`),
    })
        .then((runs) => process.stdout.write(`${labCheckSummary(runs)}\n`))
        .catch((error: unknown) => {
            process.stderr.write(`bench lab-check: ${String(error)}\n`);
            process.exitCode = 1;
        });
}
