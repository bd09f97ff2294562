import {
    PortNameField,
    Problem,
    SectionKeys,
    isDns1035Label,
    isDns1123Label,
    isIanaServiceName,
    isLabelKey,
    isLabelValue,
    URL_PATH_AND_QUERY,
    lengthNote,
    percentEncodePath,
    keyPath,
    problemAt,
    show,
} from "../common";
import { IpFamily } from "../plan";
import {
    HEADLESS_CLUSTER_IP,
    ServiceCidrSource,
    clusterIpFindings,
    defaultedProtocol,
    isUnsetTargetPort,
    nonCanonicalWarning,
    parseServiceIp,
    serviceTypeFindings,
    servicePortsFindings,
} from "../rules";
import { parseImage } from "./labels";
import { NodePortRange, ServiceNetwork, parseNodePortRange, resolveServiceNetwork } from "./network";
import { ResolvedContainerPort, findContainerPort, isBuiltinNamespace, resolveContainerPorts } from "./resolve";
import {
    AppServiceSpec,
    AppSpec,
    DEFAULT_NAMESPACE,
    DEFAULT_NODE_PORT_RANGE,
    Protocol,
    ServiceClusterSpec,
    ServiceType,
} from "./types";

/** Where the Services and the cluster settings live, for naming them in problems. */
export interface ServicesKeys {
    /** The key path of the Service at `index`: `clusternet:services[0]`, `args.services[0]`, or `args` for one AppService. */
    service(index: number): string;
    /** The key path of the cluster settings: `clusternet:cluster`, `args.cluster`. */
    readonly cluster: string;
    /** The key of a port given by name: `targetPortName` in args, `targetPort` in the stack config. */
    readonly portNameField: PortNameField;
}

/** Services keys for a stack (`STACK_KEYS`) or a ClusterNetwork (`ARGS_KEYS`). */
export function servicesKeys(keys: Pick<SectionKeys, "services" | "cluster" | "portNameField">): ServicesKeys {
    return {
        service: (index) => keyPath(keys.services, index),
        cluster: keys.cluster,
        portNameField: keys.portNameField,
    };
}

/**
 * A node port someone claims. Node ports are one pool per cluster: the same number can serve one Service's TCP and
 * UDP ports, but never two owners.
 */
export interface NodePortClaim {
    readonly nodePort: number;
    readonly protocol: Protocol;
    /** Who claims it; claims by one owner may share a number across protocols. E.g. `Service demo/web`. */
    readonly owner: string;
    /** The claiming key, e.g. `clusternet:services[0].ports[1].nodePort`. */
    readonly key: string;
    /** Whether leaving the key out lets the cluster choose (a Service's node port), instead of a default applying. Default true. */
    readonly clusterChoosesWhenOmitted?: boolean;
    /** Whether the port is a default nobody wrote (the Ingress controller's), so messages do not blame the key. Default false. */
    readonly defaulted?: boolean;
}

const PORT_FIX = "use a whole number from 1 to 65535";
const IANA_RULE =
    "an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row";
const PROTOCOLS = Object.values(Protocol) as string[];
const SERVICE_TYPES = Object.values(ServiceType) as string[];
/** Kubernetes' quantity syntax: a decimal number and an optional binary (Ki...), decimal (m, k, M...) or exponent suffix. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

function isPort(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function isProtocol(value: unknown): value is Protocol {
    return typeof value === "string" && PROTOCOLS.includes(value);
}

/** `http (80), 9000` */
function describePorts(ports: readonly ResolvedContainerPort[]): string {
    return ports.map((port) => (port.name ? `${port.name} (${port.port})` : String(port.port))).join(", ");
}

function ofProtocol(ports: readonly ResolvedContainerPort[], protocol: Protocol): ResolvedContainerPort[] {
    return ports.filter((port) => port.protocol === protocol);
}

function portListNote(ports: readonly ResolvedContainerPort[], protocol: Protocol): string {
    const matching = ofProtocol(ports, protocol);
    return matching.length > 0 ? `its ${protocol} ports: ${describePorts(matching)}` : `it has no ${protocol} ports`;
}

/** A fix that also allows a port name: in the stack config the same key takes it, in args its own field. */
function orPortName(numberField: string, portNameField: PortNameField): string {
    const nameField = portNameField(numberField);
    return nameField === numberField ? "or a container port's name" : `or a container port's name as ${nameField}`;
}

