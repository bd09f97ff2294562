/**
 * The check matrix: every path a user relies on, as probes from a namespace with what must answer. Pure: planned
 * from the saved state, evaluated from the probe results, printed as a table.
 */
import { Controller, ResolvedBackend, RouteTable, decideRoute } from "./ingress";
import { nginxDefaultStatus } from "./nginx-pod";
import { DNS_NAMESPACE, DNS_SERVICE_NAME, dnsRecords, serviceName, srvName } from "./dns";
import { Endpoint, PlannedService } from "./kube-proxy";
import { LabController, LabNode, LabPod, PROBE_PORT, PodRole } from "./plan";
import { ProbeRequest, ProbeResult, ProbeSpec, describeProbe, parseAnswer } from "./protocol";
import { LabState } from "./state";

export const CheckGroup = {
    PodSameNode: "pod → pod, same node",
    PodAcrossNodes: "pod → pod, across nodes",
    PodEgress: "pod → LAN (masquerade)",
    PodService: "pod → Service",
    Hairpin: "pod → own Service (hairpin)",
    NodeService: "node → Service",
    NodeLocalNodePort: "node → localhost NodePort",
    LanNodePort: "LAN → NodePort",
    LanHostPort: "LAN → hostPort",
    LanIngress: "LAN → Ingress",
    IngressBoundary: "LAN → Ingress (path boundary)",
    UnknownHost: "LAN → Ingress (unknown host)",
    PodMtu: "pod MTU",
    Dns: "pod → cluster DNS",
    DnsName: "pod → Service by name",
} as const;
export type CheckGroup = (typeof CheckGroup)[keyof typeof CheckGroup];

/** Who must answer: one of these pods, on that port. */
export interface Responder {
    readonly pod: string;
    readonly namespace: string;
    readonly port: number;
}

export type Expectation =
    | {
          readonly kind: "answer";
          readonly responders: readonly Responder[];
          /** The HTTP status the answer must carry. */
          readonly status?: number;
          /** The source address the responder must have seen (masquerading). */
          readonly seenFrom?: string;
          /** Why no one can answer, when `responders` is empty. */
          readonly why?: string;
          /**
           * Nobody answers because the endpoints' image does not listen there (nginx's default config has no 443):
           * the connection must be refused, as on a cluster, and the row passes when it is.
           */
          readonly refused?: boolean;
          /**
           * The probe is repeated (a new connection each time) until each of these answered: every endpoint of a
           * Service, or the pod itself for hairpin. Every request must be answered, and only by `responders`.
           */
          readonly mustSee?: readonly Responder[];
      }
    /**
     * probes[0] (the MTU, from the pod) must pass, probes[1] (one byte more) must not. With `overFrom`, probes[1] is
     * sent from that node's namespace, whose own interfaces are larger than the pod MTU, so that only the path
     * (flannel.1, the LAN link) can refuse it, and it must say so (EMSGSIZE or ICMP "Frag needed"), not time out.
     */
    | { readonly kind: "mtu"; readonly mtu: number; readonly overFrom?: string }
    /** A DNS answer with exactly these records (sorted). */
    | { readonly kind: "records"; readonly records: readonly string[] }
    /** A TCP connection is accepted. */
    | { readonly kind: "connect" };

export interface CheckCase {
    readonly id: string;
    readonly group: CheckGroup;
    /** The path in words: `probe-cp-1 → demo/web:http 10.96.0.2:8080`. */
    readonly path: string;
    readonly source: { readonly netns: string; readonly label: string };
    readonly probes: readonly ProbeRequest[];
    readonly expect: Expectation;
    /** The path as `lab diagnose --from/--to` takes it, for a path to a Service. */
    readonly diagnose?: { readonly from: string; readonly to: string };
    /** What on this path the lab models rather than runs (a stand-in for an image, nginx for Traefik, ...). */
    readonly modelled?: readonly string[];
}

export const CLIENT_LABEL = "client";
/** The LAN client's own stand-in (it sees where pod egress comes from). */
export const CLIENT_PORT_NUMBER = 8080;
const HTTP_TIMEOUT_MS = 2500;
const UDP_TIMEOUT_MS = 1000;
const PING_TIMEOUT_MS = 1000;
/** What ping prints when the packet is too big for the path: EMSGSIZE at the sender, or ICMP from a router. */
const PATH_REFUSAL = /message too long|frag needed/i;
export const UNKNOWN_HOST = "unknown-host.clusternet-lab.invalid";

function responderText(responders: readonly Responder[]): string {
    if (responders.length === 0) {
        return "nobody";
    }
    const shown = responders.slice(0, 3).map((item) => `${item.pod}:${item.port}`);
    return responders.length > 3 ? `${shown.join(", ")} +${responders.length - 3}` : shown.join(" | ");
}

