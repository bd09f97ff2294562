/**
 * What the lab reads from the rendered Kubernetes objects: flannel's ConfigMap and DaemonSet, the Nodes' podCIDRs,
 * workloads, Services, Ingresses and IngressClasses, in the standard Kubernetes shapes. Pure: objects in, a model
 * (or the list of reasons the objects cannot be built) out.
 */
import { Problem, Result, fail, ok } from "../components/common";

/** One rendered Kubernetes object; `cli/manifests.ts`' Manifest is one. */
export interface LabManifest {
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
    /** A Patch resource (NodePatch...): a partial object applied onto an existing one. */
    readonly patch?: boolean;
    readonly object: Record<string, unknown>;
}

export const Protocol = { TCP: "TCP", UDP: "UDP", SCTP: "SCTP" } as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

export const Backend = { Vxlan: "vxlan", HostGw: "host-gw" } as const;
export type Backend = (typeof Backend)[keyof typeof Backend];

/** flannel's defaults: VNI 1 and the Linux kernel's VXLAN port 8472. */
export const DEFAULT_VNI = 1;
export const DEFAULT_VXLAN_PORT = 8472;
/** Bytes each backend adds per packet (FACTS.md): vxlan 50, host-gw 0. Stated apart from components/rules on purpose: the lab is the components' test oracle. */
export const BACKEND_OVERHEAD: Record<Backend, number> = { vxlan: 50, "host-gw": 0 };

export interface FlannelConfig {
    /** net-conf.json's Network: FLANNEL_NETWORK. */
    readonly network: string;
    readonly backend: Backend;
    readonly vni: number;
    readonly port: number;
    /** Backend.MTU: the underlay MTU, when net-conf sets it. */
    readonly backendMtu?: number;
    /** flanneld's --ip-masq (FLANNEL_IPMASQ): from the DaemonSet's args, true (upstream) when there is none. */
    readonly ipMasq: boolean;
    /** Backend.DirectRouting (vxlan): set, the lab still builds plain vxlan and says so. Absent: false. */
    readonly directRouting?: boolean;
    /** cni-conf.json, the conflist flannel installs as /etc/cni/net.d/10-flannel.conflist. */
    readonly cniConf: CniConfList;
}

export interface CniConfList {
    readonly name: string;
    readonly cniVersion: string;
    readonly plugins: ReadonlyArray<Record<string, unknown> & { readonly type: string }>;
}

export interface ContainerPort {
    readonly name?: string;
    readonly containerPort: number;
    readonly protocol: Protocol;
    readonly hostPort?: number;
}

export type ReadinessProbe =
    | { readonly kind: "http"; readonly port: number | string; readonly path: string }
    | { readonly kind: "tcp"; readonly port: number | string }
    /** exec and gRPC probes run inside the container: the lab's stand-in cannot run them, so they pass. */
    | { readonly kind: "other"; readonly what: string };

export interface ContainerModel {
    readonly name: string;
    readonly image: string;
    readonly args: readonly string[];
    readonly ports: readonly ContainerPort[];
    readonly readiness?: ReadinessProbe;
}

export interface WorkloadModel {
    readonly kind: string;
    readonly namespace: string;
    readonly name: string;
    /** Pods to run; DaemonSets run one per node. */
    readonly replicas: number | "per-node";
    readonly labels: Readonly<Record<string, string>>;
    readonly containers: readonly ContainerModel[];
}

export interface ServicePortModel {
    /** "" for a single unnamed port, as kube-proxy names it. */
    readonly name: string;
    readonly port: number;
    readonly targetPort: number | string;
    readonly nodePort?: number;
    readonly protocol: Protocol;
}

export interface ServiceModel {
    readonly namespace: string;
    readonly name: string;
    readonly type: string;
    /** The pinned spec.clusterIP; "None" for a headless Service. */
    readonly clusterIP?: string;
    readonly selector?: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePortModel[];
    readonly externalTrafficPolicy: string;
}

export interface BackendRef {
    readonly service: string;
    readonly port: number | string;
}

export const PathType = { Exact: "Exact", Prefix: "Prefix", ImplementationSpecific: "ImplementationSpecific" } as const;
export type PathType = (typeof PathType)[keyof typeof PathType];

export interface IngressPathModel {
    readonly path: string;
    readonly pathType: PathType;
    /** Undefined for a backend the lab cannot serve (a resource backend). */
    readonly backend?: BackendRef;
}

