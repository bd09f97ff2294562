/**
 * The lab's plan: from the address plan and the rendered objects, every namespace, address, link, route, CNI
 * config, pod placement, Service and Ingress route the executor will build. Pure and deterministic: plain JSON
 * that `up` executes and saves, and that `check` and `down` read back.
 */
import * as path from "node:path";
import { Problem, Result, fail, ok } from "../components/common";
import {
    AddressPlan,
    DEFAULT_DNS_DOMAIN,
    cidrEnd,
    cidrSize,
    formatAddress,
    formatCidr,
    parseAddress,
    parseCidr,
} from "../components/plan";
import {
    NODE_SYSCTLS,
    PortMapping,
    SubnetEnv,
    cidrInside,
    firstAddressOf,
    flannelRules,
    nodeNetworkCommands,
} from "./flannel";
import { IptablesTable } from "./iptables";
import { DNS_LABELS, DNS_NAMESPACE, DNS_POD_NAME, DNS_PORT, DNS_SERVICE_NAME, dnsService, podResolvConf } from "./dns";
import {
    Controller,
    HostRoutes,
    RouteTable,
    controllerOfHttpRoute,
    controllerOfIngress,
    controllerOfWorkload,
    gatewayControllerOfWorkload,
    routeTable,
} from "./ingress";
import {
    DEFAULT_NODE_PORT_RANGE,
    KUBE_PROXY_SYSCTLS,
    PlannedService,
    planServices,
    resolveTargetPort,
    selects,
} from "./kube-proxy";
import { ProxyMode, proxyModeOf } from "./proxy-mode";
import { NGINX_DEFAULT_PORT, isNginxImage } from "./nginx-pod";
import {
    BACKEND_OVERHEAD,
    Backend,
    CniConfList,
    ContainerPort,
    LabManifest,
    Protocol,
    ReadinessProbe,
    WorkloadModel,
    readClusterModel,
} from "./model";
import {
    CLIENT_PORT,
    LAN_BRIDGE,
    LAN_IFNAME,
    clientNamespace,
    lanNamespace,
    lanPortName,
    nodeNamespace,
    podNamespace,
    vtepMac,
} from "./names";

export interface LabInput {
    /** The stack's name, for messages and to tell labs apart. */
    readonly stack: string;
    readonly plan: AddressPlan;
    readonly manifests: readonly LabManifest[];
    /** The node network's MTU (clusternet:podNetwork.mtu). Default: net-conf's Backend.MTU, else 1500. */
    readonly underlayMtu?: number;
    /** The API server's --service-node-port-range (clusternet:cluster.nodePortRange). */
    readonly nodePortRange?: string;
}

export interface LabOptions {
    readonly prefix: string;
    readonly stateDir: string;
}

export const DEFAULT_UNDERLAY_MTU = 1500;
/** The namespace of the lab's own probe pods: one per node, the clients of the pod-side checks. */
export const PROBE_NAMESPACE = "clusternet-lab";
export const PROBE_PORT = 8080;

export interface LabNode {
    readonly name: string;
    readonly index: number;
    readonly netns: string;
    readonly ip: string;
    /** The node's LAN address with the LAN's prefix, e.g. 192.168.56.10/24. */
    readonly lanAddress: string;
    /** The LAN namespace's end of this node's cable. */
    readonly lanPort: string;
    readonly podCidr: string;
    /** cni0's address: the subnet's first address. */
    readonly gateway: string;
    /** flannel.1's address: the subnet's .0. */
    readonly vtep: string;
    readonly vtepMac: string;
    readonly subnetEnv: SubnetEnv;
    /** This node's /run/flannel/subnet.env, in the state folder. */
    readonly subnetEnvFile: string;
    /** host-local's lease folder for this node. */
    readonly ipamDataDir: string;
    readonly commands: { readonly ip: readonly string[]; readonly bridge: readonly string[] };
    readonly sysctls: Readonly<Record<string, string>>;
    readonly flannelRules: readonly IptablesTable[];
}

export const PodRole = {
    Probe: "probe",
    App: "app",
    IngressController: "ingress-controller",
    /** The cluster DNS pod: dnsmasq, not a stand-in. */
    Dns: "dns",
} as const;
export type PodRole = (typeof PodRole)[keyof typeof PodRole];

