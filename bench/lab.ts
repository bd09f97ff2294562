/**
 * Times `lab up` (root only): the dev-shaped stack (target < 10 s) and 10 nodes x 5 pods (target < 60 s). Each lab
 * has its own prefix and is removed afterwards. Run alone: `node --import tsx bench/lab.ts`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { environmentProblem, labDown, labUp, LabContext } from "../lab/lab";
import { readManifestFiles } from "../lab/manifest-files";
import { LabInput } from "../lab/plan";
import { loadStack, readStackFile } from "../components/config";

export interface BenchResult {
    readonly name: string;
    readonly ms: number;
    /** The most it may take. */
    readonly target: number;
}

const REPO = path.resolve(__dirname, "..");

/** The lab's input as `lab up` builds it: the stack's plan, and the manifests `clusternet render` writes. */
export function inputFor(stackFile: string, stack: string): LabInput {
    const source = readStackFile(stackFile);
    const loaded = source.ok ? loadStack(source.value) : source;
    if (!loaded.ok) {
        throw new Error(`bench stack ${stackFile}: ${loaded.problems.map((problem) => problem.message).join("; ")}`);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-render-"));
    try {
        const render = spawnSync(
            process.execPath,
            [
                path.join(REPO, "bin", "clusternet.js"),
                "render",
                "--config-file",
                stackFile,
                "--out",
                out,
                "--no-save",
                "--no-previous",
            ],
            { encoding: "utf8" },
        );
        if (render.status !== 0) {
            throw new Error(`bench render of ${stackFile}: ${render.stderr}`);
        }
        const { config, plan } = loaded.value;
        return {
            stack,
            plan,
            manifests: readManifestFiles(out),
            underlayMtu: config.podNetwork.mtu,
            nodePortRange: config.cluster.nodePortRange,
        };
    } finally {
        fs.rmSync(out, { recursive: true, force: true });
    }
}

/** 10 nodes and 50 pods: five Deployments of ten replicas, each behind a NodePort Service. */
function tenByFiveStackFile(): string {
    const services = ["a", "b", "c", "d", "e"].map((letter, index) => ({
        name: `app-${letter}`,
        namespace: "bench",
        type: "NodePort",
        app: { image: "registry.lab.example/app:1.0.0", replicas: 10, containerPorts: [{ name: "http", port: 8080 }] },
        ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 31000 + index }],
    }));
    const config = {
        "clusternet:cluster": {
            name: "lab",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            nodeNetwork: "192.168.56.0/24",
        },
        "clusternet:nodes": Array.from({ length: 10 }, (_, index) => ({
            name: `node-${index}`,
            ip: `192.168.56.${10 + index}`,
        })),
        "clusternet:services": services,
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-bench-stack-")), "Pulumi.bench.yaml");
    fs.writeFileSync(file, stringify({ config }));
    return file;
}

async function timeUp(name: string, input: LabInput, target: number, tag: string): Promise<BenchResult> {
    const prefix = `b${(process.pid % 1296).toString(36)}${tag}-`;
    const context: LabContext = {
        prefix,
        stateDir: path.join(os.tmpdir(), `clusternet-bench-${prefix}`),
        log: () => undefined,
    };
    try {
        const { state, ms } = await labUp(input, context);
        const notReady = Object.entries(state.pods).filter(([, pod]) => !pod.ready);
        if (notReady.length > 0) {
            throw new Error(`${name}: pods not Ready: ${notReady.map(([key]) => key).join(", ")}`);
        }
        return { name, ms, target };
    } finally {
        await labDown(context);
    }
}

/** `lab up` timings; empty (with the reason on stderr) where the lab cannot run. */
export async function benchLab(): Promise<BenchResult[]> {
    const problem = environmentProblem({ platform: process.platform, uid: process.getuid?.(), hasNetns: true });
    if (problem) {
        process.stderr.write(`bench lab: skipped: ${problem}\n`);
        return [];
    }
    return [
        await timeUp(
            "lab up: dev stack (3 nodes, 6 pods, vxlan, Services, Ingress)",
            inputFor(path.join(REPO, "Pulumi.dev.yaml"), "dev"),
            10_000,
            "d",
        ),
        await timeUp(
            "lab up: 10 nodes x 5 pods each (vxlan, 5 NodePort Services)",
            inputFor(tenByFiveStackFile(), "bench"),
            60_000,
            "t",
        ),
    ];
}

if (require.main === module) {
    benchLab()
        .then((results) => {
            for (const result of results) {
                process.stdout.write(
                    `${result.name}: ${(result.ms / 1000).toFixed(2)} s (target < ${result.target / 1000} s) ${result.ms < result.target ? "ok" : "SLOW"}\n`,
                );
            }
        })
        .catch((error: unknown) => {
            process.stderr.write(`bench lab: ${String(error)}\n`);
            process.exitCode = 1;
        });
}
