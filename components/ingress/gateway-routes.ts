import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childDependsOn, createsNamespace, narrowDependsOn } from "../common/depends-on";
import { Problem, SPLIT_PORT_FIELDS, formatProblem, isDns1123Label, isDns1123Subdomain, show } from "../common";
import {
    GatewayApiObject,
    GatewaySettings,
    buildGateway,
    buildHttpRoute,
    buildReferenceGrants,
    validateGatewayRoutes,
} from "./gateway-api";
import { RoutePlan, planRoute } from "./ingress-plan";
import { routeTargetOf } from "./route-targets";
import { ResolvedRoute } from "./routes";
import { TRAEFIK_GATEWAY_CLASS, TRAEFIK_PORTS } from "./traefik";
import { BackendService, IngressRouteSpec } from "./types";

export interface GatewayRoutesArgs {
    /** The routes: each host becomes one HTTPRoute in its backends' namespace (the same spec as IngressRoutes'). */
    routes: IngressRouteSpec[];
    /** The Services routes may name (as in `clusternet:services`): a backend Service or port not among them is refused. */
    services: BackendService[];
    /** The GatewayClass the Gateway names: the controller's (IngressController's `gatewayClassName`). Default `traefik`. */
    gatewayClassName?: string;
    /** The Gateway's name. Default `traefik`. */
    gatewayName?: string;
    /** The Gateway's namespace: the controller's (IngressController's `namespace`). Default `traefik`. */
    gatewayNamespace?: string;
    /** The controller's HTTP entry point port, which the HTTP listener names. Default 8000 (Traefik's `web`). */
    httpListenerPort?: number;
    /** The controller's HTTPS entry point port, which each TLS host's listener names. Default 8443 (Traefik's `websecure`). */
    httpsListenerPort?: number;
    /** Node addresses for the try-it commands, e.g. the plan's node IPs (the first is used). Default: none (`<node-ip>`). */
    nodeAddresses?: string[];
    /** Where the controller serves HTTP on every node, for the try-it commands (IngressController's `httpPort`). Default 80. */
    httpPort?: number;
    /** Where the controller serves HTTPS on every node, for the try-it commands (IngressController's `httpsPort`). Default 443. */
    httpsPort?: number;
}

function portProblem(value: number | undefined, key: string): Problem[] {
    return value === undefined || (Number.isInteger(value) && value >= 1 && value <= 65535)
        ? []
        : [{ key, message: `${show(value)} is not a port number`, fix: "use a whole number from 1 to 65535" }];
}

function nameProblem(value: string | undefined, key: string, valid: (text: string) => boolean): Problem[] {
    return value === undefined || (typeof value === "string" && valid(value))
        ? []
        : [{ key, message: `${show(value)} is not a valid name`, fix: "lowercase letters, digits and '-'" }];
}

