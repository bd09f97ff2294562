/**
 * The lab's executor: `up` builds the planned data plane in network namespaces and proves pods Ready, `check`
 * runs the matrix, `down` removes everything. Everything lives in namespaces named `<prefix>...` and in the state
 * folder; nothing touches the root namespace's interfaces, routes, firewall or sysctls.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { Problem, formatProblem } from "../components/common";
import { CheckRow, CLIENT_LABEL, CLIENT_PORT_NUMBER, evaluate, formatTable, planChecks } from "./checks";
import {
    LabCommandError,
    batch,
    commandLineOf,
    findExecutable,
    inNetns,
    isAlive,
    listNamespaces,
    mapLimit,
    namespacePids,
    pathDirs,
    run,
    sleep,
    spawnInNetns,
    writeFileAtomic,
} from "./exec";
import { NETNS_ETC, dnsRecords, dnsmasqConfig, hostsFile } from "./dns";
import { LOOPBACK_CONFIG, cniChain, parseSubnetEnv, subnetEnvText } from "./flannel";
import { Upstream, nginxConfig } from "./ingress";
import { WEB_ROOT_FILES, nginxPodConfig } from "./nginx-pod";
import { IptablesTable, restoreDocument } from "./iptables";
import { Endpoint, kubeletRules } from "./kube-proxy";
import { ProgramResult, programFlannelNftables, planProxyMode, programKubeProxy, proxyModeText } from "./proxy-mode";
import { isLabNamespace } from "./names";
import { LabInput, LabNode, LabPlan, LabPod, PodRole, planLab } from "./plan";
import { ProbeRequest, ProbeResult, ServeConfig, ServeReport, agentTimeLimitMs } from "./protocol";
import { LabState, PodStatus, STATE_FILE, computeEndpoints } from "./state";

/** Where the flannel CNI plugin's delegates live on a node (/opt/cni/bin), then Debian's packaged plugins. */
export const CNI_PATH: readonly string[] = ["/opt/cni/bin", "/usr/lib/cni"];
/** Debian packages the lab needs. */
export const APT_PACKAGES: readonly string[] = [
    "iproute2",
    "iptables",
    "procps",
    "iputils-ping",
    "containernetworking-plugins",
    "nginx",
    "dnsmasq-base",
    "nftables",
];
export const DEFAULT_STATE_ROOT = "/run/clusternet-lab";

export function defaultStateDir(prefix: string): string {
    return path.join(DEFAULT_STATE_ROOT, prefix.replace(/-$/, ""));
}

/** Where `up` notes a custom --state-dir, so that check, sync, diagnose and down without --state-dir find it. */
function stateDirPointer(prefix: string): string {
    return `${defaultStateDir(prefix)}.state-dir`;
}

/** The lab's state folder: the one given, else the one `up` noted for this prefix, else the default. */
export function resolveStateDir(prefix: string, given: string | undefined): string {
    if (given !== undefined) {
        // The folder is written into nginx.conf, dnsmasq's and the CNI's configs, one setting per line.
        if ([...given].some((character) => character < " " || character === "\u007f")) {
            throw new LabInputError([
                {
                    key: "--state-dir",
                    message: `${JSON.stringify(given)} holds a control character (a newline, a tab)`,
                    fix: "name a folder without one",
                },
            ]);
        }
        return path.resolve(given);
    }
    try {
        const noted = fs.readFileSync(stateDirPointer(prefix), "utf8").trim();
        if (noted !== "" && fs.existsSync(path.join(noted, "plan.json"))) {
            return noted;
        }
    } catch {
        // nothing noted
    }
    return defaultStateDir(prefix);
}

/** The machine cannot run the lab (not root, no namespaces, a tool missing): exit 2. */
export class LabEnvironmentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "LabEnvironmentError";
    }
}

/** The rendered stack cannot be built as a lab: exit 2, one line per problem. */
export class LabInputError extends Error {
    constructor(public readonly problems: readonly Problem[]) {
        super(problems.map(formatProblem).join("\n"));
        this.name = "LabInputError";
    }
}

export interface LabContext {
    readonly prefix: string;
    readonly stateDir: string;
    /** Progress lines. */
    readonly log: (line: string) => void;
}

/** Why this machine cannot run the lab, or undefined when it can (root, Linux, network namespaces). */
export function environmentProblem(facts: {
    platform: string;
    uid: number | undefined;
    hasNetns: boolean;
}): string | undefined {
    if (facts.platform !== "linux") {
        return `the lab needs Linux network namespaces; this is ${facts.platform}`;
    }
    if (facts.uid !== 0) {
        return "the lab must run as root: it creates network namespaces, veth pairs, bridges and iptables rules (inside its own namespaces only)";
    }
    if (!facts.hasNetns) {
        return "this kernel has no network namespace support (/proc/self/ns/net is missing)";
    }
    return undefined;
}

function requireEnvironment(tools: readonly string[]): void {
    const problem = environmentProblem({
        platform: process.platform,
        uid: process.getuid?.(),
        hasNetns: fs.existsSync("/proc/self/ns/net"),
    });
    if (problem) {
        throw new LabEnvironmentError(problem);
    }
    const missing = tools.filter((tool) => findExecutable(tool, pathDirs()) === undefined);
    if (missing.length > 0) {
        throw new LabEnvironmentError(
            `missing ${missing.join(", ")}; install the lab's packages: apt-get install -y ${APT_PACKAGES.join(" ")}`,
        );
    }
}