/** A port given both by number and by name: only possible in args, where they are two fields. */
function bothGiven(numberField: string, nameKey: string): Problem {
    return {
        key: nameKey,
        message: `is set together with ${numberField}, but a port is given by number or by name, not both`,
        fix: "remove one of them",
    };
}

/**
 * The Service port's own checks: Kubernetes' rules (components/rules) plus what only the stack knows, the app's
 * container ports. Node port ranges and conflicts are stack-wide (checkNodePortClaims).
 */
function validatePorts(
    spec: AppServiceSpec,
    key: string,
    containerPorts: readonly ResolvedContainerPort[] | undefined,
    portNameField: PortNameField,
    problems: Problem[],
): void {
    const portsKey = keyPath(key, "ports");
    if (!Array.isArray(spec.ports) || spec.ports.length === 0) {
        // Stricter than Kubernetes for headless Services: the stack's app, probe and port map need a port.
        problems.push({
            key: portsKey,
            message: "has no ports",
            fix: "add at least one port, e.g. { name: http, port: 80 }",
        });
        return;
    }
    const type = spec.type || ServiceType.ClusterIP;
    const fields = spec.ports.map((port) => ({
        name: port.name,
        port: port.port,
        protocol: port.protocol,
        nodePort: port.nodePort,
        targetPort:
            port.targetPort !== undefined && port.targetPortName !== undefined
                ? undefined
                : (port.targetPortName ?? port.targetPort),
    }));
    const found = servicePortsFindings(fields, portsKey, {
        type,
        headless: spec.headless === true,
        targetPortNameField: portNameField,
    });
    spec.ports.forEach((port, index) => {
        const at = (field: string): string => keyPath(portsKey, index, field);
        const problems = found;
        const protocol = defaultedProtocol(port.protocol);
        if (!isProtocol(protocol)) {
            return;
        }
        const target = port.targetPort;
        const targetName = port.targetPortName;
        const targetNameKey = at(portNameField("targetPort"));
        if (target !== undefined && targetName !== undefined) {
            problems.push(bothGiven("targetPort", targetNameKey));
        } else if (targetName !== undefined) {
            if (typeof targetName === "string" && isIanaServiceName(targetName) && containerPorts) {
                validateNamedTarget(targetName, protocol, containerPorts, targetNameKey, problems);
            }
        } else if (containerPorts && (isUnsetTargetPort(target) || isPort(target)) && isPort(port.port)) {
            // Container ports are informational to Kubernetes, but here the app declares all of them: a number
            // that is not among them is a typo that leaves the port without a listener.
            const number = isPort(target) ? target : port.port;
            if (!findContainerPort(containerPorts, number, protocol)) {
                const named = ofProtocol(containerPorts, protocol);
                problems.push({
                    key: at("targetPort"),
                    message: !isPort(target)
                        ? `is not set, so it is the port ${number}, which is not a ${protocol} container port of the app (${portListNote(containerPorts, protocol)})`
                        : `${number} is not a ${protocol} container port of the app (${portListNote(containerPorts, protocol)})`,
                    fix:
                        named.length > 0
                            ? `target one of ${describePorts(named)}, or add ${number}/${protocol} to app.containerPorts`
                            : `add ${number}/${protocol} to app.containerPorts`,
                });
            }
        }
    });
    // Port by port, as the user reads them: Kubernetes' rules first, then the app's.
    const portIndex = (problem: Problem): number =>
        Number(/^\[(\d+)\]/.exec(problem.key.slice(portsKey.length))?.[1] ?? -1);
    problems.push(...found.sort((a, b) => portIndex(a) - portIndex(b)));
}

function validateNamedTarget(
    target: string,
    protocol: Protocol,
    containerPorts: readonly ResolvedContainerPort[],
    key: string,
    problems: Problem[],
): void {
    if (findContainerPort(containerPorts, target, protocol)) {
        return;
    }
    const other = containerPorts.find((port) => port.name === target);
    if (other) {
        problems.push({
            key,
            message: `${show(target)} names a ${other.protocol} container port, but this port is ${protocol}; Kubernetes matches named ports by name and protocol`,
            fix: `set this port's protocol to ${other.protocol}, or target a ${protocol} container port`,
        });
        return;
    }
    const named = ofProtocol(containerPorts, protocol).filter((port) => port.name !== undefined);
    problems.push({
        key,
        message: `${show(target)} is not the name of a ${protocol} container port of the app (${portListNote(containerPorts, protocol)})`,
        fix:
            named.length > 0
                ? `use one of ${named.map((port) => port.name).join(", ")}, or a port number`
                : `name a ${protocol} port ${show(target)} in app.containerPorts, or use a port number`,
    });
}