export function expectationText(expect: Expectation): string {
    if (expect.kind === "mtu") {
        return expect.overFrom
            ? `${expect.mtu} B passes DF, ${expect.mtu + 1} B from ${expect.overFrom} refused by the path`
            : `${expect.mtu} B passes DF, ${expect.mtu + 1} B does not`;
    }
    if (expect.kind === "records") {
        return expect.records.join(",");
    }
    if (expect.kind === "connect") {
        return "connection accepted";
    }
    const parts = [
        expect.responders.length === 0
            ? `${expect.refused ? "refused" : "nobody can answer"}: ${expect.why ?? "no endpoints"}`
            : responderText(expect.responders),
    ];
    if (expect.status !== undefined) {
        parts.push(`HTTP ${expect.status}`);
    }
    if (expect.seenFrom !== undefined) {
        parts.push(`seen from ${expect.seenFrom}`);
    }
    return parts.join(", ");
}

/** A probe to a pod's first port, and who answers it. */
function podTarget(
    pod: LabPod,
    ip: string,
    controllers: readonly LabController[],
): { probe: ProbeSpec; port: number } | undefined {
    const controller = controllers.find((item) => item.pods.includes(pod.key));
    const tcp = pod.nginx?.port ?? pod.serve.tcp[0] ?? (controller ? controller.httpPort : undefined);
    if (tcp !== undefined) {
        return { probe: { kind: "http", ip, port: tcp, path: "/" }, port: tcp };
    }
    const udp = pod.serve.udp[0];
    return udp !== undefined ? { probe: { kind: "udp", ip, port: udp }, port: udp } : undefined;
}

/** A miss per responder this unlikely is a broken path, not bad luck of kube-proxy's random balancing. */
const MISS_PROBABILITY = 1e-6;

/** Requests needed so that each of `among` equally likely endpoints answers at least once, but for MISS_PROBABILITY. */
export function triesToSeeEach(among: number): number {
    return among <= 1 ? 1 : Math.ceil(Math.log(MISS_PROBABILITY / among) / Math.log(1 - 1 / among));
}

function keyOf(responder: Responder): string {
    return `${responder.namespace}/${responder.pod}:${responder.port}`;
}

function request(id: string, probe: ProbeSpec, expect: Expectation): ProbeRequest {
    const datagram = probe.kind === "udp" || probe.kind === "dns";
    const timeoutMs = datagram ? UDP_TIMEOUT_MS : probe.kind === "ping" ? PING_TIMEOUT_MS : HTTP_TIMEOUT_MS;
    const base = { id, probe, timeoutMs, attempts: datagram ? 2 : 1 };
    if (expect.kind !== "answer" || !expect.mustSee || expect.mustSee.length === 0) {
        return base;
    }
    return {
        ...base,
        until: {
            responders: expect.mustSee.map(keyOf),
            max: triesToSeeEach(expect.responders.length),
            stopOnFailure: true,
        },
    };
}

/**
 * Who answers on a Service port's endpoints: a TCP endpoint on a port its pod's image does not listen on (nginx's
 * default config has no 443) is still an endpoint, as on a cluster, but is refused; with none left, that is why.
 */
function answering(
    state: LabState,
    namespace: string,
    endpoints: readonly Endpoint[],
    protocol: string,
    why: string | undefined,
): { responders: Responder[]; why?: string; refused?: boolean } {
    const refusedBy = (endpoint: Endpoint): string | undefined => {
        const unserved = state.plan.pods.find(
            (pod) => pod.namespace === namespace && pod.name === endpoint.pod,
        )?.unserved;
        const ports = protocol === "TCP" ? unserved?.tcp : protocol === "UDP" ? unserved?.udp : undefined;
        return ports?.includes(endpoint.port) ? unserved!.why : undefined;
    };
    const responders = endpoints
        .filter((endpoint) => refusedBy(endpoint) === undefined)
        .map((endpoint) => ({ pod: endpoint.pod, namespace, port: endpoint.port }));
    const refused = endpoints.map(refusedBy).find((reason) => reason !== undefined);
    if (responders.length === 0 && refused && !why) {
        return { responders, why: refused, refused: true };
    }
    return { responders, ...(why ? { why } : {}) };
}

/** The Service port an Ingress backend names, and its endpoints. */
function backendResponders(
    state: LabState,
    backend: ResolvedBackend,
): { responders: Responder[]; why?: string; label: string } {
    const service = state.plan.services.find(
        (item) => item.namespace === backend.namespace && item.name === backend.service,
    );
    const label = `${backend.namespace}/${backend.service}:${backend.port}`;
    if (!service) {
        return {
            responders: [],
            why: `the backend Service ${backend.namespace}/${backend.service} is not rendered`,
            label,
        };
    }
    const port = service.ports.find((item) =>
        typeof backend.port === "number" ? item.port === backend.port : item.name === backend.port,
    );
    if (!port) {
        return {
            responders: [],
            why: `Service ${backend.namespace}/${backend.service} has no port ${backend.port}`,
            label,
        };
    }
    const { responders, why } = answering(
        state,
        service.namespace,
        state.endpoints[port.id] ?? [],
        port.protocol,
        state.noEndpoints[port.id],
    );
    return { responders, why, label: port.id };
}

