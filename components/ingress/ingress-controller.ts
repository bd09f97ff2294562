import * as pulumi from "@pulumi/pulumi";
import { Problem, formatProblem } from "../common";
import { DEFAULT_NODE_PORT_RANGE, parseNodePortRange } from "../rules";
import { checkNodePortClaims } from "../services/validate";
import { IpFamily } from "../plan";
import { buildController, dependencyOrder } from "./build";
import { controllerNodePortClaims, resolveController, validateControllerSettings } from "./controller-settings";
import { registerControllerObject } from "./register";
import { INGRESS_NGINX_RETIREMENT_WARNING, IngressImplementation, IngressMode, ResolvedController } from "./types";

export interface IngressControllerArgs {
    /** Which controller: `traefik` (default; v3.7, maintained) or `ingress-nginx` (v1.15.1, retired March 2026). */
    implementation?: IngressImplementation;
    /** `NodePort` (default): a NodePort Service with fixed node ports; `hostPort`: ports 80/443 on every node via a DaemonSet. */
    mode?: IngressMode;
    /** The HTTP node port in NodePort mode. Default 30080. Refused in hostPort mode. */
    httpNodePort?: number;
    /** The HTTPS node port in NodePort mode. Default 30443. Refused in hostPort mode. */
    httpsNodePort?: number;
    /** Controller replicas in NodePort mode. Default 1. Refused in hostPort mode (one pod per node). */
    replicas?: number;
    /** The controller image, pinned by tag or digest. Default traefik:v3.7.11, or ingress-nginx v1.15.1 by digest. */
    image?: string;
    /** ingress-nginx only: its validating admission webhook and the certgen Jobs behind it. Default false. */
    admissionWebhook?: boolean;
    /** The cluster's IP families, for the controller Service's ipFamilies. Default [IPv4]. */
    ipFamilies?: IpFamily[];
    /** The API server's --service-node-port-range, which the node ports must lie in. Default 30000-32767. */
    nodePortRange?: string;
}

/** Standalone, the controller's node ports must lie in the node port range and differ from each other. */
function standaloneNodePortProblems(args: IngressControllerArgs): Problem[] {
    const text = args.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    const range = parseNodePortRange(text);
    if (!range.ok) {
        return [{ key: "args.nodePortRange", message: range.message, fix: range.fix }];
    }
    return checkNodePortClaims(controllerNodePortClaims(args, "args"), {
        range: range.value,
        text,
        key: "args.nodePortRange",
    });
}

/** The settings with every default applied; otherwise a RunError listing every problem, thrown before anything is registered. */
function validSettings(name: string, args: IngressControllerArgs): ResolvedController {
    const problems = [...validateControllerSettings(args, "args"), ...standaloneNodePortProblems(args)];
    if (problems.length > 0) {
        throw new pulumi.RunError(
            `IngressController "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
        );
    }
    return resolveController(args, args.ipFamilies);
}

/**
 * An Ingress controller for a bare-metal lab: its namespace, RBAC, IngressClass, the controller workload with
 * probes, and the Service that makes it reachable on every node (fixed node ports, or hostPorts 80/443).
 * Validates its args before registering anything; choosing ingress-nginx logs its retirement warning.
 *
 * Ingress objects must wait for the controller (Ready), its IngressClass and, with the webhook, the certgen Jobs:
 * give them (or IngressRoutes) `dependsOn: [controller]`, which waits for every child of the component.
 */
export class IngressController extends pulumi.ComponentResource {
    /** Which controller runs. */
    public readonly implementation: pulumi.Output<IngressImplementation>;
    /** How clients reach the controller: fixed node ports, or ports 80/443 of every node. */
    public readonly mode: pulumi.Output<IngressMode>;
    /** The IngressClass that Ingress objects must name: `traefik` or `nginx`. */
    public readonly ingressClassName: pulumi.Output<string>;
    /** The controller's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** Where HTTP is served on every node: the HTTP node port, or 80 in hostPort mode. */
    public readonly httpPort: pulumi.Output<number>;
    /** Where HTTPS is served on every node: the HTTPS node port, or 443 in hostPort mode. */
    public readonly httpsPort: pulumi.Output<number>;
    /**
     * Whether the controller writes Ingress status, so `pulumi up` can await each Ingress: ingress-nginx writes the
     * node IPs; Traefik writes none (its Ingresses get `pulumi.com/skipAwait`).
     */
    public readonly publishesStatus: pulumi.Output<boolean>;

    constructor(name: string, args: IngressControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = validSettings(name, args);
        super("clusternet:index:IngressController", name, args, opts);
        if (settings.implementation === IngressImplementation.IngressNginx) {
            void pulumi.log.warn(INGRESS_NGINX_RETIREMENT_WARNING, this);
        }

        const registered = new Map<string, pulumi.Resource>();
        for (const item of dependencyOrder(buildController(settings).objects)) {
            const dependsOn = [...(item.namespace !== undefined ? ["namespace"] : []), ...item.waitsFor].map((key) =>
                registered.get(key)!,
            );
            const resource = registerControllerObject(`${name}-${item.key}`, item, {
                parent: this,
                ...(dependsOn.length > 0 ? { dependsOn } : {}),
                ...(item.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
            });
            registered.set(item.key, resource);
        }

        this.implementation = pulumi.output(settings.implementation);
        this.mode = pulumi.output(settings.mode);
        this.ingressClassName = pulumi.output(settings.ingressClassName);
        this.namespace = pulumi.output(settings.namespace);
        this.httpPort = pulumi.output(settings.httpPort);
        this.httpsPort = pulumi.output(settings.httpsPort);
        this.publishesStatus = pulumi.output(settings.publishesStatus);
        this.registerOutputs({
            implementation: this.implementation,
            mode: this.mode,
            ingressClassName: this.ingressClassName,
            namespace: this.namespace,
            httpPort: this.httpPort,
            httpsPort: this.httpsPort,
            publishesStatus: this.publishesStatus,
        });
    }
}
