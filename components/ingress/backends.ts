import { show } from "../common";
import { BackendService, BackendServicePort } from "./types";

/** The namespace a Service lives in when none is given, as Kubernetes defaults it. */
export const DEFAULT_NAMESPACE = "default";

/** A Service of the stack with its position in the list, for key paths. */
export interface ServiceMatch {
    readonly service: BackendService;
    readonly index: number;
    readonly namespace: string;
}

/** A backend reference resolved to a Service port of the stack. */
export interface ResolvedBackend {
    readonly service: BackendService;
    readonly serviceIndex: number;
    readonly namespace: string;
    readonly port: BackendServicePort;
    readonly portIndex: number;
}

/** Why a backend reference does not resolve: which field is wrong, what is wrong, what would be right. */
export interface BackendError {
    readonly field: "service" | "namespace" | "port";
    readonly message: string;
    readonly fix: string;
}

export type BackendLookup = { readonly ok: true; readonly backend: ResolvedBackend } | { readonly ok: false; readonly error: BackendError };

/** The Services of that name, in that namespace when one is given. */
export function findServices(services: readonly BackendService[], name: string, namespace?: string): ServiceMatch[] {
    const matches: ServiceMatch[] = [];
    services.forEach((service, index) => {
        const serviceNamespace = service.namespace ?? DEFAULT_NAMESPACE;
        if (service.name === name && (namespace === undefined || serviceNamespace === namespace)) {
            matches.push({ service, index, namespace: serviceNamespace });
        }
    });
    return matches;
}

/** A port of the Service by name, or by its `port` number (not its targetPort or nodePort). */
export function findServicePort(service: BackendService, port: number | string): { port: BackendServicePort; index: number } | undefined {
    const index = service.ports.findIndex((candidate) => (typeof port === "number" ? candidate.port === port : candidate.name === port));
    return index < 0 ? undefined : { port: service.ports[index]!, index };
}

function describePorts(service: BackendService): string {
    return service.ports.map((port) => (port.name ? `${port.name} (${port.port})` : String(port.port))).join(", ");
}

function qualified(match: { namespace: string; service: BackendService }): string {
    return `${match.namespace}/${match.service.name}`;
}

/**
 * Resolves a route's backend (Service by name, optionally namespace, and port by name or number) against the
 * stack's Services, explaining every way it can miss: no such Service, an ambiguous name, no such port, a
 * number that is the port's targetPort or nodePort instead of its port, a port that does not carry TCP.
 */
export function resolveBackend(services: readonly BackendService[], reference: { service: string; port: number | string; namespace?: string }): BackendLookup {
    if (typeof reference.port !== "number" && typeof reference.port !== "string") {
        return { ok: false, error: { field: "port", message: "is required", fix: "name the Service's port, by name or number" } };
    }
    const byName = findServices(services, reference.service);
    if (byName.length === 0) {
        const known = services.map((service) => `${service.namespace ?? DEFAULT_NAMESPACE}/${service.name}`);
        return {
            ok: false,
            error: {
                field: "service",
                message: `there is no Service ${show(reference.service)} in the stack's Services`,
                fix: known.length > 0 ? `name one of ${known.join(", ")}, or add it to clusternet:services` : "add it to clusternet:services (the stack has no Services yet)",
            },
        };
    }
    const matches = reference.namespace === undefined ? byName : byName.filter((match) => match.namespace === reference.namespace);
    if (matches.length === 0) {
        return {
            ok: false,
            error: {
                field: "namespace",
                message: `Service ${show(reference.service)} is not in namespace ${show(reference.namespace)}`,
                fix: `use the namespace it is in: ${byName.map((match) => match.namespace).join(" or ")}`,
            },
        };
    }
    // The same name twice in one namespace is the Services' own problem to report; here the first one stands.
    if (new Set(matches.map((match) => match.namespace)).size > 1) {
        return {
            ok: false,
            error: {
                field: "service",
                message: `${show(reference.service)} names Services in several namespaces (${matches.map(qualified).join(", ")})`,
                fix: "add namespace to say which one",
            },
        };
    }
    const match = matches[0]!;
    const found = findServicePort(match.service, reference.port);
    if (!found) {
        const numeric = typeof reference.port === "number" ? match.service.ports.find((port) => port.nodePort === reference.port || port.targetPort === reference.port) : undefined;
        const hint = numeric
            ? `${reference.port} is the ${numeric.nodePort === reference.port ? "nodePort" : "targetPort"} of its port ${numeric.name ?? numeric.port}; an Ingress addresses the Service's port`
            : undefined;
        return {
            ok: false,
            error: {
                field: "port",
                message: `Service ${qualified(match)} has no port ${show(reference.port)}${hint ? ` (${hint})` : ""}`,
                fix: `use one of its ports: ${describePorts(match.service)}`,
            },
        };
    }
    const protocol = found.port.protocol ?? "TCP";
    if (protocol !== "TCP") {
        return {
            ok: false,
            error: {
                field: "port",
                message: `port ${show(reference.port)} of Service ${qualified(match)} carries ${protocol}, but an Ingress routes HTTP, which needs TCP`,
                fix: `route to a TCP port: ${describePorts({ ...match.service, ports: match.service.ports.filter((port) => (port.protocol ?? "TCP") === "TCP") }) || "the Service has none"}`,
            },
        };
    }
    return { ok: true, backend: { service: match.service, serviceIndex: match.index, namespace: match.namespace, port: found.port, portIndex: found.index } };
}
