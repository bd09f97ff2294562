/**
 * Services as kube-proxy's iptables mode builds them: cluster IPs and node ports (pinned, else allocated as the
 * API server would, deterministically here), endpoints (Ready pods matched by the selector, named target ports
 * resolved per pod), and the KUBE-* chains. Pure data.
 */
import { createHash } from "node:crypto";
import { Problem } from "../components/common";
import { addressAt, cidrContainsAddress, cidrSize, formatAddress, parseAddress, parseCidr } from "../components/plan";
import { IptablesRule, IptablesTable, Table } from "./iptables";
import { ContainerPort, Protocol, ServiceModel, ServicePortModel } from "./model";

export interface PlannedServicePort extends ServicePortModel {
    /** kube-proxy's name for it: `namespace/name:port` (`namespace/name` for an unnamed port). */
    readonly id: string;
}

export interface PlannedService {
    readonly namespace: string;
    readonly name: string;
    readonly type: string;
    /** null for a headless Service (no kube-proxy rules). */
    readonly clusterIP: string | null;
    readonly selector?: Readonly<Record<string, string>>;
    readonly ports: readonly PlannedServicePort[];
}

// The lab reads the rendered objects on its own, without components/rules: it is the test oracle of the components,
// so these few numbers and the range parser are stated here a second time on purpose.
export const DEFAULT_NODE_PORT_RANGE = "30000-32767";
const KUBERNETES_SERVICE_INDEX = 1n;
const DNS_SERVICE_INDEX = 10n;

export function servicePortId(namespace: string, name: string, portName: string): string {
    return `${namespace}/${name}${portName === "" ? "" : `:${portName}`}`;
}

function parseRange(range: string): [number, number] {
    const match = /^(\d+)-(\d+)$/.exec(range);
    if (!match || Number(match[1]) > Number(match[2])) {
        throw new Error(`bad node port range ${JSON.stringify(range)}: expected LOW-HIGH`);
    }
    return [Number(match[1]), Number(match[2])];
}

/**
 * Gives every Service its cluster IP and every NodePort/LoadBalancer port its node port: pinned values first, then
 * the lowest free ones in manifest order (cluster IPs skip the `kubernetes` (.1) and DNS (.10) addresses).
 */
export function planServices(
    services: readonly ServiceModel[],
    serviceCidr: string,
    nodePortRange: string = DEFAULT_NODE_PORT_RANGE,
): { services: PlannedService[]; problems: Problem[] } {
    const problems: Problem[] = [];
    const cidr = parseCidr(serviceCidr);
    if (!cidr.ok) {
        return { services: [], problems: [{ key: `service CIDR ${serviceCidr}`, message: cidr.problems[0]!.message }] };
    }
    const [lowPort, highPort] = parseRange(nodePortRange);
    const usedIps = new Set<bigint>([
        cidr.value.start + KUBERNETES_SERVICE_INDEX,
        cidr.value.start + DNS_SERVICE_INDEX,
    ]);
    const usedNodePorts = new Set<string>();
    const where = (service: ServiceModel): string => `Service ${service.namespace}/${service.name}`;
    for (const service of services) {
        if (service.clusterIP !== undefined && service.clusterIP !== "None" && service.clusterIP !== "") {
            const address = parseAddress(service.clusterIP);
            if (!address.ok || !cidrContainsAddress(cidr.value, address.value.family, address.value.value)) {
                problems.push({
                    key: "",
                    message: `${where(service)} spec.clusterIP ${service.clusterIP} is not inside the service CIDR ${serviceCidr}`,
                });
            } else if (usedIps.has(address.value.value)) {
                problems.push({
                    key: "",
                    message: `${where(service)} spec.clusterIP ${service.clusterIP} is already taken`,
                });
            } else {
                usedIps.add(address.value.value);
            }
        }
        for (const port of service.ports) {
            if (port.nodePort !== undefined) {
                const key = `${port.protocol}/${port.nodePort}`;
                if (port.nodePort < lowPort || port.nodePort > highPort) {
                    problems.push({
                        key: "",
                        message: `${where(service)} port ${port.name || port.port} nodePort ${port.nodePort} is outside the node port range ${nodePortRange}`,
                    });
                }
                if (usedNodePorts.has(key)) {
                    problems.push({
                        key: "",
                        message: `${where(service)} nodePort ${port.nodePort}/${port.protocol} is already taken`,
                    });
                }
                usedNodePorts.add(key);
            }
        }
    }
    let nextIndex = 2n;
    const allocateIp = (): string => {
        while (usedIps.has(cidr.value.start + nextIndex)) {
            nextIndex++;
        }
        if (nextIndex >= cidrSize(cidr.value) - 1n) {
            throw new Error(`the service CIDR ${serviceCidr} is full`);
        }
        const address = addressAt(cidr.value, nextIndex);
        usedIps.add(address);
        return formatAddress(cidr.value.family, address);
    };
    let nextNodePort = lowPort;
    const allocateNodePort = (protocol: Protocol): number => {
        while (usedNodePorts.has(`${protocol}/${nextNodePort}`)) {
            nextNodePort++;
        }
        usedNodePorts.add(`${protocol}/${nextNodePort}`);
        return nextNodePort;
    };
    const planned = services.map((service): PlannedService => {
        const headless = service.clusterIP === "None";
        const withNodePorts = service.type === "NodePort" || service.type === "LoadBalancer";
        return {
            namespace: service.namespace,
            name: service.name,
            type: service.type,
            clusterIP: headless
                ? null
                : service.clusterIP && service.clusterIP !== ""
                  ? service.clusterIP
                  : allocateIp(),
            selector: service.selector,
            ports: service.ports.map((port) => ({
                ...port,
                id: servicePortId(service.namespace, service.name, port.name),
                nodePort: withNodePorts && !headless ? (port.nodePort ?? allocateNodePort(port.protocol)) : undefined,
            })),
        };
    });
    return { services: planned, problems };
}

