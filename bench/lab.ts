/**
 * Times `lab up` (root only): the dev-shaped stack (target < 10 s) and 10 nodes x 5 pods (target < 60 s). Each lab
 * has its own prefix and is removed afterwards. Run alone: `node --import tsx bench/lab.ts`.
 */
import * as os from "node:os";
import * as path from "node:path";
import { environmentProblem, labDown, labUp, LabContext } from "../cli/lab/lab";
import { LabInput } from "../cli/lab/plan";
import { planNetwork } from "../components/plan";
import { DEV_CLUSTER, DEV_FIXTURE, FixtureOptions, labManifests } from "../test/helpers/lab-manifests";

export interface BenchResult {
    readonly name: string;
    readonly ms: number;
    /** The most it may take. */
    readonly target: number;
}

function inputFor(cluster: { cluster: object; nodes: Array<{ name: string; ip: string; podCidr?: string }> }, fixture: FixtureOptions, stack: string): LabInput {
    const result = planNetwork({ cluster: cluster.cluster, nodes: cluster.nodes });
    if (!result.ok) {
        throw new Error(`bench plan: ${result.problems.map((problem) => problem.message).join("; ")}`);
    }
    return { stack, plan: result.plan, manifests: labManifests(result.plan, fixture) };
}

/** 10 nodes and 50 pods: five Deployments of ten replicas, each behind a NodePort Service. */
const TEN_BY_FIVE: FixtureOptions = {
    backend: "vxlan",
    services: ["a", "b", "c", "d", "e"].map((letter, index) => ({
        name: `app-${letter}`,
        namespace: "bench",
        type: "NodePort" as const,
        replicas: 10,
        containerPorts: [{ name: "http", port: 8080 }],
        ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 31000 + index }],
    })),
};
const TEN_NODES = {
    cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeNetwork: "192.168.56.0/24" },
    nodes: Array.from({ length: 10 }, (_, index) => ({ name: `node-${index}`, ip: `192.168.56.${10 + index}` })),
};

async function timeUp(name: string, input: LabInput, target: number, tag: string): Promise<BenchResult> {
    const prefix = `b${(process.pid % 1296).toString(36)}${tag}-`;
    const context: LabContext = { prefix, stateDir: path.join(os.tmpdir(), `clusternet-bench-${prefix}`), log: () => undefined };
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
        await timeUp("lab up: dev stack (3 nodes, 6 pods, vxlan, Services, Ingress)", inputFor(DEV_CLUSTER, DEV_FIXTURE, "dev"), 10_000, "d"),
        await timeUp("lab up: 10 nodes x 5 pods (vxlan, 5 NodePort Services)", inputFor(TEN_NODES, TEN_BY_FIVE, "bench"), 60_000, "t"),
    ];
}

if (require.main === module) {
    benchLab()
        .then((results) => {
            for (const result of results) {
                process.stdout.write(`${result.name}: ${(result.ms / 1000).toFixed(2)} s (target < ${result.target / 1000} s) ${result.ms < result.target ? "ok" : "SLOW"}\n`);
            }
        })
        .catch((error: unknown) => {
            process.stderr.write(`bench lab: ${String(error)}\n`);
            process.exitCode = 1;
        });
}
