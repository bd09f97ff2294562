/**
 * The Gateway API form of clusternet's routes (standard channel v1.5.1): the rules where HTTPRoute differs from
 * Ingress, and pure builders of the GatewayClass, the Gateway, the ReferenceGrants its TLS listeners need, and one
 * HTTPRoute per host. Plain objects in the CRDs' shapes; the schemas are checked in tests.
 */
import * as path from "node:path";
import { COMBINED_PORT_FIELDS, PortNameField, Problem, Result, fail, keyPath, problemAt, show } from "../common";
import { SKIP_AWAIT_ANNOTATION } from "../services/builders";
import { ResolvedRoute, ingressNameForHost, validateRoutes } from "./routes";
import { BackendService, IngressRouteSpec, PathType } from "./types";

/** The Gateway API release whose standard-channel CRDs are vendored (Traefik v3.7 is built against it). */
export const GATEWAY_API_VERSION = "v1.5.1";
/** The API group of every Gateway API kind. */
export const GATEWAY_GROUP = "gateway.networking.k8s.io";
export const GATEWAY_API_VERSION_V1 = `${GATEWAY_GROUP}/v1`;
/** The upstream standard-channel install file, byte for byte (see upstream/README.md). */
export const GATEWAY_API_CRDS_FILE = path.join(__dirname, "upstream", "gateway-api-v1.5.1-standard-install.yaml");
/** The controllerName Traefik's kubernetesgateway provider looks for in GatewayClasses. */
export const TRAEFIK_GATEWAY_CONTROLLER = "traefik.io/gateway-controller";

/** HTTPRoute allows at most 16 rules (one per path here); a Gateway at most 64 listeners. */
export const MAX_HTTPROUTE_RULES = 16;
export const MAX_GATEWAY_LISTENERS = 64;
const MAX_PATH_LENGTH = 1024;
const MAX_SECTION_NAME_LENGTH = 253;

/** The HTTP listener's name: the Traefik entry point it binds to. */
export const HTTP_LISTENER = "web";

/** The HTTPS listener of a TLS host: one per host, since each carries its own certificate. */
export function httpsListenerName(host: string): string {
    return `websecure-${ingressNameForHost(host)}`;
}

/** The HTTPRoute match type of a route path's pathType; undefined for ImplementationSpecific, which has none. */
export function httpRoutePathType(pathType: PathType): "Exact" | "PathPrefix" | undefined {
    switch (pathType) {
        case PathType.Exact:
            return "Exact";
        case PathType.Prefix:
            return "PathPrefix";
        default:
            return undefined;
    }
}

/**
 * What HTTPRoute refuses in an Exact or PathPrefix value beyond the rules both APIs share ({@link pathFindings}
 * already refuses '#' and every character outside RFC 3986's path set): more than 1,024 characters.
 */
export function gatewayPathFindings(value: string): Problem[] {
    return value.length > MAX_PATH_LENGTH
        ? [{ key: "", message: `is ${value.length} characters long`, fix: `use at most ${MAX_PATH_LENGTH}` }]
        : [];
}

/**
 * The problems of routes that only the Gateway API has; run beside validateRoutes (which checks what both APIs
 * share: hosts, paths, backends). `root` names the routes list. Never throws.
 */