function validateQuantities(
    values: Record<string, string | number> | undefined,
    key: string,
    problems: Problem[],
): void {
    for (const [resource, value] of Object.entries(values ?? {})) {
        const valid =
            typeof value === "number"
                ? Number.isFinite(value) && value >= 0
                : QUANTITY.test(value) && !value.startsWith("-");
        if (!valid) {
            problems.push({
                key: keyPath(key, resource),
                message: `${show(value)} is not a Kubernetes quantity`,
                fix: "write e.g. 100m or 0.5 (CPU), 128Mi or 1Gi (memory)",
            });
        }
    }
}

function validateApp(
    app: AppSpec,
    key: string,
    portNameField: PortNameField,
    problems: Problem[],
): readonly ResolvedContainerPort[] | undefined {
    const at = (...segments: Array<string | number>): string => keyPath(key, ...segments);
    if (typeof app.image !== "string" || app.image.trim() === "") {
        problems.push({
            key: at("image"),
            message: "is empty",
            fix: "set a container image pinned by tag or digest, e.g. nginx:1.27.5",
        });
    } else {
        const image = parseImage(app.image);
        if (/\s/.test(app.image) || image.repository === "" || image.tag === "" || image.digest === "") {
            problems.push({
                key: at("image"),
                message: `${show(app.image)} is not an image reference`,
                fix: "write REPOSITORY:TAG or REPOSITORY@sha256:DIGEST, e.g. nginx:1.27.5",
            });
        } else if (image.digest === undefined && (image.tag === undefined || image.tag === "latest")) {
            problems.push({
                key: at("image"),
                message: `${show(app.image)} is not pinned (${image.tag === undefined ? "no tag, so latest" : "the latest tag"}): nodes may run different versions and a restart may upgrade it`,
                fix: `pin a version or digest, e.g. ${image.repository}:1.2.3 or ${image.repository}@sha256:...`,
            });
        }
    }
    if (app.replicas !== undefined && !(Number.isInteger(app.replicas) && app.replicas >= 0)) {
        problems.push({
            key: at("replicas"),
            message: `${show(app.replicas)} is not a replica count`,
            fix: "use a whole number, 0 or more",
        });
    }
    if (
        app.readyTimeoutSeconds !== undefined &&
        !(Number.isInteger(app.readyTimeoutSeconds) && app.readyTimeoutSeconds >= 1)
    ) {
        problems.push({
            key: at("readyTimeoutSeconds"),
            message: `${show(app.readyTimeoutSeconds)} is not a timeout`,
            fix: "use a whole number of seconds, at least 1",
        });
    }

    if (!Array.isArray(app.containerPorts) || app.containerPorts.length === 0) {
        problems.push({
            key: at("containerPorts"),
            message: "has no ports",
            fix: "list the ports the container listens on, e.g. { name: http, port: 80 }",
        });
        return undefined;
    }
    let portsValid = true;
    const names = new Map<string, number>();
    app.containerPorts.forEach((port, index) => {
        if (port.name !== undefined) {
            if (!isIanaServiceName(port.name)) {
                portsValid = false;
                problems.push({
                    key: at("containerPorts", index, "name"),
                    message: `${show(port.name)} is not a valid container port name (${IANA_RULE})`,
                    fix: "use a short name such as http, https or metrics",
                });
            } else if (names.has(port.name)) {
                portsValid = false;
                problems.push({
                    key: at("containerPorts", index, "name"),
                    message: `${show(port.name)} is also the name of containerPorts[${names.get(port.name)}]`,
                    fix: "give every container port its own name",
                });
            } else {
                names.set(port.name, index);
            }
        }
        if (!isPort(port.port)) {
            portsValid = false;
            problems.push({
                key: at("containerPorts", index, "port"),
                message: `${show(port.port)} is not a port number`,
                fix: PORT_FIX,
            });
        }
        if (port.protocol !== undefined && !isProtocol(port.protocol)) {
            portsValid = false;
            problems.push({
                key: at("containerPorts", index, "protocol"),
                message: `${show(port.protocol)} is not a protocol`,
                fix: "use TCP, UDP or SCTP",
            });
        }
    });
    // Port lookups against broken container ports would only repeat those problems.
    const containerPorts = portsValid ? resolveContainerPorts(app.containerPorts) : undefined;

    if (app.readinessPath !== undefined && !app.readinessPath.startsWith("/")) {
        problems.push({
            key: at("readinessPath"),
            message: `${show(app.readinessPath)} is not an absolute path`,
            fix: `start it with /, e.g. /${app.readinessPath}`,
        });
    } else if (app.readinessPath !== undefined && !URL_PATH_AND_QUERY.test(app.readinessPath)) {
        // The kubelet puts it in a request line: spaces and control characters would split or break it.
        problems.push({
            key: at("readinessPath"),
            message: `${show(app.readinessPath)} holds characters a URL path cannot (RFC 3986: letters, digits and -._~!$&'()*+,;=:@/ or %XX, then ?query)`,
            fix: `percent-encode them: write ${show(percentEncodePath(app.readinessPath))}`,
        });
    }
    const probe = app.readinessPort;
    const probeName = app.readinessPortName;
    const probeNameKey = at(portNameField("readinessPort"));
    if (probe !== undefined && probeName !== undefined) {
        problems.push(bothGiven("readinessPort", probeNameKey));
    } else if (containerPorts) {
        if (probeName !== undefined) {
            const port = containerPorts.find((candidate) => candidate.name === probeName);
            if (!port) {
                const named = containerPorts.filter(
                    (candidate) => candidate.name !== undefined && candidate.protocol === Protocol.TCP,
                );
                problems.push({
                    key: probeNameKey,
                    message: `${show(probeName)} is not the name of a container port of the app`,
                    fix:
                        named.length > 0
                            ? `use one of ${named.map((candidate) => candidate.name).join(", ")}, or a port number`
                            : "use a port number",
                });
            } else if (port.protocol !== Protocol.TCP) {
                problems.push({
                    key: probeNameKey,
                    message: `${show(probeName)} is a ${port.protocol} port, but readiness probes connect over TCP`,
                    fix: "probe a TCP port",
                });
            }
        } else if (probe !== undefined && !isPort(probe)) {
            problems.push({
                key: at("readinessPort"),
                message: `${show(probe)} is not a port number`,
                fix: `${PORT_FIX}, ${orPortName("readinessPort", portNameField)}`,
            });
        } else if (
            probe === undefined &&
            app.readinessPath !== undefined &&
            !containerPorts.some((port) => port.protocol === Protocol.TCP)
        ) {
            problems.push({
                key: at("readinessPath"),
                message: "needs a TCP port to probe, and the app has none",
                fix: "set readinessPort, or drop readinessPath",
            });
        }
    }
    validateQuantities(app.resources?.requests, at("resources", "requests"), problems);
    validateQuantities(app.resources?.limits, at("resources", "limits"), problems);
    for (const name of Object.keys(app.env ?? {})) {
        // Kubernetes 1.34 accepts any printable ASCII but '='.
        if (name === "" || name.includes("=") || !/^[\x20-\x7e]+$/.test(name)) {
            problems.push({
                key: at("env"),
                message: `${show(name)} is not a valid environment variable name`,
                fix: "use printable characters without '=', e.g. LOG_LEVEL",
            });
        }
    }
    return containerPorts;
}

