/**
 * `clusternet lab diagnose`: the seed's troubleshooting checklist, run on the lab for one path (a pod or node to a
 * Service by name or address). Each hop is checked in order with its evidence; the first broken one is named with
 * its fix: (1) DNS or Service? (2) ready endpoints? (3) kube-proxy's rules present and listing them? (4) do the
 * rule counters move when probes are sent? (5) the route to each endpoint's node (and hairpin to itself)? (6) does
 * something listen on the targetPort?
 */
import { DNS_NAMESPACE, DNS_SERVICE_NAME, serviceName } from "./dns";
import { inNetns } from "./exec";
import { Endpoint, PlannedService, PlannedServicePort, endpointChain, serviceChain } from "./kube-proxy";
import { LabContext, labSync, prepareAgent, probeFrom } from "./lab";
import { CNI_BRIDGE, vtepIfname } from "./names";
import { LabNode, LabPlan, LabPod } from "./plan";
import { ProbeSpec, responderKey } from "./protocol";
import { triesToSeeEach } from "./checks";

export const Hop = {
    Dns: "1 DNS",
    Endpoints: "2 endpoints",
    Rules: "3 kube-proxy rules",
    Counters: "4 rule counters",
    Route: "5 route to the endpoint",
    Listening: "6 listening on targetPort",
} as const;
export type Hop = (typeof Hop)[keyof typeof Hop];

export interface HopResult {
    readonly hop: Hop;
    /** true: fine; false: broken; undefined: not applicable here. */
    readonly ok: boolean | undefined;
    readonly evidence: readonly string[];
    readonly fix?: string;
}

export interface Diagnosis {
    readonly from: string;
    readonly to: string;
    readonly hops: readonly HopResult[];
    /** The first broken hop, if any. */
    readonly broken?: HopResult;
}

/** Where a path starts: a pod (by `namespace/name` or a unique name) or a node (by name). */
export interface Source {
    readonly label: string;
    readonly netns: string;
    readonly node: LabNode;
    readonly pod?: LabPod;
}

export function findSource(plan: LabPlan, from: string): Source | string {
    const pods = plan.pods.filter((pod) => pod.key === from || pod.name === from);
    if (pods.length === 1) {
        const pod = pods[0]!;
        return { label: pod.key, netns: pod.netns, node: plan.nodes.find((node) => node.name === pod.node)!, pod };
    }
    if (pods.length > 1) {
        return `--from ${from} names ${pods.length} pods: write namespace/name (${pods.map((pod) => pod.key).join(", ")})`;
    }
    const node = plan.nodes.find((item) => item.name === from);
    if (node) {
        return { label: `node ${node.name}`, netns: node.netns, node };
    }
    return `--from ${from}: no pod or node of that name in the lab (pods: ${plan.pods.map((pod) => pod.key).join(", ")})`;
}

/** A target: `<name or cluster IP>[:<port number or name>]`. */
export function parseTarget(to: string): { host: string; port?: string } {
    const colon = to.lastIndexOf(":");
    return colon > 0 ? { host: to.slice(0, colon), port: to.slice(colon + 1) } : { host: to };
}

/** The names a pod's resolver tries for `host` (kubelet's search list, ndots:5), in order. */
export function searchNames(host: string, namespace: string, domain: string): string[] {
    const search = [`${namespace}.svc.${domain}`, `svc.${domain}`, domain];
    const dots = host.split(".").length - 1;
    const expanded = search.map((suffix) => `${host}.${suffix}`);
    return dots >= 5 ? [host, ...expanded] : [...expanded, host];
}