/** A pod as the endpoints controller sees it. */
export interface PodView {
    readonly namespace: string;
    readonly name: string;
    readonly node: string;
    readonly ip: string | null;
    readonly ready: boolean;
    readonly labels: Readonly<Record<string, string>>;
    readonly ports: readonly ContainerPort[];
}

export interface Endpoint {
    readonly pod: string;
    readonly node: string;
    readonly ip: string;
    readonly port: number;
}

export function selects(
    selector: Readonly<Record<string, string>> | undefined,
    labels: Readonly<Record<string, string>>,
): boolean {
    return (
        selector !== undefined &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([key, value]) => labels[key] === value)
    );
}

/** The port a pod serves a Service port on: a number as is; a name only when a container declares it (same protocol). */
export function resolveTargetPort(port: ServicePortModel, pod: Pick<PodView, "ports">): number | undefined {
    if (typeof port.targetPort === "number") {
        return port.targetPort;
    }
    return pod.ports.find((declared) => declared.name === port.targetPort && declared.protocol === port.protocol)
        ?.containerPort;
}

/** The endpoints of one Service port: Ready pods in its namespace matched by its selector that have the target port. */
export function endpointsOf(service: PlannedService, port: ServicePortModel, pods: readonly PodView[]): Endpoint[] {
    const endpoints: Endpoint[] = [];
    for (const pod of pods) {
        if (
            pod.namespace !== service.namespace ||
            !selects(service.selector, pod.labels) ||
            !pod.ready ||
            pod.ip === null
        ) {
            continue;
        }
        const target = resolveTargetPort(port, pod);
        if (target !== undefined) {
            endpoints.push({ pod: pod.name, node: pod.node, ip: pod.ip, port: target });
        }
    }
    return endpoints.sort((a, b) => compareAddresses(a.ip, b.ip) || a.port - b.port);
}

function compareAddresses(a: string, b: string): number {
    const value = (address: string): number => address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
    return value(a) - value(b);
}

/** Why a Service port has no endpoints, in words. */
export function noEndpointsReason(service: PlannedService, port: ServicePortModel, pods: readonly PodView[]): string {
    if (!service.selector || Object.keys(service.selector).length === 0) {
        return "the Service has no selector (its endpoints are managed by hand, which the lab does not model)";
    }
    const selector = Object.entries(service.selector)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
    const selected = pods.filter((pod) => pod.namespace === service.namespace && selects(service.selector, pod.labels));
    if (selected.length === 0) {
        return `no pod in namespace ${service.namespace} matches the selector ${selector}`;
    }
    const ready = selected.filter((pod) => pod.ready);
    if (ready.length === 0) {
        return `${selected.length} pod(s) match ${selector} but none is Ready`;
    }
    if (typeof port.targetPort === "string") {
        return `no Ready pod matching ${selector} declares a ${port.protocol} container port named "${port.targetPort}" (targetPort of port ${port.name || port.port})`;
    }
    return "no endpoints";
}