export interface IngressModel {
    /** Which API declared the routes: an Ingress, or a Gateway API HTTPRoute read into the same shape. */
    readonly api?: "Ingress" | "HTTPRoute";
    /** HTTPRoute only: the Gateways (`namespace/name`) its parentRefs name. */
    readonly parents?: readonly string[];
    readonly namespace: string;
    readonly name: string;
    /** spec.ingressClassName, else the legacy kubernetes.io/ingress.class annotation. */
    readonly className?: string;
    readonly rules: ReadonlyArray<{ readonly host?: string; readonly paths: readonly IngressPathModel[] }>;
    readonly defaultBackend?: BackendRef;
}

export interface IngressClassModel {
    readonly name: string;
    readonly controller: string;
    readonly isDefault: boolean;
}

/** A Gateway API Gateway: which class programs it. */
export interface GatewayModel {
    readonly namespace: string;
    readonly name: string;
    readonly className?: string;
}

/** A GatewayClass: which controller (controllerName) serves its Gateways. */
export interface GatewayClassModel {
    readonly name: string;
    readonly controller: string;
}

export interface ClusterModel {
    readonly flannel: FlannelConfig;
    /** Each Node's IPv4 spec.podCIDR, from the rendered Node patches. */
    readonly nodePodCidrs: Readonly<Record<string, string>>;
    readonly workloads: readonly WorkloadModel[];
    readonly services: readonly ServiceModel[];
    readonly ingresses: readonly IngressModel[];
    readonly ingressClasses: readonly IngressClassModel[];
    /** Gateway API HTTPRoutes, read into the Ingress shape (one rule per hostname, one path per match). */
    readonly httpRoutes: readonly IngressModel[];
    readonly gateways: readonly GatewayModel[];
    readonly gatewayClasses: readonly GatewayClassModel[];
    readonly warnings: readonly string[];
}

export const FLANNEL_CONFIGMAP = "kube-flannel-cfg";

// Small readers for untyped JSON.
type Json = Record<string, unknown>;
function record(value: unknown): Json | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}
function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}
function text(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}
function integer(value: unknown): number | undefined {
    return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}
function stringMap(value: unknown): Record<string, string> {
    const entries = Object.entries(record(value) ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === "string",
    );
    return Object.fromEntries(entries);
}
function protocolOf(value: unknown): Protocol {
    return value === "UDP" || value === "SCTP" ? value : Protocol.TCP;
}
function portRef(value: unknown): number | string | undefined {
    return integer(value) ?? text(value);
}
function at(manifest: LabManifest): string {
    return `${manifest.kind} ${manifest.namespace ? `${manifest.namespace}/` : ""}${manifest.name}`;
}