/** Paths to request for a route table: each path (as it is, or one level below a prefix) and just past its boundary. */
function ingressRequests(table: RouteTable): Array<{ host: string; path: string; boundary: boolean }> {
    const requests: Array<{ host: string; path: string; boundary: boolean }> = [];
    for (const block of table.hosts) {
        const sample =
            block.host === ""
                ? "any-host.clusternet-lab.invalid"
                : block.host.startsWith("*.")
                  ? `lab${block.host.slice(1)}`
                  : block.host;
        // An HTTPRoute wildcard also matches deeper names: prove that with a two-label name too.
        const hosts = block.anyDepth ? [sample, `deep.${sample}`] : [sample];
        for (const [host, route] of hosts.flatMap((host) => block.paths.map((route) => [host, route] as const))) {
            if (route.pathType === "Exact") {
                requests.push({ host, path: route.match, boundary: false });
                requests.push({ host, path: `${route.match.replace(/\/$/, "")}/lab-check`, boundary: true });
            } else if (route.match === "/") {
                requests.push({ host, path: "/", boundary: false });
            } else {
                requests.push({ host, path: `${route.match}/lab-check`, boundary: false });
                requests.push({ host, path: `${route.match}x`, boundary: true });
            }
        }
    }
    const seen = new Set<string>();
    return requests.filter((item) => {
        const key = `${item.host} ${item.path}`;
        return !seen.has(key) && seen.add(key) !== undefined;
    });
}

/** How a LAN client (or, for a ClusterIP-only controller, a pod) reaches a controller. */
function entryFor(
    state: LabState,
    controller: LabController,
    turn: number,
): { source: CheckCase["source"]; ip: string; port: number; via: string } | { why: string } {
    const { plan } = state;
    const client = { netns: plan.client.netns, label: CLIENT_LABEL };
    const entry = controller.entry;
    switch (entry.kind) {
        case "nodePort": {
            const node = plan.nodes[turn % plan.nodes.length]!;
            return { source: client, ip: node.ip, port: entry.port, via: `${node.name} NodePort ${entry.port}` };
        }
        case "hostPort": {
            const pod = plan.pods.find((item) => controller.pods.includes(item.key))!;
            const node = plan.nodes.find((item) => item.name === pod.node)!;
            return { source: client, ip: node.ip, port: entry.port, via: `${node.name} hostPort ${entry.port}` };
        }
        case "clusterIP": {
            const probe = plan.pods.find((pod) => pod.role === PodRole.Probe)!;
            return {
                source: { netns: probe.netns, label: probe.name },
                ip: entry.ip,
                port: entry.port,
                via: `${entry.service} cluster IP`,
            };
        }
        case "none":
            return { why: entry.reason };
    }
}

