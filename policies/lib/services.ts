import { HEADLESS_CLUSTER_IP, NODE_PORT_TYPES } from "../../components/rules";
import { ResourceLike, ResourceType, describe, namespaceOf, objectName } from "./kubernetes";
import { Props, asArray, asRecord, asString, asStringMap, at, lazy } from "./values";

export interface ServicePortInfo {
    readonly index: number;
    readonly name?: string;
    /** As written: normally a number. */
    readonly port: unknown;
    readonly targetPort: unknown;
    readonly nodePort: unknown;
    /** TCP when unset, as Kubernetes defaults it. */
    readonly protocol: string;
}

export interface ServiceInfo {
    readonly resource: ResourceLike;
    /** `Service demo/web`, for messages. */
    readonly description: string;
    readonly namespace: string;
    readonly name: string;
    /** ClusterIP when unset, as Kubernetes defaults it. */
    readonly type: string;
    readonly clusterIP?: string;
    readonly clusterIPs: readonly unknown[];
    readonly externalIPs: readonly unknown[];
    /** Undefined or empty: the Service selects no pods (its endpoints are managed by hand). */
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePortInfo[];
}

/** The clusterIP of a headless Service. */
export const HEADLESS = HEADLESS_CLUSTER_IP;

/** One entry of spec.ports, each field read on first use. */
class ServicePort implements ServicePortInfo {
    private readonly read: <T>(key: string, convert: (value: unknown) => T) => T;

    constructor(
        readonly index: number,
        raw: Props,
    ) {
        const cache = new Map<string, unknown>();
        this.read = <T>(key: string, convert: (value: unknown) => T): T => {
            if (!cache.has(key)) {
                cache.set(key, convert(raw[key]));
            }
            return cache.get(key) as T;
        };
    }

    get name(): string | undefined {
        return this.read("name", asString);
    }
    get port(): unknown {
        return this.read("port", (value) => value);
    }
    get targetPort(): unknown {
        return this.read("targetPort", (value) => value);
    }
    get nodePort(): unknown {
        return this.read("nodePort", (value) => value);
    }
    get protocol(): string {
        // Absent and "" are TCP after Kubernetes' defaulting.
        return this.read("protocol", (value) => asString(value) || "TCP");
    }
}

export function serviceOf(resource: ResourceLike): ServiceInfo | undefined {
    if (resource.type !== ResourceType.Service) {
        return undefined;
    }
    const spec = lazy((): Props => asRecord(at(resource.props, "spec")) ?? {});
    const namespace = lazy(() => namespaceOf(resource));
    const name = lazy(() => objectName(resource));
    // Absent and "" are ClusterIP after Kubernetes' defaulting.
    const type = lazy(() => asString(spec()["type"]) || "ClusterIP");
    const clusterIP = lazy(() => asString(spec()["clusterIP"]));
    const clusterIPs = lazy(() => asArray(spec()["clusterIPs"]));
    const externalIPs = lazy(() => asArray(spec()["externalIPs"]));
    const selector = lazy(() => asStringMap(spec()["selector"]));
    const ports = lazy(() =>
        asArray(spec()["ports"]).map((entry, index): ServicePortInfo => new ServicePort(index, asRecord(entry) ?? {})),
    );
    // Every field is read on first use: most policies need one or two of them, of thousands of Services.
    return {
        resource,
        get description() {
            return describe(resource);
        },
        get namespace() {
            return namespace();
        },
        get name() {
            return name();
        },
        get type() {
            return type();
        },
        get clusterIP() {
            return clusterIP();
        },
        get clusterIPs() {
            return clusterIPs();
        },
        get externalIPs() {
            return externalIPs();
        },
        get selector() {
            return selector();
        },
        get ports() {
            return ports();
        },
    };
}

/**
 * The node ports a Service fixes, reading only nodePort (and the protocol of those set): the cheap path for
 * policies that scan every Service for them.
 */
export function fixedNodePorts(service: ServiceInfo): Array<{ index: number; nodePort: number; protocol: string }> {
    if (!NODE_PORT_TYPES.includes(service.type)) {
        return [];
    }
    const ports = asArray(at(service.resource.props, "spec", "ports"));
    const result: Array<{ index: number; nodePort: number; protocol: string }> = [];
    for (let index = 0; index < ports.length; index++) {
        const port = ports[index];
        const nodePort = at(port, "nodePort");
        if (typeof nodePort === "number" && Number.isInteger(nodePort) && nodePort > 0) {
            result.push({ index, nodePort, protocol: asString(at(port, "protocol")) || "TCP" });
        }
    }
    return result;
}

export function servicesOf(resources: readonly ResourceLike[]): ServiceInfo[] {
    return resources.flatMap((resource) => {
        const service = serviceOf(resource);
        return service ? [service] : [];
    });
}

/** `port http (8080/TCP)` or `port 8080/TCP`, for messages. */
export function describePort(port: ServicePortInfo): string {
    const number =
        typeof port.port === "number"
            ? `${port.port}/${port.protocol}`
            : `${JSON.stringify(port.port)}/${port.protocol}`;
    return port.name ? `port ${port.name} (${number})` : `port ${number}`;
}

export { NODE_PORT_TYPES };