function readFlannel(
    manifests: readonly LabManifest[],
    problems: Problem[],
    warnings: string[],
): FlannelConfig | undefined {
    const configMap = manifests.find(
        (manifest) => manifest.kind === "ConfigMap" && manifest.name === FLANNEL_CONFIGMAP,
    );
    if (!configMap) {
        problems.push({
            key: "",
            message: `the stack renders no ConfigMap ${FLANNEL_CONFIGMAP} (flannel's net-conf.json and cni-conf.json): the lab builds the pod network from it`,
        });
        return undefined;
    }
    const data = record(configMap.object["data"]) ?? {};
    const parse = (key: string): Json | undefined => {
        const raw = text(data[key]);
        if (raw === undefined) {
            problems.push({ key: "", message: `${at(configMap)} has no data["${key}"]` });
            return undefined;
        }
        try {
            const parsed = record(JSON.parse(raw));
            if (!parsed) {
                problems.push({ key: "", message: `${at(configMap)} data["${key}"] is not a JSON object` });
            }
            return parsed;
        } catch (error) {
            problems.push({
                key: "",
                message: `${at(configMap)} data["${key}"] is not JSON: ${(error as Error).message}`,
            });
            return undefined;
        }
    };
    const netConf = parse("net-conf.json");
    const cniConf = parse("cni-conf.json");
    if (!netConf || !cniConf) {
        return undefined;
    }
    const network = text(netConf["Network"]);
    if (netConf["EnableIPv4"] === false || network === undefined) {
        problems.push({
            key: "",
            message: `${at(configMap)} net-conf.json has no IPv4 Network: the lab builds IPv4 pod networks only`,
        });
    }
    // Settings the lab models rather than runs: say so instead of ignoring them silently.
    if (record(netConf["Backend"])?.["DirectRouting"] === true) {
        warnings.push(
            "net-conf.json sets Backend.DirectRouting: the lab models it as plain vxlan (every node's route goes through flannel.1, not directly via the node on the same LAN)",
        );
    }
    if (netConf["EnableIPv6"] === true) {
        warnings.push("net-conf.json enables IPv6: the lab builds the IPv4 half of the dual-stack pod network only");
    }
    const backend = record(netConf["Backend"]);
    const type = text(backend?.["Type"]);
    if (!backend || type === undefined) {
        // flanneld falls back to udp when Backend is missing (FACTS.md), which the lab cannot build either.
        problems.push({
            key: "",
            message: `${at(configMap)} net-conf.json has no Backend.Type: flanneld would fall back to the udp backend`,
            fix: "write Backend: {Type: vxlan} (or host-gw)",
        });
    } else if (type !== Backend.Vxlan && type !== Backend.HostGw) {
        problems.push({
            key: "",
            message: `${at(configMap)} net-conf.json Backend.Type is ${JSON.stringify(type)}: the lab builds the vxlan and host-gw backends only (this kernel has no WireGuard, and udp/ipip are not modelled)`,
            fix: "set clusternet:podNetwork.backend to vxlan or host-gw to try it here",
        });
    }
    const plugins = list(cniConf["plugins"]).map(record);
    const conflistName = text(cniConf["name"]);
    if (
        conflistName === undefined ||
        plugins.length === 0 ||
        plugins.some((plugin) => text(plugin?.["type"]) === undefined)
    ) {
        problems.push({
            key: "",
            message: `${at(configMap)} cni-conf.json is not a CNI conflist (name and plugins[].type are required)`,
        });
    } else if (!plugins.some((plugin) => plugin?.["type"] === "flannel")) {
        problems.push({ key: "", message: `${at(configMap)} cni-conf.json has no plugin of type flannel` });
    }
    const daemonSet = manifests.find(
        (manifest) =>
            manifest.kind === "DaemonSet" &&
            containersOf(manifest.object).some(
                (container) =>
                    /flannel/.test(text(container["image"]) ?? "") &&
                    argsOf(container).some((arg) => arg.includes("kube-subnet-mgr")),
            ),
    );
    const flanneld = daemonSet
        ? containersOf(daemonSet.object).find((container) =>
              argsOf(container).some((arg) => arg.includes("kube-subnet-mgr")),
          )
        : undefined;
    const ipMasq = flanneld ? argsOf(flanneld).some((arg) => arg === "--ip-masq" || arg === "--ip-masq=true") : true;
    if (
        problems.length > 0 ||
        network === undefined ||
        (type !== Backend.Vxlan && type !== Backend.HostGw) ||
        conflistName === undefined
    ) {
        return undefined;
    }
    return {
        network,
        backend: type,
        vni: integer(backend?.["VNI"]) ?? DEFAULT_VNI,
        port: integer(backend?.["Port"]) ?? DEFAULT_VXLAN_PORT,
        backendMtu: integer(backend?.["MTU"]),
        ipMasq,
        ...(backend?.["DirectRouting"] === true ? { directRouting: true } : {}),
        cniConf: {
            name: conflistName,
            cniVersion: text(cniConf["cniVersion"]) ?? "0.3.1",
            plugins: plugins.map((plugin) => ({ ...plugin!, type: text(plugin!["type"])! })),
        },
    };
}

function podSpecOf(object: Json): Json {
    const spec = record(object["spec"]) ?? {};
    return object["kind"] === "Pod" ? spec : (record(record(spec["template"])?.["spec"]) ?? {});
}
function containersOf(object: Json): Json[] {
    return list(podSpecOf(object)["containers"])
        .map(record)
        .filter((container): container is Json => container !== undefined);
}
function argsOf(container: Json): string[] {
    return [...list(container["command"]), ...list(container["args"])].filter(
        (arg): arg is string => typeof arg === "string",
    );
}

function readProbe(probe: Json | undefined): ReadinessProbe | undefined {
    if (!probe) {
        return undefined;
    }
    const httpGet = record(probe["httpGet"]);
    const tcpSocket = record(probe["tcpSocket"]);
    if (httpGet && portRef(httpGet["port"]) !== undefined) {
        return { kind: "http", port: portRef(httpGet["port"])!, path: text(httpGet["path"]) ?? "/" };
    }
    if (tcpSocket && portRef(tcpSocket["port"]) !== undefined) {
        return { kind: "tcp", port: portRef(tcpSocket["port"])! };
    }
    return { kind: "other", what: Object.keys(probe).find((key) => ["exec", "grpc"].includes(key)) ?? "unknown" };
}

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Pod"];

