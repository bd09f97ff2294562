import { ResolvedRoute } from "./routes";
import { GATEWAY_API_VERSION } from "./gateway-api";
import { TRAEFIK_GATEWAY_CLASS } from "./traefik";
import {
    INGRESS_NGINX_RETIREMENT_WARNING,
    IngressApi,
    IngressImplementation,
    IngressMode,
    PathType,
    ResolvedController,
    servesGateway,
} from "./types";

/** One path of a route: which requests go to which Service port. */
export interface RoutePathPlan {
    /** The request path. */
    path: string;
    /** How the path matches. */
    pathType: PathType;
    /** The backend Service's name. */
    service: string;
    /** The backend Service's port, when the route gives its number. */
    port?: number;
    /** The backend Service's port, when the route gives its name. */
    portName?: string;
}

/** One route as the stack exports it (and `clusternet plan` shows it): where it lives and how to try it. */
export interface RoutePlan {
    /** The host the route serves. */
    host: string;
    /** The namespace of its Ingress and backend Services. */
    namespace: string;
    /** The Ingress object's name, and the HTTPRoute's when the Gateway API serves the route. */
    ingressName: string;
    /** The kubernetes.io/tls Secret with the host's certificate; absent without TLS. */
    tlsSecret?: string;
    /** The route's paths and their backends. */
    paths: RoutePathPlan[];
    /** What to run from a machine on the nodes' network: one curl per path over HTTP, and over HTTPS when the route has TLS. */
    try: string[];
}

/** The Ingress part of the plan: the controller, how it is reached, and every route. */
export interface IngressPlan {
    readonly implementation: IngressImplementation;
    /** Which API the routes are written in: Ingress objects, Gateway API HTTPRoutes, or both. */
    readonly api: IngressApi;
    /** With the Gateway API: its GatewayClass, the Gateway (`namespace/name`) and the CRDs' release; null otherwise. */
    readonly gateway: { readonly gatewayClassName: string; readonly gateway: string; readonly crds: string } | null;
    readonly ingressClassName: string;
    readonly namespace: string;
    readonly mode: IngressMode;
    /** Where clients connect on any node: the node ports, or 80/443 in hostPort mode. */
    readonly httpPort: number;
    readonly httpsPort: number;
    /** Whether `pulumi up` waits for each Ingress's status (only when the controller writes it). */
    readonly awaitsIngressStatus: boolean;
    /** The node the try-it commands use; every node answers. */
    readonly tryNode: string | null;
    readonly routes: readonly RoutePlan[];
    readonly warnings: readonly string[];
}

/** Stands in for the node address when the plan has no node. */
export const NODE_PLACEHOLDER = "<node-ip>";

/** A concrete host to send for a wildcard route: `*.lab.example` is tried as `wildcard-test.lab.example`. */
export function sampleHost(host: string): string {
    return host.startsWith("*.") ? `wildcard-test.${host.slice(2)}` : host;
}

function shellQuote(text: string): string {
    return /^[A-Za-z0-9._~/:%@+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/**
 * The curl commands that exercise a route from outside the cluster: HTTP with the route's Host header against
 * a node, and for TLS routes HTTPS with --resolve (so SNI and the certificate match the host) and -k (lab
 * certificates are rarely trusted). Ports are left out of URLs where they are the scheme's default.
 */
export function tryCommands(
    route: ResolvedRoute,
    controller: Pick<ResolvedController, "httpPort" | "httpsPort">,
    nodeAddress: string | null,
): string[] {
    const host = sampleHost(route.host);
    const node = nodeAddress ?? NODE_PLACEHOLDER;
    const ipv6 = node.includes(":");
    const port = (value: number, standard: number): string => (value === standard ? "" : `:${value}`);
    const commands: string[] = [];
    for (const { path } of route.paths) {
        const requestPath = path === "" ? "/" : path;
        // curl expands [a-b] and {a,b} in URLs into several requests: -g when the URL holds brackets or braces.
        const globOff = ipv6 || /[[\]{}]/.test(requestPath) ? "-g " : "";
        commands.push(
            `curl ${globOff}-H 'Host: ${host}' ${shellQuote(`http://${urlHost(node)}${port(controller.httpPort, 80)}${requestPath}`)}`,
        );
        if (route.tlsSecret !== null) {
            commands.push(
                `curl ${globOff}-k --resolve ${shellQuote(`${host}:${controller.httpsPort}:${urlHost(node)}`)} ${shellQuote(`https://${host}${port(controller.httpsPort, 443)}${requestPath}`)}`,
            );
        }
    }
    return commands;
}

/** The Ingress plan: pure, and the same for `clusternet plan`, the stack's outputs and IngressRoutes. */
export function planIngress(
    controller: ResolvedController,
    routes: readonly ResolvedRoute[],
    nodeAddresses: readonly string[],
): IngressPlan {
    const tryNode = nodeAddresses[0] ?? null;
    const wildcards = routes.filter((route) => route.host.startsWith("*.")).map((route) => route.host);
    return {
        implementation: controller.implementation,
        api: controller.api,
        gateway: servesGateway(controller.api)
            ? {
                  gatewayClassName: TRAEFIK_GATEWAY_CLASS,
                  gateway: `${controller.namespace}/traefik`,
                  crds: `Gateway API ${GATEWAY_API_VERSION} standard channel`,
              }
            : null,
        ingressClassName: controller.ingressClassName,
        namespace: controller.namespace,
        mode: controller.mode,
        httpPort: controller.httpPort,
        httpsPort: controller.httpsPort,
        awaitsIngressStatus: controller.publishesStatus,
        tryNode,
        routes: routes.map((route) => planRoute(route, controller, tryNode)),
        warnings: [
            ...(controller.implementation === IngressImplementation.IngressNginx
                ? [INGRESS_NGINX_RETIREMENT_WARNING]
                : []),
            ...(controller.api === IngressApi.Both && wildcards.length > 0
                ? [
                      `${wildcards.join(", ")}: an Ingress wildcard matches exactly one label, an HTTPRoute wildcard any number of labels, so names like a.b${wildcards[0]!.slice(1)} reach the backend through the Gateway API only`,
                  ]
                : []),
        ],
    };
}

export function planRoute(
    route: ResolvedRoute,
    controller: Pick<ResolvedController, "httpPort" | "httpsPort">,
    nodeAddress: string | null,
): RoutePlan {
    return {
        host: route.host,
        namespace: route.namespace,
        ingressName: route.ingressName,
        ...(route.tlsSecret !== null ? { tlsSecret: route.tlsSecret } : {}),
        paths: route.paths.map((path) => ({
            path: path.path,
            pathType: path.pathType,
            service: path.service,
            ...(typeof path.port === "number" ? { port: path.port } : { portName: path.port }),
        })),
        try: tryCommands(route, controller, nodeAddress),
    };
}