/** A readiness probe with its port resolved in its container, as kubelet resolves it. */
export type PlannedReadiness =
    | { readonly kind: "http"; readonly container: string; readonly port: number; readonly path: string }
    | { readonly kind: "tcp"; readonly container: string; readonly port: number }
    | { readonly kind: "unresolved"; readonly container: string; readonly reason: string }
    | { readonly kind: "not-run"; readonly container: string; readonly what: string };

export interface LabPod {
    readonly namespace: string;
    readonly name: string;
    /** `namespace/name`. */
    readonly key: string;
    /** `Deployment demo/web`, or `lab probe`. */
    readonly owner: string;
    readonly role: PodRole;
    readonly node: string;
    readonly netns: string;
    readonly containerId: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Every container's declared ports. */
    readonly ports: readonly ContainerPort[];
    readonly readiness: readonly PlannedReadiness[];
    /** What the stand-in answers on (nginx takes the Ingress controller's HTTP port and an nginx image's 80). */
    readonly serve: { readonly tcp: readonly number[]; readonly udp: readonly number[] };
    /** The official nginx image in an app pod: the lab runs nginx with its default config, on port 80 (lab/nginx-pod.ts). */
    readonly nginx?: { readonly image: string; readonly port: number };
    /** The images of an app pod's containers that a stand-in answers for: their answers are modelled. */
    readonly standInFor?: readonly string[];
    /** Declared ports the pod's image does not listen on, and why (nginx's default config: 80 only). */
    readonly unserved?: { readonly tcp: readonly number[]; readonly udp?: readonly number[]; readonly why: string };
    readonly portMappings: readonly PortMapping[];
    /** The pod's folder in the state folder. */
    readonly dir: string;
    /** The resolv.conf kubelet writes for it (dnsPolicy ClusterFirst), when the lab runs cluster DNS. */
    readonly resolvConf?: string;
}

/** How a LAN client reaches an Ingress controller. */
export type IngressEntry =
    | { readonly kind: "nodePort"; readonly port: number; readonly service: string }
    | { readonly kind: "hostPort"; readonly port: number }
    | { readonly kind: "clusterIP"; readonly ip: string; readonly port: number; readonly service: string }
    | { readonly kind: "none"; readonly reason: string };

export interface LabController {
    readonly controller: string;
    /** `namespace/name` of each controller pod. */
    readonly pods: readonly string[];
    /** The controller container's HTTP port: nginx listens here. */
    readonly httpPort: number;
    readonly entry: IngressEntry;
    readonly ingresses: readonly string[];
    readonly table: RouteTable;
}

export interface LabPlan {
    readonly version: 1;
    readonly stack: string;
    readonly prefix: string;
    readonly stateDir: string;
    readonly lan: {
        readonly netns: string;
        readonly bridge: string;
        readonly cidr: string;
        readonly mtu: number;
        readonly commands: readonly string[];
    };
    readonly client: {
        readonly netns: string;
        readonly ip: string;
        readonly lanAddress: string;
        readonly commands: readonly string[];
    };
    readonly flannel: {
        readonly backend: Backend;
        readonly network: string;
        readonly vni: number;
        readonly port: number;
        readonly podMtu: number;
        readonly ipMasq: boolean;
        /** Backend.DirectRouting, which the lab builds as plain vxlan (its check rows say so). Absent: false. */
        readonly directRouting?: boolean;
        readonly cniConf: CniConfList;
    };
    /** kube-proxy's --cluster-cidr: the plan's pod CIDR. */
    readonly clusterCidr: string;
    /** kube-proxy's mode (lab/proxy-mode.ts), from the rendered kube-proxy ConfigMap. Absent: iptables. */
    readonly kubeProxyMode?: ProxyMode;
    /** flannel's EnableNFTables, from its net-conf.json. Absent: false. */
    readonly flannelNftables?: boolean;
    /** The stack's kube-proxy mode that kubeProxyMode stands in for (ipvs is not modelled). Absent: none. */
    readonly kubeProxyStandsInFor?: "ipvs";
    readonly serviceCidr: string;
    readonly nodes: readonly LabNode[];
    readonly pods: readonly LabPod[];
    readonly services: readonly PlannedService[];
    readonly controllers: readonly LabController[];
    /** Ingresses no controller in the stack serves, and why. */
    readonly unserved: ReadonlyArray<{
        readonly ingress: string;
        readonly reason: string;
        readonly hosts: readonly HostRoutes[];
    }>;
    /** The cluster DNS the lab runs: the kube-dns Service's address, the domain and the DNS pod. */
    readonly dns: { readonly ip: string; readonly domain: string; readonly pod: string } | null;
    readonly warnings: readonly string[];
}