function cniPlugin(name: string): string {
    const found = findExecutable(name, CNI_PATH);
    if (!found) {
        throw new LabEnvironmentError(
            `the CNI plugin ${name} is in neither ${CNI_PATH.join(" nor ")}; install it: apt-get install -y containernetworking-plugins`,
        );
    }
    return found;
}

const elapsed = (started: number): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

/**
 * The agent as one plain JS file (bundled by esbuild, which tsx brings along), so each of the many processes the lab
 * starts loads in ~0.1 s; through tsx when esbuild cannot be loaded.
 */
export function prepareAgent(stateDir: string): string[] {
    const source = path.join(__dirname, "agent.ts");
    const bundle = path.join(stateDir, "agent.js");
    const local = createRequire(__filename);
    try {
        const esbuildPath = local.resolve("esbuild", { paths: [path.dirname(local.resolve("tsx/package.json"))] });
        const esbuild = local(esbuildPath) as { buildSync(options: Record<string, unknown>): unknown };
        esbuild.buildSync({
            entryPoints: [source],
            bundle: true,
            platform: "node",
            format: "cjs",
            target: "node20",
            outfile: bundle,
            logLevel: "silent",
        });
        return [process.execPath, bundle];
    } catch {
        return [process.execPath, "--require", local.resolve("tsx/cjs"), source];
    }
}

/**
 * Requests per agent process. A source of a big lab has tens of thousands (the first probe pod asks the cluster DNS
 * about every Service): in batches, each agent run has a time limit that follows from its own requests.
 */
export const PROBES_PER_AGENT = 2000;

/**
 * Runs probes from inside a namespace, one agent process per batch. An agent that fails or overruns its limit
 * (agentTimeLimitMs) fails its requests, each with that reason: a row that says so, not a check that stops.
 */
export async function probeFrom(
    agent: readonly string[],
    netns: string,
    requests: readonly ProbeRequest[],
): Promise<ProbeResult[]> {
    const results: ProbeResult[] = [];
    for (let start = 0; start < requests.length; start += PROBES_PER_AGENT) {
        const batch = requests.slice(start, start + PROBES_PER_AGENT);
        const timeoutMs = agentTimeLimitMs(batch);
        const started = Date.now();
        try {
            const { stdout } = await inNetns(netns, agent[0]!, [...agent.slice(1), "probe"], {
                input: JSON.stringify(batch),
                timeoutMs,
            });
            results.push(...(JSON.parse(stdout) as ProbeResult[]));
        } catch (error) {
            const why = `the probe agent in ${netns} did not finish (${batch.length} probes, limit ${Math.round(timeoutMs / 1000)} s): ${(error as Error).message.split("\n")[0]}`;
            results.push(
                ...batch.map((request) => ({ id: request.id, ok: false, error: why, ms: Date.now() - started })),
            );
        }
    }
    return results;
}

function readState(stateDir: string): LabState | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(stateDir, STATE_FILE), "utf8")) as LabState;
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------- down

export interface DownResult {
    readonly namespaces: number;
    readonly processes: number;
}

/**
 * Removes a lab: ends every process in its namespaces (and every process its pid files name whose command line
 * points into its state folder), deletes its namespaces, then the state folder. Idempotent; needs nothing but the
 * prefix, so it also cleans up after a crash.
 */
export async function labDown(context: LabContext): Promise<DownResult> {
    requireEnvironment(["ip"]);
    const namespaces = (await listNamespaces()).filter((netns) => isLabNamespace(context.prefix, netns));
    const pids = new Set<number>();
    for (const netns of namespaces) {
        for (const pid of await namespacePids(netns)) {
            pids.add(pid);
        }
    }
    for (const file of pidFiles(context.stateDir)) {
        const pid = Number(fs.readFileSync(file, "utf8").trim());
        if (Number.isInteger(pid) && pid > 1 && commandLineOf(pid).includes(context.stateDir)) {
            pids.add(pid);
        }
    }
    pids.delete(process.pid);
    for (const pid of pids) {
        try {
            process.kill(pid, "SIGTERM");
        } catch {
            // already gone
        }
    }
    for (let waited = 0; waited < 3000 && [...pids].some(isAlive); waited += 50) {
        await sleep(50);
    }
    for (const pid of [...pids].filter(isAlive)) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    if (namespaces.length > 0) {
        try {
            await batch(
                "ip",
                undefined,
                namespaces.map((netns) => `netns del ${netns}`),
            );
        } catch {
            // One at a time, so one stuck namespace does not keep the others.
            for (const netns of namespaces) {
                await run("ip", ["netns", "del", netns]).catch(() => undefined);
            }
        }
    }
    for (const netns of fs.existsSync(NETNS_ETC) ? fs.readdirSync(NETNS_ETC) : []) {
        if (isLabNamespace(context.prefix, netns)) {
            fs.rmSync(path.join(NETNS_ETC, netns), { recursive: true, force: true });
        }
    }
    const noted = resolveStateDir(context.prefix, undefined) === path.resolve(context.stateDir);
    fs.rmSync(context.stateDir, { recursive: true, force: true });
    if (noted) {
        fs.rmSync(stateDirPointer(context.prefix), { force: true });
    }
    return { namespaces: namespaces.length, processes: pids.size };
}

function pidFiles(stateDir: string): string[] {
    const found: string[] = [];
    const walk = (dir: string): void => {
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const entry of entries) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith(".pid")) {
                found.push(full);
            }
        }
    };
    walk(stateDir);
    return found;
}