/** Plans every check of the matrix. */
export function planChecks(state: LabState): CheckCase[] {
    const { plan } = state;
    const cases: CheckCase[] = [];
    const add = (
        group: CheckGroup,
        path: string,
        source: CheckCase["source"],
        probes: ReadonlyArray<ProbeSpec | { readonly netns: string; readonly probe: ProbeSpec }>,
        expect: Expectation,
        diagnose?: CheckCase["diagnose"],
    ): void => {
        const id = `c${cases.length + 1}`;
        cases.push({
            id,
            group,
            path,
            source,
            probes: probes.map((item, index) =>
                "kind" in item
                    ? request(`${id}.${index}`, item, expect)
                    : { ...request(`${id}.${index}`, item.probe, expect), netns: item.netns },
            ),
            expect,
            ...(diagnose ? { diagnose } : {}),
        });
    };
    const controllerNotes = new Map<string, string>();
    const ipOf = (pod: LabPod): string | null => state.pods[pod.key]?.ip ?? null;
    const probeOf = (node: LabNode): LabPod =>
        plan.pods.find((pod) => pod.role === PodRole.Probe && pod.node === node.name)!;
    const sourceOf = (pod: LabPod): CheckCase["source"] => ({ netns: pod.netns, label: `${pod.name}@${pod.node}` });
    const unreachable = (pod: LabPod): Expectation => ({
        kind: "answer",
        responders: [],
        why: `${pod.key} has no IP: ${state.pods[pod.key]?.problem ?? "not attached"}`,
    });

    for (const node of plan.nodes) {
        const from = probeOf(node);
        for (const pod of plan.pods.filter((item) => item.node === node.name && item !== from)) {
            const ip = ipOf(pod);
            if (pod.role === PodRole.Dns && ip) {
                // dnsmasq, not a stand-in: it answers DNS only.
                add(
                    CheckGroup.PodSameNode,
                    `${from.name} → ${pod.key} tcp ${ip}:53`,
                    sourceOf(from),
                    [{ kind: "tcp", ip, port: 53 }],
                    { kind: "connect" },
                );
                continue;
            }
            const target = ip ? podTarget(pod, ip, plan.controllers) : undefined;
            const expect: Expectation = target
                ? { kind: "answer", responders: [{ pod: pod.name, namespace: pod.namespace, port: target.port }] }
                : unreachable(pod);
            add(
                CheckGroup.PodSameNode,
                `${from.name} → ${pod.key} ${target ? describeProbe(target.probe) : ""}`.trim(),
                sourceOf(from),
                target ? [target.probe] : [],
                expect,
            );
        }
    }
    for (const a of plan.nodes) {
        for (const b of plan.nodes.filter((node) => node !== a)) {
            const from = probeOf(a);
            const to = probeOf(b);
            const ip = ipOf(to);
            const probe: ProbeSpec | undefined = ip ? { kind: "http", ip, port: PROBE_PORT, path: "/" } : undefined;
            add(
                CheckGroup.PodAcrossNodes,
                `${a.name} ${from.name} → ${b.name} ${to.name} ${ip ?? ""}`.trim(),
                sourceOf(from),
                probe ? [probe] : [],
                probe
                    ? { kind: "answer", responders: [{ pod: to.name, namespace: to.namespace, port: PROBE_PORT }] }
                    : unreachable(to),
            );
        }
    }
    for (const node of plan.nodes) {
        const from = probeOf(node);
        add(
            CheckGroup.PodEgress,
            `${from.name} → client ${plan.client.ip}:${CLIENT_PORT_NUMBER}`,
            sourceOf(from),
            [{ kind: "http", ip: plan.client.ip, port: CLIENT_PORT_NUMBER, path: "/" }],
            {
                kind: "answer",
                responders: [{ pod: CLIENT_LABEL, namespace: CLIENT_LABEL, port: CLIENT_PORT_NUMBER }],
                seenFrom: node.ip,
            },
        );
    }
    for (const service of plan.services.filter(
        (item) => item.selector !== undefined && Object.keys(item.selector).length > 0 && !isDnsService(item),
    )) {
        for (const port of service.ports) {
            const endpoints: readonly Endpoint[] = state.endpoints[port.id] ?? [];
            const { responders, why, refused } = answering(
                state,
                service.namespace,
                endpoints,
                port.protocol,
                state.noEndpoints[port.id],
            );
            if (port.protocol === "SCTP") {
                continue;
            }
            const probeFor = (ip: string, number: number): ProbeSpec =>
                port.protocol === "UDP"
                    ? { kind: "udp", ip, port: number }
                    : { kind: "http", ip, port: number, path: "/" };
            // Every endpoint must answer through each path: a missing DNAT rule otherwise falls through to the next.
            const every: Expectation = {
                kind: "answer",
                responders,
                why,
                mustSee: responders,
                ...(refused ? { refused } : {}),
            };
            if (service.clusterIP !== null) {
                for (const node of plan.nodes) {
                    const from = probeOf(node);
                    add(
                        CheckGroup.PodService,
                        `${from.name} → ${port.id} ${service.clusterIP}:${port.port}/${port.protocol}`,
                        sourceOf(from),
                        [probeFor(service.clusterIP, port.port)],
                        every,
                        { from: from.key, to: `${service.clusterIP}:${port.port}` },
                    );
                }
                for (const endpoint of endpoints) {
                    const self = plan.pods.find(
                        (pod) => pod.namespace === service.namespace && pod.name === endpoint.pod,
                    );
                    if (!self) {
                        continue;
                    }
                    const me = { pod: endpoint.pod, namespace: service.namespace, port: endpoint.port };
                    add(
                        CheckGroup.Hairpin,
                        `${self.key} → ${port.id} ${service.clusterIP}:${port.port}/${port.protocol} → itself`,
                        sourceOf(self),
                        [probeFor(service.clusterIP, port.port)],
                        {
                            kind: "answer",
                            responders,
                            why,
                            ...(refused ? { refused } : {}),
                            // A refused endpoint (its image does not listen there) cannot answer itself either.
                            mustSee: responders.some((item) => item.pod === me.pod && item.port === me.port)
                                ? [me]
                                : [],
                        },
                        { from: self.key, to: `${service.clusterIP}:${port.port}` },
                    );
                }
                for (const node of plan.nodes) {
                    add(
                        CheckGroup.NodeService,
                        `${node.name} → ${port.id} ${service.clusterIP}:${port.port}/${port.protocol}`,
                        { netns: node.netns, label: node.name },
                        [probeFor(service.clusterIP, port.port)],
                        every,
                        { from: node.name, to: `${service.clusterIP}:${port.port}` },
                    );
                }
            }
            if (port.nodePort !== undefined) {
                for (const node of plan.nodes) {
                    add(
                        CheckGroup.LanNodePort,
                        `client → ${node.name} ${node.ip}:${port.nodePort}/${port.protocol} (${port.id})`,
                        { netns: plan.client.netns, label: CLIENT_LABEL },
                        [probeFor(node.ip, port.nodePort)],
                        every,
                    );
                }
                // kube-proxy's nftables mode does not (and will not) serve NodePorts on 127.0.0.1 (KEP-3866):
                // only iptables mode sets route_localnet for them.
                const localhostNodePorts = plan.kubeProxyMode !== "nftables";
                for (const node of localhostNodePorts ? plan.nodes : []) {
                    add(
                        CheckGroup.NodeLocalNodePort,
                        `${node.name} → 127.0.0.1:${port.nodePort}/${port.protocol} (${port.id})`,
                        { netns: node.netns, label: node.name },
                        [probeFor("127.0.0.1", port.nodePort)],
                        every,
                    );
                }
            }
        }
    }
    for (const pod of plan.pods) {
        for (const mapping of pod.portMappings) {
            const node = plan.nodes.find((item) => item.name === pod.node)!;
            const probe: ProbeSpec =
                mapping.protocol === "UDP"
                    ? { kind: "udp", ip: node.ip, port: mapping.hostPort }
                    : { kind: "http", ip: node.ip, port: mapping.hostPort, path: "/" };
            add(
                CheckGroup.LanHostPort,
                `client → ${node.name} ${node.ip}:${mapping.hostPort}/${mapping.protocol} (${pod.key})`,
                { netns: plan.client.netns, label: CLIENT_LABEL },
                [probe],
                {
                    kind: "answer",
                    // nginx's default config refuses a hostPort mapped to any port but 80.
                    ...answering(
                        state,
                        pod.namespace,
                        [
                            {
                                pod: pod.name,
                                node: pod.node,
                                ip: state.pods[pod.key]?.ip ?? "",
                                port: mapping.containerPort,
                            },
                        ],
                        mapping.protocol,
                        undefined,
                    ),
                },
            );
        }
    }
    planDnsChecks(state, add, probeOf, sourceOf);
    plan.controllers.forEach((controller, index) => {
        const requests = ingressRequests(controller.table);
        const controllerResponders = plan.pods
            .filter((pod) => controller.pods.includes(pod.key) && state.pods[pod.key]?.ready)
            .map((pod) => ({ pod: pod.name, namespace: pod.namespace, port: controller.httpPort }));
        [...requests, { host: UNKNOWN_HOST, path: "/", boundary: false }].forEach((item, turn) => {
            const entry = entryFor(state, controller, index + turn);
            const decision = decideRoute(controller.table, item.host, item.path);
            const group =
                item.host === UNKNOWN_HOST
                    ? CheckGroup.UnknownHost
                    : item.boundary
                      ? CheckGroup.IngressBoundary
                      : CheckGroup.LanIngress;
            let expect: Expectation;
            let target: string;
            if (decision.kind === "backend" && decision.route.backend) {
                const backend = backendResponders(state, decision.route.backend);
                const status = backendStatus(state, backend.responders, item.path);
                expect = {
                    kind: "answer",
                    responders: backend.responders,
                    ...(status !== undefined ? { status } : {}),
                    why: backend.why,
                };
                target = backend.label;
            } else if (decision.kind === "backend") {
                expect = {
                    kind: "answer",
                    responders: [],
                    why: `${decision.route.ingress} routes ${decision.route.path} to a backend that is not a Service`,
                };
                target = "non-Service backend";
            } else {
                expect = {
                    kind: "answer",
                    responders: controllerResponders,
                    status: 404,
                    why: "the controller is not Ready",
                };
                target = "404";
            }
            if ("why" in entry) {
                add(
                    group,
                    `client → http://${item.host}${item.path} → ${target}`,
                    { netns: plan.client.netns, label: CLIENT_LABEL },
                    [],
                    { kind: "answer", responders: [], why: entry.why },
                );
                return;
            }
            add(
                group,
                `${entry.source.label} → http://${item.host}${item.path} via ${entry.via} → ${target}`,
                entry.source,
                [{ kind: "http", ip: entry.ip, port: entry.port, path: item.path, host: item.host }],
                expect,
            );
            if (controller.controller !== Controller.IngressNginx) {
                controllerNotes.set(cases[cases.length - 1]!.id, controllerModelled(controller));
            }
        });
    });
    for (const unserved of plan.unserved) {
        for (const block of unserved.hosts) {
            for (const route of block.paths) {
                add(
                    CheckGroup.LanIngress,
                    `client → http://${block.host || "*"}${route.path} (Ingress ${unserved.ingress})`,
                    { netns: plan.client.netns, label: CLIENT_LABEL },
                    [],
                    { kind: "answer", responders: [], why: unserved.reason },
                );
            }
        }
    }
    plan.nodes.forEach((node, index) => {
        const from = probeOf(node);
        const peerNode = plan.nodes[(index + 1) % plan.nodes.length]!;
        const peer = peerNode === node ? undefined : probeOf(peerNode);
        const ip = peer ? ipOf(peer) : node.gateway;
        const mtu = plan.flannel.podMtu;
        const label = peer ? `${peer.name}@${peerNode.name}` : `cni0 ${node.gateway}`;
        // The pod's own eth0 has the pod MTU and would refuse one byte more itself, proving nothing about the
        // path: that probe leaves from the node, whose route to the peer's subnet is flannel.1 over the LAN link.
        // With one node there is no path: the pod's refusal is all there is to see.
        const over = { kind: "ping", ip: ip ?? "", size: mtu - 27 } as const;
        add(
            CheckGroup.PodMtu,
            `${from.name} → ${label} ${ip ?? ""}`.trim(),
            sourceOf(from),
            ip ? [{ kind: "ping", ip, size: mtu - 28 }, peer ? { netns: node.netns, probe: over } : over] : [],
            ip ? { kind: "mtu", mtu, ...(peer ? { overFrom: node.name } : {}) } : unreachable(peer!),
        );
    });
    return cases.map((check) => {
        const notes = modelledOn(state, check, controllerNotes.get(check.id));
        return notes.length > 0 ? { ...check, modelled: notes } : check;
    });
}