/** The LAN: the plan's node network, else the smallest block (at most a /24) that holds every node IP. */
function lanCidrOf(plan: AddressPlan, nodeIps: readonly bigint[]): { start: bigint; prefix: number } {
    if (plan.cluster.nodeNetwork) {
        const parsed = parseCidr(plan.cluster.nodeNetwork);
        if (parsed.ok && parsed.value.family === "IPv4") {
            return { start: parsed.value.start, prefix: parsed.value.prefix };
        }
    }
    let prefix = 24;
    const covers = (bits: number): boolean => {
        const mask = bits === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n);
        return nodeIps.every((ip) => (ip & mask) === (nodeIps[0]! & mask));
    };
    while (prefix > 0 && !covers(prefix)) {
        prefix--;
    }
    const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
    return { start: nodeIps[0]! & mask, prefix };
}

function resolveReadiness(
    container: string,
    probe: ReadinessProbe | undefined,
    ports: readonly ContainerPort[],
): PlannedReadiness | undefined {
    if (!probe) {
        return undefined;
    }
    if (probe.kind === "other") {
        return { kind: "not-run", container, what: probe.what };
    }
    const port =
        typeof probe.port === "number"
            ? probe.port
            : ports.find((declared) => declared.name === probe.port)?.containerPort;
    if (port === undefined) {
        return {
            kind: "unresolved",
            container,
            reason: `container ${container} declares no port named "${String(probe.port)}" for its readiness probe`,
        };
    }
    return probe.kind === "http"
        ? { kind: "http", container, port, path: probe.path }
        : { kind: "tcp", container, port };
}

/** The controller's HTTP port: the target of its Service's `http`/`web`/80 port, else its `http`/`web` port, else 80. */
function controllerHttpPort(
    workload: WorkloadModel,
    services: readonly PlannedService[],
): { port: number; service?: PlannedService; servicePort?: PlannedService["ports"][number] } {
    const ports = workload.containers.flatMap((container) => container.ports);
    for (const service of services) {
        if (service.namespace !== workload.namespace || !selects(service.selector, workload.labels)) {
            continue;
        }
        const servicePort =
            service.ports.find(
                (port) => port.protocol === Protocol.TCP && (port.name === "http" || port.name === "web"),
            ) ?? service.ports.find((port) => port.protocol === Protocol.TCP && port.port === 80);
        const target = servicePort ? resolveTargetPort(servicePort, { ports }) : undefined;
        if (servicePort && target !== undefined) {
            return { port: target, service, servicePort };
        }
    }
    const named = ports.find((port) => port.protocol === Protocol.TCP && (port.name === "http" || port.name === "web"));
    return { port: named?.containerPort ?? 80 };
}

/**
 * A node is a host with a default route (here on-link on its LAN interface: the lab has no router), so that its
 * own processes reach cluster IPs and a cluster IP without endpoints is refused by kube-proxy's REJECT rather than
 * unroutable.
 */
function withDefaultRoute(commands: { ip: string[]; bridge: string[] }): { ip: string[]; bridge: string[] } {
    return { ...commands, ip: [...commands.ip, `route add default dev ${LAN_IFNAME}`] };
}