const isAddress = (host: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(host);

function servicePortOf(service: PlannedService, port: string | undefined): PlannedServicePort | undefined {
    if (port === undefined) {
        return service.ports.find((item) => item.protocol === "TCP") ?? service.ports[0];
    }
    return /^\d+$/.test(port)
        ? service.ports.find((item) => item.port === Number(port))
        : service.ports.find((item) => item.name === port);
}

function endpointText(endpoint: Endpoint): string {
    return `${endpoint.pod} ${endpoint.ip}:${endpoint.port} on ${endpoint.node}`;
}

/** Packet counters of every rule in `iptables-save -c -t nat`, by rule text. */
function counters(saved: string): Map<string, number> {
    const result = new Map<string, number>();
    for (const line of saved.split("\n")) {
        const match = /^\[(\d+):\d+\] (-A .*)$/.exec(line);
        if (match) {
            result.set(match[2]!, (result.get(match[2]!) ?? 0) + Number(match[1]));
        }
    }
    return result;
}

function rulesOf(saved: string, chain: string): string[] {
    return saved
        .split("\n")
        .map((line) => line.replace(/^\[\d+:\d+\] /, ""))
        .filter((line) => line.startsWith(`-A ${chain} `));
}

/** Runs the checklist for one path. Syncs first (as check does), then looks. */
export async function labDiagnose(context: LabContext, from: string, to: string): Promise<Diagnosis> {
    const agent = prepareAgent(context.stateDir);
    const { state } = await labSync(context, { agent });
    const { plan } = state;
    const source = findSource(plan, from);
    if (typeof source === "string") {
        throw new DiagnoseInputError(source);
    }
    const hops: HopResult[] = [];
    const done = (): Diagnosis => ({ from: source.label, to, hops, broken: hops.find((hop) => hop.ok === false) });
    const target = parseTarget(to);

    // (1) DNS or Service?
    const dns = plan.dns;
    let service: PlannedService | undefined;
    if (isAddress(target.host)) {
        service = plan.services.find((item) => item.clusterIP === target.host);
        hops.push({
            hop: Hop.Dns,
            ok: undefined,
            evidence: [`${target.host} is an address: no name to resolve`],
        });
    } else {
        const namespace = source.pod?.namespace ?? "default";
        const domain = dns?.domain ?? "cluster.local";
        const names = searchNames(target.host, namespace, domain);
        service = plan.services.find((item) => names.includes(serviceName(item, domain)));
        const evidence = [
            `${source.label} looks up ${names.join(", ")} (search list of namespace ${namespace}, ndots:5)`,
        ];
        if (!service) {
            hops.push({
                hop: Hop.Dns,
                ok: false,
                evidence,
                fix: `no Service has any of these names: check the Service's name and namespace (a Service in another namespace needs <name>.<namespace>)`,
            });
            return done();
        }
        const fqdn = serviceName(service, domain);
        if (!dns || !source.pod?.resolvConf) {
            evidence.push(
                dns ? `${source.label} uses its node's resolver, not the cluster DNS` : "the lab runs no cluster DNS",
            );
            hops.push({ hop: Hop.Dns, ok: undefined, evidence });
        } else {
            const dnsPod = plan.pods.find((pod) => pod.key === dns.pod);
            const dnsPodIp = dnsPod ? state.pods[dnsPod.key]?.ip : null;
            const queries: ProbeSpec[] = [
                { kind: "dns", ip: dns.ip, name: fqdn, type: "A" },
                ...(dnsPodIp ? [{ kind: "dns" as const, ip: dnsPodIp, name: fqdn, type: "A" as const }] : []),
            ];
            const results = await probeFrom(
                agent,
                source.netns,
                queries.map((probe, index) => ({ id: `dns${index}`, probe, timeoutMs: 1000, attempts: 2 })),
            );
            const viaService = results[0];
            const direct = results[1];
            evidence.push(
                `A ${fqdn} @${dns.ip} (kube-dns Service): ${viaService?.ok ? viaService.body : viaService?.error}`,
                `A ${fqdn} @${dnsPodIp ?? "?"} (the DNS pod ${dns.pod} directly): ${direct?.ok ? direct.body : (direct?.error ?? "no IP")}`,
            );
            if (viaService?.ok) {
                hops.push({ hop: Hop.Dns, ok: true, evidence });
            } else if (direct?.ok) {
                hops.push({
                    hop: Hop.Dns,
                    ok: false,
                    evidence,
                    fix: `the DNS pod answers but the kube-dns Service ${dns.ip} does not: diagnose the Service itself (clusternet lab diagnose --from ${source.label} --to ${dns.ip}:53) — its endpoints and kube-proxy's rules for ${DNS_NAMESPACE}/${DNS_SERVICE_NAME}`,
                });
                return done();
            } else {
                hops.push({
                    hop: Hop.Dns,
                    ok: false,
                    evidence,
                    fix: `the DNS pod ${dns.pod} does not answer: it is not running or not Ready (see its readiness in clusternet lab sync; its log is in the state folder under pods/${DNS_NAMESPACE}.${dns.pod.split("/")[1]}/dnsmasq/); restart the lab's DNS with clusternet lab up`,
                });
                return done();
            }
        }
    }
    if (!service || service.clusterIP === null) {
        hops.push({
            hop: Hop.Endpoints,
            ok: false,
            evidence: [
                service
                    ? `${service.namespace}/${service.name} is headless`
                    : `no Service has cluster IP ${target.host}`,
            ],
            fix: service
                ? "a headless Service has no cluster IP: connect to a pod address from its DNS records"
                : "use a Service's cluster IP or name (clusternet lab up prints them; see plan.json in the state folder)",
        });
        return done();
    }
    const port = servicePortOf(service, target.port);
    if (!port) {
        hops.push({
            hop: Hop.Endpoints,
            ok: false,
            evidence: [
                `${service.namespace}/${service.name} ports: ${service.ports.map((item) => `${item.name || "-"} ${item.port}/${item.protocol}`).join(", ")}`,
            ],
            fix: `${service.namespace}/${service.name} has no port ${target.port}: use one of its ports`,
        });
        return done();
    }

    // (2) Ready endpoints?
    const endpoints = state.endpoints[port.id] ?? [];
    const selector = Object.entries(service.selector ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
    if (endpoints.length === 0) {
        const matched = plan.pods.filter(
            (pod) =>
                pod.namespace === service.namespace &&
                Object.entries(service.selector ?? {}).every(([key, value]) => pod.labels[key] === value),
        );
        hops.push({
            hop: Hop.Endpoints,
            ok: false,
            evidence: [
                `${port.id} selector ${selector || "(none)"}`,
                ...matched.map(
                    (pod) =>
                        `${pod.key}: ${state.pods[pod.key]?.ready ? "Ready" : `not Ready: ${state.pods[pod.key]?.problem ?? "?"}`}`,
                ),
            ],
            fix: state.noEndpoints[port.id] ?? "no endpoints",
        });
        return done();
    }
    hops.push({
        hop: Hop.Endpoints,
        ok: true,
        evidence: [`${port.id} selector ${selector}: ${endpoints.map(endpointText).join("; ")}`],
    });

    // (3) kube-proxy's rules present, listing those endpoints?
    const saved = (await inNetns(source.node.netns, "iptables-save", ["-c", "-t", "nat"])).stdout;
    const svcChain = serviceChain(port);
    const protocol = port.protocol.toLowerCase();
    const entry = rulesOf(saved, "KUBE-SERVICES").find(
        (line) =>
            line.includes(`-d ${service.clusterIP}/32`) &&
            line.includes(`--dport ${port.port}`) &&
            line.includes(`-p ${protocol}`) &&
            line.endsWith(`-j ${svcChain}`),
    );
    const entryChains = ["PREROUTING", "OUTPUT"].filter((chain) =>
        rulesOf(saved, chain).some((line) => line.endsWith("-j KUBE-SERVICES")),
    );
    const missing: string[] = [];
    if (entryChains.length < 2) {
        missing.push(
            `the jump to KUBE-SERVICES from ${["PREROUTING", "OUTPUT"].filter((chain) => !entryChains.includes(chain)).join(" and ")}`,
        );
    }
    if (!entry) {
        missing.push(`KUBE-SERVICES → ${svcChain} for ${service.clusterIP}:${port.port}/${port.protocol}`);
    }
    const svcRules = rulesOf(saved, svcChain);
    for (const endpoint of endpoints) {
        const sep = endpointChain(port, endpoint);
        if (!svcRules.some((line) => line.endsWith(`-j ${sep}`))) {
            missing.push(`${svcChain} → ${sep} (${endpointText(endpoint)})`);
        }
        if (!rulesOf(saved, sep).some((line) => line.includes(`--to-destination ${endpoint.ip}:${endpoint.port}`))) {
            missing.push(`${sep}'s DNAT to ${endpoint.ip}:${endpoint.port}`);
        }
    }
    const ruleEvidence = [
        `on ${source.node.name}: ${entry ?? "(no KUBE-SERVICES rule)"}`,
        ...svcRules.filter((line) => line.includes("KUBE-SEP-")).map((line) => `  ${line}`),
    ];
    if (missing.length > 0) {
        hops.push({
            hop: Hop.Rules,
            ok: false,
            evidence: [...ruleEvidence, ...missing.map((item) => `missing: ${item}`)],
            fix: `kube-proxy's rules on ${source.node.name} do not match the endpoints: run clusternet lab sync (kube-proxy's full sync rewrites them); on a cluster, check kube-proxy's logs and restart it`,
        });
        return done();
    }
    hops.push({ hop: Hop.Rules, ok: true, evidence: ruleEvidence });

    // (4) Do the counters on the path move when probes are sent?
    const probe: ProbeSpec =
        port.protocol === "UDP"
            ? { kind: "udp", ip: service.clusterIP, port: port.port }
            : { kind: "http", ip: service.clusterIP, port: port.port, path: "/" };
    const responders = endpoints.map((endpoint) =>
        responderKey({ namespace: service.namespace, pod: endpoint.pod, port: endpoint.port }),
    );
    const [result] = await probeFrom(agent, source.netns, [
        {
            id: "path",
            probe,
            timeoutMs: port.protocol === "UDP" ? 1000 : 2500,
            attempts: 1,
            // Every try is sent (the counters below need each endpoint's share), all at once: on a broken path each
            // failing try waits out its timeout, and in rounds those waits would add up.
            until: { responders, max: triesToSeeEach(endpoints.length), round: triesToSeeEach(endpoints.length) },
        },
    ]);
    const after = (await inNetns(source.node.netns, "iptables-save", ["-c", "-t", "nat"])).stdout;
    const before = counters(saved);
    const now = counters(after);
    const moved = (line: string | undefined): number =>
        line === undefined ? 0 : (now.get(line) ?? 0) - (before.get(line) ?? 0);
    const spread = result?.spread;
    const counterEvidence = [
        `${spread?.tries ?? 0} probes ${probe.kind} ${service.clusterIP}:${port.port} from ${source.label}: ${
            Object.entries(spread?.seen ?? {})
                .map(([key, count]) => `${key} ×${count}`)
                .join(", ") || "no answer"
        }${spread && spread.failures.length > 0 ? `; ${spread.failures.length} failed (${[...new Set(spread.failures)].join("; ")})` : ""}`,
        `KUBE-SERVICES → ${svcChain}: +${moved(entry)} packets`,
    ];
    const silent: string[] = [];
    for (const endpoint of endpoints) {
        const sep = endpointChain(port, endpoint);
        const dnat = rulesOf(saved, sep).find((line) => line.includes("--to-destination"));
        const count = moved(dnat);
        counterEvidence.push(`${sep} DNAT → ${endpoint.ip}:${endpoint.port}: +${count} packets`);
        if (count === 0) {
            silent.push(endpointText(endpoint));
        }
    }
    if (moved(entry) === 0) {
        const chain = source.pod ? "PREROUTING" : "OUTPUT";
        hops.push({
            hop: Hop.Counters,
            ok: false,
            evidence: [...counterEvidence, ...rulesOf(after, chain).map((line) => `nat ${chain}: ${line}`)],
            fix: `the probes never reached kube-proxy's rule for ${service.clusterIP}:${port.port} on ${source.node.name}: a rule before KUBE-SERVICES in nat ${chain} takes them (listed above); remove it`,
        });
        return done();
    }
    if (silent.length > 0) {
        hops.push({
            hop: Hop.Counters,
            ok: false,
            evidence: counterEvidence,
            fix: `kube-proxy's balancing never chose ${silent.join(", ")} on ${source.node.name}: compare ${svcChain}'s probabilities with its endpoints, then run clusternet lab sync`,
        });
        return done();
    }
    hops.push({ hop: Hop.Counters, ok: true, evidence: counterEvidence });

    // (5) Routes to each endpoint's node, and back; hairpin when the source is an endpoint.
    const routeEvidence: string[] = [];
    const routeProblems: string[] = [];
    const fixes: string[] = [];
    for (const endpoint of endpoints) {
        const node = plan.nodes.find((item) => item.name === endpoint.node)!;
        if (node === source.node) {
            const route = (await inNetns(node.netns, "ip", ["route", "get", endpoint.ip])).stdout.trim();
            routeEvidence.push(`${node.name}: ${route.split("\n")[0]}`);
            if (!route.includes(`dev ${CNI_BRIDGE}`)) {
                routeProblems.push(`${node.name} does not route ${endpoint.ip} to ${CNI_BRIDGE}`);
                fixes.push(
                    `the pod subnet's route on ${CNI_BRIDGE} is missing on ${node.name}: re-create the pod (CNI ADD)`,
                );
            }
            if (source.pod && source.pod.name === endpoint.pod && source.pod.namespace === service.namespace) {
                const hairpin = await hairpinOf(node, endpoint.ip, source.pod);
                routeEvidence.push(
                    `${source.pod.key}'s bridge port: hairpin ${hairpin.on ? "on" : "off"} (${hairpin.port})`,
                );
                if (!hairpin.on) {
                    routeProblems.push(`hairpin is off on ${source.pod.key}'s bridge port ${hairpin.port}`);
                    fixes.push(
                        `turn hairpin on for ${hairpin.port} (bridge link set dev ${hairpin.port} hairpin on); the CNI bridge plugin does it when the delegate has hairpinMode: true`,
                    );
                }
            }
            continue;
        }
        for (const [from, toNode] of [
            [source.node, node],
            [node, source.node],
        ] as const) {
            const found = await routeBetween(plan, from, toNode);
            routeEvidence.push(...found.evidence);
            routeProblems.push(...found.problems);
            fixes.push(...found.fixes);
        }
    }
    if (routeProblems.length > 0) {
        hops.push({
            hop: Hop.Route,
            ok: false,
            evidence: [...routeEvidence, ...routeProblems.map((item) => `broken: ${item}`)],
            fix: [...new Set(fixes)].join("; "),
        });
        return done();
    }
    hops.push({ hop: Hop.Route, ok: true, evidence: routeEvidence });

    // (6) Something listening on the targetPort in each endpoint pod?
    const listenEvidence: string[] = [];
    const deaf: string[] = [];
    for (const endpoint of endpoints) {
        const pod = plan.pods.find((item) => item.namespace === service.namespace && item.name === endpoint.pod)!;
        const flag = port.protocol === "UDP" ? "-Hlun" : "-Hltn";
        const listening = (await inNetns(pod.netns, "ss", [flag, `sport = :${endpoint.port}`])).stdout.trim();
        listenEvidence.push(
            `${pod.key}: ${listening ? listening.split("\n")[0]!.replace(/\s+/g, " ") : `nothing on ${endpoint.port}/${port.protocol}`}`,
        );
        if (!listening) {
            deaf.push(`${pod.key} ${endpoint.port}/${port.protocol}`);
        }
    }
    if (deaf.length > 0) {
        hops.push({
            hop: Hop.Listening,
            ok: false,
            evidence: listenEvidence,
            fix: `nothing listens on the targetPort in ${deaf.join(", ")}: the container does not serve the Service's targetPort (fix targetPort or the container; a readiness probe on that port would have taken the pod out of the endpoints)`,
        });
        return done();
    }
    hops.push({ hop: Hop.Listening, ok: true, evidence: listenEvidence });
    if (!result?.ok) {
        hops.push({
            hop: Hop.Counters,
            ok: false,
            evidence: counterEvidence,
            fix: "every hop looks right but the probes failed: compare the failures above with the check table",
        });
    }
    return done();
}

async function hairpinOf(node: LabNode, podIp: string, pod: LabPod): Promise<{ port: string; on: boolean }> {
    // The pod's eth0 is the peer of a veth on the node: its index names the bridge port.
    const link = (await inNetns(pod.netns, "ip", ["-o", "link", "show", "eth0"])).stdout;
    const peer = /eth0@if(\d+)/.exec(link)?.[1];
    const ports = (await inNetns(node.netns, "bridge", ["-d", "-o", "link", "show"])).stdout.split("\n");
    const line = ports.find((item) => peer !== undefined && item.startsWith(`${peer}: `)) ?? "";
    const name = /^\d+: ([^@:]+)/.exec(line)?.[1] ?? `veth of ${podIp}`;
    return { port: name, on: /hairpin on/.test(line) };
}

async function routeBetween(
    plan: LabPlan,
    from: LabNode,
    to: LabNode,
): Promise<{ evidence: string[]; problems: string[]; fixes: string[] }> {
    const evidence: string[] = [];
    const problems: string[] = [];
    const fixes: string[] = [];
    const route = (await inNetns(from.netns, "ip", ["route", "show", to.podCidr])).stdout.trim();
    evidence.push(`${from.name}: ${to.podCidr} ${route ? route.replace(`${to.podCidr} `, "") : "(no route)"}`);
    if (plan.flannel.backend === "vxlan") {
        const device = vtepIfname(plan.flannel.vni);
        const wanted = `via ${to.vtep} dev ${device} onlink`;
        if (!route.includes(wanted)) {
            problems.push(`${from.name} has no route ${to.podCidr} ${wanted}`);
            fixes.push(
                `on ${from.name}: ip route replace ${to.podCidr} ${wanted} (flanneld re-programs it when it restarts)`,
            );
        }
        const neigh = (await inNetns(from.netns, "ip", ["neigh", "show", to.vtep, "dev", device])).stdout.trim();
        evidence.push(`${from.name}: neigh ${neigh || `(none for ${to.vtep})`}`);
        if (!neigh.includes(to.vtepMac)) {
            problems.push(`${from.name} has no neighbour entry ${to.vtep} → ${to.vtepMac} on ${device}`);
            fixes.push(`on ${from.name}: ip neigh replace ${to.vtep} lladdr ${to.vtepMac} dev ${device} nud permanent`);
        }
        const fdb = (await inNetns(from.netns, "bridge", ["fdb", "show", "dev", device])).stdout
            .split("\n")
            .find((line) => line.startsWith(to.vtepMac));
        evidence.push(`${from.name}: fdb ${fdb ?? `(none for ${to.vtepMac})`}`);
        if (!fdb?.includes(`dst ${to.ip}`)) {
            problems.push(`${from.name} has no FDB entry ${to.vtepMac} → ${to.ip} on ${device}`);
            fixes.push(`on ${from.name}: bridge fdb append ${to.vtepMac} dev ${device} dst ${to.ip} self permanent`);
        }
    } else if (!route.includes(`via ${to.ip}`)) {
        problems.push(`${from.name} has no route ${to.podCidr} via ${to.ip}`);
        fixes.push(`on ${from.name}: ip route replace ${to.podCidr} via ${to.ip} (flanneld's host-gw route)`);
    }
    return { evidence, problems, fixes };
}

export class DiagnoseInputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "DiagnoseInputError";
    }
}

/** The diagnosis as text: each hop with its evidence, then the first broken one with its fix. */
export function formatDiagnosis(diagnosis: Diagnosis): string {
    const lines = [`lab diagnose: ${diagnosis.from} → ${diagnosis.to}`];
    for (const hop of diagnosis.hops) {
        lines.push(`${hop.ok === undefined ? "n/a " : hop.ok ? "ok  " : "FAIL"}  ${hop.hop}`);
        lines.push(...hop.evidence.map((line) => `        ${line}`));
    }
    lines.push(
        diagnosis.broken
            ? `first broken hop: ${diagnosis.broken.hop}\nfix: ${diagnosis.broken.fix ?? "?"}`
            : "every hop works",
    );
    return `${lines.join("\n")}\n`;
}
