import { Problem, isDns1123Label, isIanaServiceName, keyPath, show } from "../common";
import { HEADLESS_CLUSTER_IP } from "./service-addresses";
import { NodePortRangeSource, nodePortRangeFindings } from "./node-ports";

/** Kubernetes' Service types; `""` is ClusterIP after defaulting. */
export const SERVICE_TYPES: readonly string[] = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
/** Types whose ports get a node port. */
export const NODE_PORT_TYPES: readonly string[] = ["NodePort", "LoadBalancer"];
/** Kubernetes' port protocols; `""` is TCP after defaulting. */
export const PROTOCOLS: readonly string[] = ["TCP", "UDP", "SCTP"];

/** One Service port as written, in an object or in the stack config: any field may be absent or wrong. */
export interface ServicePortFields {
    readonly name?: unknown;
    readonly port?: unknown;
    /** A number, or a container port's name (a string). 0 and "" mean unset, as Kubernetes defaults them to `port`. */
    readonly targetPort?: unknown;
    /** "" means TCP, as Kubernetes defaults it. */
    readonly protocol?: unknown;
    /** 0 means unset (the cluster picks one). */
    readonly nodePort?: unknown;
}

export interface ServicePortsContext {
    /** The Service's type after defaulting. */
    readonly type: string;
    readonly headless: boolean;
    /** The key of a targetPort given by name, from the number's key: `targetPortName` in component args. Default the same key. */
    readonly targetPortNameField?: (numberField: string) => string;
    /** When given, fixed node ports are checked against it and for repeats within the Service. */
    readonly nodePorts?: NodePortRangeSource;
}

const PORT_FIX = "use a whole number from 1 to 65535";
export const IANA_SVC_NAME_RULE =
    "an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row";

