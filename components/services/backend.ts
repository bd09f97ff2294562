import { Result, fail, ok } from "../common";
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

function portList(ports: ReadonlyArray<{ readonly name?: string; readonly port: number }>): string {
    return ports
        .map((candidate) =>
            candidate.name !== undefined ? `${candidate.name} (${candidate.port})` : String(candidate.port),
        )
        .join(", ");
}

interface NamedService {
    readonly spec: AppServiceSpec;
    readonly index: number;
    readonly namespace: string;
}

/** Each list's Services by name, indexed once per list (the lists are validated specs, never changed). */
const byName = new WeakMap<readonly AppServiceSpec[], ReadonlyMap<string, readonly NamedService[]>>();

/**
 * The Services by name. Every route path looks its backend up: scanning every Service each time made a route
 * table as large as its Services quadratic (1,000 routes to 1,000 Services, several lookups per path).
 */
function servicesByName(services: readonly AppServiceSpec[]): ReadonlyMap<string, readonly NamedService[]> {
    let index = byName.get(services);
    if (!index) {
        const built = new Map<string, NamedService[]>();
        services.forEach((spec, at) => {
            const entry = { spec, index: at, namespace: spec.namespace ?? DEFAULT_NAMESPACE };
            const list = built.get(spec.name);
            if (list) {
                list.push(entry);
            } else {
                built.set(spec.name, [entry]);
            }
        });
        byName.set(services, built);
        index = built;
    }
    return index;
}

/**
 * Finds a Service port among the stack's Services by name (and namespace) and port name or number, resolving the
 * target port to a number. A problem's key is the reference's wrong field, `service`, `namespace` or `port` (the
 * caller knows where the reference was written and places it), and explain the near misses: a Service in another namespace, a name in several
 * namespaces, a number that is the port's targetPort or nodePort. Expects validated Service specs.
 */
export function findServiceBackend(
    services: readonly AppServiceSpec[],
    ref: ServiceBackendRef,
): Result<ServiceBackend> {
    const named = servicesByName(services).get(ref.service) ?? [];
    if (named.length === 0) {
        const names = [...new Set(services.map((spec) => `${spec.namespace ?? DEFAULT_NAMESPACE}/${spec.name}`))];
        return fail({
            key: "service",
            message: `there is no Service ${JSON.stringify(ref.service)} in the stack's Services`,
            fix:
                names.length > 0
                    ? `name one of ${names.join(", ")}, or add it to clusternet:services`
                    : "add it to clusternet:services (the stack has no Services yet)",
        });
    }
    const candidates =
        ref.namespace === undefined ? named : named.filter((candidate) => candidate.namespace === ref.namespace);
    if (candidates.length === 0) {
        return fail({
            key: "namespace",
            message: `Service ${JSON.stringify(ref.service)} is not in namespace ${JSON.stringify(ref.namespace)}`,
            fix: `use the namespace it is in: ${named.map((candidate) => candidate.namespace).join(" or ")}`,
        });
    }
    if (candidates.length > 1) {
        return fail({
            key: "service",
            message: `${JSON.stringify(ref.service)} names Services in several namespaces (${candidates.map((candidate) => `${candidate.namespace}/${ref.service}`).join(", ")})`,
            fix: "add namespace to say which one",
        });
    }
    const { spec, index } = candidates[0]!;
    const resolved = resolveService(spec);
    const portIndex = resolved.ports.findIndex((port) =>
        typeof ref.port === "string" ? port.name === ref.port : port.port === ref.port,
    );
    const port = resolved.ports[portIndex];
    if (!port) {
        const near =
            typeof ref.port === "number"
                ? resolved.ports.find(
                      (candidate) => candidate.nodePort === ref.port || candidate.targetPortNumber === ref.port,
                  )
                : undefined;
        const hint = near
            ? ` (${ref.port} is the ${near.nodePort === ref.port ? "nodePort" : "targetPort"} of its port ${near.name ?? near.port}; a backend names the Service's own port)`
            : "";
        return fail({
            key: "port",
            message: `Service ${resolved.namespace}/${resolved.name} has no port ${typeof ref.port === "string" ? JSON.stringify(ref.port) : ref.port}${hint}`,
            fix: `use one of its ports: ${portList(resolved.ports)}`,
        });
    }
    return ok({
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
    });
}
