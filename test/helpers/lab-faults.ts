/**
 * Fault injection for the lab tests: each fault breaks one hop of a path on purpose, the way it breaks on a real
 * node, and says which check rows must fail and which hop `lab diagnose` must name. Commands run inside the lab's
 * own namespaces only.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Hop } from "../../lab/diagnose";
import { splitRuleLine } from "../../lab/iptables";
import { ServeConfig } from "../../lab/protocol";
import { LabState } from "../../lab/state";

function sh(netns: string, command: string, args: string[]): string {
    const result = spawnSync("ip", ["netns", "exec", netns, command, ...args], { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} in ${netns}: ${result.stderr}`);
    }
    return result.stdout;
}

export interface Fault {
    readonly name: string;
    /** Breaks the lab; returns how to repair it (undefined: it stays broken). */
    readonly inject: (state: LabState) => (() => void) | undefined | Promise<(() => void) | undefined>;
    /** A failing check row's path must match this. */
    readonly failingRow: RegExp;
    /** The path to diagnose, and the hop diagnose must name first. */
    readonly diagnose: { readonly from: string; readonly to: string };
    readonly hop: Hop;
}

const node = (state: LabState, name: string) => state.plan.nodes.find((item) => item.name === name)!;
const pod = (state: LabState, key: string) => state.plan.pods.find((item) => item.key === key)!;
const webIp = (state: LabState) => state.plan.services.find((service) => service.name === "web")!.clusterIP!;