export function planLab(input: LabInput, options: LabOptions): Result<LabPlan> {
    const problems: Problem[] = [];
    const read = readClusterModel(input.manifests);
    if (!read.ok) {
        return read;
    }
    const model = read.value;
    const warnings = [...model.warnings];
    const { plan } = input;
    const flannel = model.flannel;
    if (plan.cluster.podCidr === null) {
        return fail({ key: "", message: "the stack has no IPv4 pod CIDR: the lab builds IPv4 pod networks only" });
    }
    if (plan.cluster.serviceCidr === null) {
        return fail({ key: "", message: "the stack has no IPv4 service CIDR: the lab builds IPv4 Services only" });
    }
    if (flannel.network !== plan.cluster.podCidr) {
        warnings.push(
            `flannel's Network ${flannel.network} differs from the plan's pod CIDR ${plan.cluster.podCidr} (kube-proxy's cluster CIDR): the lab builds what is rendered`,
        );
    }
    const lanMtu = input.underlayMtu ?? flannel.backendMtu ?? DEFAULT_UNDERLAY_MTU;
    const podMtu = (flannel.backendMtu ?? lanMtu) - BACKEND_OVERHEAD[flannel.backend];
    const stateDir = options.stateDir;
    const prefix = options.prefix;

    // The LAN and the nodes on it.
    const nodeIps = plan.nodes.map((node) => {
        const parsed = parseAddress(node.ip);
        if (!parsed.ok || parsed.value.family !== "IPv4") {
            problems.push({
                key: `node ${node.name}`,
                message: `${node.ip} is not an IPv4 address; the lab's LAN is IPv4`,
            });
            return 0n;
        }
        return parsed.value.value;
    });
    if (problems.length > 0) {
        return fail(problems);
    }
    const lan = lanCidrOf(plan, nodeIps);
    const lanCidr = formatCidr({ family: "IPv4", start: lan.start, prefix: lan.prefix });
    const lanSize = cidrSize({ family: "IPv4", start: lan.start, prefix: lan.prefix });
    let clientValue: bigint | undefined;
    for (
        let candidate = cidrEnd({ family: "IPv4", start: lan.start, prefix: lan.prefix }) - 1n;
        candidate > lan.start;
        candidate--
    ) {
        if (!nodeIps.includes(candidate)) {
            clientValue = candidate;
            break;
        }
    }
    if (clientValue === undefined || lanSize < 4n) {
        return fail({ key: "", message: `the node network ${lanCidr} has no free address for the lab's LAN client` });
    }
    const clientIp = formatAddress("IPv4", clientValue);

    const peers = plan.nodes.map((node, index) => {
        const podCidr = model.nodePodCidrs[node.name] ?? node.podCidr;
        if (podCidr === null || podCidr === undefined) {
            problems.push({
                key: "",
                message: `node "${node.name}" pod cidr not assigned: flanneld would exit (no rendered Node patch sets spec.podCIDR and the plan has none)`,
            });
            return undefined;
        }
        if (!cidrInside(flannel.network, podCidr)) {
            problems.push({
                key: "",
                message: `flanneld on ${node.name} would exit: Network ${flannel.network} doesn't contain the node's PodCIDR ${podCidr}`,
            });
            return undefined;
        }
        if (model.nodePodCidrs[node.name] === undefined) {
            warnings.push(
                `no rendered Node patch sets ${node.name}'s spec.podCIDR: the lab uses the plan's ${podCidr}, as if the controller manager allocated it`,
            );
        }
        const parsed = parseCidr(podCidr);
        const start = parsed.ok ? parsed.value.start : 0n;
        return {
            name: node.name,
            index,
            ip: node.ip,
            podCidr,
            vtep: formatAddress("IPv4", start),
            gateway: formatAddress("IPv4", start + 1n),
            vtepMac: vtepMac(node.name),
        };
    });
    for (const name of Object.keys(model.nodePodCidrs)) {
        if (!plan.nodes.some((node) => node.name === name)) {
            warnings.push(`a Node patch names ${name}, which is not in the plan's nodes`);
        }
    }
    if (problems.length > 0) {
        return fail(problems);
    }
    const nodes = peers.map((peer): LabNode => {
        const self = peer!;
        const lanAddress = `${self.ip}/${lan.prefix}`;
        const dir = path.join(stateDir, "nodes", self.name);
        const subnetEnv: SubnetEnv = {
            network: flannel.network,
            subnet: firstAddressOf(self.podCidr),
            mtu: podMtu,
            ipMasq: flannel.ipMasq,
        };
        return {
            name: self.name,
            index: self.index,
            netns: nodeNamespace(prefix, self.name),
            ip: self.ip,
            lanAddress,
            lanPort: lanPortName(self.index),
            podCidr: self.podCidr,
            gateway: self.gateway,
            vtep: self.vtep,
            vtepMac: self.vtepMac,
            subnetEnv,
            subnetEnvFile: path.join(dir, "run", "flannel", "subnet.env"),
            ipamDataDir: path.join(dir, "cni", "networks"),
            commands: withDefaultRoute(
                nodeNetworkCommands({
                    flannel,
                    self,
                    others: peers.filter((other) => other !== peer).map((other) => other!),
                    lanAddress,
                    underlayMtu: lanMtu,
                    podMtu,
                }),
            ),
            sysctls: { ...NODE_SYSCTLS, ...KUBE_PROXY_SYSCTLS },
            flannelRules: flannelRules(flannel.network, self.podCidr, flannel.ipMasq),
        };
    });
    const lanNetns = lanNamespace(prefix);
    const clientNetns = clientNamespace(prefix);
    const lanCommands = [
        `link add ${LAN_BRIDGE} type bridge`,
        `link set ${LAN_BRIDGE} mtu ${lanMtu} up`,
        ...nodes.flatMap((node) => [
            `link add ${node.lanPort} mtu ${lanMtu} type veth peer name ${LAN_IFNAME} mtu ${lanMtu} netns ${node.netns}`,
            `link set ${node.lanPort} master ${LAN_BRIDGE} up`,
        ]),
        `link add ${CLIENT_PORT} mtu ${lanMtu} type veth peer name ${LAN_IFNAME} mtu ${lanMtu} netns ${clientNetns}`,
        `link set ${CLIENT_PORT} master ${LAN_BRIDGE} up`,
    ];
    const clientLanAddress = `${clientIp}/${lan.prefix}`;
    const clientCommands = [
        "link set lo up",
        `addr add ${clientLanAddress} dev ${LAN_IFNAME}`,
        `link set ${LAN_IFNAME} up`,
    ];

    // Services first: the Ingress controller's HTTP port comes from its Service.
    const servicesPlanned = planServices(
        model.services,
        plan.cluster.serviceCidr,
        input.nodePortRange ?? DEFAULT_NODE_PORT_RANGE,
    );
    problems.push(...servicesPlanned.problems);
    const domain = plan.cluster.dnsDomain ?? DEFAULT_DNS_DOMAIN;
    const rendersDns = model.services.some(
        (service) => service.namespace === DNS_NAMESPACE && service.name === DNS_SERVICE_NAME,
    );
    if (rendersDns) {
        warnings.push(
            `the stack renders ${DNS_NAMESPACE}/${DNS_SERVICE_NAME} itself: the lab runs no cluster DNS of its own`,
        );
    }
    const dnsIp = rendersDns ? null : plan.dnsServiceIp;
    const services = dnsIp ? [...servicesPlanned.services, dnsService(dnsIp)] : servicesPlanned.services;
    for (const service of model.services) {
        const id = `Service ${service.namespace}/${service.name}`;
        if (service.clusterIP === "None") {
            warnings.push(
                `${id} is headless: kube-proxy programs nothing for it, and the lab checks none of its ports`,
            );
        } else if (!service.selector || Object.keys(service.selector).length === 0) {
            warnings.push(
                `${id} has no selector: its endpoints are managed by hand, which the lab does not model; its ports are not checked`,
            );
        }
        if (service.externalTrafficPolicy === "Local") {
            warnings.push(`${id} has externalTrafficPolicy Local: the lab's kube-proxy rules treat it as Cluster`);
        }
        for (const port of service.ports.filter((item) => item.protocol === Protocol.SCTP)) {
            warnings.push(
                `${id} port ${port.name || port.port} is SCTP: programmed, but the lab's pods do not answer SCTP and it is not checked`,
            );
        }
    }

    // Pods: the lab's probe pod on every node first, then every replica, spread round-robin over the nodes.
    const pods: LabPod[] = [];
    const makePod = (args: {
        namespace: string;
        name: string;
        owner: string;
        role: PodRole;
        node: LabNode;
        labels: Readonly<Record<string, string>>;
        workload?: WorkloadModel;
        httpPort?: number;
    }): LabPod => {
        const containers = args.workload?.containers ?? [
            {
                name: "probe",
                image: "",
                args: [],
                ports: [{ name: "http", containerPort: PROBE_PORT, protocol: Protocol.TCP }],
            },
        ];
        const ports = containers.flatMap((container) => container.ports);
        const readiness = containers
            .map((container) => resolveReadiness(container.name, container.readiness, container.ports))
            .filter((probe): probe is PlannedReadiness => probe !== undefined);
        for (const probe of readiness.filter((item) => item.kind === "not-run")) {
            // kubelet runs it inside the container; the lab cannot, and says so once per workload.
            const warning = `${args.owner} container ${probe.container}: its ${probe.what} readiness probe is not run by the lab (it counts as passed)`;
            if (!warnings.includes(warning)) {
                warnings.push(warning);
            }
        }
        const unique = (values: number[]): number[] => [...new Set(values)].sort((a, b) => a - b);
        // An app container from the nginx image runs as real nginx with its default config: port 80 only, whatever
        // it declares (the dev stack's https 443 is refused, as on a cluster). Other containers get the stand-in.
        const nginx =
            args.role === PodRole.App ? containers.find((container) => isNginxImage(container.image)) : undefined;
        const standInPorts = containers
            .filter((container) => container !== nginx)
            .flatMap((container) => container.ports);
        let tcp = standInPorts.filter((port) => port.protocol === Protocol.TCP).map((port) => port.containerPort);
        const udp = standInPorts.filter((port) => port.protocol === Protocol.UDP).map((port) => port.containerPort);
        const nginxPorts = nginx?.ports ?? [];
        const unserved = {
            tcp: unique(
                nginxPorts
                    .filter((port) => port.protocol === Protocol.TCP && port.containerPort !== NGINX_DEFAULT_PORT)
                    .map((port) => port.containerPort)
                    .filter((port) => !tcp.includes(port)),
            ),
            udp: unique(
                nginxPorts
                    .filter((port) => port.protocol === Protocol.UDP)
                    .map((port) => port.containerPort)
                    .filter((port) => !udp.includes(port)),
            ),
        };
        const standIn = args.role !== PodRole.Dns;
        if (args.role === PodRole.IngressController) {
            // A real controller also answers its own health port even when it does not declare it (ingress-nginx's 10254).
            tcp = [
                ...tcp,
                ...readiness.flatMap((probe) => (probe.kind === "http" || probe.kind === "tcp" ? [probe.port] : [])),
            ].filter((port) => port !== args.httpPort);
        }
        const standInFor =
            args.role === PodRole.App && tcp.length + udp.length > 0
                ? [
                      ...new Set(
                          containers.filter((container) => container !== nginx).map((container) => container.image),
                      ),
                  ]
                : [];
        const key = `${args.namespace}/${args.name}`;
        const netns = podNamespace(prefix, args.namespace, args.name);
        return {
            namespace: args.namespace,
            name: args.name,
            key,
            owner: args.owner,
            role: args.role,
            node: args.node.name,
            netns,
            containerId: netns,
            labels: args.labels,
            ports,
            readiness,
            ...(nginx ? { nginx: { image: nginx.image, port: NGINX_DEFAULT_PORT } } : {}),
            ...(standInFor.length > 0 ? { standInFor } : {}),
            ...(unserved.tcp.length + unserved.udp.length > 0
                ? {
                      unserved: {
                          tcp: unserved.tcp,
                          ...(unserved.udp.length > 0 ? { udp: unserved.udp } : {}),
                          why: `${nginx!.image}: nginx's default config listens on ${NGINX_DEFAULT_PORT} only`,
                      },
                  }
                : {}),
            serve: standIn ? { tcp: unique(tcp), udp: unique(udp) } : { tcp: [], udp: [] },
            portMappings: ports
                .filter((port) => port.hostPort !== undefined)
                .map((port) => ({
                    hostPort: port.hostPort!,
                    containerPort: port.containerPort,
                    protocol: port.protocol,
                })),
            dir: path.join(stateDir, "pods", `${args.namespace}.${args.name}`),
            // The DNS pod itself has dnsPolicy Default: the node's resolv.conf.
            resolvConf: dnsIp && args.role !== PodRole.Dns ? podResolvConf(args.namespace, dnsIp, domain) : undefined,
        };
    };
    for (const node of nodes) {
        pods.push(
            makePod({
                namespace: PROBE_NAMESPACE,
                name: `probe-${node.name}`,
                owner: "lab probe",
                role: PodRole.Probe,
                node,
                labels: { "app.kubernetes.io/name": "clusternet-lab-probe" },
            }),
        );
    }
    const controllerWorkloads = new Map<
        WorkloadModel,
        { controller: string; httpPort: ReturnType<typeof controllerHttpPort> }
    >();
    for (const workload of model.workloads) {
        const controller = controllerOfWorkload(workload);
        if (controller !== undefined) {
            controllerWorkloads.set(workload, { controller, httpPort: controllerHttpPort(workload, services) });
        }
    }
    let cursor = 0;
    for (const workload of model.workloads) {
        const controller = controllerWorkloads.get(workload);
        const owner = `${workload.kind} ${workload.namespace}/${workload.name}`;
        const role = controller ? PodRole.IngressController : PodRole.App;
        const common = {
            namespace: workload.namespace,
            owner,
            role,
            labels: workload.labels,
            workload,
            httpPort: controller?.httpPort.port,
        };
        if (workload.replicas === "per-node") {
            for (const node of nodes) {
                pods.push(makePod({ ...common, name: `${workload.name}-${node.name}`, node }));
            }
        } else {
            for (let replica = 0; replica < workload.replicas; replica++) {
                const name = workload.kind === "Pod" ? workload.name : `${workload.name}-${replica}`;
                pods.push(makePod({ ...common, name, node: nodes[cursor++ % nodes.length]! }));
            }
        }
    }
    if (dnsIp) {
        // Last, so that adding it moves no other pod's address.
        pods.push(
            makePod({
                namespace: DNS_NAMESPACE,
                name: DNS_POD_NAME,
                owner: "lab cluster DNS (dnsmasq)",
                role: PodRole.Dns,
                node: nodes[0]!,
                labels: DNS_LABELS,
                workload: {
                    kind: "Deployment",
                    namespace: DNS_NAMESPACE,
                    name: "coredns",
                    replicas: 1,
                    labels: DNS_LABELS,
                    containers: [
                        {
                            name: "coredns",
                            image: "dnsmasq",
                            args: [],
                            ports: [
                                { name: "dns", containerPort: DNS_PORT, protocol: Protocol.UDP },
                                { name: "dns-tcp", containerPort: DNS_PORT, protocol: Protocol.TCP },
                            ],
                            readiness: { kind: "tcp", port: DNS_PORT },
                        },
                    ],
                },
            }),
        );
    }
    const seen = new Set<string>();
    for (const pod of pods) {
        if (seen.has(pod.key)) {
            problems.push({ key: "", message: `two pods would both be named ${pod.key}: rename one of the workloads` });
        }
        seen.add(pod.key);
    }

    // Ingress: which controller serves which Ingress, and how a LAN client reaches it.
    const byController = new Map<string, string[]>();
    const unserved: Array<{ ingress: string; reason: string; hosts: HostRoutes[] }> = [];
    const controllerNames = new Set([...controllerWorkloads.values()].map((value) => value.controller));
    for (const ingress of model.ingresses) {
        const id = `${ingress.namespace}/${ingress.name}`;
        const { controller, reason } = controllerOfIngress(ingress, model.ingressClasses);
        if (controller === undefined || !controllerNames.has(controller)) {
            unserved.push({
                ingress: id,
                reason: reason ?? `no workload in the stack implements the controller ${controller}`,
                hosts: [...routeTable([ingress]).hosts],
            });
            continue;
        }
        byController.set(controller, [...(byController.get(controller) ?? []), id]);
    }
    // HTTPRoutes: served by the workload whose Gateway provider implements their Gateway's class (Traefik serves
    // both APIs from one pod, so its routes join the same table).
    const gatewayServers = new Map<string, string>();
    for (const [workload, { controller }] of controllerWorkloads) {
        const gatewayController = gatewayControllerOfWorkload(workload);
        if (gatewayController !== undefined) {
            gatewayServers.set(gatewayController, controller);
        }
    }
    for (const route of model.httpRoutes) {
        const id = `HTTPRoute ${route.namespace}/${route.name}`;
        const found = controllerOfHttpRoute(route, model.gateways, model.gatewayClasses);
        const controller = found.controller !== undefined ? gatewayServers.get(found.controller) : undefined;
        if (controller === undefined) {
            unserved.push({
                ingress: id,
                reason:
                    found.reason ?? `no workload in the stack implements the Gateway controller ${found.controller}`,
                hosts: [...routeTable([route]).hosts],
            });
            continue;
        }
        byController.set(controller, [...(byController.get(controller) ?? []), id]);
    }
    const controllers: LabController[] = [];
    for (const controller of controllerNames) {
        const workloads = [...controllerWorkloads].filter(([, value]) => value.controller === controller);
        const [workload, { httpPort }] = workloads[0]!;
        const controllerPods = pods.filter((pod) =>
            workloads.some(([item]) => pod.owner === `${item.kind} ${item.namespace}/${item.name}`),
        );
        const ingressIds = byController.get(controller) ?? [];
        const ingresses = [
            ...model.ingresses.filter((ingress) => ingressIds.includes(`${ingress.namespace}/${ingress.name}`)),
            ...model.httpRoutes.filter((route) => ingressIds.includes(`HTTPRoute ${route.namespace}/${route.name}`)),
        ];
        const table = routeTable(ingresses);
        warnings.push(...table.shadowed);
        let entry: IngressEntry;
        const hostPort = workload.containers
            .flatMap((container) => container.ports)
            .find((port) => port.containerPort === httpPort.port && port.hostPort !== undefined)?.hostPort;
        if (httpPort.servicePort?.nodePort !== undefined) {
            entry = {
                kind: "nodePort",
                port: httpPort.servicePort.nodePort,
                service: `${httpPort.service!.namespace}/${httpPort.service!.name}`,
            };
        } else if (hostPort !== undefined) {
            entry = { kind: "hostPort", port: hostPort };
        } else if (httpPort.service?.clusterIP && httpPort.servicePort) {
            entry = {
                kind: "clusterIP",
                ip: httpPort.service.clusterIP,
                port: httpPort.servicePort.port,
                service: `${httpPort.service.namespace}/${httpPort.service.name}`,
            };
        } else {
            entry = {
                kind: "none",
                reason: `no Service, NodePort or hostPort reaches ${workload.kind} ${workload.namespace}/${workload.name}`,
            };
        }
        controllers.push({
            controller,
            pods: controllerPods.map((pod) => pod.key),
            httpPort: httpPort.port,
            entry,
            ingresses: ingressIds,
            table,
        });
    }
    for (const controller of controllers.filter((item) => item.controller !== Controller.IngressNginx)) {
        warnings.push(
            `the Ingress controller ${controller.controller} is modelled by nginx serving the same routes (${controller.pods.join(", ")}): routing follows the Ingress spec, not that controller's own behaviour`,
        );
    }
    for (const { ingress, reason } of unserved) {
        warnings.push(
            `${ingress.startsWith("HTTPRoute ") ? ingress : `Ingress ${ingress}`} is served by no controller: ${reason}`,
        );
    }
    if (problems.length > 0) {
        return fail(problems);
    }
    return ok({
        version: 1,
        stack: input.stack,
        prefix,
        stateDir,
        lan: { netns: lanNetns, bridge: LAN_BRIDGE, cidr: lanCidr, mtu: lanMtu, commands: lanCommands },
        client: { netns: clientNetns, ip: clientIp, lanAddress: clientLanAddress, commands: clientCommands },
        flannel: {
            backend: flannel.backend,
            network: flannel.network,
            vni: flannel.vni,
            port: flannel.port,
            podMtu,
            ipMasq: flannel.ipMasq,
            ...(flannel.directRouting ? { directRouting: true } : {}),
            cniConf: flannel.cniConf,
        },
        clusterCidr: plan.cluster.podCidr,
        ...kubeProxyModeFields(input.manifests, warnings),
        serviceCidr: plan.cluster.serviceCidr,
        nodes,
        pods,
        services,
        controllers,
        unserved,
        dns: dnsIp ? { ip: dnsIp, domain, pod: `${DNS_NAMESPACE}/${DNS_POD_NAME}` } : null,
        warnings,
    });
}

/** kube-proxy's mode and flannel's EnableNFTables as the rendered stack sets them (lab/proxy-mode.ts). */
function kubeProxyModeFields(
    manifests: readonly LabManifest[],
    warnings: string[],
): { kubeProxyMode: ProxyMode; flannelNftables: boolean; kubeProxyStandsInFor?: "ipvs" } {
    const { mode, flannelNftables, standsInFor } = proxyModeOf(manifests, warnings);
    if (mode === ProxyMode.Nftables) {
        warnings.push(
            "kube-proxy's nftables mode does not serve NodePorts on 127.0.0.1 (KEP-3866; iptables mode only): lab check has no node → localhost NodePort rows in this mode",
        );
    }
    return { kubeProxyMode: mode, flannelNftables, ...(standsInFor ? { kubeProxyStandsInFor: standsInFor } : {}) };
}