// ---------------------------------------------------------------- up

export interface UpResult {
    readonly state: LabState;
    readonly ms: number;
}

/** Plans the lab without touching anything; throws LabInputError when the rendered stack cannot be built. */
export function planFor(input: LabInput, context: Pick<LabContext, "prefix" | "stateDir">): LabPlan {
    const result = planLab(input, { prefix: context.prefix, stateDir: context.stateDir });
    if (!result.ok) {
        throw new LabInputError(result.problems);
    }
    return result.value;
}

export async function labUp(
    input: LabInput,
    context: LabContext,
    options: { keepOnFailure?: boolean } = {},
): Promise<UpResult> {
    const started = Date.now();
    const plan = planFor(input, context);
    const tools = [
        "ip",
        "bridge",
        "iptables-restore",
        "iptables-save",
        "sysctl",
        ...(plan.controllers.length > 0 ? ["nginx"] : []),
        ...(planProxyMode(plan).mode === "nftables" || planProxyMode(plan).flannelNftables ? ["nft"] : []),
    ];
    requireEnvironment(tools);
    const plugins = new Map<string, string>();
    const anyNode = plan.nodes[0]!;
    for (const step of cniChain(plan.flannel.cniConf, anyNode.subnetEnv, anyNode.ipamDataDir, [])) {
        plugins.set(step.plugin, cniPlugin(step.plugin));
        const ipam = (step.config["ipam"] as { type?: string } | undefined)?.type;
        if (ipam) {
            plugins.set(ipam, cniPlugin(ipam));
        }
    }
    plugins.set("loopback", cniPlugin("loopback"));

    const previous = await labDown(context);
    if (previous.namespaces > 0) {
        context.log(
            `lab up: removed the previous lab (${previous.namespaces} namespaces, ${previous.processes} processes)`,
        );
    }
    for (const warning of plan.warnings) {
        context.log(`warning: ${warning}`);
    }
    fs.mkdirSync(context.stateDir, { recursive: true });
    if (path.resolve(context.stateDir) !== defaultStateDir(context.prefix)) {
        fs.mkdirSync(DEFAULT_STATE_ROOT, { recursive: true });
        fs.writeFileSync(stateDirPointer(context.prefix), `${path.resolve(context.stateDir)}\n`);
    }
    writeFileAtomic(path.join(context.stateDir, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
    const agent = prepareAgent(context.stateDir);
    const backend =
        plan.flannel.backend === "vxlan"
            ? `vxlan VNI ${plan.flannel.vni} port ${plan.flannel.port}`
            : plan.flannel.backend;
    context.log(
        `lab up: stack ${plan.stack}: ${plan.nodes.length} nodes on ${plan.lan.cidr}, flannel ${backend}, pod MTU ${plan.flannel.podMtu}, ${plan.pods.length} pods, state in ${context.stateDir}`,
    );
    try {
        const state = await build(plan, agent, plugins, context, started);
        return { state, ms: Date.now() - started };
    } catch (error) {
        if (!options.keepOnFailure) {
            await labDown(context).catch(() => undefined);
        }
        if (
            error instanceof LabCommandError &&
            /netns|Operation not permitted|namespace/i.test(error.message) &&
            error.command.startsWith("ip -batch")
        ) {
            throw new LabEnvironmentError(`cannot create network namespaces: ${error.message}`);
        }
        throw error;
    }
}

async function build(
    plan: LabPlan,
    agent: readonly string[],
    plugins: ReadonlyMap<string, string>,
    context: LabContext,
    started: number,
): Promise<LabState> {
    const { stateDir } = context;
    const namespaces = [
        plan.lan.netns,
        plan.client.netns,
        ...plan.nodes.map((node) => node.netns),
        ...plan.pods.map((pod) => pod.netns),
    ];
    await batch(
        "ip",
        undefined,
        namespaces.map((netns) => `netns add ${netns}`),
    );
    writeResolvConfs(plan);
    await batch("ip", plan.lan.netns, plan.lan.commands);
    await batch("ip", plan.client.netns, plan.client.commands);
    await Promise.all(plan.nodes.map((node) => buildNode(node)));
    context.log(
        `  [${elapsed(started)}] LAN ${plan.lan.netns} (bridge ${plan.lan.bridge}), ${plan.nodes.length} nodes with flannel's ${plan.flannel.backend} routes and --ip-masq rules`,
    );

    const statuses: Record<string, PodStatus> = {};
    await Promise.all(
        plan.nodes.map(async (node) => {
            // One node's pods in order, so host-local hands out addresses deterministically.
            for (const pod of plan.pods.filter((item) => item.node === node.name)) {
                statuses[pod.key] = await attachPod(plan, node, pod, plugins);
            }
        }),
    );
    const attached = Object.values(statuses).filter((status) => status.ip !== null).length;
    context.log(
        `  [${elapsed(started)}] ${attached}/${plan.pods.length} pods attached by the CNI chain ${plan.flannel.cniConf.plugins.map((plugin) => plugin.type).join(" → ")} (+ loopback)`,
    );

    if (plan.dns) {
        await startDns(plan, statuses);
    }
    await Promise.all([startStandIns(plan, agent, statuses, stateDir), startNginxPods(plan, statuses)]);
    const apps = plan.pods.filter((pod) => pod.role !== PodRole.IngressController);
    await probeReadiness(plan, agent, apps, statuses);
    const controllerPods = plan.pods.filter((pod) => pod.role === PodRole.IngressController);
    if (controllerPods.length > 0) {
        const { endpoints, noEndpoints } = computeEndpoints(plan, statuses);
        for (const pod of controllerPods) {
            if (statuses[pod.key]?.ip) {
                await startNginx(plan, pod, endpoints, noEndpoints);
            }
        }
        await probeReadiness(plan, agent, controllerPods, statuses);
        context.log(
            `  [${elapsed(started)}] Ingress: nginx in ${controllerPods.map((pod) => pod.key).join(", ")} serving ${plan.controllers.flatMap((controller) => controller.table.hosts).length} host(s)`,
        );
    }
    const ready = Object.values(statuses).filter((status) => status.ready).length;
    context.log(
        `  [${elapsed(started)}] ${ready}/${plan.pods.length} pods Ready (readiness probes run from their node, as kubelet runs them)`,
    );

    const { endpoints, noEndpoints } = computeEndpoints(plan, statuses);
    const settings = planProxyMode(plan);
    const programmed = await programServices(plan, endpoints);
    updateDns(plan, endpoints);
    const ports = plan.services.reduce((sum, service) => sum + service.ports.length, 0);
    const endpointCount = Object.values(endpoints).reduce((sum, list) => sum + list.length, 0);
    context.log(
        `  [${elapsed(started)}] kube-proxy (${proxyModeText(settings)}) on every node: ${plan.services.length} Services, ${ports} ports, ${endpointCount} endpoints (${programmed.size.chains} chains, ${programmed.size.rules} rules, ${programmed.size.elements} map elements per node, loaded in ${programmed.ms} ms)`,
    );
    const state: LabState = { plan, pods: statuses, endpoints, noEndpoints, upMs: Date.now() - started };
    writeFileAtomic(path.join(stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    return state;

    async function buildNode(node: LabNode): Promise<void> {
        await batch("ip", node.netns, node.commands.ip);
        await batch("bridge", node.netns, node.commands.bridge);
        await inNetns(node.netns, "sysctl", [
            "-q",
            "-w",
            ...Object.entries(node.sysctls).map(([key, value]) => `${key}=${value}`),
        ]).catch((error: Error) => {
            throw new LabEnvironmentError(
                `cannot set ${Object.keys(node.sysctls).join(", ")} in ${node.netns} (is br_netfilter available?): ${error.message}`,
            );
        });
        writeFileAtomic(node.subnetEnvFile, subnetEnvText(node.subnetEnv));
        // kubelet's chains come first, in either kube-proxy mode: kubelet runs before any pod (flannel's included).
        await applyRules(node.netns, kubeletRules(), path.join(stateDir, "nodes", node.name, "kubelet.rules"));
        if (planProxyMode(plan).flannelNftables) {
            // flannel's EnableNFTables: its rules in table ip flannel-ipv4 instead of iptables (lab/proxy-mode.ts).
            await programFlannelNftables(plan, node, stateDir);
            return;
        }
        await applyRules(node.netns, node.flannelRules, path.join(stateDir, "nodes", node.name, "flannel.rules"));
    }
}

/**
 * Applies an agent's rules in a node's namespace as a sync of that agent would: its own chains rewritten, its jumps
 * into the built-in chains added only when missing, so applying again changes nothing else.
 */
async function applyRules(netns: string, tables: readonly IptablesTable[], file: string): Promise<void> {
    const saved = (await inNetns(netns, "iptables-save", [])).stdout;
    const document = restoreDocument(tables, saved);
    writeFileAtomic(file, document);
    await inNetns(netns, "iptables-restore", ["--noflush"], { input: document });
}

/**
 * kube-proxy's part on every node: its rules for these endpoints in the stack's mode (lab/proxy-mode.ts), a full
 * rewrite of its own chains and jumps each time, as kube-proxy's full sync is.
 */
async function programServices(
    plan: LabPlan,
    endpoints: Readonly<Record<string, readonly Endpoint[]>>,
): Promise<ProgramResult> {
    return programKubeProxy(plan, endpoints, planProxyMode(plan).mode, plan.stateDir);
}

/** kubelet's part: each pod's resolv.conf, where `ip netns exec` puts it over /etc/resolv.conf. */
function writeResolvConfs(plan: LabPlan): void {
    for (const pod of plan.pods) {
        if (pod.resolvConf !== undefined) {
            const dir = path.join(NETNS_ETC, pod.netns);
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, "resolv.conf"), pod.resolvConf);
        }
    }
}

function dnsRunDir(plan: LabPlan): string {
    const pod = plan.pods.find((item) => item.role === PodRole.Dns)!;
    return path.join(pod.dir, "dnsmasq");
}

/** The cluster DNS pod: dnsmasq with the Services' records (rewritten by every sync). */
async function startDns(plan: LabPlan, statuses: Readonly<Record<string, PodStatus>>): Promise<void> {
    const pod = plan.pods.find((item) => item.role === PodRole.Dns)!;
    if (!statuses[pod.key]?.ip || !plan.dns) {
        return;
    }
    const runDir = dnsRunDir(plan);
    fs.mkdirSync(runDir, { recursive: true });
    const records = dnsRecords(plan.services, {}, plan.dns.domain);
    writeFileAtomic(path.join(runDir, "hosts"), hostsFile(records));
    const configFile = path.join(runDir, "dnsmasq.conf");
    fs.writeFileSync(configFile, dnsmasqConfig(records, plan.dns.domain, runDir));
    const pid = spawnInNetns(pod.netns, "dnsmasq", [`--conf-file=${configFile}`], path.join(runDir, "start.log"));
    fs.writeFileSync(path.join(runDir, "dnsmasq.pid"), `${pid}\n`);
    // Ready once it answers on TCP 53 (the readiness probe checks it again from the node).
    for (let waited = 0; waited < 3000; waited += 20) {
        const log = fs.existsSync(path.join(runDir, "dnsmasq.log"))
            ? fs.readFileSync(path.join(runDir, "dnsmasq.log"), "utf8")
            : "";
        if (/started, version/.test(log) || !isAlive(pid)) {
            break;
        }
        await sleep(20);
    }
}

/** A sync's part for DNS: the records for these endpoints, and dnsmasq re-reads them (SIGHUP). */
function updateDns(plan: LabPlan, endpoints: Readonly<Record<string, readonly Endpoint[]>>): void {
    if (!plan.dns) {
        return;
    }
    const runDir = dnsRunDir(plan);
    const pidFile = path.join(runDir, "dnsmasq.pid");
    if (!fs.existsSync(pidFile)) {
        return;
    }
    writeFileAtomic(path.join(runDir, "hosts"), hostsFile(dnsRecords(plan.services, endpoints, plan.dns.domain)));
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    if (isAlive(pid)) {
        process.kill(pid, "SIGHUP");
    }
}

/** Runs the CNI chain for one pod from its node's namespace, as the container runtime would. */
async function attachPod(
    plan: LabPlan,
    node: LabNode,
    pod: LabPod,
    plugins: ReadonlyMap<string, string>,
): Promise<PodStatus> {
    fs.mkdirSync(pod.dir, { recursive: true });
    // The flannel CNI plugin reads subnet.env at every ADD: so does the lab.
    const subnetEnv = parseSubnetEnv(fs.readFileSync(node.subnetEnvFile, "utf8"));
    const env = {
        ...process.env,
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: pod.containerId,
        CNI_NETNS: `/run/netns/${pod.netns}`,
        CNI_IFNAME: "eth0",
        CNI_PATH: CNI_PATH.join(":"),
    };
    try {
        let previous: unknown;
        const steps = cniChain(plan.flannel.cniConf, subnetEnv, node.ipamDataDir, pod.portMappings);
        for (const [index, step] of steps.entries()) {
            const config = previous === undefined ? step.config : { ...step.config, prevResult: previous };
            fs.writeFileSync(
                path.join(pod.dir, `cni-${index}-${step.plugin}.json`),
                `${JSON.stringify(config, null, 2)}\n`,
            );
            const { stdout } = await inNetns(node.netns, plugins.get(step.plugin)!, [], {
                input: JSON.stringify(config),
                env,
            });
            previous = JSON.parse(stdout) as unknown;
        }
        fs.writeFileSync(path.join(pod.dir, "cni-result.json"), `${JSON.stringify(previous, null, 2)}\n`);
        await inNetns(node.netns, plugins.get("loopback")!, [], {
            input: JSON.stringify(LOOPBACK_CONFIG),
            env: { ...env, CNI_IFNAME: "lo" },
        });
        const address = (previous as { ips?: Array<{ address?: string }> } | undefined)?.ips?.[0]?.address;
        return address
            ? { ip: address.split("/")[0]!, ready: false }
            : { ip: null, ready: false, problem: "the CNI result has no IP" };
    } catch (error) {
        return { ip: null, ready: false, problem: `CNI ADD failed: ${(error as Error).message}` };
    }
}

/** Starts every pod's stand-in and the LAN client's, and waits until each has bound its ports. */
async function startStandIns(
    plan: LabPlan,
    agent: readonly string[],
    statuses: Record<string, PodStatus>,
    stateDir: string,
): Promise<void> {
    const starts: Array<{ dir: string; netns: string; config: ServeConfig }> = plan.pods
        .filter((pod) => statuses[pod.key]?.ip && pod.serve.tcp.length + pod.serve.udp.length > 0)
        .map((pod) => ({
            dir: pod.dir,
            netns: pod.netns,
            config: {
                pod: pod.name,
                namespace: pod.namespace,
                node: pod.node,
                tcp: pod.serve.tcp,
                udp: pod.serve.udp,
                readyFile: path.join(pod.dir, "serving.json"),
            },
        }));
    const clientDir = path.join(stateDir, "client");
    fs.mkdirSync(clientDir, { recursive: true });
    starts.push({
        dir: clientDir,
        netns: plan.client.netns,
        config: {
            pod: CLIENT_LABEL,
            namespace: CLIENT_LABEL,
            node: "lan",
            tcp: [CLIENT_PORT_NUMBER],
            udp: [],
            readyFile: path.join(clientDir, "serving.json"),
        },
    });
    for (const start of starts) {
        const configFile = path.join(start.dir, "serve.json");
        fs.writeFileSync(configFile, `${JSON.stringify(start.config, null, 2)}\n`);
        const pid = spawnInNetns(
            start.netns,
            agent[0]!,
            [...agent.slice(1), "serve", configFile],
            path.join(start.dir, "stand-in.log"),
        );
        fs.writeFileSync(path.join(start.dir, "stand-in.pid"), `${pid}\n`);
    }
    const deadline = Date.now() + 20_000;
    for (const start of starts) {
        while (!fs.existsSync(start.config.readyFile)) {
            if (Date.now() > deadline) {
                const log = fs.existsSync(path.join(start.dir, "stand-in.log"))
                    ? fs.readFileSync(path.join(start.dir, "stand-in.log"), "utf8").trim()
                    : "";
                throw new Error(`the stand-in in ${start.netns} did not start within 20 s${log ? `: ${log}` : ""}`);
            }
            await sleep(20);
        }
        const report = JSON.parse(fs.readFileSync(start.config.readyFile, "utf8")) as ServeReport;
        const key = `${start.config.namespace}/${start.config.pod}`;
        if (report.failed.length > 0 && statuses[key]) {
            statuses[key] = {
                ...statuses[key],
                problem: `could not serve ${report.failed.map((item) => `${item.port} (${item.error})`).join(", ")}`,
            };
        }
    }
}

/** True when every folder from / down to `dir` lets other users through (nginx's unprivileged workers). */
export function reachableByOthers(dir: string): boolean {
    for (let current = path.resolve(dir); ; current = path.dirname(current)) {
        if ((fs.statSync(current).mode & 0o001) === 0) {
            return false;
        }
        if (path.dirname(current) === current) {
            return true;
        }
    }
}

/**
 * The pods running the nginx image: real nginx with the image's default config in each pod's namespace, its
 * config, pid, logs, temporary files and web root in the pod's own folder (`<pod dir>/nginx`), so no two pods or
 * labs share a file. nginx daemonizes once it listens; `down` ends it (it runs in the pod's namespace, and its pid
 * file names it). A pod whose nginx does not start gets the reason as its problem and fails readiness.
 */
async function startNginxPods(plan: LabPlan, statuses: Record<string, PodStatus>): Promise<void> {
    await Promise.all(
        plan.pods
            .filter((pod) => pod.nginx !== undefined && statuses[pod.key]?.ip)
            .map(async (pod) => {
                const dir = path.join(pod.dir, "nginx");
                const html = path.join(dir, "html");
                fs.mkdirSync(html, { recursive: true });
                for (const [name, text] of Object.entries(WEB_ROOT_FILES)) {
                    fs.writeFileSync(path.join(html, name), text);
                    fs.chmodSync(path.join(html, name), 0o644);
                }
                fs.chmodSync(html, 0o755);
                fs.chmodSync(dir, 0o755);
                const config = path.join(dir, "nginx.conf");
                fs.writeFileSync(
                    config,
                    nginxPodConfig({
                        image: pod.nginx!.image,
                        pod: { name: pod.name, namespace: pod.namespace, node: pod.node },
                        dir,
                        // The workers run unprivileged, as in the image, unless the state folder hides the web root.
                        ...(reachableByOthers(html) ? {} : { user: "root" }),
                    }),
                );
                const log = path.join(dir, "start.log");
                const args = ["-p", `${dir}/`, "-c", config, "-e", path.join(dir, "error.log"), "-g", "daemon on;"];
                const code = await runToExit("ip", ["netns", "exec", pod.netns, "nginx", ...args], log);
                if (code !== 0) {
                    const why = fs.readFileSync(log, "utf8").trim().split("\n").pop() ?? "";
                    statuses[pod.key] = {
                        ...statuses[pod.key]!,
                        problem: `nginx (${pod.nginx!.image}) did not start (exit ${code}): ${why}`,
                    };
                }
            }),
    );
}

/** Runs a command to its end, its output appended to `logFile`; its exit code. */
function runToExit(command: string, args: readonly string[], logFile: string): Promise<number | null> {
    const log = fs.openSync(logFile, "a");
    return new Promise<number | null>((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["ignore", log, log] });
        child.on("error", reject);
        child.on("exit", resolve);
    }).finally(() => fs.closeSync(log));
}