/** Faults on the dev stack (web-0 on cp-1, web-1 on worker-1, traefik-0 on worker-2, the DNS pod on cp-1). */
export const DEV_FAULTS: readonly Fault[] = [
    {
        name: "one endpoint's DNAT rule deleted on a node",
        inject: (state) => {
            const netns = node(state, "cp-1").netns;
            const web1 = state.endpoints["demo/web:http"]!.find((endpoint) => endpoint.pod === "web-1")!;
            const line = sh(netns, "iptables-save", ["-t", "nat"])
                .split("\n")
                .find(
                    (item) => /^-A KUBE-SEP-/.test(item) && item.includes(`--to-destination ${web1.ip}:${web1.port}`),
                );
            const args = splitRuleLine(line!);
            sh(netns, "iptables", ["-t", "nat", "-D", ...args.slice(1)]);
            return undefined; // lab sync (a full kube-proxy sync) restores it
        },
        failingRow: /^probe-cp-1 → demo\/web:http /,
        diagnose: { from: "clusternet-lab/probe-cp-1", to: "web.demo:8080" },
        hop: Hop.Rules,
    },
    {
        name: "hairpin off on a pod's bridge port",
        inject: (state) => {
            const self = pod(state, "demo/web-0");
            const peer = /eth0@if(\d+)/.exec(sh(self.netns, "ip", ["-o", "link", "show", "eth0"]))![1]!;
            const netns = node(state, self.node).netns;
            const port = /^\d+: ([^@:]+)/.exec(
                sh(netns, "ip", ["-o", "link", "show"])
                    .split("\n")
                    .find((line) => line.startsWith(`${peer}: `))!,
            )![1]!;
            sh(netns, "bridge", ["link", "set", "dev", port, "hairpin", "off"]);
            return () => sh(netns, "bridge", ["link", "set", "dev", port, "hairpin", "on"]);
        },
        failingRow: /^demo\/web-0 → demo\/web:http .* → itself/,
        diagnose: { from: "demo/web-0", to: "web:8080" },
        hop: Hop.Route,
    },
    {
        name: "a foreign rule ahead of KUBE-SERVICES takes the Service's packets",
        inject: (state) => {
            const netns = node(state, "cp-1").netns;
            const rule = ["-d", `${webIp(state)}/32`, "-p", "tcp", "--dport", "8080", "-j", "ACCEPT"];
            sh(netns, "iptables", ["-t", "nat", "-I", "PREROUTING", "1", ...rule]);
            return () => sh(netns, "iptables", ["-t", "nat", "-D", "PREROUTING", ...rule]);
        },
        failingRow: /^probe-cp-1 → demo\/web:http /,
        diagnose: { from: "clusternet-lab/probe-cp-1", to: "web.demo:8080" },
        hop: Hop.Counters,
    },
    {
        name: "flannel's route to another node's pod subnet deleted",
        inject: (state) => {
            const from = node(state, "cp-1");
            const to = node(state, "worker-1");
            const route = sh(from.netns, "ip", ["route", "show", to.podCidr]).trim();
            sh(from.netns, "ip", ["route", "del", to.podCidr]);
            return () => sh(from.netns, "ip", ["route", "add", ...route.split(/\s+/)]);
        },
        failingRow: /^cp-1 probe-cp-1 → worker-1 probe-worker-1 /,
        diagnose: { from: "clusternet-lab/probe-cp-1", to: "web.demo:8080" },
        hop: Hop.Route,
    },
    {
        name: "the cluster DNS pod is down",
        inject: (state) => {
            const dir = path.join(pod(state, state.plan.dns!.pod).dir, "dnsmasq");
            process.kill(Number(fs.readFileSync(path.join(dir, "dnsmasq.pid"), "utf8")), "SIGKILL");
            return undefined; // only lab up restarts it
        },
        failingRow: /^demo\/web-0 → http:\/\/web:8080\//,
        diagnose: { from: "demo/web-0", to: "web:8080" },
        hop: Hop.Dns,
    },
    {
        name: "nothing listens on a targetPort its readiness probe does not cover",
        inject: async (state) => {
            // web-1's readiness probe covers http (80); it is restarted serving 80 only, so https (443) is deaf.
            const web1 = pod(state, "demo/web-1");
            process.kill(Number(fs.readFileSync(path.join(web1.dir, "stand-in.pid"), "utf8")), "SIGKILL");
            const config = JSON.parse(fs.readFileSync(path.join(web1.dir, "serve.json"), "utf8")) as ServeConfig;
            const only80 = path.join(web1.dir, "serve-80.json");
            const readyFile = path.join(web1.dir, "serving-80.json");
            fs.writeFileSync(only80, JSON.stringify({ ...config, tcp: [80], udp: [], readyFile }));
            const agent = path.join(state.plan.stateDir, "agent.js");
            spawn("ip", ["netns", "exec", web1.netns, process.execPath, agent, "serve", only80], {
                detached: true,
                stdio: "ignore",
            }).unref();
            for (let waited = 0; !fs.existsSync(readyFile) && waited < 10_000; waited += 50) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            return undefined;
        },
        failingRow: /^probe-cp-1 → demo\/web:https /,
        diagnose: { from: "clusternet-lab/probe-cp-1", to: "10.96.0.2:443" },
        hop: Hop.Listening,
    },
    {
        name: "the Ingress controller's pod loses its interface: the sync takes it out of the endpoints",
        inject: (state) => {
            sh(pod(state, "traefik/traefik-0").netns, "ip", ["link", "set", "eth0", "down"]);
            return undefined;
        },
        failingRow: /^probe-cp-1 → traefik\/traefik:web /,
        diagnose: { from: "clusternet-lab/probe-cp-1", to: "10.96.0.3:80" },
        hop: Hop.Endpoints,
    },
];

/**
 * DEV_FAULTS in parts, by index, one test file and one lab each (test/lab-faults.test.ts, -2, -3): the lab suite's
 * workers wait on them side by side. Balanced by their measured times (a fault costs 7-25 s: its check and diagnose
 * wait on the failing probes' timeouts), and few: each part pays a lab up and a clean check. A fault left broken
 * (the DNS pod, the Ingress pod) is last in its part or alone.
 */
export const FAULT_PARTS: readonly (readonly number[])[] = [
    [1, 3],
    [0, 6],
    [2, 5, 4],
];

/** The faults of FAULT_PARTS[part]. */
export function faultPart(part: number): Fault[] {
    return FAULT_PARTS[part]!.map((index) => DEV_FAULTS[index]!);
}