/**
 * The status an Ingress request must get from these backends: real nginx answers its default server's status for
 * the path (404 below `/`); a stand-in answers 200 on every path; mixed backends, either.
 */
function backendStatus(state: LabState, responders: readonly Responder[], path: string): number | undefined {
    const real = responders.map(
        (responder) =>
            state.plan.pods.find((pod) => pod.namespace === responder.namespace && pod.name === responder.pod)?.nginx
                ?.port === responder.port,
    );
    if (real.every(Boolean) && real.length > 0) {
        return nginxDefaultStatus(path);
    }
    return real.some(Boolean) ? undefined : 200;
}

function controllerModelled(controller: LabController): string {
    return `${controller.controller} is served by nginx with the same routes (${controller.pods.join(", ")})`;
}

/** What a case's answer comes from that the lab models rather than runs. */
function modelledOn(state: LabState, check: CheckCase, controllerNote: string | undefined): string[] {
    const notes: string[] = [];
    const { plan } = state;
    if (controllerNote) {
        notes.push(controllerNote);
    }
    const dnsPod = plan.dns ? plan.dns.pod : undefined;
    const viaDns =
        check.group === CheckGroup.Dns ||
        check.group === CheckGroup.DnsName ||
        (dnsPod !== undefined && check.group === CheckGroup.PodSameNode && check.path.includes(` → ${dnsPod} `));
    if (viaDns) {
        notes.push("cluster DNS: dnsmasq answers for CoreDNS, from the lab's records of the Services");
    }
    if (check.group === CheckGroup.PodAcrossNodes && plan.flannel.directRouting) {
        notes.push("flannel's DirectRouting: built as plain vxlan (the route goes through flannel.1)");
    }
    if (check.expect.kind === "answer") {
        for (const responder of check.expect.responders) {
            const pod = plan.pods.find((item) => item.namespace === responder.namespace && item.name === responder.pod);
            const standIn =
                pod?.standInFor !== undefined &&
                (pod.serve.tcp.includes(responder.port) || pod.serve.udp.includes(responder.port));
            if (standIn) {
                notes.push(
                    `a stand-in answers for ${pod.standInFor.join(", ")} (${pod.owner}): every declared port, with its pod's name`,
                );
            }
            const controller = plan.controllers.find((item) => pod !== undefined && item.pods.includes(pod.key));
            if (
                controller &&
                controller.controller !== Controller.IngressNginx &&
                responder.port === controller.httpPort
            ) {
                notes.push(controllerModelled(controller));
            } else if (
                pod?.role === PodRole.IngressController &&
                (pod.serve.tcp.includes(responder.port) || pod.serve.udp.includes(responder.port))
            ) {
                notes.push(`a stand-in answers the Ingress controller's ports other than nginx's (${pod.owner})`);
            }
        }
    }
    return [...new Set(notes)];
}