export function isPortNumber(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A protocol after Kubernetes' defaulting: absent or "" is TCP. */
export function defaultedProtocol(value: unknown): unknown {
    return value === undefined || value === "" ? "TCP" : value;
}

/** A Service type after Kubernetes' defaulting: absent or "" is ClusterIP. */
export function defaultedServiceType(value: unknown): unknown {
    return value === undefined || value === "" ? "ClusterIP" : value;
}

/** A targetPort is unset when absent, 0 or "" (Kubernetes then uses the port's own number). */
export function isUnsetTargetPort(value: unknown): boolean {
    return value === undefined || value === 0 || value === "";
}

/**
 * The Service's type and headlessness, as the API server validates them: a known type, and a headless Service
 * (clusterIP None) only of type ClusterIP.
 */
export function serviceTypeFindings(
    type: unknown,
    headless: boolean,
    path: string,
    { types = SERVICE_TYPES, headlessKey = "clusterIP" }: { types?: readonly string[]; headlessKey?: string } = {},
): Problem[] {
    const defaulted = defaultedServiceType(type);
    if (typeof defaulted !== "string" || !types.includes(defaulted)) {
        return [
            {
                key: keyPath(path, "type"),
                message: `${show(type)} is not a Service type; the API server refuses it ("Unsupported value")`,
                fix: `use one of ${types.join(", ")}`,
            },
        ];
    }
    if (headless && NODE_PORT_TYPES.includes(defaulted)) {
        return [
            {
                key: keyPath(path, headlessKey),
                message: `a headless Service (clusterIP ${HEADLESS_CLUSTER_IP}) cannot be of type ${defaulted}; the API server refuses it`,
                fix: "use type ClusterIP for a headless Service, or make it not headless",
            },
        ];
    }
    return [];
}

/**
 * A Service's ports as the API server validates them (pkg/apis/core/validation `validateServicePort` and the
 * checks around it), at `path` (the ports list's key): at least one unless headless; names DNS-1123 labels,
 * required and unique with several ports; protocols TCP, UDP or SCTP; port numbers 1-65535, each (protocol, port)
 * once; targetPorts 1-65535 or an IANA service name; node ports only on NodePort and LoadBalancer Services and,
 * with `context.nodePorts`, inside the range and each (protocol, nodePort) once. Explicit empty values that
 * Kubernetes defaults (protocol "", targetPort 0 or "", nodePort 0) count as unset.
 */
export function servicePortsFindings(
    ports: readonly ServicePortFields[],
    path: string,
    context: ServicePortsContext,
): Problem[] {
    const problems: Problem[] = [];
    if (ports.length === 0) {
        if (!context.headless) {
            problems.push({
                key: path,
                message: "has no ports; the API server requires at least one for a Service that is not headless",
                fix: "add a port, e.g. { name: http, port: 80 }",
            });
        }
        return problems;
    }
    const nameField = context.targetPortNameField ?? ((field: string) => field);
    const several = ports.length > 1;
    const names = new Map<string, number>();
    const pairs = new Map<string, number>();
    const nodePairs = new Map<string, number>();
    ports.forEach((port, index) => {
        const at = (field: string): string => keyPath(path, index, field);
        const name = port.name;
        if (name === undefined || name === "") {
            if (several) {
                problems.push({
                    key: at("name"),
                    message: `is required because the Service has ${ports.length} ports (the API server needs a name per port to tell them apart)`,
                    fix: `name every port with a DNS-1123 label, e.g. ${isPortNumber(port.port) ? `port-${port.port}` : "http"}`,
                });
            }
        } else if (typeof name !== "string" || !isDns1123Label(name)) {
            problems.push({
                key: at("name"),
                message: `${show(name)} is not a valid port name (a DNS-1123 label)`,
                fix: "use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, e.g. http",
            });
        } else if (names.has(name)) {
            problems.push({
                key: at("name"),
                message: `${show(name)} is also the name of ports[${names.get(name)}]; the API server refuses duplicate port names`,
                fix: "give every port its own name",
            });
        } else {
            names.set(name, index);
        }

        const protocol = defaultedProtocol(port.protocol);
        const protocolValid = typeof protocol === "string" && PROTOCOLS.includes(protocol);
        if (!protocolValid) {
            problems.push({
                key: at("protocol"),
                message: `${show(port.protocol)} is not a protocol; the API server takes only ${PROTOCOLS.join(", ")} (upper case)`,
                fix: "use TCP, UDP or SCTP",
            });
        }
        if (!isPortNumber(port.port)) {
            problems.push({ key: at("port"), message: `${show(port.port)} is not a port number`, fix: PORT_FIX });
        } else if (protocolValid) {
            const pair = `${protocol}/${port.port}`;
            const first = pairs.get(pair);
            if (first !== undefined) {
                problems.push({
                    key: at("port"),
                    message: `${pair} is also ports[${first}]; the API server refuses a duplicate (protocol, port)`,
                    fix: "use another port number, or remove one of them",
                });
            } else {
                pairs.set(pair, index);
            }
        }

        const target = port.targetPort;
        if (!isUnsetTargetPort(target)) {
            if (typeof target === "number") {
                if (!isPortNumber(target)) {
                    problems.push({
                        key: at("targetPort"),
                        message: `${show(target)} is not a port number`,
                        fix: `${PORT_FIX}, or a container port's name${nameField("targetPort") === "targetPort" ? "" : ` as ${nameField("targetPort")}`}`,
                    });
                }
            } else if (typeof target === "string") {
                if (!isIanaServiceName(target)) {
                    const numeric = /^\d+$/.test(target)
                        ? `; a number written as a string is read as a port name: write ${target} without quotes`
                        : "";
                    problems.push({
                        key: at(nameField("targetPort")),
                        message: `${show(target)} is not a valid port name (${IANA_SVC_NAME_RULE})${numeric}`,
                        fix: "use a container port's name, such as http, or its number",
                    });
                }
            } else {
                problems.push({
                    key: at("targetPort"),
                    message: `${show(target)} is neither a port number nor a port name`,
                    fix: "use the container port's number or its name",
                });
            }
        }

        const nodePort = port.nodePort;
        if (nodePort === undefined || nodePort === 0) {
            return;
        }
        if (!isPortNumber(nodePort)) {
            problems.push({
                key: at("nodePort"),
                message: `${show(nodePort)} is not a port number`,
                fix: `${PORT_FIX}, inside the node port range`,
            });
            return;
        }
        if (!NODE_PORT_TYPES.includes(context.type)) {
            problems.push({
                key: at("nodePort"),
                message: `is set, but a ${context.type} Service has no node ports; the API server refuses it`,
                fix: "remove nodePort, or make the Service type NodePort",
            });
            return;
        }
        if (context.nodePorts) {
            const outside = nodePortRangeFindings(nodePort, context.nodePorts, at("nodePort"));
            if (outside.length > 0) {
                problems.push(...outside);
                return;
            }
            const pair = `${protocolValid ? protocol : "?"}/${nodePort}`;
            const first = nodePairs.get(pair);
            if (first !== undefined) {
                problems.push({
                    key: at("nodePort"),
                    message: `${pair} is also the node port of ports[${first}]; the API server refuses a duplicate (protocol, nodePort)`,
                    fix: "give each port its own node port",
                });
            } else {
                nodePairs.set(pair, index);
            }
        }
    });
    return problems;
}
