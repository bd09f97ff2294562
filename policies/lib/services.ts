import { ResourceLike, ResourceType, describe, namespaceOf, objectName } from "./kubernetes";
import { Props, asArray, asRecord, asString, asStringMap, at } from "./values";

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

export const HEADLESS = "None";

/** Types whose ports get a node port. */
export const NODE_PORT_TYPES: readonly string[] = ["NodePort", "LoadBalancer"];

export function serviceOf(resource: ResourceLike): ServiceInfo | undefined {
    if (resource.type !== ResourceType.Service) {
        return undefined;
    }
    const spec: Props = asRecord(at(resource.props, "spec")) ?? {};
    return {
        resource,
        description: describe(resource),
        namespace: namespaceOf(resource),
        name: objectName(resource),
        type: asString(spec["type"]) ?? "ClusterIP",
        clusterIP: asString(spec["clusterIP"]),
        clusterIPs: asArray(spec["clusterIPs"]),
        externalIPs: asArray(spec["externalIPs"]),
        selector: asStringMap(spec["selector"]),
        ports: asArray(spec["ports"]).map((entry, index) => {
            const port: Props = asRecord(entry) ?? {};
            return {
                index,
                name: asString(port["name"]),
                port: port["port"],
                targetPort: port["targetPort"],
                nodePort: port["nodePort"],
                protocol: asString(port["protocol"]) ?? "TCP",
            };
        }),
    };
}

export function servicesOf(resources: readonly ResourceLike[]): ServiceInfo[] {
    return resources.flatMap((resource) => {
        const service = serviceOf(resource);
        return service ? [service] : [];
    });
}

/** `port http (8080/TCP)` or `port 8080/TCP`, for messages. */
export function describePort(port: ServicePortInfo): string {
    const number = typeof port.port === "number" ? `${port.port}/${port.protocol}` : `${JSON.stringify(port.port)}/${port.protocol}`;
    return port.name ? `port ${port.name} (${number})` : `port ${number}`;
}