function isDnsService(service: PlannedService): boolean {
    return service.namespace === DNS_NAMESPACE && service.name === DNS_SERVICE_NAME;
}

type AddCase = (
    group: CheckGroup,
    path: string,
    source: CheckCase["source"],
    probes: ProbeSpec[],
    expect: Expectation,
    diagnose?: CheckCase["diagnose"],
) => void;

/**
 * The cluster DNS rows: the DNS Service answers from every node (UDP and TCP 53 through kube-proxy), each Service's
 * A record (the cluster IP; a headless Service's ready pod IPs) and SRV records for named ports, and pods reach a
 * Service by its short (same namespace), namespaced and full names through their resolv.conf.
 */
function planDnsChecks(
    state: LabState,
    add: AddCase,
    probeOf: (node: LabNode) => LabPod,
    sourceOf: (pod: LabPod) => CheckCase["source"],
): void {
    const { plan } = state;
    const dns = plan.dns;
    if (!dns) {
        return;
    }
    const services = plan.services.filter((service) => !isDnsService(service));
    const records = dnsRecords(services, state.endpoints, dns.domain);
    const first = services.find((service) => records.a[serviceName(service, dns.domain)] !== undefined);
    for (const node of plan.nodes) {
        const from = probeOf(node);
        if (first) {
            const name = serviceName(first, dns.domain);
            add(
                CheckGroup.Dns,
                `${from.name} → kube-dns ${dns.ip}:53/UDP: ${name} A`,
                sourceOf(from),
                [{ kind: "dns", ip: dns.ip, name, type: "A" }],
                { kind: "records", records: [...records.a[name]!].sort() },
            );
        }
        add(
            CheckGroup.Dns,
            `${from.name} → kube-dns ${dns.ip}:53/TCP`,
            sourceOf(from),
            [{ kind: "tcp", ip: dns.ip, port: 53 }],
            { kind: "connect" },
        );
    }
    const probe = probeOf(plan.nodes[0]!);
    for (const service of services) {
        const name = serviceName(service, dns.domain);
        const a = records.a[name];
        if (a !== undefined && service !== first) {
            add(
                CheckGroup.Dns,
                `${probe.name} → kube-dns: ${name} A${service.clusterIP === null ? " (headless: one per ready pod)" : ""}`,
                sourceOf(probe),
                [{ kind: "dns", ip: dns.ip, name, type: "A" }],
                { kind: "records", records: [...a].sort() },
            );
        }
        for (const port of service.ports.filter((item) => item.name !== "")) {
            const srv = records.srv[srvName(service, port, dns.domain)];
            if (srv) {
                add(
                    CheckGroup.Dns,
                    `${probe.name} → kube-dns: ${srvName(service, port, dns.domain)} SRV`,
                    sourceOf(probe),
                    [{ kind: "dns", ip: dns.ip, name: srvName(service, port, dns.domain), type: "SRV" }],
                    { kind: "records", records: [`${srv.target}:${srv.port}`] },
                );
            }
        }
        const port = service.ports.find((item) => item.protocol === "TCP");
        if (service.clusterIP === null || !port || !service.selector) {
            continue;
        }
        const { responders, why } = answering(
            state,
            service.namespace,
            state.endpoints[port.id] ?? [],
            port.protocol,
            state.noEndpoints[port.id],
        );
        const expect: Expectation = { kind: "answer", responders, why };
        const neighbour = plan.pods.find(
            (pod) => pod.namespace === service.namespace && pod.resolvConf !== undefined && state.pods[pod.key]?.ip,
        );
        const names: Array<[LabPod | undefined, string]> = [
            [neighbour, service.name],
            [probe, `${service.name}.${service.namespace}`],
            [probe, name],
        ];
        for (const [from, host] of names) {
            if (from) {
                add(
                    CheckGroup.DnsName,
                    `${from.key} → http://${host}:${port.port}/ (${port.id})`,
                    sourceOf(from),
                    [{ kind: "http", ip: host, port: port.port, path: "/" }],
                    expect,
                    { from: from.key, to: `${host}:${port.port}` },
                );
            }
        }
    }
}