/** kubelet's part: each pod's readiness probes, from its node's namespace. */
async function probeReadiness(
    plan: LabPlan,
    agent: readonly string[],
    pods: readonly LabPod[],
    statuses: Record<string, PodStatus>,
): Promise<void> {
    await Promise.all(
        plan.nodes.map(async (node) => {
            const requests: ProbeRequest[] = [];
            for (const pod of pods.filter((item) => item.node === node.name)) {
                const ip = statuses[pod.key]?.ip;
                if (!ip) {
                    continue;
                }
                pod.readiness.forEach((probe, index) => {
                    if (probe.kind === "http") {
                        requests.push({
                            id: `${pod.key}#${index}`,
                            probe: { kind: "http", ip, port: probe.port, path: probe.path },
                            timeoutMs: 1000,
                            attempts: 3,
                        });
                    } else if (probe.kind === "tcp") {
                        requests.push({
                            id: `${pod.key}#${index}`,
                            probe: { kind: "tcp", ip, port: probe.port },
                            timeoutMs: 1000,
                            attempts: 3,
                        });
                    }
                });
                const controller = plan.controllers.find((item) => item.pods.includes(pod.key));
                if (controller) {
                    requests.push({
                        id: `${pod.key}#nginx`,
                        probe: { kind: "tcp", ip, port: controller.httpPort },
                        timeoutMs: 1000,
                        attempts: 5,
                    });
                }
            }
            const results = new Map(
                (await probeFrom([...agent], node.netns, requests)).map((result) => [result.id, result]),
            );
            for (const pod of pods.filter((item) => item.node === node.name)) {
                const status = statuses[pod.key]!;
                if (!status.ip) {
                    continue;
                }
                const failures: string[] = [];
                pod.readiness.forEach((probe, index) => {
                    const result = results.get(`${pod.key}#${index}`);
                    if (probe.kind === "unresolved") {
                        failures.push(probe.reason);
                    } else if (
                        probe.kind === "http" &&
                        !(result?.ok && result.status !== undefined && result.status >= 200 && result.status < 400)
                    ) {
                        failures.push(
                            `readiness httpGet :${probe.port}${probe.path} failed: ${result?.error ?? `HTTP ${result?.status}`}`,
                        );
                    } else if (probe.kind === "tcp" && !result?.ok) {
                        failures.push(`readiness tcpSocket :${probe.port} failed: ${result?.error ?? "no result"}`);
                    }
                });
                const nginx = results.get(`${pod.key}#nginx`);
                if (nginx && !nginx.ok) {
                    failures.push(`nginx does not listen on ${nginx.id}: ${nginx.error}`);
                }
                statuses[pod.key] =
                    failures.length === 0
                        ? { ...status, ready: true }
                        : { ...status, ready: false, problem: failures.join("; ") };
            }
        }),
    );
}