function readWorkload(manifest: LabManifest, warnings: string[]): WorkloadModel | undefined {
    const object = manifest.object;
    const podSpec = podSpecOf(object);
    if (podSpec["hostNetwork"] === true) {
        // Node agents (flanneld, kube-proxy): the lab itself plays their part.
        return undefined;
    }
    const spec = record(object["spec"]) ?? {};
    const labels =
        manifest.kind === "Pod"
            ? stringMap(record(object["metadata"])?.["labels"])
            : stringMap(record(record(spec["template"])?.["metadata"])?.["labels"]);
    const containers = containersOf(object).map((container, index): ContainerModel => {
        const ports = list(container["ports"])
            .map(record)
            .filter((port): port is Json => port !== undefined && integer(port["containerPort"]) !== undefined)
            .map((port) => ({
                name: text(port["name"]),
                containerPort: integer(port["containerPort"])!,
                protocol: protocolOf(port["protocol"]),
                hostPort: integer(port["hostPort"]),
            }));
        return {
            name: text(container["name"]) ?? `container-${index}`,
            image: text(container["image"]) ?? "",
            args: argsOf(container),
            ports,
            readiness: readProbe(record(container["readinessProbe"])),
        };
    });
    if (containers.length === 0) {
        warnings.push(`${at(manifest)} has no containers: no pods for it`);
        return undefined;
    }
    const replicas =
        manifest.kind === "DaemonSet" ? "per-node" : manifest.kind === "Pod" ? 1 : (integer(spec["replicas"]) ?? 1);
    return {
        kind: manifest.kind,
        namespace: manifest.namespace ?? "default",
        name: manifest.name,
        replicas,
        labels,
        containers,
    };
}

function readService(manifest: LabManifest, problems: Problem[]): ServiceModel {
    const spec = record(manifest.object["spec"]) ?? {};
    const ports = list(spec["ports"])
        .map(record)
        .filter((port): port is Json => port !== undefined)
        .map((port, index): ServicePortModel => {
            const number = integer(port["port"]);
            if (number === undefined) {
                problems.push({ key: "", message: `${at(manifest)} spec.ports[${index}] has no port number` });
            }
            return {
                name: text(port["name"]) ?? "",
                port: number ?? 0,
                targetPort: portRef(port["targetPort"]) ?? number ?? 0,
                nodePort: integer(port["nodePort"]),
                protocol: protocolOf(port["protocol"]),
            };
        });
    const selector = record(spec["selector"]);
    return {
        namespace: manifest.namespace ?? "default",
        name: manifest.name,
        type: text(spec["type"]) ?? "ClusterIP",
        clusterIP: text(spec["clusterIP"]),
        selector: selector ? stringMap(selector) : undefined,
        ports,
        externalTrafficPolicy: text(spec["externalTrafficPolicy"]) ?? "Cluster",
    };
}

function readBackend(value: unknown): BackendRef | undefined {
    const service = record(record(value)?.["service"]);
    const name = text(service?.["name"]);
    const port = record(service?.["port"]);
    const ref = portRef(port?.["number"]) ?? text(port?.["name"]);
    return name !== undefined && ref !== undefined ? { service: name, port: ref } : undefined;
}

function readIngress(manifest: LabManifest): IngressModel {
    const spec = record(manifest.object["spec"]) ?? {};
    const annotations = stringMap(record(manifest.object["metadata"])?.["annotations"]);
    const rules = list(spec["rules"])
        .map(record)
        .filter((rule): rule is Json => rule !== undefined)
        .map((rule) => ({
            host: text(rule["host"]),
            paths: list(record(rule["http"])?.["paths"])
                .map(record)
                .filter((path): path is Json => path !== undefined)
                .map((path): IngressPathModel => ({
                    path: text(path["path"]) ?? "/",
                    pathType:
                        path["pathType"] === PathType.Exact
                            ? PathType.Exact
                            : path["pathType"] === PathType.Prefix
                              ? PathType.Prefix
                              : PathType.ImplementationSpecific,
                    backend: readBackend(path["backend"]),
                })),
        }));
    return {
        namespace: manifest.namespace ?? "default",
        name: manifest.name,
        className: text(spec["ingressClassName"]) ?? annotations["kubernetes.io/ingress.class"],
        rules,
        defaultBackend: readBackend(spec["defaultBackend"]),
    };
}

/**
 * An HTTPRoute in the Ingress shape: each hostname a rule with every match of every rule as a path (PathPrefix as
 * Prefix, Exact as Exact; other match types and non-Service backends as paths the lab cannot serve), backends by
 * Service port number, as backendRefs name them.
 */