export interface CheckRow {
    readonly id: string;
    readonly group: CheckGroup;
    readonly path: string;
    readonly expected: string;
    readonly got: string;
    readonly ok: boolean;
    readonly diagnose?: CheckCase["diagnose"];
    /** What on this path the lab models rather than runs; absent: everything on it runs for real. */
    readonly modelled?: readonly string[];
}

function resultText(result: ProbeResult | undefined): string {
    if (!result) {
        return "not run";
    }
    if (!result.ok) {
        return result.error ?? "failed";
    }
    const answer = parseAnswer(result.body ?? "");
    const who =
        answer.pod !== undefined
            ? `${answer.pod}:${answer.port ?? "?"}`
            : JSON.stringify((result.body ?? "").slice(0, 60));
    return [
        who,
        result.status !== undefined ? `HTTP ${result.status}` : undefined,
        answer.from !== undefined ? `from ${answer.from}` : undefined,
    ]
        .filter(Boolean)
        .join(", ");
}

function dnsError(error: string | undefined): string {
    const meaning: Record<string, string> = {
        ENOTFOUND: "NXDOMAIN: no such name",
        ETIMEOUT: "no answer from the DNS server",
        ECONNREFUSED: "refused: nothing answers DNS there",
        ENODATA: "no records of that type",
    };
    return error === undefined ? "not run" : `${error}${meaning[error] ? ` (${meaning[error]})` : ""}`;
}