/** kube-proxy's chain-name hash: base32(sha256(text)) cut to 16 characters. */
export function chainHash(text: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const bytes = createHash("sha256").update(text).digest();
    let bits = 0;
    let value = 0;
    let out = "";
    for (const byte of bytes) {
        value = ((value << 8) | byte) & 0xffff;
        bits += 8;
        while (bits >= 5 && out.length < 16) {
            out += alphabet[(value >>> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    return out.slice(0, 16);
}

export function serviceChain(port: PlannedServicePort): string {
    return `KUBE-SVC-${chainHash(port.id + port.protocol.toLowerCase())}`;
}
export function externalChain(port: PlannedServicePort): string {
    return `KUBE-EXT-${chainHash(port.id + port.protocol.toLowerCase())}`;
}
export function endpointChain(port: PlannedServicePort, endpoint: Endpoint): string {
    return `KUBE-SEP-${chainHash(port.id + port.protocol.toLowerCase() + `${endpoint.ip}:${endpoint.port}`)}`;
}

export const MASQUERADE_MARK = "0x4000";
/** kubelet's filter chain that keeps 127/8 for local processes once route_localnet is on. */
export const KUBELET_FIREWALL_CHAIN = "KUBE-FIREWALL";
/** The sysctl kube-proxy sets so that 127.0.0.1:<nodePort> works (its default --iptables-localhost-nodeports). */
export const KUBE_PROXY_SYSCTLS: Readonly<Record<string, string>> = { "net.ipv4.conf.all.route_localnet": "1" };

/** kubelet's canary: it recreates its chains when this one disappears from any of these tables. */
export const KUBELET_CANARY_CHAIN = "KUBE-KUBELET-CANARY";
/** kubelet's hint that tells other components which iptables backend (legacy or nft) the node uses. */
export const KUBELET_HINT_CHAIN = "KUBE-IPTABLES-HINT";
/**
 * The KUBE-* chains that are kubelet's, not kube-proxy's. kube-proxy's cleanup of its iptables mode (on start in
 * nftables or ipvs mode) leaves them alone: upstream's CleanupLeftovers unlinks and deletes only its own chains.
 */
export const KUBELET_CHAINS: ReadonlySet<string> = new Set([
    KUBELET_FIREWALL_CHAIN,
    KUBELET_CANARY_CHAIN,
    KUBELET_HINT_CHAIN,
]);

/**
 * kubelet's iptables rules on every node, whatever kube-proxy's mode (pkg/kubelet/kubelet_network_linux.go): the
 * hint chain, the canary it monitors in mangle, nat and filter, and KUBE-FIREWALL, jumped to from the top of INPUT
 * and OUTPUT, which drops connections to 127/8 from elsewhere (route_localnet, which kube-proxy's iptables mode turns
 * on for localhost node ports, would otherwise let them in).
 */
export function kubeletRules(): IptablesTable[] {
    return [
        { table: Table.Mangle, chains: [KUBELET_HINT_CHAIN, KUBELET_CANARY_CHAIN], rules: [] },
        { table: Table.Nat, chains: [KUBELET_CANARY_CHAIN], rules: [] },
        {
            table: Table.Filter,
            chains: [KUBELET_FIREWALL_CHAIN, KUBELET_CANARY_CHAIN],
            rules: [
                { chain: "INPUT", args: ["-j", KUBELET_FIREWALL_CHAIN], insert: true },
                { chain: "OUTPUT", args: ["-j", KUBELET_FIREWALL_CHAIN], insert: true },
                {
                    chain: KUBELET_FIREWALL_CHAIN,
                    args: [
                        "!",
                        "-s",
                        "127.0.0.0/8",
                        "-d",
                        "127.0.0.0/8",
                        ...comment("block incoming localnet connections"),
                        "-m",
                        "conntrack",
                        "!",
                        "--ctstate",
                        "RELATED,ESTABLISHED,DNAT",
                        "-j",
                        "DROP",
                    ],
                },
            ],
        },
    ];
}

function protocolMatch(protocol: Protocol, destinationPort: number): string[] {
    const name = protocol.toLowerCase();
    return ["-p", name, "-m", name, "--dport", String(destinationPort)];
}
function comment(text: string): string[] {
    // The comment match holds at most 255 characters.
    return ["-m", "comment", "--comment", text.slice(0, 255)];
}

/**
 * kube-proxy's iptables rules for these Services, the same on every node: nat KUBE-SERVICES → KUBE-SVC-* (random
 * balancing over KUBE-SEP-* DNAT chains), KUBE-NODEPORTS → KUBE-EXT-* (mark for masquerade), KUBE-MARK-MASQ and
 * KUBE-POSTROUTING; filter REJECT rules for ports without endpoints and KUBE-FORWARD. `clusterCidr` is
 * kube-proxy's --cluster-cidr: cluster-IP traffic from outside it is masqueraded.
 */
export function kubeProxyRules(
    services: readonly PlannedService[],
    endpoints: ReadonlyMap<string, readonly Endpoint[]>,
    clusterCidr: string,
): IptablesTable[] {
    const natChains = ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"];
    const newOnly = ["-m", "conntrack", "--ctstate", "NEW"];
    // kube-proxy puts its jumps at the top of the built-in chains (iptables -I), after kubelet put KUBE-FIREWALL
    // there: on a real node they come before FLANNEL-FWD and the CNI plugins' rules, whatever started first.
    const jump = (chain: string, match: readonly string[], text: string, target: string): IptablesRule => ({
        chain,
        args: [...match, ...comment(text), "-j", target],
        insert: true,
    });
    const nat: IptablesRule[] = [
        jump("PREROUTING", [], "kubernetes service portals", "KUBE-SERVICES"),
        jump("OUTPUT", [], "kubernetes service portals", "KUBE-SERVICES"),
        jump("POSTROUTING", [], "kubernetes postrouting rules", "KUBE-POSTROUTING"),
        {
            chain: "KUBE-POSTROUTING",
            args: ["-m", "mark", "!", "--mark", `${MASQUERADE_MARK}/${MASQUERADE_MARK}`, "-j", "RETURN"],
        },
        { chain: "KUBE-POSTROUTING", args: ["-j", "MARK", "--xor-mark", MASQUERADE_MARK] },
        {
            chain: "KUBE-POSTROUTING",
            args: [...comment("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE", "--random-fully"],
        },
        { chain: "KUBE-MARK-MASQ", args: ["-j", "MARK", "--or-mark", MASQUERADE_MARK] },
    ];
    const filterChains = [
        "KUBE-PROXY-FIREWALL",
        "KUBE-NODEPORTS",
        "KUBE-SERVICES",
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FORWARD",
    ];
    const filter: IptablesRule[] = [
        jump("INPUT", newOnly, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("INPUT", [], "kubernetes health check service ports", "KUBE-NODEPORTS"),
        jump("INPUT", newOnly, "kubernetes externally-visible service portals", "KUBE-EXTERNAL-SERVICES"),
        jump("FORWARD", newOnly, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("FORWARD", [], "kubernetes forwarding rules", "KUBE-FORWARD"),
        jump("FORWARD", newOnly, "kubernetes service portals", "KUBE-SERVICES"),
        jump("FORWARD", newOnly, "kubernetes externally-visible service portals", "KUBE-EXTERNAL-SERVICES"),
        jump("OUTPUT", newOnly, "kubernetes load balancer firewall", "KUBE-PROXY-FIREWALL"),
        jump("OUTPUT", newOnly, "kubernetes service portals", "KUBE-SERVICES"),
        { chain: "KUBE-FORWARD", args: ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"] },
        {
            chain: "KUBE-FORWARD",
            args: [
                ...comment("kubernetes forwarding rules"),
                "-m",
                "mark",
                "--mark",
                `${MASQUERADE_MARK}/${MASQUERADE_MARK}`,
                "-j",
                "ACCEPT",
            ],
        },
        {
            chain: "KUBE-FORWARD",
            args: [
                ...comment("kubernetes forwarding conntrack rule"),
                "-m",
                "conntrack",
                "--ctstate",
                "RELATED,ESTABLISHED",
                "-j",
                "ACCEPT",
            ],
        },
    ];
    const serviceRules: IptablesRule[] = [];
    const nodePortRules: IptablesRule[] = [];
    for (const service of services) {
        if (service.clusterIP === null) {
            continue;
        }
        for (const port of service.ports) {
            const ready = endpoints.get(port.id) ?? [];
            const destination = ["-d", `${service.clusterIP}/32`];
            if (ready.length === 0) {
                filter.push({
                    chain: "KUBE-SERVICES",
                    args: [
                        ...destination,
                        ...comment(`${port.id} has no endpoints`),
                        ...protocolMatch(port.protocol, port.port),
                        "-j",
                        "REJECT",
                        "--reject-with",
                        "icmp-port-unreachable",
                    ],
                });
                if (port.nodePort !== undefined) {
                    filter.push({
                        chain: "KUBE-EXTERNAL-SERVICES",
                        args: [
                            ...comment(`${port.id} has no endpoints`),
                            "-m",
                            "addrtype",
                            "--dst-type",
                            "LOCAL",
                            ...protocolMatch(port.protocol, port.nodePort),
                            "-j",
                            "REJECT",
                            "--reject-with",
                            "icmp-port-unreachable",
                        ],
                    });
                }
                continue;
            }
            const svc = serviceChain(port);
            natChains.push(svc);
            serviceRules.push({
                chain: "KUBE-SERVICES",
                args: [
                    ...destination,
                    ...comment(`${port.id} cluster IP`),
                    ...protocolMatch(port.protocol, port.port),
                    "-j",
                    svc,
                ],
            });
            nat.push({
                chain: svc,
                args: [
                    "!",
                    "-s",
                    clusterCidr,
                    ...destination,
                    ...comment(`${port.id} cluster IP`),
                    ...protocolMatch(port.protocol, port.port),
                    "-j",
                    "KUBE-MARK-MASQ",
                ],
            });
            ready.forEach((endpoint, index) => {
                const sep = endpointChain(port, endpoint);
                const target = `${endpoint.ip}:${endpoint.port}`;
                const remaining = ready.length - index;
                const statistic =
                    remaining > 1
                        ? ["-m", "statistic", "--mode", "random", "--probability", (1 / remaining).toFixed(10)]
                        : [];
                nat.push({ chain: svc, args: [...comment(`${port.id} -> ${target}`), ...statistic, "-j", sep] });
                natChains.push(sep);
                // Hairpin: a pod reaching itself through the Service must be masqueraded to get the reply back.
                nat.push({
                    chain: sep,
                    args: ["-s", `${endpoint.ip}/32`, ...comment(port.id), "-j", "KUBE-MARK-MASQ"],
                });
                const protocol = port.protocol.toLowerCase();
                nat.push({
                    chain: sep,
                    args: [
                        "-p",
                        protocol,
                        ...comment(port.id),
                        "-m",
                        protocol,
                        "-j",
                        "DNAT",
                        "--to-destination",
                        target,
                    ],
                });
            });
            if (port.nodePort !== undefined) {
                const ext = externalChain(port);
                natChains.push(ext);
                nodePortRules.push({
                    chain: "KUBE-NODEPORTS",
                    args: [...comment(port.id), ...protocolMatch(port.protocol, port.nodePort), "-j", ext],
                });
                nat.push({
                    chain: ext,
                    args: [
                        ...comment(`masquerade traffic for ${port.id} external destinations`),
                        "-j",
                        "KUBE-MARK-MASQ",
                    ],
                });
                nat.push({ chain: ext, args: ["-j", svc] });
            }
        }
    }
    nat.push(...serviceRules, ...nodePortRules);
    nat.push({
        chain: "KUBE-SERVICES",
        args: [
            ...comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
            "-m",
            "addrtype",
            "--dst-type",
            "LOCAL",
            "-j",
            "KUBE-NODEPORTS",
        ],
    });
    return [
        { table: Table.Nat, chains: natChains, rules: nat },
        { table: Table.Filter, chains: filterChains, rules: filter },
    ];
}
