/**
 * `clusternet lab bench`: the seed's claim measured on this kernel. For N Services (each with two endpoints) and
 * each kube-proxy mode: the time to program the whole ruleset, the time to change one Service (as kube-proxy does
 * it: a partial iptables-restore, one nft transaction), the first-packet latency of fresh connect()s from a pod to
 * the first and to the last Service (a tight C loop, median and p99), and the ruleset's size. Three namespaces per
 * run: a node holding kube-proxy's rules, a client pod and an endpoint pod with two addresses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { inNetns, run, spawnInNetns, writeFileAtomic } from "./exec";
import { IptablesRule, restoreDocument, ruleLine } from "./iptables";
import { Endpoint, PlannedService, externalChain, endpointChain, kubeProxyRules, serviceChain } from "./kube-proxy";
import { Protocol } from "./model";
import { RulesetSize, kubeProxyNftScript, servicePortUpdateScript } from "./nftables";
import { ProxyMode, loadIptablesOwned, loadNftables } from "./proxy-mode";

export const DEFAULT_BENCH_SIZES: readonly number[] = [10, 100, 1000, 5000, 10000];
export const DEFAULT_CONNECTS = 1000;
const CLUSTER_CIDR = "10.244.0.0/16";
const SERVICE_CIDR = "10.96.0.0/12";
const CLIENT_IP = "10.244.1.2";
const ENDPOINT_IPS = ["10.244.2.2", "10.244.2.3"];
const ENDPOINT_PORT = 8080;
const SERVICE_PORT = 80;

/** The connect loop and the endpoint's accept loop, one small C program (compiled once per bench run). */
const CONNECT_LOOP_C = String.raw`#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
/* connect-loop IP PORT COUNT: COUNT fresh TCP connect()s, each timed alone, printed in ns; closed with RST so no
   TIME_WAIT piles up. connect-loop serve PORT: accept and close, forever. */
int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in addr = {0};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(atoi(argv[2]));
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 4096) != 0) { perror("listen"); return 1; }
        for (;;) { int c = accept(fd, NULL, NULL); if (c >= 0) close(c); }
    }
    if (argc != 4) { fprintf(stderr, "usage: connect-loop IP PORT COUNT | connect-loop serve PORT\n"); return 2; }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", argv[1]); return 2; }
    int count = atoi(argv[3]), failures = 0;
    struct linger reset = {1, 0};
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (rc != 0) failures++;
        else printf("%ld\n", (long)((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec)));
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(fd);
    }
    fprintf(stderr, "failures %d\n", failures);
    return failures > 0 ? 1 : 0;
}
`;

export interface LatencyStats {
    readonly medianUs: number;
    readonly p99Us: number;
    readonly samples: number;
}

export interface BenchRow {
    readonly mode: ProxyMode;
    readonly services: number;
    /** Building and loading the whole ruleset into an empty node. */
    readonly programMs: number;
    /** Changing one Service's endpoints: a partial iptables-restore, or one nft transaction. */
    readonly updateMs: number;
    readonly first: LatencyStats;
    readonly last: LatencyStats;
    readonly size: RulesetSize;
}

export interface BenchOptions {
    readonly prefix: string;
    readonly sizes: readonly number[];
    readonly modes: readonly ProxyMode[];
    readonly connects: number;
    /** Where the compiled connect loop, the rules and the logs go. */
    readonly workDir: string;
    readonly log: (line: string) => void;
}

/** N Services with one TCP port each, cluster IPs from 10.96.0.20 on, every one served by the two endpoints. */
export function benchServices(count: number): {
    services: PlannedService[];
    endpoints: Map<string, Endpoint[]>;
} {
    const services: PlannedService[] = [];
    const endpoints = new Map<string, Endpoint[]>();
    for (let index = 0; index < count; index++) {
        const value = 20 + index;
        const name = `s${index}`;
        const id = `bench/${name}:http`;
        services.push({
            namespace: "bench",
            name,
            type: "ClusterIP",
            clusterIP: `10.96.${value >> 8}.${value & 255}`,
            ports: [{ id, name: "http", port: SERVICE_PORT, protocol: Protocol.TCP, targetPort: ENDPOINT_PORT }],
        });
        endpoints.set(
            id,
            ENDPOINT_IPS.map((ip, at) => ({ pod: `ep-${at}`, node: "bench", ip, port: ENDPOINT_PORT })),
        );
    }
    return { services, endpoints };
}

export function latencyStats(nanoseconds: readonly number[]): LatencyStats {
    const sorted = [...nanoseconds].sort((a, b) => a - b);
    const at = (share: number): number => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? NaN;
    return {
        medianUs: Math.round(at(0.5) / 100) / 10,
        p99Us: Math.round(at(0.99) / 100) / 10,
        samples: sorted.length,
    };
}

