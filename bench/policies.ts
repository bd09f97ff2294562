/**
 * Times the pack's stack policies over a big cluster: 5,000 NodePatches and 2,000 NodePort Services (each with its
 * Deployment), plus the Stack's plan output and flannel's ConfigMap, run through the engine-free harness exactly as
 * `clusternet check` runs them (props behind the SDK's unknown-checking proxy). Target: all stack policies together
 * under 1 s. The data is valid, and the run must find no violation, so the time is that of a full pass.
 *
 * Run alone: `node --import tsx bench/policies.ts`; bench/index.ts reports it with the rest.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { EngineResource, isStackPolicy, runPolicies } from "../cli/policy-harness";
import { policies } from "../policies/guardrails";

export const NODES = 5000;
export const SERVICES = 2000;
const TARGET_MS = 1000;

function urn(type: string, name: string): string {
    return `urn:pulumi:bench::clusternet::${type}::${name}`;
}

function ipv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** A valid cluster of the given size, shaped as the engine hands it to stack policies. */
export function benchCluster(nodes = NODES, services = SERVICES): EngineResource[] {
    const podBase = (10 << 24) | (128 << 16); // 10.128.0.0/9: room for 32,768 /24 node subnets
    const nodeBase = (192 << 24) | (168 << 16); // 192.168.0.0/16
    const serviceBase = (10 << 24) | (97 << 16); // clusterIPs from 10.97.0.0, inside 10.96.0.0/12
    const resources: EngineResource[] = [
        {
            type: "pulumi:pulumi:Stack",
            name: "clusternet-bench",
            urn: urn("pulumi:pulumi:Stack", "clusternet-bench"),
            props: {
                plan: {
                    cluster: {
                        podCidr: "10.128.0.0/9",
                        nodeMaskSize: 24,
                        serviceCidr: "10.96.0.0/12",
                        nodeNetwork: "192.168.0.0/16",
                        reserved: [{ name: "office-vpn", cidr: "10.8.0.0/16" }],
                    },
                    nodes: Array.from({ length: nodes }, (_, index) => ({
                        name: `node-${index}`,
                        ip: ipv4(nodeBase + 10 + index),
                    })),
                },
            },
        },
        {
            type: "kubernetes:core/v1:ConfigMap",
            name: "flannel-cfg",
            urn: urn("kubernetes:core/v1:ConfigMap", "flannel-cfg"),
            props: {
                metadata: { name: "kube-flannel-cfg", namespace: "kube-flannel" },
                data: { "net-conf.json": JSON.stringify({ Network: "10.128.0.0/9", Backend: { Type: "vxlan" } }) },
            },
        },
    ];
    for (let index = 0; index < nodes; index++) {
        const podCidr = `${ipv4(podBase + index * 256)}/24`;
        resources.push({
            type: "kubernetes:core/v1:NodePatch",
            name: `node-${index}`,
            urn: urn("kubernetes:core/v1:NodePatch", `node-${index}`),
            props: { metadata: { name: `node-${index}` }, spec: { podCIDR: podCidr, podCIDRs: [podCidr] } },
        });
    }
    for (let index = 0; index < services; index++) {
        const name = `app-${index}`;
        const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "bench" };
        resources.push({
            type: "kubernetes:apps/v1:Deployment",
            name,
            urn: urn("kubernetes:apps/v1:Deployment", name),
            props: {
                metadata: { name, namespace: "bench", labels },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            containers: [
                                {
                                    name: "app",
                                    image: "nginx:1.27",
                                    ports: [{ name: "http", containerPort: 80 }],
                                    readinessProbe: { tcpSocket: { port: "http" } },
                                },
                            ],
                        },
                    },
                },
            },
        });
        resources.push({
            type: "kubernetes:core/v1:Service",
            name,
            urn: urn("kubernetes:core/v1:Service", name),
            props: {
                metadata: { name, namespace: "bench" },
                spec: {
                    type: "NodePort",
                    clusterIP: ipv4(serviceBase + 2 + index),
                    selector: labels,
                    ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 30000 + index }],
                },
            },
        });
    }
    return resources;
}

async function timed(policyList: StackValidationPolicy[], resources: readonly EngineResource[]): Promise<number> {
    const started = performance.now();
    const result = await runPolicies(policyList, resources, {}, "mandatory");
    const elapsed = performance.now() - started;
    if (result.violations.length > 0) {
        throw new Error(
            `the bench cluster should pass, but: ${result.violations[0]!.policyName}: ${result.violations[0]!.message}`,
        );
    }
    return elapsed;
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
}

/** Each stack policy's time, then all of them together (the figure with the < 1 s target), median of 3 runs. */
export async function benchPolicies(): Promise<{ name: string; ms: number; target?: string }[]> {
    const resources = benchCluster();
    const stackPolicies = policies.filter(isStackPolicy);
    await timed(stackPolicies, resources); // warm-up
    const results: { name: string; ms: number; target?: string }[] = [];
    for (const policy of stackPolicies) {
        const runs = [
            await timed([policy], resources),
            await timed([policy], resources),
            await timed([policy], resources),
        ];
        results.push({
            name: `policy ${policy.name} (${NODES} NodePatches, ${SERVICES} Services)`,
            ms: Math.round(median(runs) * 10) / 10,
        });
    }
    const all = [
        await timed(stackPolicies, resources),
        await timed(stackPolicies, resources),
        await timed(stackPolicies, resources),
    ];
    results.push({
        name: `all ${stackPolicies.length} stack policies (${NODES} NodePatches, ${SERVICES} Services)`,
        ms: Math.round(median(all) * 10) / 10,
        target: `< ${TARGET_MS / 1000} s`,
    });
    // The CPU time of one run of them all: on a machine shared with other jobs the wall-clock figure above includes
    // waiting for a core; this one is what the policies cost.
    const cpuStart = process.cpuUsage();
    await timed(stackPolicies, resources);
    const cpu = process.cpuUsage(cpuStart);
    results.push({
        name: `all ${stackPolicies.length} stack policies, CPU time (${NODES} NodePatches, ${SERVICES} Services)`,
        ms: Math.round((cpu.user + cpu.system) / 100) / 10,
        target: `< ${TARGET_MS / 1000} s`,
    });
    return results;
}

if (require.main === module) {
    void benchPolicies().then((results) => {
        for (const result of results) {
            console.log(
                `${result.name}: ${result.ms} ms${result.target ? ` (target ${result.target}${result.ms < TARGET_MS ? ", met" : ", MISSED"})` : ""}`,
            );
        }
    });
}
