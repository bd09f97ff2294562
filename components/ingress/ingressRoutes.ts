import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SPLIT_PORT_FIELDS, formatProblem } from "../common";
import { IngressController } from "./ingressController";
import { RoutePlan, planRoute } from "./ingress-plan";
import { buildIngress, validateRoutes } from "./routes";
import { BackendService, IngressRouteSpec } from "./types";

export interface IngressRoutesArgs {
    /** The routes: each host becomes one Ingress in its backends' namespace. */
    routes: IngressRouteSpec[];
    /** The Services routes may name (as in `clusternet:services`): a backend Service or port not among them is refused. */
    services: BackendService[];
    /** The controller that serves these routes: its IngressClass, ports, status behaviour and readiness. */
    controller: IngressController;
    /** Node addresses for the try-it commands, e.g. the plan's node IPs (the first is used). Default: none (`<node-ip>`). */
    nodeAddresses?: string[];
    /** Further resources the Ingress objects must wait for, e.g. the backend Services and their namespaces. Default: none. */
    backendResources?: pulumi.Resource[];
}

/**
 * A lab's Ingress objects: one standard networking.k8s.io/v1 Ingress per host, named after it, in its backends'
 * namespace, always with the controller's IngressClass, created only once the controller is Ready. Validates
 * every route (host, paths, backends) before registering anything.
 */
export class IngressRoutes extends pulumi.ComponentResource {
    /** The Ingress resources, by host. */
    public readonly ingresses: Readonly<Record<string, k8s.networking.v1.Ingress>>;
    /** Per route: host, namespace, Ingress name, paths, and the curl commands to try it from the nodes' network. */
    public readonly routes: pulumi.Output<RoutePlan[]>;

    constructor(name: string, args: IngressRoutesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:IngressRoutes", name, args, opts);
        const validated = validateRoutes(args.routes, args.services, "args.routes", SPLIT_PORT_FIELDS);
        if (!validated.ok) {
            throw new pulumi.RunError(`IngressRoutes "${name}" has invalid args:\n${validated.problems.map(formatProblem).join("\n")}`);
        }
        const controller = args.controller.settings;
        const dependsOn = [...args.controller.ingressDependencies, ...(args.backendResources ?? [])];
        const ingresses: Record<string, k8s.networking.v1.Ingress> = {};
        for (const route of validated.routes) {
            // Named after the host alone, so moving a host's backends to another namespace replaces its Ingress
            // instead of creating a second one for the same host+path; deleting first avoids that collision too
            // (ingress-nginx's webhook refuses a duplicate host+path).
            ingresses[route.host] = new k8s.networking.v1.Ingress(`${name}-${route.ingressName}`, buildIngress(route, controller), {
                parent: this,
                dependsOn,
                deleteBeforeReplace: true,
            });
        }
        this.ingresses = ingresses;
        const node = args.nodeAddresses?.[0] ?? null;
        this.routes = pulumi.output(validated.routes.map((route) => planRoute(route, controller, node)));
        this.registerOutputs({ routes: this.routes });
    }
}