/**
 * kube-proxy's partial sync in iptables mode: KUBE-SERVICES rewritten whole (kube-proxy always does), the changed
 * port's own chains declared and written, everything else left alone (--noflush).
 */
export function iptablesPartialUpdate(
    services: readonly PlannedService[],
    endpoints: ReadonlyMap<string, readonly Endpoint[]>,
    changed: PlannedService,
    clusterCidr: string,
): string {
    const port = changed.ports[0]!;
    const own = new Set([
        serviceChain(port),
        externalChain(port),
        ...(endpoints.get(port.id) ?? []).map((endpoint) => endpointChain(port, endpoint)),
    ]);
    const nat = kubeProxyRules(services, endpoints, clusterCidr).find((table) => table.table === "nat")!;
    const rewritten = new Set(["KUBE-SERVICES", ...own]);
    const rules: IptablesRule[] = nat.rules.filter((rule) => rewritten.has(rule.chain));
    const chains = nat.chains.filter((chain) => rewritten.has(chain));
    return `*nat\n${chains.map((chain) => `:${chain} - [0:0]`).join("\n")}\n${rules.map(ruleLine).join("\n")}\nCOMMIT\n`;
}

interface Topology {
    readonly node: string;
    readonly client: string;
    readonly endpoint: string;
}

async function ip(netns: string | undefined, ...args: string[]): Promise<void> {
    await run("ip", netns === undefined ? args : ["-n", netns, ...args]);
}