/** The validated routes and Gateway settings; otherwise a RunError listing every problem, before anything is registered. */
function validArgs(
    name: string,
    args: GatewayRoutesArgs,
): { routes: readonly ResolvedRoute[]; gateway: GatewaySettings } {
    const validated = validateGatewayRoutes(args.routes, args.services, "args.routes", SPLIT_PORT_FIELDS);
    const problems: Problem[] = [
        ...(validated.ok ? [] : validated.problems),
        ...nameProblem(args.gatewayClassName, "args.gatewayClassName", isDns1123Subdomain),
        ...nameProblem(args.gatewayName, "args.gatewayName", isDns1123Subdomain),
        ...nameProblem(args.gatewayNamespace, "args.gatewayNamespace", isDns1123Label),
        ...portProblem(args.httpListenerPort, "args.httpListenerPort"),
        ...portProblem(args.httpsListenerPort, "args.httpsListenerPort"),
        ...portProblem(args.httpPort, "args.httpPort"),
        ...portProblem(args.httpsPort, "args.httpsPort"),
    ];
    if (!validated.ok || problems.length > 0) {
        throw new pulumi.RunError(
            `GatewayRoutes "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
        );
    }
    return {
        routes: validated.value,
        gateway: {
            gatewayClassName: args.gatewayClassName ?? TRAEFIK_GATEWAY_CLASS,
            name: args.gatewayName ?? "traefik",
            namespace: args.gatewayNamespace ?? "traefik",
            httpListenerPort: args.httpListenerPort ?? TRAEFIK_PORTS.web,
            httpsListenerPort: args.httpsListenerPort ?? TRAEFIK_PORTS.websecure,
        },
    };
}

function register(
    name: string,
    object: GatewayApiObject,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(name, object, opts);
}

/**
 * A lab's Gateway API routes: one Gateway (an HTTP listener on the controller's HTTP entry point, an HTTPS
 * listener per TLS host), the ReferenceGrants that let it read the hosts' certificate Secrets, and one HTTPRoute
 * per host, named after it, in its backends' namespace. The same route spec as IngressRoutes; validates every route
 * (with HTTPRoute's own rules) before registering anything.
 *
 * Everything waits for what `opts.dependsOn` names (passed to each child): give it the IngressController with
 * `api: gateway` or `both` (its CRDs, GatewayClass and Ready controller) and the backends' namespaces and Services.
 * AppServices (and ClusterNetwork's namespaces) among them are narrowed per child: an HTTPRoute waits for its own
 * namespace and the Services it routes to, a ReferenceGrant for its namespace, the Gateway for none of them (an
 * AppService that creates its namespace counts as that namespace).
 * The Gateway is never awaited (`pulumi.com/skipAwait`): without a load balancer its address stays empty.
 */
export class GatewayRoutes extends pulumi.ComponentResource {
    /** Per route: host, namespace, object name, paths, and the curl commands to try it from the nodes' network. */
    public readonly routes: pulumi.Output<RoutePlan[]>;
    /** The Gateway's name. */
    public readonly gatewayName: pulumi.Output<string>;
    /** The Gateway's namespace. */
    public readonly gatewayNamespace: pulumi.Output<string>;

    constructor(name: string, args: GatewayRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
        const { routes, gateway } = validArgs(name, args);
        super("clusternet:index:GatewayRoutes", name, {}, opts);
        const gatewayResource = register(`${name}-gateway`, buildGateway(routes, gateway), {
            parent: this,
            // Only the AppService that creates the Gateway's namespace, if one does, among the marked targets.
            dependsOn: narrowDependsOn(
                opts?.dependsOn,
                (target) => target.namespace === gateway.namespace && createsNamespace(target),
            ),
        });
        const grants = buildReferenceGrants(routes, gateway).map((grant) =>
            register(`${name}-reference-grant-${grant.metadata.namespace}`, grant, {
                parent: this,
                dependsOn: narrowDependsOn(
                    opts?.dependsOn,
                    (target) => target.namespace === grant.metadata.namespace && createsNamespace(target),
                ),
            }),
        );
        for (const route of routes) {
            // Named after the host alone, like its Ingress: moving a host to another namespace replaces it.
            register(`${name}-${route.ingressName}`, buildHttpRoute(route, gateway), {
                parent: this,
                dependsOn: childDependsOn(
                    [gatewayResource, ...grants],
                    narrowDependsOn(opts?.dependsOn, routeTargetOf(route)),
                ),
                deleteBeforeReplace: true,
            });
        }
        const ports = { httpPort: args.httpPort ?? 80, httpsPort: args.httpsPort ?? 443 };
        const node = args.nodeAddresses?.[0] ?? null;
        this.routes = pulumi.output(routes.map((route) => planRoute(route, ports, node)));
        this.gatewayName = pulumi.output(gateway.name);
        this.gatewayNamespace = pulumi.output(gateway.namespace);
        this.registerOutputs({
            routes: this.routes,
            gatewayName: this.gatewayName,
            gatewayNamespace: this.gatewayNamespace,
        });
    }
}