export function gatewayRouteProblems(routes: readonly IngressRouteSpec[], root: string): Problem[] {
    const problems: Problem[] = [];
    let tlsHosts = 0;
    routes.forEach((route, routeIndex) => {
        const routeKey = (...segments: Array<string | number>): string => keyPath(root, routeIndex, ...segments);
        const paths = Array.isArray(route.paths) ? route.paths : [];
        if (paths.length > MAX_HTTPROUTE_RULES) {
            problems.push({
                key: routeKey("paths"),
                message: `has ${paths.length} paths, but an HTTPRoute holds at most ${MAX_HTTPROUTE_RULES} rules`,
                fix: `keep at most ${MAX_HTTPROUTE_RULES} paths per host (a prefix covers the paths below it)`,
            });
        }
        paths.forEach((spec, pathIndex) => {
            const pathType = spec.pathType ?? PathType.Prefix;
            if (pathType === PathType.ImplementationSpecific) {
                problems.push({
                    key: routeKey("paths", pathIndex, "pathType"),
                    message: "ImplementationSpecific has no HTTPRoute equivalent",
                    fix: "use Prefix (an HTTPRoute PathPrefix) or Exact",
                });
                return;
            }
            if (httpRoutePathType(pathType) !== undefined && typeof spec.path === "string") {
                problems.push(
                    ...gatewayPathFindings(spec.path).map((finding) =>
                        problemAt(finding, routeKey("paths", pathIndex, "path")),
                    ),
                );
            }
        });
        if (route.tlsSecret !== undefined && typeof route.host === "string") {
            tlsHosts += 1;
            if (tlsHosts === MAX_GATEWAY_LISTENERS) {
                problems.push({
                    key: routeKey("tlsSecret"),
                    message: `is the ${MAX_GATEWAY_LISTENERS}th TLS host, but the Gateway holds at most ${MAX_GATEWAY_LISTENERS} listeners (one HTTP, one HTTPS per TLS host)`,
                    fix: `serve at most ${MAX_GATEWAY_LISTENERS - 1} hosts with TLS, or cover several with a wildcard host`,
                });
            }
            if (httpsListenerName(route.host).length > MAX_SECTION_NAME_LENGTH) {
                problems.push({
                    key: routeKey("host"),
                    message: `is too long for the name of its HTTPS listener (${show(httpsListenerName(route.host).slice(0, 40))}…)`,
                    fix: `use a host of at most ${MAX_SECTION_NAME_LENGTH - httpsListenerName("").length} characters`,
                });
            }
        }
    });
    return problems;
}

/** Where the Gateway lives and what it binds to: the controller's class, namespace and entry point ports. */
export interface GatewaySettings {
    /** The GatewayClass the Gateway names. */
    readonly gatewayClassName: string;
    /** The Gateway's name. */
    readonly name: string;
    /** The Gateway's namespace: the controller's. */
    readonly namespace: string;
    /** The port of the controller's HTTP entry point (Traefik binds a listener to the entry point of its port). */
    readonly httpListenerPort: number;
    /** The port of the controller's HTTPS entry point. */
    readonly httpsListenerPort: number;
}

/** A Gateway API object as plain data. */
export interface GatewayApiObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
        readonly name: string;
        readonly namespace?: string;
        readonly labels?: Record<string, string>;
        readonly annotations?: Record<string, string>;
    };
    readonly spec: Record<string, unknown>;
}

const PART_OF = { "app.kubernetes.io/part-of": "clusternet" };

/** The GatewayClass of a controller: cluster-scoped, naming the controller that serves its Gateways. */
export function buildGatewayClass(
    name: string,
    controllerName: string,
    labels: Record<string, string> = PART_OF,
): GatewayApiObject {
    return {
        apiVersion: GATEWAY_API_VERSION_V1,
        kind: "GatewayClass",
        metadata: { name, labels },
        spec: { controllerName },
    };
}

/** Only the listed namespaces may attach routes: the routes' own, never every namespace of the cluster. */
function allowedRoutes(namespaces: readonly string[]): Record<string, unknown> {
    return {
        kinds: [{ group: GATEWAY_GROUP, kind: "HTTPRoute" }],
        namespaces:
            namespaces.length === 0
                ? { from: "Same" }
                : {
                      from: "Selector",
                      selector: {
                          matchExpressions: [
                              { key: "kubernetes.io/metadata.name", operator: "In", values: [...namespaces] },
                          ],
                      },
                  },
    };
}

/**
 * The one Gateway: an HTTP listener on the controller's HTTP entry point for every route, and an HTTPS listener
 * per TLS host (its hostname and certificate) on the HTTPS entry point. `pulumi.com/skipAwait`: its address stays
 * empty on a lab without a load balancer, so awaiting it would time out.
 */