/** Three namespaces: client pod ↔ node ↔ endpoint pod, routed, the node forwarding. */
async function buildTopology(prefix: string): Promise<Topology> {
    const topology = { node: `${prefix}bench-node`, client: `${prefix}bench-client`, endpoint: `${prefix}bench-ep` };
    for (const netns of Object.values(topology)) {
        await ip(undefined, "netns", "add", netns);
        await ip(netns, "link", "set", "lo", "up");
    }
    await ip(
        undefined,
        "link",
        "add",
        "bc0",
        "netns",
        topology.client,
        "type",
        "veth",
        "peer",
        "name",
        "vc0",
        "netns",
        topology.node,
    );
    await ip(
        undefined,
        "link",
        "add",
        "be0",
        "netns",
        topology.endpoint,
        "type",
        "veth",
        "peer",
        "name",
        "ve0",
        "netns",
        topology.node,
    );
    await ip(topology.node, "addr", "add", "10.244.1.1/24", "dev", "vc0");
    await ip(topology.node, "addr", "add", "10.244.2.1/24", "dev", "ve0");
    await ip(topology.client, "addr", "add", `${CLIENT_IP}/24`, "dev", "bc0");
    for (const address of ENDPOINT_IPS) {
        await ip(topology.endpoint, "addr", "add", `${address}/24`, "dev", "be0");
    }
    for (const [netns, device] of [
        [topology.node, "vc0"],
        [topology.node, "ve0"],
        [topology.client, "bc0"],
        [topology.endpoint, "be0"],
    ] as const) {
        await ip(netns, "link", "set", device, "up");
    }
    await ip(topology.client, "route", "add", "default", "via", "10.244.1.1");
    await ip(topology.endpoint, "route", "add", "default", "via", "10.244.2.1");
    await inNetns(topology.node, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
    return topology;
}

/** Removes the bench's namespaces (and with them their processes' network); safe to repeat. */
export async function benchDown(prefix: string): Promise<void> {
    for (const netns of ["bench-node", "bench-client", "bench-ep"]) {
        const name = `${prefix}${netns}`;
        const pids = await run("ip", ["netns", "pids", name]).catch(() => ({ stdout: "" }));
        for (const pid of pids.stdout.split("\n").filter((line) => /^\d+$/.test(line))) {
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch {
                // gone already
            }
        }
        await run("ip", ["netns", "del", name]).catch(() => undefined);
    }
}

async function compileConnectLoop(workDir: string): Promise<string> {
    const source = path.join(workDir, "connect-loop.c");
    const binary = path.join(workDir, "connect-loop");
    writeFileAtomic(source, CONNECT_LOOP_C);
    await run("cc", ["-O2", "-o", binary, source]).catch((error: Error) => {
        throw new Error(`lab bench needs a C compiler for its connect loop (apt-get install -y gcc): ${error.message}`);
    });
    return binary;
}

async function connectLatency(
    topology: Topology,
    binary: string,
    address: string,
    count: number,
): Promise<LatencyStats> {
    // A few connects first, so the first measured one does not pay for cold caches and ARP.
    await inNetns(topology.client, binary, [address, String(SERVICE_PORT), "20"]);
    const { stdout } = await inNetns(topology.client, binary, [address, String(SERVICE_PORT), String(count)], {
        timeoutMs: 300_000,
    });
    return latencyStats(
        stdout
            .split("\n")
            .filter((line) => line !== "")
            .map(Number),
    );
}

async function clearRules(node: string): Promise<void> {
    await inNetns(node, "nft", ["flush", "ruleset"]);
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
    const started = process.hrtime.bigint();
    const value = await work();
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** One mode at one size: program, connect to the first and last Service, update one Service. */
async function benchOne(
    topology: Topology,
    binary: string,
    mode: ProxyMode,
    count: number,
    connects: number,
    workDir: string,
): Promise<BenchRow> {
    await clearRules(topology.node);
    const { services, endpoints } = benchServices(count);
    let size: RulesetSize;
    const program = await timed(async () => {
        if (mode === ProxyMode.Nftables) {
            const script = kubeProxyNftScript(services, endpoints, {
                clusterCidr: CLUSTER_CIDR,
                serviceCidr: SERVICE_CIDR,
                nodePortAddresses: ["10.244.1.1"],
            });
            size = script.size;
            await loadNftables(topology.node, script.text);
        } else {
            const tables = kubeProxyRules(services, endpoints, CLUSTER_CIDR);
            size = {
                chains: tables.reduce((sum, table) => sum + table.chains.length, 0),
                rules: tables.reduce((sum, table) => sum + table.rules.length, 0),
                elements: 0,
            };
            await loadIptablesOwned(topology.node, restoreDocument(tables));
        }
    });
    const first = await connectLatency(topology, binary, services[0]!.clusterIP!, connects);
    const last = await connectLatency(topology, binary, services[services.length - 1]!.clusterIP!, connects);
    // One Service changes: its first endpoint goes away (a pod ended).
    const changed = services[0]!;
    const port = changed.ports[0]!;
    const before = endpoints.get(port.id)!;
    const after = before.slice(1);
    const update = await timed(async () => {
        if (mode === ProxyMode.Nftables) {
            const script = servicePortUpdateScript(changed, port, before, after, CLUSTER_CIDR);
            await inNetns(topology.node, "nft", ["-f", "-"], { input: script });
        } else {
            const next = new Map(endpoints);
            next.set(port.id, after);
            const document = iptablesPartialUpdate(services, next, changed, CLUSTER_CIDR);
            writeFileAtomic(path.join(workDir, `update-${mode}-${count}.rules`), document);
            await inNetns(topology.node, "iptables-restore", ["--noflush"], { input: document, timeoutMs: 300_000 });
        }
    });
    return {
        mode,
        services: count,
        programMs: Math.round(program.ms),
        updateMs: Math.round(update.ms),
        first,
        last,
        size: size!,
    };
}

export interface BenchReport {
    readonly kernel: string;
    readonly nft: string;
    readonly iptables: string;
    readonly connects: number;
    readonly rows: readonly BenchRow[];
    readonly totalMs: number;
}

export async function labBench(options: BenchOptions): Promise<BenchReport> {
    const started = Date.now();
    fs.mkdirSync(options.workDir, { recursive: true });
    await benchDown(options.prefix);
    const binary = await compileConnectLoop(options.workDir);
    const topology = await buildTopology(options.prefix);
    const rows: BenchRow[] = [];
    try {
        spawnInNetns(
            topology.endpoint,
            binary,
            ["serve", String(ENDPOINT_PORT)],
            path.join(options.workDir, "serve.log"),
        );
        for (const mode of options.modes) {
            for (const count of options.sizes) {
                const row = await benchOne(topology, binary, mode, count, options.connects, options.workDir);
                rows.push(row);
                options.log(
                    `  ${mode.padEnd(8)} ${String(count).padStart(6)} Services: program ${row.programMs} ms, update ${row.updateMs} ms, connect first ${row.first.medianUs} µs (p99 ${row.first.p99Us}), last ${row.last.medianUs} µs (p99 ${row.last.p99Us})`,
                );
            }
        }
    } finally {
        await benchDown(options.prefix);
    }
    const version = async (command: string, args: string[]): Promise<string> =>
        (await run(command, args).catch(() => ({ stdout: "unknown" }))).stdout.trim();
    return {
        kernel: await version("uname", ["-r"]),
        nft: await version("nft", ["--version"]),
        iptables: await version("iptables", ["--version"]),
        connects: options.connects,
        rows,
        totalMs: Date.now() - started,
    };
}

/** The table `lab bench` prints. */
export function benchTable(report: BenchReport): string {
    const header = [
        "mode",
        "Services",
        "program",
        "update 1",
        "first med/p99 µs",
        "last med/p99 µs",
        "chains",
        "rules",
        "elements",
    ];
    const lines = report.rows.map((row) => [
        row.mode,
        String(row.services),
        `${row.programMs} ms`,
        `${row.updateMs} ms`,
        `${row.first.medianUs} / ${row.first.p99Us}`,
        `${row.last.medianUs} / ${row.last.p99Us}`,
        String(row.size.chains),
        String(row.size.rules),
        String(row.size.elements),
    ]);
    const all = [header, ...lines];
    const widths = header.map((_, column) => Math.max(...all.map((line) => line[column]!.length)));
    return `${all
        .map((line) =>
            line
                .map((cell, column) => cell.padEnd(widths[column]!))
                .join("  ")
                .trimEnd(),
        )
        .join("\n")}\n`;
}

/** What the seed claims, checked on the report: iptables' last-Service latency grows, nftables' stays flat. */
export function benchVerdict(report: BenchReport): string[] {
    const lines: string[] = [];
    for (const mode of [ProxyMode.Iptables, ProxyMode.Nftables]) {
        const rows = report.rows.filter((row) => row.mode === mode).sort((a, b) => a.services - b.services);
        if (rows.length < 2) {
            continue;
        }
        const small = rows[0]!;
        const large = rows[rows.length - 1]!;
        const ratio = large.last.medianUs / small.last.medianUs;
        lines.push(
            `${mode}: connect to the last Service ${small.last.medianUs} µs at ${small.services} → ${large.last.medianUs} µs at ${large.services} (${ratio.toFixed(2)}x)`,
        );
    }
    return lines;
}

/** A two-panel SVG: last-Service connect latency (median) and full program time against N, per mode, log-scaled N. */
export function benchChart(report: BenchReport): string {
    const width = 900;
    const height = 360;
    const panel = { width: 380, height: 240, top: 60 };
    const colors: Record<string, string> = { iptables: "#d62728", nftables: "#1f77b4" };
    const sizes = [...new Set(report.rows.map((row) => row.services))].sort((a, b) => a - b);
    const x = (n: number, left: number): number => {
        const lo = Math.log10(sizes[0] ?? 1);
        const hi = Math.log10(sizes[sizes.length - 1] ?? 10);
        return left + (hi === lo ? 0 : ((Math.log10(n) - lo) / (hi - lo)) * panel.width);
    };
    const parts: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
        `<rect width="${width}" height="${height}" fill="white"/>`,
        `<text x="20" y="24" font-size="15">kube-proxy on kernel ${escape(report.kernel)}: iptables vs nftables (${report.connects} fresh connect()s per point)</text>`,
    ];
    const drawPanel = (left: number, title: string, value: (row: BenchRow) => number, unit: string): void => {
        const max = Math.max(1, ...report.rows.map(value));
        const y = (v: number): number => panel.top + panel.height - (v / max) * panel.height;
        parts.push(`<text x="${left}" y="${panel.top - 12}">${escape(title)}</text>`);
        parts.push(
            `<line x1="${left}" y1="${panel.top + panel.height}" x2="${left + panel.width}" y2="${panel.top + panel.height}" stroke="black"/>`,
            `<line x1="${left}" y1="${panel.top}" x2="${left}" y2="${panel.top + panel.height}" stroke="black"/>`,
            `<text x="${left - 6}" y="${panel.top + 4}" text-anchor="end">${max.toFixed(0)}</text>`,
            `<text x="${left - 6}" y="${panel.top + panel.height}" text-anchor="end">0</text>`,
            `<text x="${left - 6}" y="${panel.top + panel.height / 2}" text-anchor="end">${unit}</text>`,
        );
        for (const n of sizes) {
            parts.push(`<text x="${x(n, left)}" y="${panel.top + panel.height + 16}" text-anchor="middle">${n}</text>`);
        }
        parts.push(
            `<text x="${left + panel.width / 2}" y="${panel.top + panel.height + 34}" text-anchor="middle">Services (log scale)</text>`,
        );
        for (const mode of Object.keys(colors)) {
            const rows = report.rows.filter((row) => row.mode === mode).sort((a, b) => a.services - b.services);
            if (rows.length === 0) {
                continue;
            }
            const points = rows.map((row) => `${x(row.services, left).toFixed(1)},${y(value(row)).toFixed(1)}`);
            parts.push(
                `<polyline fill="none" stroke="${colors[mode]}" stroke-width="2" points="${points.join(" ")}"/>`,
            );
            for (const point of points) {
                const [px, py] = point.split(",");
                parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${colors[mode]}"/>`);
            }
        }
    };
    drawPanel(70, "connect() to the last Service, median", (row) => row.last.medianUs, "µs");
    drawPanel(510, "program the whole ruleset", (row) => row.programMs / 1000, "s");
    Object.entries(colors).forEach(([mode, color], index) => {
        parts.push(
            `<rect x="${600 + index * 110}" y="14" width="12" height="12" fill="${color}"/>`,
            `<text x="${616 + index * 110}" y="24">${mode}</text>`,
        );
    });
    parts.push("</svg>");
    return `${parts.join("\n")}\n`;
}

function escape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