/** The Ingress controller's part: nginx in the controller pod, configured from the Ingresses it serves. */
async function startNginx(
    plan: LabPlan,
    pod: LabPod,
    endpoints: Readonly<Record<string, readonly { ip: string; port: number }[]>>,
    noEndpoints: Readonly<Record<string, string>>,
    reload = false,
): Promise<void> {
    const controller = plan.controllers.find((item) => item.pods.includes(pod.key))!;
    const runDir = path.join(pod.dir, "nginx");
    fs.mkdirSync(runDir, { recursive: true });
    const upstream = (backend: { namespace: string; service: string; port: number | string }): Upstream => {
        const service = plan.services.find(
            (item) => item.namespace === backend.namespace && item.name === backend.service,
        );
        const port = service?.ports.find((item) =>
            typeof backend.port === "number" ? item.port === backend.port : item.name === backend.port,
        );
        if (!service || !port) {
            return { unavailable: `no Service port ${backend.namespace}/${backend.service}:${backend.port}` };
        }
        const list = endpoints[port.id] ?? [];
        return list.length > 0
            ? { servers: list.map((endpoint) => `${endpoint.ip}:${endpoint.port}`) }
            : { unavailable: noEndpoints[port.id] ?? "no endpoints" };
    };
    const config = nginxConfig({
        table: controller.table,
        listenPort: controller.httpPort,
        pod: { name: pod.name, namespace: pod.namespace, node: pod.node },
        upstream,
        runDir,
    });
    const configFile = path.join(runDir, "nginx.conf");
    fs.writeFileSync(configFile, config);
    const logFile = path.join(runDir, "start.log");
    const log = fs.openSync(logFile, "a");
    // nginx forks into the background; the started process exits once the master runs.
    const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(
            "ip",
            [
                "netns",
                "exec",
                pod.netns,
                "nginx",
                "-c",
                configFile,
                "-p",
                `${runDir}/`,
                "-e",
                path.join(runDir, "error.log"),
                // The controller's answer to changed endpoints: a new config, and nginx reloads it.
                ...(reload ? ["-s", "reload"] : []),
            ],
            { stdio: ["ignore", log, log] },
        );
        child.on("error", reject);
        child.on("exit", resolve);
    }).finally(() => fs.closeSync(log));
    if (code !== 0) {
        throw new Error(
            `nginx did not start in ${pod.netns} (exit ${code}): ${fs.readFileSync(logFile, "utf8").trim()}`,
        );
    }
}

