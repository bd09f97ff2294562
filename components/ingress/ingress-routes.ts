import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { narrowDependsOn } from "../common/depends-on";
import { Problem, SPLIT_PORT_FIELDS, formatProblem, isDns1123Subdomain, show } from "../common";
import { RoutePlan, planRoute } from "./ingress-plan";
import { routeTargetOf } from "./route-targets";
import { ResolvedRoute, buildIngress, validateRoutes } from "./routes";
import { BackendService, IngressRouteSpec } from "./types";

export interface IngressRoutesArgs {
    /** The routes: each host becomes one Ingress in its backends' namespace. */
    routes: IngressRouteSpec[];
    /** The Services routes may name (as in `clusternet:services`): a backend Service or port not among them is refused. */
    services: BackendService[];
    /** The IngressClass every Ingress names: the controller's (IngressController's `ingressClassName`, e.g. `traefik`). */
    ingressClassName: string;
    /**
     * Whether the controller writes Ingress status (IngressController's `publishesStatus`: ingress-nginx does,
     * Traefik does not). Without it, every Ingress gets `pulumi.com/skipAwait`, or `pulumi up` would wait ten
     * minutes for a status nobody writes. Default false.
     */
    publishesStatus?: boolean;
    /** Node addresses for the try-it commands, e.g. the plan's node IPs or a VM's output (the first is used). Default: none (`<node-ip>`). */
    nodeAddresses?: pulumi.Input<string>[];
    /** Where the controller serves HTTP on every node, for the try-it commands (IngressController's `httpPort`). Default 80. */
    httpPort?: number;
    /** Where the controller serves HTTPS on every node, for the try-it commands (IngressController's `httpsPort`). Default 443. */
    httpsPort?: number;
}

function portProblem(value: number | undefined, key: string): Problem[] {
    return value === undefined || (Number.isInteger(value) && value >= 1 && value <= 65535)
        ? []
        : [
              {
                  key,
                  message: `${show(value)} is not a port number`,
                  fix: "use the controller's port, a whole number from 1 to 65535",
              },
          ];
}

/**
 * An Ingress's spec.ingressClassName, as the API server checks it (networking/v1 `ValidateIngressClassName`): a
 * DNS-1123 subdomain.
 */
export function ingressClassNameFindings(name: unknown, key: string): Problem[] {
    return typeof name === "string" && isDns1123Subdomain(name)
        ? []
        : [
              {
                  key,
                  message: `${show(name)} is not an IngressClass name (a DNS-1123 subdomain); the API server refuses the Ingress`,
                  fix: "name the controller's IngressClass, e.g. traefik or nginx",
              },
          ];
}

/** The validated routes; otherwise a RunError listing every problem, thrown before anything is registered. */
function validRoutes(name: string, args: IngressRoutesArgs): readonly ResolvedRoute[] {
    const validated = validateRoutes(args.routes, args.services, "args.routes", SPLIT_PORT_FIELDS);
    const problems: Problem[] = validated.ok ? [] : [...validated.problems];
    problems.push(...ingressClassNameFindings(args.ingressClassName, "args.ingressClassName"));
    problems.push(...portProblem(args.httpPort, "args.httpPort"), ...portProblem(args.httpsPort, "args.httpsPort"));
    if (!validated.ok || problems.length > 0) {
        throw new pulumi.RunError(
            `IngressRoutes "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
        );
    }
    return validated.value;
}

/**
 * A lab's Ingress objects: one standard networking.k8s.io/v1 Ingress per host, named after it, in its backends'
 * namespace, always with the controller's IngressClass. Validates every route (host, paths, backends) before
 * registering anything.
 *
 * The Ingress objects wait for what `opts.dependsOn` names (the SDK does not pass a component's dependsOn to its
 * children, so this one does): give it the IngressController (its IngressClass, its Ready workload and, with the
 * ingress-nginx webhook, the certgen Jobs) and the backends' namespaces and Services. AppServices (and
 * ClusterNetwork's namespaces) among them are narrowed per Ingress: each waits only for its own namespace (or the
 * AppService that creates it) and the Services it routes to; everything else is waited for by every Ingress.
 */
export class IngressRoutes extends pulumi.ComponentResource {
    /** Per route: host, namespace, Ingress name, paths, and the curl commands to try it from the nodes' network. */
    public readonly routes: pulumi.Output<RoutePlan[]>;

    constructor(name: string, args: IngressRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
        const routes = validRoutes(name, args);
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:IngressRoutes", name, {}, opts);
        const controller = { ingressClassName: args.ingressClassName, publishesStatus: args.publishesStatus ?? false };
        for (const route of routes) {
            // Named after the host alone, so moving a host's backends to another namespace replaces its Ingress
            // instead of creating a second one for the same host+path; deleting first avoids that collision too
            // (ingress-nginx's webhook refuses a duplicate host+path).
            new k8s.networking.v1.Ingress(`${name}-${route.ingressName}`, buildIngress(route, controller), {
                parent: this,
                dependsOn: narrowDependsOn(opts?.dependsOn, routeTargetOf(route)),
                deleteBeforeReplace: true,
            });
        }
        const ports = { httpPort: args.httpPort ?? 80, httpsPort: args.httpsPort ?? 443 };
        const node = args.nodeAddresses?.[0];
        this.routes = pulumi
            .output(node)
            .apply((address) => routes.map((route) => planRoute(route, ports, address ?? null)));
        this.registerOutputs({ routes: this.routes });
    }
}