function readHttpRoute(manifest: LabManifest): IngressModel {
    const spec = record(manifest.object["spec"]) ?? {};
    const namespace = manifest.namespace ?? "default";
    const paths = list(spec["rules"])
        .map(record)
        .filter((rule): rule is Json => rule !== undefined)
        .flatMap((rule) => {
            const ref = record(list(rule["backendRefs"])[0]);
            const isService =
                ref !== undefined && (text(ref["kind"]) ?? "Service") === "Service" && !text(ref["group"]);
            const port = portRef(ref?.["port"]);
            const backend =
                isService && text(ref["name"]) !== undefined && typeof port === "number"
                    ? { service: text(ref["name"])!, port }
                    : undefined;
            const matches = list(rule["matches"]).map(record);
            return (matches.length > 0 ? matches : [undefined]).map((match): IngressPathModel => {
                const path = record(match?.["path"]);
                const type = text(path?.["type"]) ?? "PathPrefix";
                return {
                    path: text(path?.["value"]) ?? "/",
                    pathType:
                        type === "Exact"
                            ? PathType.Exact
                            : type === "PathPrefix"
                              ? PathType.Prefix
                              : PathType.ImplementationSpecific,
                    backend,
                };
            });
        });
    const hostnames = list(spec["hostnames"])
        .map(text)
        .filter((host): host is string => host !== undefined);
    return {
        api: "HTTPRoute",
        parents: list(spec["parentRefs"])
            .map(record)
            .filter((ref): ref is Json => ref !== undefined && (text(ref["kind"]) ?? "Gateway") === "Gateway")
            .map((ref) => `${text(ref["namespace"]) ?? namespace}/${text(ref["name"]) ?? ""}`),
        namespace,
        name: manifest.name,
        rules: (hostnames.length > 0 ? hostnames : [undefined]).map((host) => ({ host, paths })),
    };
}

/** Reads the model the lab builds from; problems are input the lab cannot build (exit 2). */
export function readClusterModel(manifests: readonly LabManifest[]): Result<ClusterModel> {
    const problems: Problem[] = [];
    const warnings: string[] = [];
    const flannel = readFlannel(manifests, problems, warnings);
    const nodePodCidrs: Record<string, string> = {};
    for (const manifest of manifests.filter((item) => item.kind === "Node")) {
        const spec = record(manifest.object["spec"]) ?? {};
        const cidrs = [text(spec["podCIDR"]), ...list(spec["podCIDRs"]).map(text)].filter(
            (cidr): cidr is string => cidr !== undefined && !cidr.includes(":"),
        );
        if (cidrs[0] !== undefined) {
            nodePodCidrs[manifest.name] = cidrs[0];
        }
    }
    const workloads = manifests
        // A Patch (kube-proxy's DaemonSetPatch) changes an object the cluster already runs: no workload of its own.
        .filter((manifest) => WORKLOAD_KINDS.includes(manifest.kind) && manifest.patch !== true)
        .map((manifest) => readWorkload(manifest, warnings))
        .filter((workload): workload is WorkloadModel => workload !== undefined);
    const services = manifests
        .filter((manifest) => manifest.kind === "Service")
        .map((manifest) => readService(manifest, problems));
    const ingresses = manifests.filter((manifest) => manifest.kind === "Ingress").map(readIngress);
    const ingressClasses = manifests
        .filter((manifest) => manifest.kind === "IngressClass")
        .map((manifest) => ({
            name: manifest.name,
            controller: text(record(manifest.object["spec"])?.["controller"]) ?? "",
            isDefault:
                stringMap(record(manifest.object["metadata"])?.["annotations"])[
                    "ingressclass.kubernetes.io/is-default-class"
                ] === "true",
        }));
    const httpRoutes = manifests.filter((manifest) => manifest.kind === "HTTPRoute").map(readHttpRoute);
    const gateways = manifests
        .filter((manifest) => manifest.kind === "Gateway")
        .map((manifest) => ({
            namespace: manifest.namespace ?? "default",
            name: manifest.name,
            className: text(record(manifest.object["spec"])?.["gatewayClassName"]),
        }));
    const gatewayClasses = manifests
        .filter((manifest) => manifest.kind === "GatewayClass")
        .map((manifest) => ({
            name: manifest.name,
            controller: text(record(manifest.object["spec"])?.["controllerName"]) ?? "",
        }));
    if (!flannel || problems.length > 0) {
        return fail(problems);
    }
    return ok({
        flannel,
        nodePodCidrs,
        workloads,
        services,
        ingresses,
        ingressClasses,
        httpRoutes,
        gateways,
        gatewayClasses,
        warnings,
    });
}