// ---------------------------------------------------------------- sync

export interface SyncResult {
    readonly state: LabState;
    /** What changed, in words: readiness flips and endpoint lists. */
    readonly changes: readonly string[];
}

/**
 * One sync of the lab's control plane, run at `up`, by `check` before it checks, and on demand (`lab sync`): kubelet
 * re-runs every readiness probe, the endpoints are recomputed, kube-proxy rewrites its rules on every node (an
 * idempotent re-apply), the Ingress controller reloads when its backends changed, and the cluster DNS is rewritten.
 * One step, not a loop: nothing watches the lab between syncs.
 */
export async function labSync(
    context: LabContext,
    options: { agent?: readonly string[]; full?: boolean } = {},
): Promise<SyncResult> {
    requireEnvironment(["ip", "iptables-save", "iptables-restore"]);
    const before = loadState(context);
    const { plan } = before;
    const runner = options.agent ?? prepareAgent(context.stateDir);
    const statuses: Record<string, PodStatus> = {};
    for (const pod of plan.pods) {
        const status = before.pods[pod.key] ?? { ip: null, ready: false, problem: "not attached" };
        statuses[pod.key] = status.ip === null ? status : { ip: status.ip, ready: false };
    }
    await probeReadiness(plan, runner, plan.pods, statuses);
    const { endpoints, noEndpoints } = computeEndpoints(plan, statuses);
    const changes: string[] = [];
    for (const pod of plan.pods) {
        const was = before.pods[pod.key]?.ready ?? false;
        const now = statuses[pod.key]?.ready ?? false;
        if (was !== now) {
            changes.push(
                now
                    ? `${pod.key} is Ready again`
                    : `${pod.key} is no longer Ready: ${statuses[pod.key]?.problem ?? "?"}`,
            );
        }
    }
    const text = (list: readonly Endpoint[] | undefined): string =>
        (list ?? []).map((endpoint) => `${endpoint.ip}:${endpoint.port}`).join(",");
    const changedPorts = Object.keys(endpoints).filter((id) => text(endpoints[id]) !== text(before.endpoints[id]));
    for (const id of changedPorts) {
        changes.push(`endpoints of ${id}: [${text(before.endpoints[id])}] → [${text(endpoints[id])}]`);
    }
    // Like kube-proxy, which writes only what changed between its periodic full syncs: a rule deleted by hand stays
    // deleted (for check and diagnose to find) until the endpoints change or a full sync (`lab sync`).
    if (options.full || changedPorts.length > 0) {
        await programServices(plan, endpoints);
    }
    if (changedPorts.length > 0) {
        for (const pod of plan.pods.filter((item) => item.role === PodRole.IngressController)) {
            if (statuses[pod.key]?.ip) {
                await startNginx(plan, pod, endpoints, noEndpoints, true).catch((error: Error) =>
                    changes.push(`nginx in ${pod.key} did not reload: ${error.message}`),
                );
            }
        }
    }
    updateDns(plan, endpoints);
    const state: LabState = { ...before, pods: statuses, endpoints, noEndpoints };
    writeFileAtomic(path.join(context.stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    return { state, changes };
}

// ---------------------------------------------------------------- check

export interface CheckResult {
    readonly rows: readonly CheckRow[];
    readonly failed: readonly CheckRow[];
    readonly table: string;
    readonly ms: number;
    /** What the sync before the checks changed. */
    readonly changes: readonly string[];
    /** The plan's warnings: settings the lab models rather than builds, paths it does not check. */
    readonly warnings: readonly string[];
    /** kube-proxy's mode the rows tested, in words (proxyModeText): the lab's stand-in when it does not model the stack's. */
    readonly kubeProxy: string;
}

export function loadState(context: Pick<LabContext, "stateDir" | "prefix">): LabState {
    const state = readState(context.stateDir);
    if (!state) {
        throw new LabEnvironmentError(
            `no lab is up with prefix ${context.prefix} (no ${path.join(context.stateDir, STATE_FILE)}): run clusternet lab up first`,
        );
    }
    return state;
}

/** Runs the whole matrix against a lab that is up. */
export async function labCheck(context: LabContext): Promise<CheckResult> {
    const started = Date.now();
    requireEnvironment(["ip", "ping"]);
    const state = loadState(context);
    const present = new Set(await listNamespaces());
    const missing = [
        state.plan.lan.netns,
        state.plan.client.netns,
        ...state.plan.nodes.map((node) => node.netns),
    ].filter((netns) => !present.has(netns));
    if (missing.length > 0) {
        throw new LabEnvironmentError(
            `the lab with prefix ${context.prefix} is incomplete (missing ${missing.join(", ")}): run clusternet lab up again`,
        );
    }
    const agent = prepareAgent(context.stateDir);
    const { state: synced, changes } = await labSync(context, { agent });
    const cases = planChecks(synced);
    const bySource = new Map<string, ProbeRequest[]>();
    for (const check of cases) {
        for (const request of check.probes) {
            const netns = request.netns ?? check.source.netns;
            bySource.set(netns, [...(bySource.get(netns) ?? []), request]);
        }
    }
    const results = new Map<string, ProbeResult>();
    await mapLimit([...bySource], 6, async ([netns, requests]) => {
        for (const result of await probeFrom(agent, netns, requests)) {
            results.set(result.id, result);
        }
    });
    const rows = cases.map((check) => evaluate(check, results));
    return {
        rows,
        failed: rows.filter((row) => !row.ok),
        table: formatTable(rows),
        ms: Date.now() - started,
        changes,
        warnings: synced.plan.warnings,
        kubeProxy: proxyModeText(planProxyMode(synced.plan)),
    };
}

/** How to look around in a lab that is up. */
export function lookAround(state: LabState): string {
    const { plan } = state;
    const node = plan.nodes[0]!;
    const app = plan.pods.find((pod) => pod.role === PodRole.App) ?? plan.pods[0]!;
    const lines = [
        "Look around (as root):",
        `  ip netns exec ${node.netns} sh          # node ${node.name}: ip -d link show, ip route, ip neigh, bridge fdb show, iptables-save`,
        `  ip netns exec ${app.netns} sh      # pod ${app.key} on ${app.node}: ip addr, ip route`,
        `  ip netns exec ${plan.client.netns} curl -s http://${node.ip}:<nodePort>/   # the LAN client (${plan.client.ip})`,
    ];
    const controller = plan.controllers[0];
    const host = controller?.table.hosts.find((block) => block.host !== "" && !block.host.startsWith("*."))?.host;
    if (controller?.entry.kind === "nodePort" && host) {
        lines.push(
            `  ip netns exec ${plan.client.netns} curl -s -H 'Host: ${host}' http://${node.ip}:${controller.entry.port}/`,
        );
    }
    lines.push(
        `  ip netns list | grep '^${plan.prefix}'`,
        `  ls ${plan.stateDir}   # subnet.env, CNI configs and results, iptables rules, nginx.conf, logs`,
    );
    return `${lines.join("\n")}\n`;
}

/** The pods table `up` prints. */
export function podTable(state: LabState): string {
    const rows = [
        ["POD", "NODE", "IP", "NETNS", "READY"],
        ...state.plan.pods.map((pod) => [
            pod.key,
            pod.node,
            state.pods[pod.key]?.ip ?? "-",
            pod.netns,
            state.pods[pod.key]?.ready ? "yes" : `no: ${state.pods[pod.key]?.problem ?? "?"}`,
        ]),
    ];
    const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
    return `${rows.map((row) => row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell)).join("  ")).join("\n")}\n`;
}