export function buildGateway(routes: readonly ResolvedRoute[], settings: GatewaySettings): GatewayApiObject {
    const namespaces = [...new Set(routes.map((route) => route.namespace))].sort();
    const listeners: Array<Record<string, unknown>> = [
        {
            name: HTTP_LISTENER,
            protocol: "HTTP",
            port: settings.httpListenerPort,
            allowedRoutes: allowedRoutes(namespaces),
        },
    ];
    for (const route of routes) {
        if (route.tlsSecret === null) {
            continue;
        }
        listeners.push({
            name: httpsListenerName(route.host),
            protocol: "HTTPS",
            port: settings.httpsListenerPort,
            hostname: route.host,
            tls: {
                mode: "Terminate",
                certificateRefs: [{ group: "", kind: "Secret", name: route.tlsSecret, namespace: route.namespace }],
            },
            allowedRoutes: allowedRoutes([route.namespace]),
        });
    }
    return {
        apiVersion: GATEWAY_API_VERSION_V1,
        kind: "Gateway",
        metadata: {
            name: settings.name,
            namespace: settings.namespace,
            labels: PART_OF,
            annotations: { [SKIP_AWAIT_ANNOTATION]: "true" },
        },
        spec: { gatewayClassName: settings.gatewayClassName, listeners },
    };
}

/**
 * A Gateway's listener may use a certificate Secret of another namespace only where that namespace grants it:
 * one ReferenceGrant per namespace holding TLS Secrets, naming each Secret.
 */
export function buildReferenceGrants(routes: readonly ResolvedRoute[], settings: GatewaySettings): GatewayApiObject[] {
    const secrets = new Map<string, Set<string>>();
    for (const route of routes) {
        if (route.tlsSecret !== null && route.namespace !== settings.namespace) {
            secrets.set(route.namespace, (secrets.get(route.namespace) ?? new Set()).add(route.tlsSecret));
        }
    }
    return [...secrets]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([namespace, names]) => ({
            apiVersion: GATEWAY_API_VERSION_V1,
            kind: "ReferenceGrant",
            metadata: { name: referenceGrantName(settings), namespace, labels: PART_OF },
            spec: {
                from: [{ group: GATEWAY_GROUP, kind: "Gateway", namespace: settings.namespace }],
                to: [...names].sort().map((name) => ({ group: "", kind: "Secret", name })),
            },
        }));
}

/** The ReferenceGrant's name: after the Gateway it admits. */
export function referenceGrantName(settings: Pick<GatewaySettings, "name" | "namespace">): string {
    return `${settings.namespace}.${settings.name}-certificates`;
}

/**
 * One HTTPRoute per host, named like its Ingress, in its backends' namespace: attached to the Gateway's HTTP
 * listener (and its host's HTTPS listener with TLS), one rule per path (Prefix becomes PathPrefix), each backend a
 * Service port by number, as backendRefs require.
 */
export function buildHttpRoute(route: ResolvedRoute, settings: GatewaySettings): GatewayApiObject {
    const parent = (sectionName: string): Record<string, unknown> => ({
        group: GATEWAY_GROUP,
        kind: "Gateway",
        name: settings.name,
        namespace: settings.namespace,
        sectionName,
    });
    return {
        apiVersion: GATEWAY_API_VERSION_V1,
        kind: "HTTPRoute",
        metadata: { name: route.ingressName, namespace: route.namespace, labels: PART_OF },
        spec: {
            parentRefs: [
                parent(HTTP_LISTENER),
                ...(route.tlsSecret !== null ? [parent(httpsListenerName(route.host))] : []),
            ],
            hostnames: [route.host],
            rules: route.paths.map((routePath) => ({
                matches: [{ path: { type: httpRoutePathType(routePath.pathType), value: routePath.path } }],
                backendRefs: [{ group: "", kind: "Service", name: routePath.service, port: routePath.portNumber }],
            })),
        },
    };
}

/**
 * Validates routes for the Gateway API: everything both APIs share (validateRoutes: hosts, paths, backends, one
 * namespace per host) and what only HTTPRoute has (gatewayRouteProblems). Every problem at once; never throws.
 */
export function validateGatewayRoutes(
    routes: readonly IngressRouteSpec[],
    services: readonly BackendService[],
    root: string,
    portNameField: PortNameField = COMBINED_PORT_FIELDS,
): Result<readonly ResolvedRoute[]> {
    const shared = validateRoutes(routes, services, root, portNameField);
    const own = gatewayRouteProblems(routes, root);
    if (!shared.ok || own.length > 0) {
        return fail([...(shared.ok ? [] : shared.problems), ...own]);
    }
    return shared;
}
