import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Problem, formatProblem, problemAt } from "../common";
import { DEFAULT_NODE_PORT_RANGE, parseNodePortRange } from "../rules";
import { checkNodePortClaims } from "../services/validate";
import { IpFamily } from "../plan";
import { buildController, dependencyOrder } from "./build";
import { ControllerObject } from "./controller-objects";
import {
    controllerNodePortClaims,
    resolveController,
    validateApi,
    validateControllerSettings,
} from "./controller-settings";
import { GATEWAY_API_CRDS_FILE } from "./gateway-api";
import { TRAEFIK_GATEWAY_CLASS } from "./traefik";
import { registerControllerObject } from "./register";
import {
    INGRESS_NGINX_RETIREMENT_WARNING,
    IngressApi,
    IngressControllerSettings,
    IngressImplementation,
    IngressMode,
    ResolvedController,
    servesGateway,
} from "./types";

/**
 * IngressController's args: the controller's settings (as in `clusternet:ingress.controller`) and what it needs of
 * its cluster.
 */
export interface IngressControllerArgs extends IngressControllerSettings {
    /** Which APIs the controller serves: `ingress` (default), `gateway` (Gateway API HTTPRoutes; Traefik only) or `both`. */
    api?: IngressApi;
    /**
     * With `api` gateway or both: install the Gateway API standard-channel CRDs v1.5.1 (the vendored upstream file)
     * before the GatewayClass and the controller. Default true; false when the cluster already has them.
     */
    installGatewayApiCrds?: boolean;
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
        return range.problems.map((problem) => problemAt(problem, "args.nodePortRange"));
    }
    return checkNodePortClaims(controllerNodePortClaims(args, "args"), {
        range: range.value,
        text,
        key: "args.nodePortRange",
    });
}

/**
 * The object as registered: the controller container's image is the Input given, when one was (the built object
 * holds the resolved image, a stand-in when the Input is not known yet).
 */
function withImage(
    item: ControllerObject,
    resolvedImage: string,
    image: pulumi.Input<string> | undefined,
): ControllerObject {
    if (image === undefined || (item.kind !== "Deployment" && item.kind !== "DaemonSet")) {
        return item;
    }
    const object = item.object as { spec: { template: { spec: { containers: Array<{ image?: unknown }> } } } };
    const podSpec = object.spec.template.spec;
    return {
        ...item,
        object: {
            ...object,
            spec: {
                ...object.spec,
                template: {
                    ...object.spec.template,
                    spec: {
                        ...podSpec,
                        containers: podSpec.containers.map((container) =>
                            container.image === resolvedImage ? { ...container, image } : container,
                        ),
                    },
                },
            },
        } as ControllerObject["object"],
    };
}

/** The settings with every default applied; otherwise a RunError listing every problem, thrown before anything is registered. */
function validSettings(name: string, args: IngressControllerArgs): ResolvedController {
    const problems = [
        ...validateControllerSettings(args, "args"),
        ...validateApi(args.api, args.implementation, "args.api"),
        ...standaloneNodePortProblems(args),
    ];
    if (problems.length > 0) {
        throw new pulumi.RunError(
            `IngressController "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
        );
    }
    return resolveController(args, args.ipFamilies, args.api);
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
    /** Which APIs the controller serves. */
    public readonly api: pulumi.Output<IngressApi>;
    /** The GatewayClass that Gateways must name (`traefik`); undefined unless the controller serves the Gateway API. */
    public readonly gatewayClassName: pulumi.Output<string | undefined>;
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
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:IngressController", name, {}, opts);
        if (settings.implementation === IngressImplementation.IngressNginx) {
            void pulumi.log.warn(INGRESS_NGINX_RETIREMENT_WARNING, this);
        }

        // The CRDs as the upstream file they are (one ConfigFile, awaited until established), before the
        // GatewayClass and before the controller, whose Gateway provider watches those kinds from its start.
        const gatewayApiCrds =
            servesGateway(settings.api) && args.installGatewayApiCrds !== false
                ? new k8s.yaml.v2.ConfigFile(
                      `${name}-gateway-api-crds`,
                      { file: GATEWAY_API_CRDS_FILE },
                      { parent: this },
                  )
                : undefined;
        const registered = new Map<string, pulumi.Resource>();
        for (const item of dependencyOrder(buildController(settings).objects)) {
            const dependsOn = [
                ...[...(item.namespace !== undefined ? ["namespace"] : []), ...item.waitsFor].map((key) =>
                    registered.get(key)!,
                ),
                ...(item.waitsForGatewayApi && gatewayApiCrds ? [gatewayApiCrds] : []),
            ];
            const resource = registerControllerObject(
                `${name}-${item.key}`,
                withImage(item, settings.image, args.image),
                {
                    parent: this,
                    ...(dependsOn.length > 0 ? { dependsOn } : {}),
                    ...(item.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
                },
            );
            registered.set(item.key, resource);
        }

        this.implementation = pulumi.output(settings.implementation);
        this.api = pulumi.output(settings.api);
        this.gatewayClassName = pulumi.output(servesGateway(settings.api) ? TRAEFIK_GATEWAY_CLASS : undefined);
        this.mode = pulumi.output(settings.mode);
        this.ingressClassName = pulumi.output(settings.ingressClassName);
        this.namespace = pulumi.output(settings.namespace);
        this.httpPort = pulumi.output(settings.httpPort);
        this.httpsPort = pulumi.output(settings.httpsPort);
        this.publishesStatus = pulumi.output(settings.publishesStatus);
        this.registerOutputs({
            implementation: this.implementation,
            api: this.api,
            gatewayClassName: this.gatewayClassName,
            mode: this.mode,
            ingressClassName: this.ingressClassName,
            namespace: this.namespace,
            httpPort: this.httpPort,
            httpsPort: this.httpsPort,
            publishesStatus: this.publishesStatus,
        });
    }
}