/** Judges one case from its probes' results. */
export function evaluate(check: CheckCase, results: ReadonlyMap<string, ProbeResult>): CheckRow {
    const base = {
        id: check.id,
        group: check.group,
        path: check.path,
        expected: expectationText(check.expect),
        ...(check.diagnose ? { diagnose: check.diagnose } : {}),
        ...(check.modelled ? { modelled: check.modelled } : {}),
    };
    const first = check.probes[0] ? results.get(check.probes[0].id) : undefined;
    if (check.expect.kind === "mtu") {
        const big = first;
        const over = check.probes[1] ? results.get(check.probes[1].id) : undefined;
        // A timeout is no refusal: the path must say the packet is too big (local EMSGSIZE or ICMP Frag needed).
        const refused =
            over !== undefined &&
            !over.ok &&
            (!check.expect.overFrom || PATH_REFUSAL.test(`${over.error ?? ""}\n${over.body ?? ""}`));
        const ok = big?.ok === true && refused;
        const overText = over?.ok
            ? "passed"
            : `${refused || !over ? "refused" : "lost, not refused"} (${over?.error ?? "not run"})`;
        const got = `${check.expect.mtu} B ${big?.ok ? "passed" : `failed (${big?.error ?? "not run"})`}; ${check.expect.mtu + 1} B ${overText}`;
        return { ...base, ok, got };
    }
    if (check.expect.kind === "records") {
        const got = first?.ok ? first.body || "no records" : dnsError(first?.error);
        return { ...base, ok: first?.ok === true && first.body === check.expect.records.join(","), got };
    }
    if (check.expect.kind === "connect") {
        return { ...base, ok: first?.ok === true, got: first?.ok ? "connected" : (first?.error ?? "not run") };
    }
    const expect = check.expect;
    if (check.group === CheckGroup.DnsName && first && !first.ok && /\(DNS\)/.test(first.error ?? "")) {
        return { ...base, ok: false, got: `${first.error}: is the cluster DNS (kube-system/kube-dns) answering?` };
    }
    if (first?.spread) {
        return { ...base, ...judgeSpread(expect, first) };
    }
    const got = check.probes.length === 0 ? "not probed" : resultText(first);
    if (expect.refused && expect.responders.length === 0) {
        return { ...base, ok: first !== undefined && !first.ok && /ECONNREFUSED/.test(first.error ?? ""), got };
    }
    if (!first?.ok || expect.responders.length === 0) {
        return { ...base, ok: false, got };
    }
    const answer = parseAnswer(first.body ?? "");
    const matches = expect.responders.some(
        (responder) =>
            responder.pod === answer.pod && responder.namespace === answer.namespace && responder.port === answer.port,
    );
    const statusOk = expect.status === undefined || first.status === expect.status;
    const fromOk = expect.seenFrom === undefined || answer.from === expect.seenFrom;
    return { ...base, ok: matches && statusOk && fromOk, got };
}

/** A repeated probe: every request answered, only by the expected responders, each one that must answer did. */
function judgeSpread(
    expect: Extract<Expectation, { kind: "answer" }>,
    result: ProbeResult,
): { ok: boolean; got: string } {
    const spread = result.spread!;
    const allowed = new Set(expect.responders.map(keyOf));
    const short = (key: string): string => key.slice(key.indexOf("/") + 1);
    const seen = Object.entries(spread.seen)
        .map(([key, count]) => `${short(key)} ×${count}`)
        .join(", ");
    const problems: string[] = [];
    const never = (expect.mustSee ?? []).filter((responder) => spread.seen[keyOf(responder)] === undefined);
    if (never.length > 0) {
        problems.push(`${never.map((item) => `${item.pod}:${item.port}`).join(", ")} never answered`);
    }
    const strangers = Object.keys(spread.seen).filter((key) => !allowed.has(key));
    if (strangers.length > 0) {
        problems.push(`unexpected answer from ${strangers.map(short).join(", ")}`);
    }
    if (spread.failures.length > 0) {
        problems.push(`${spread.failures.length} failed (${[...new Set(spread.failures)].join("; ")})`);
    }
    const statusOk = expect.status === undefined || result.status === expect.status;
    if (!statusOk) {
        problems.push(`HTTP ${result.status}`);
    }
    const got = `${seen || "no answer"} in ${spread.tries} tries${problems.length > 0 ? `; ${problems.join("; ")}` : ""}`;
    return { ok: expect.responders.length > 0 && problems.length === 0, got };
}

function pad(text: string, width: number): string {
    return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** The notes of what the rows' paths model rather than run, numbered in order of first use. */
export function modelledLegend(rows: readonly CheckRow[]): string[] {
    return [...new Set(rows.flatMap((row) => row.modelled ?? []))];
}

/**
 * The matrix as an aligned table, one row per path. A row whose answer comes from something the lab models rather
 * than runs ends with `modelled [n]`, explained under the table: its pass proves the network path, not that software.
 */
export function formatTable(rows: readonly CheckRow[]): string {
    const legend = modelledLegend(rows);
    const header = { result: "RESULT", group: "CHECK", path: "PATH", expected: "EXPECTED", got: "GOT", modelled: "" };
    const cells = rows.map((row) => ({
        result: row.ok ? "pass" : "FAIL",
        group: row.group,
        path: row.path,
        expected: row.expected,
        got: row.got,
        modelled:
            row.modelled && row.modelled.length > 0
                ? `modelled [${row.modelled.map((note) => legend.indexOf(note) + 1).join(",")}]`
                : "",
    }));
    const all = [header, ...cells];
    const width = (key: keyof typeof header): number => Math.max(...all.map((cell) => cell[key].length));
    const widths = {
        result: width("result"),
        group: width("group"),
        path: width("path"),
        expected: width("expected"),
        got: legend.length > 0 ? width("got") : 0,
    };
    const lines = all.map((cell) =>
        [
            pad(cell.result, widths.result),
            pad(cell.group, widths.group),
            pad(cell.path, widths.path),
            pad(cell.expected, widths.expected),
            pad(cell.got, widths.got),
            cell.modelled,
        ]
            .join("  ")
            .trimEnd(),
    );
    if (legend.length > 0) {
        lines.push(
            "",
            "modelled, not run (such a row proves the network path, not the software that answers):",
            ...legend.map((note, index) => `  [${index + 1}] ${note}`),
        );
    }
    return `${lines.join("\n")}\n`;
}
