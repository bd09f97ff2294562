import * as pulumi from "@pulumi/pulumi";
import { Problem, formatProblem } from "../common";
import { parseNodePortRange } from "../services/network";
import { DEFAULT_NODE_PORT_RANGE } from "../services/types";
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
    return checkNodePortClaims(controllerNodePortClaims(args, "args"), { range: range.value, text, key: "args.nodePortRange" });
}

/**
 * An Ingress controller for a bare-metal lab: its namespace, RBAC, IngressClass, the controller workload with
 * probes, and the Service that makes it reachable on every node (fixed node ports, or hostPorts 80/443).
 * Validates its args before registering anything; choosing ingress-nginx logs its retirement warning.
 */
export class IngressController extends pulumi.ComponentResource {
    /** Which controller runs. */
    public readonly implementation: pulumi.Output<IngressImplementation>;
    /** The IngressClass that Ingress objects must name: `traefik` or `nginx`. */
    public readonly ingressClassName: pulumi.Output<string>;
    /** The controller's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** Where HTTP is served on every node: the HTTP node port, or 80 in hostPort mode. */
    public readonly httpPort: pulumi.Output<number>;
    /** Where HTTPS is served on every node: the HTTPS node port, or 443 in hostPort mode. */
    public readonly httpsPort: pulumi.Output<number>;
    /** The settings with defaults applied, as plain values for components built alongside (IngressRoutes). */
    public readonly settings: ResolvedController;
    /** What Ingress objects must wait for: the IngressClass, the controller workload (awaited Ready) and, with the webhook, its certgen Jobs. */
    public readonly ingressDependencies: readonly pulumi.Resource[];

    constructor(name: string, args: IngressControllerArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("clusternet:index:IngressController", name, args, opts);
        const problems = [
            ...validateControllerSettings(args, "args"),
            ...standaloneNodePortProblems(args),
        ];
        if (problems.length > 0) {
            throw new pulumi.RunError(`IngressController "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`);
        }
        this.settings = resolveController(args, args.ipFamilies);
        if (this.settings.implementation === IngressImplementation.IngressNginx) {
            void pulumi.log.warn(INGRESS_NGINX_RETIREMENT_WARNING, this);
        }

        const registered = new Map<string, pulumi.Resource>();
        const gates: pulumi.Resource[] = [];
        for (const item of dependencyOrder(buildController(this.settings).objects)) {
            const dependsOn = [...(item.namespace !== undefined ? ["namespace"] : []), ...item.waitsFor].map((key) => registered.get(key)!);
            const resource = registerControllerObject(`${name}-${item.key}`, item, {
                parent: this,
                ...(dependsOn.length > 0 ? { dependsOn } : {}),
                ...(item.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
            });
            registered.set(item.key, resource);
            if (item.gatesIngresses) {
                gates.push(resource);
            }
        }
        this.ingressDependencies = gates;

        this.implementation = pulumi.output(this.settings.implementation);
        this.ingressClassName = pulumi.output(this.settings.ingressClassName);
        this.namespace = pulumi.output(this.settings.namespace);
        this.httpPort = pulumi.output(this.settings.httpPort);
        this.httpsPort = pulumi.output(this.settings.httpsPort);
        this.registerOutputs({
            implementation: this.implementation,
            ingressClassName: this.ingressClassName,
            namespace: this.namespace,
            httpPort: this.httpPort,
            httpsPort: this.httpsPort,
        });
    }
}
