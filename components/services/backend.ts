import { resolveService } from "./resolve";
import { AppServiceSpec, DEFAULT_NAMESPACE, Protocol, ServiceType } from "./types";

/** A reference to a Service port, as an Ingress backend (or anything else routing to a Service) names it. */
export interface ServiceBackendRef {
    /** The Service's name. */
    readonly service: string;
    /** Its namespace; needed only when two Services share the name. */
    readonly namespace?: string;
    /** The Service port, by its name or its number (the Service's `port`, not the pod's targetPort). */
    readonly port: number | string;
}

/** A Service port found by {@link findServiceBackend}, with every number resolved. */
export interface ServiceBackend {
    /** Index of the Service in the list searched (to build key paths such as `clusternet:services[0]`). */
    readonly serviceIndex: number;
    /** Index of the port in that Service's ports. */
    readonly portIndex: number;
    readonly service: string;
    readonly namespace: string;
    readonly type: ServiceType;
    readonly headless: boolean;
    readonly portName: string | null;
    readonly protocol: Protocol;
    /** The Service port. */
    readonly port: number;
    /** The pod port, resolved through the app's container ports; null when a name has no app to resolve it. */
    readonly targetPort: number | null;
    /** The fixed node port, if any. */
    readonly nodePort: number | null;
}

export type BackendLookup = { readonly ok: true; readonly value: ServiceBackend } | { readonly ok: false; readonly message: string; readonly fix: string };

/**
 * Finds a Service port among the stack's Services by name (and namespace) and port name or number, resolving the
 * target port to a number. Errors are values (message and fix, without a key: the caller knows where the
 * reference was written). Expects validated Service specs.
 */
export function findServiceBackend(services: readonly AppServiceSpec[], ref: ServiceBackendRef): BackendLookup {
    const candidates = services
        .map((spec, index) => ({ spec, index, namespace: spec.namespace ?? DEFAULT_NAMESPACE }))
        .filter((candidate) => candidate.spec.name === ref.service && (ref.namespace === undefined || candidate.namespace === ref.namespace));
    if (candidates.length === 0) {
        const names = [...new Set(services.map((spec) => `${spec.namespace ?? DEFAULT_NAMESPACE}/${spec.name}`))];
        return {
            ok: false,
            message: `there is no Service ${ref.namespace !== undefined ? `${ref.namespace}/${ref.service}` : JSON.stringify(ref.service)} in this stack`,
            fix: names.length > 0 ? `use one of ${names.join(", ")}` : "add the Service to clusternet:services first",
        };
    }
    if (candidates.length > 1) {
        return {
            ok: false,
            message: `${JSON.stringify(ref.service)} is the name of Services in namespaces ${candidates.map((candidate) => candidate.namespace).join(", ")}`,
            fix: "say which one with namespace",
        };
    }
    const { spec, index } = candidates[0]!;
    const resolved = resolveService(spec);
    const portIndex = resolved.ports.findIndex((port) => (typeof ref.port === "string" ? port.name === ref.port : port.port === ref.port));
    const port = resolved.ports[portIndex];
    if (!port) {
        const known = resolved.ports.map((candidate) => (candidate.name !== undefined ? `${candidate.name} (${candidate.port})` : String(candidate.port))).join(", ");
        return {
            ok: false,
            message: `Service ${resolved.namespace}/${resolved.name} has no port ${typeof ref.port === "string" ? JSON.stringify(ref.port) : ref.port}`,
            fix: `use one of its ports: ${known}`,
        };
    }
    return {
        ok: true,
        value: {
            serviceIndex: index,
            portIndex,
            service: resolved.name,
            namespace: resolved.namespace,
            type: resolved.type,
            headless: resolved.headless,
            portName: port.name ?? null,
            protocol: port.protocol,
            port: port.port,
            targetPort: port.targetPortNumber ?? null,
            nodePort: port.nodePort ?? null,
        },
    };
}