function validateSelector(selector: Record<string, string>, key: string, problems: Problem[]): void {
    const entries = Object.entries(selector);
    if (entries.length === 0) {
        problems.push({
            key,
            message: "is empty, and a Service with an empty selector manages no endpoints",
            fix: "list the labels of the pods to select, e.g. { app: web }",
        });
    }
    for (const [label, value] of entries) {
        if (!isLabelKey(label)) {
            problems.push({
                key,
                message: `${show(label)} is not a valid label key`,
                fix: "write NAME or PREFIX/NAME, e.g. app or app.kubernetes.io/name",
            });
        } else if (typeof value !== "string" || !isLabelValue(value)) {
            problems.push({
                key: keyPath(key, label),
                message: `${show(value)} is not a valid label value${lengthNote(value, 63)}`,
                fix: "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            });
        }
    }
}

/** Checks a pinned clusterIP with Kubernetes' rules (components/rules) against the Service CIDR of its family. */
function validateClusterIp(
    clusterIP: string,
    key: string,
    network: ServiceNetwork,
    problems: Problem[],
): bigint | undefined {
    if (clusterIP === HEADLESS_CLUSTER_IP) {
        // Deliberately stricter than Kubernetes (docs/configuration.md, "Deliberately stricter"): one spelling for headless.
        problems.push({
            key,
            message: `"None" is how Kubernetes spells a headless Service`,
            fix: "write headless: true instead",
        });
        return undefined;
    }
    // As the API server: IPv6 in any valid spelling (serviceClusterIpWarnings warns; the Service gets the canonical form).
    const parsed = parseServiceIp(clusterIP);
    if (!parsed.ok) {
        problems.push(
            ...parsed.problems.map((problem) => problemAt(problem, key, "write an IP address inside the Service CIDR")),
        );
        return undefined;
    }
    const ranges: Partial<Record<IpFamily, ServiceCidrSource>> = {};
    for (const range of Object.values(network.ranges)) {
        ranges[range.cidr.family] = { cidr: range.cidr, source: range.key };
    }
    const found = clusterIpFindings(parsed.value, ranges, key);
    problems.push(...found);
    return found.length === 0 ? parsed.value.value : undefined;
}

function where(spec: AppServiceSpec): string {
    return `${spec.namespace ?? DEFAULT_NAMESPACE}/${spec.name}`;
}

/** One Service's checks. Returns the problems, and the parsed pinned clusterIP when it is usable. */
function validateService(
    spec: AppServiceSpec,
    key: string,
    network: ServiceNetwork,
    portNameField: PortNameField,
): { problems: Problem[]; clusterIp?: bigint } {
    const problems: Problem[] = [];
    const at = (field: string): string => keyPath(key, field);
    if (typeof spec.name !== "string" || !isDns1035Label(spec.name)) {
        problems.push({
            key: at("name"),
            message: `${show(spec.name)} is not a valid Service name (a DNS-1035 label)${lengthNote(spec.name, 63)}`,
            fix: "use lowercase letters, digits and '-', starting with a letter, at most 63 characters, e.g. web",
        });
    }
    if (spec.namespace !== undefined && !isDns1123Label(spec.namespace)) {
        problems.push({
            key: at("namespace"),
            message: `${show(spec.namespace)} is not a valid namespace name (a DNS-1123 label)${lengthNote(spec.namespace, 63)}`,
            fix: "use lowercase letters, digits and '-', at most 63 characters, e.g. demo",
        });
    }
    const type = spec.type || ServiceType.ClusterIP;
    if ((type as string) === "ExternalName") {
        // Deliberately stricter than Kubernetes (docs/configuration.md, "Deliberately stricter").
        problems.push({
            key: at("type"),
            message:
                "ExternalName is valid in Kubernetes, but not for a stack Service: it is a DNS alias with no ports or endpoints, and a stack Service fronts its app or selected pods",
            fix: `use one of ${SERVICE_TYPES.join(", ")}, or create the ExternalName Service outside clusternet`,
        });
    } else {
        problems.push(
            ...serviceTypeFindings(type, spec.headless === true, key, {
                types: SERVICE_TYPES,
                headlessKey: "headless",
            }),
        );
    }
    let clusterIp: bigint | undefined;
    // An empty clusterIP is unset: the API server allocates one.
    const pinned = spec.clusterIP === "" ? undefined : spec.clusterIP;
    if (spec.headless) {
        if (pinned !== undefined) {
            problems.push({
                key: at("clusterIP"),
                message: 'is set, but a headless Service has no cluster IP ("None")',
                fix: "remove clusterIP, or drop headless",
            });
        }
    } else if (pinned !== undefined) {
        clusterIp = validateClusterIp(pinned, at("clusterIP"), network, problems);
    }

    let containerPorts: readonly ResolvedContainerPort[] | undefined;
    if (spec.app && spec.selector) {
        problems.push({
            key: at("selector"),
            message: "is set together with app, whose labels are the selector",
            fix: "remove selector (or app, to select pods that exist already)",
        });
    } else if (spec.app) {
        containerPorts = validateApp(spec.app, at("app"), portNameField, problems);
    } else if (spec.selector) {
        validateSelector(spec.selector, at("selector"), problems);
    } else {
        problems.push({
            key,
            message: `Service ${where(spec)} has neither app nor selector, so it selects no pods and never has endpoints`,
            fix: "add app (a Deployment made with the Service) or selector (the labels of pods that exist)",
        });
    }
    validatePorts(spec, key, spec.app ? containerPorts : undefined, portNameField, problems);
    return { problems, clusterIp };
}

/**
 * Warnings for pinned clusterIPs the API server accepts but asks to be written in canonical form (IPv6 with zeros
 * or upper case): the rendered Service carries the canonical form (canonicalClusterIp).
 */
export function serviceClusterIpWarnings(services: readonly AppServiceSpec[], keys: ServicesKeys): Problem[] {
    const warnings: Problem[] = [];
    services.forEach((spec, index) => {
        if (spec.headless || typeof spec.clusterIP !== "string" || spec.clusterIP === "") {
            return;
        }
        const parsed = parseServiceIp(spec.clusterIP);
        if (parsed.ok && parsed.value.canonical !== undefined) {
            warnings.push(
                nonCanonicalWarning(spec.clusterIP, parsed.value.canonical, keyPath(keys.service(index), "clusterIP")),
            );
        }
    });
    return warnings;
}

/** The node ports a list of Services claims: fixed ones of NodePort and LoadBalancer Services. */
export function serviceNodePortClaims(services: readonly AppServiceSpec[], keys: ServicesKeys): NodePortClaim[] {
    const claims: NodePortClaim[] = [];
    services.forEach((spec, index) => {
        const type = spec.type || ServiceType.ClusterIP;
        if (type !== ServiceType.NodePort && type !== ServiceType.LoadBalancer) {
            return;
        }
        (Array.isArray(spec.ports) ? spec.ports : []).forEach((port, portIndex) => {
            const protocol = port.protocol || Protocol.TCP;
            if (isPort(port.nodePort) && isProtocol(protocol)) {
                claims.push({
                    nodePort: port.nodePort,
                    protocol,
                    owner: `Service ${where(spec)}`,
                    key: keyPath(keys.service(index), "ports", portIndex, "nodePort"),
                });
            }
        });
    });
    return claims;
}

/**
 * Checks node port claims from anywhere in the stack (Services, the ingress controller...): each inside the node
 * port range, and no number claimed twice, except by one owner on different protocols. Problems name the later
 * claim's key and the earlier one.
 */
export function checkNodePortClaims(
    claims: readonly NodePortClaim[],
    range: { readonly range: NodePortRange | undefined; readonly text: string; readonly key: string },
): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<number, NodePortClaim[]>();
    const pick = range.range ? `pick a port from ${range.range.first} to ${range.range.last}` : "pick another port";
    for (const claim of claims) {
        const orOmit = claim.clusterChoosesWhenOmitted === false ? "" : ", or leave it out to let the cluster choose";
        const which = claim.defaulted ? `the default ${claim.nodePort} (not set in the stack)` : `${claim.nodePort}`;
        if (range.range && (claim.nodePort < range.range.first || claim.nodePort > range.range.last)) {
            problems.push({
                key: claim.key,
                message: `${which} is outside the node port range ${range.text} (${range.key})`,
                fix: `${pick}${orOmit}`,
            });
            continue;
        }
        const earlier = seen.get(claim.nodePort) ?? [];
        const clash = earlier.find((other) => other.owner !== claim.owner || other.protocol === claim.protocol);
        if (clash) {
            problems.push({
                key: claim.key,
                message:
                    clash.owner === claim.owner
                        ? `${claim.protocol} node port ${claim.nodePort} is also ${clash.key}`
                        : `${which} is already the node port of ${clash.owner} (${clash.key}${clash.defaulted ? ", its default" : ""}); node ports are unique across the cluster`,
                fix: `${pick} that nothing else uses${orOmit}`,
            });
            continue;
        }
        seen.set(claim.nodePort, [...earlier, claim]);
    }
    return problems;
}

/**
 * Only the stack-wide node port rules (range, uniqueness) over the Services' and the extra claims: for when the
 * address plan failed and the Services cannot be checked in full, so the run still reports node port clashes.
 */
export function validateNodePorts(
    services: readonly AppServiceSpec[],
    extraClaims: readonly NodePortClaim[],
    nodePortRange: string | undefined,
    keys: ServicesKeys,
): Problem[] {
    const text = nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    const key = keyPath(keys.cluster, "nodePortRange");
    const range = parseNodePortRange(text);
    if (!range.ok) {
        return range.problems.map((problem) => problemAt(problem, key));
    }
    return checkNodePortClaims([...serviceNodePortClaims(services, keys), ...extraClaims], {
        range: range.value,
        text,
        key,
    });
}

export interface ValidateServicesOptions {
    /** Node ports claimed elsewhere in the stack (the ingress controller's), checked together with the Services'. Default none. */
    readonly extraNodePortClaims?: readonly NodePortClaim[];
}

/**
 * Validates Services and the workloads behind them with Kubernetes' own rules, plus what only the whole stack can
 * see: duplicate Services, pinned cluster IPs used twice, node ports outside the range or claimed twice (the
 * ingress controller's included), namespaces one Service creates and another says exist. Pure; never throws.
 */
export function validateServices(
    services: readonly AppServiceSpec[],
    cluster: ServiceClusterSpec | undefined,
    keys: ServicesKeys,
    options: ValidateServicesOptions = {},
): Problem[] {
    const { network, problems } = resolveServiceNetwork(cluster, keys.cluster);
    const byName = new Map<string, number>();
    const byClusterIp = new Map<bigint, number>();
    const namespaceCreators = new Map<string, { create: boolean; index: number }>();
    services.forEach((spec, index) => {
        const key = keys.service(index);
        const checked = validateService(spec, key, network, keys.portNameField);
        problems.push(...checked.problems);

        const id = where(spec);
        const first = byName.get(id);
        if (first !== undefined) {
            problems.push({
                key: keyPath(key, "name"),
                message: `Service ${id} is also defined at ${keys.service(first)}`,
                fix: "rename one of them, or move it to another namespace",
            });
        } else {
            byName.set(id, index);
        }

        if (checked.clusterIp !== undefined) {
            const owner = byClusterIp.get(checked.clusterIp);
            if (owner !== undefined) {
                problems.push({
                    key: keyPath(key, "clusterIP"),
                    message: `${spec.clusterIP} is also the clusterIP of ${keys.service(owner)} (Service ${where(services[owner]!)}); cluster IPs are unique across the cluster`,
                    fix: "pick another address, or leave clusterIP out to let the cluster choose",
                });
            } else {
                byClusterIp.set(checked.clusterIp, index);
            }
        }

        const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
        if (!isBuiltinNamespace(namespace)) {
            const create = spec.createNamespace ?? true;
            const other = namespaceCreators.get(namespace);
            if (other === undefined) {
                namespaceCreators.set(namespace, { create, index });
            } else if (other.create !== create) {
                problems.push({
                    key: keyPath(key, "createNamespace"),
                    message: create
                        ? `asks the stack to create namespace ${namespace}, but ${keys.service(other.index)} says it exists already (createNamespace: false)`
                        : `says namespace ${namespace} exists already, but ${keys.service(other.index)} asks the stack to create it`,
                    fix: `set createNamespace the same way on every Service in namespace ${namespace}`,
                });
            }
        }
    });
    const claims = [...serviceNodePortClaims(services, keys), ...(options.extraNodePortClaims ?? [])];
    problems.push(
        ...checkNodePortClaims(claims, {
            range: network.nodePortRange,
            text: network.nodePortRangeText,
            key: network.nodePortRangeKey,
        }),
    );
    return problems;
}

/** Namespaces the stack creates for these Services, once each, in first-use order. Built-in namespaces never. */
export function namespacesToCreate(services: readonly AppServiceSpec[]): string[] {
    const namespaces: string[] = [];
    for (const spec of services) {
        const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
        if ((spec.createNamespace ?? true) && !isBuiltinNamespace(namespace) && !namespaces.includes(namespace)) {
            namespaces.push(namespace);
        }
    }
    return namespaces;
}
