import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Problem, SPLIT_PORT_FIELDS, formatProblem, isLabelValue, show } from "../common";
import { markRouteTarget } from "../common/depends-on";
import { knownValue } from "../common/known";
import { DeploymentManifest, awaitPlan, buildDeployment, buildNamespace, buildService } from "./builders";
import { resolveServiceNetwork } from "./network";
import { PortMapEntry, portMapOf } from "./port-map";
import { ResolvedService, resolveService } from "./resolve";
import { AppServiceSpec, AppSettings, ServiceClusterSettings, ServiceClusterSpec, ServiceSettings } from "./types";
import { validateServices } from "./validate";

/**
 * AppService's app: an AppSpec whose container image and environment values may be Inputs (e.g. another stack's
 * output), since they only pass through to the Deployment. A plain image is checked (pinned) before anything
 * registers; an Output one is not, and then the pods carry no `app.kubernetes.io/version` label.
 */
export interface AppArgs extends AppSettings {
    /** The container image, pinned by tag or digest (e.g. `nginx:1.27.5`). */
    image: pulumi.Input<string>;
    /** Environment variables of the container; the names are plain, the values Inputs. Default: none. */
    env?: Record<string, pulumi.Input<string>>;
}

/** A node's name and address, for the port map; the address may be an Input (e.g. a VM's output). */
export interface ServiceNodeArgs {
    /** The Kubernetes Node name. */
    name: string;
    /** The node's IP, where node ports listen. */
    ip: pulumi.Input<string>;
}

/** What the Service needs to know about its cluster: a ServiceClusterSpec whose node IPs may be Inputs. */
export interface ServiceClusterArgs extends ServiceClusterSettings {
    /** The nodes, whose IPs the port map shows for node ports. Default: none known (shown as `<nodeIP>`). */
    nodes?: ServiceNodeArgs[];
}

/**
 * AppService's args: the Service and its app. What decides which resources exist and how they are named (name,
 * namespace, type, ports, container ports, replicas...) is plain, so it is validated before anything registers;
 * the image, the environment values and the node IPs may be Inputs.
 */
export interface AppServiceArgs extends ServiceSettings {
    /** The Deployment behind the Service. Default: none (then `selector` is required). */
    app?: AppArgs;
    /** What the Service needs to know about its cluster. Default: Service CIDR 10.96.0.0/12, node ports 30000-32767, no load balancer, node IPs unknown. */
    cluster?: ServiceClusterArgs;
    /** The `app.kubernetes.io/instance` label: which installation of the app this is (ClusterNetwork passes the cluster name). Default: the Service's name. */
    instance?: string;
}

/** The key root AppService names its problems by: `args.ports[1].targetPort`. */
const ARGS = "args";

/**
 * Stands in for an image not known yet (an Output) in the pure layer: pinned by digest, so validation accepts it,
 * and without a tag, so no version label comes of it. The Deployment gets the Input itself (see withPassThrough).
 */
const PENDING_IMAGE = `pending.invalid/image@sha256:${"0".repeat(64)}`;

/** The plain spec the pure builders work from: the args with an unknown image stood in for, env values left out. */
function plainSpec(args: AppServiceArgs): AppServiceSpec {
    const { app, cluster: _cluster, instance: _instance, ...service } = args;
    if (!app) {
        return service;
    }
    const { image, env, ...rest } = app;
    const known = knownValue(image);
    return {
        ...service,
        app: {
            ...rest,
            image: known.known ? (known.value as string) : PENDING_IMAGE,
            ...(env !== undefined ? { env: Object.fromEntries(Object.keys(env).map((key) => [key, ""])) } : {}),
        },
    };
}

/** The cluster as the pure layer takes it: node IPs are only needed for the port map, which resolves them itself. */
function plainCluster(cluster: ServiceClusterArgs | undefined): ServiceClusterSpec | undefined {
    if (!cluster) {
        return undefined;
    }
    const { nodes: _nodes, ...rest } = cluster;
    return rest;
}

/** The Deployment's args: the built manifest with the app's image and environment values as given (Inputs). */
function withPassThrough(manifest: DeploymentManifest, app: AppArgs): k8s.apps.v1.DeploymentArgs {
    const template = manifest.spec.template;
    const [container, ...others] = template.spec?.containers ?? [];
    if (!container) {
        return manifest;
    }
    const env = Object.entries(app.env ?? {});
    return {
        ...manifest,
        spec: {
            ...manifest.spec,
            template: {
                ...template,
                spec: {
                    ...template.spec,
                    containers: [
                        {
                            ...container,
                            image: app.image,
                            ...(env.length > 0
                                ? { env: env.map(([envName, value]) => ({ name: envName, value })) }
                                : {}),
                        },
                        ...others,
                    ],
                },
            },
        },
    };
}

/** The Service of valid args, defaults applied; otherwise a RunError listing every problem, thrown before anything is registered. */
function validService(name: string, args: AppServiceArgs): ResolvedService {
    const spec = plainSpec(args);
    const problems: Problem[] = validateServices([spec], plainCluster(args.cluster), {
        service: () => ARGS,
        cluster: `${ARGS}.cluster`,
        portNameField: SPLIT_PORT_FIELDS,
    });
    if (args.instance !== undefined && (args.instance === "" || !isLabelValue(args.instance))) {
        problems.push({
            key: `${ARGS}.instance`,
            message: `${show(args.instance)} is not a valid label value`,
            fix: "use at most 63 letters, digits, '-', '_' and '.', e.g. lab",
        });
    }
    if (problems.length > 0) {
        throw new pulumi.RunError(`AppService "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`);
    }
    return resolveService(spec, args.instance);
}

/**
 * A Service with its port mappings and, optionally, the Deployment behind it (and its namespace). The Service's
 * selector and the pods' labels come from one function, so they match by construction. Validates all args before
 * registering any child; `pulumi up` never waits on what a lab cannot provide (see awaitPlan).
 */
export class AppService extends pulumi.ComponentResource {
    /** The Namespace, when this component creates it. */
    public readonly namespace: k8s.core.v1.Namespace | undefined;
    /** The Service. */
    public readonly service: k8s.core.v1.Service;
    /** The Deployment, when the Service has an app. */
    public readonly deployment: k8s.apps.v1.Deployment | undefined;
    /** The Service's name. */
    public readonly serviceName: pulumi.Output<string>;
    /** The Service's namespace. */
    public readonly serviceNamespace: pulumi.Output<string>;
    /** The cluster IP: the pinned one, else what the cluster assigned ("None" when headless; absent until known). */
    public readonly clusterIP: pulumi.Output<string | undefined>;
    /** The Service's selector (equal to the app's stable pod labels). */
    public readonly selector: pulumi.Output<Record<string, string>>;
    /** Every port's chain from client to pod, with what the cluster picked filled in after deployment. */
    public readonly portMap: pulumi.Output<PortMapEntry[]>;

    constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        const resolved = validService(name, args);
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:AppService", name, {}, opts);
        // A route component handed this one in dependsOn makes only the routes to this Service wait for it.
        markRouteTarget(this, {
            namespace: resolved.namespace,
            service: resolved.name,
            createsNamespace: resolved.createNamespace,
        });
        const cluster = plainCluster(args.cluster);
        const { network } = resolveServiceNetwork(cluster, `${ARGS}.cluster`);
        const waits = awaitPlan(resolved, network.loadBalancer);
        const timeout = `${waits.timeoutSeconds}s`;
        const customTimeouts = { create: timeout, update: timeout };

        // Pulumi does not pass a component's dependsOn to its children: hand it on, through our own Namespace if any.
        this.namespace = resolved.createNamespace
            ? new k8s.core.v1.Namespace(`${name}-namespace`, buildNamespace(resolved.namespace), {
                  parent: this,
                  dependsOn: opts?.dependsOn,
              })
            : undefined;
        const dependsOn = this.namespace ? [this.namespace] : opts?.dependsOn;

        const deployment = buildDeployment(resolved);
        this.deployment =
            deployment && args.app
                ? new k8s.apps.v1.Deployment(`${name}-deployment`, withPassThrough(deployment, args.app), {
                      parent: this,
                      dependsOn,
                      ...(waits.deploymentSkipReason === undefined ? { customTimeouts } : {}),
                  })
                : undefined;
        this.service = new k8s.core.v1.Service(`${name}-service`, buildService(resolved, network.loadBalancer), {
            parent: this,
            dependsOn,
            ...(waits.serviceSkipReason === undefined ? { customTimeouts } : {}),
        });

        this.serviceName = pulumi.output(resolved.name);
        this.serviceNamespace = pulumi.output(resolved.namespace);
        this.selector = pulumi.output({ ...resolved.selector });
        this.clusterIP = this.service.spec.apply((spec) =>
            resolved.headless ? "None" : (resolved.clusterIP ?? (spec?.clusterIP ? spec.clusterIP : undefined)),
        );
        const nodes = args.cluster?.nodes ?? [];
        const nodeIps = pulumi.all(nodes.map((node) => node.ip));
        this.portMap = pulumi.all([this.service.spec, this.service.status, nodeIps]).apply(([spec, status, ips]) =>
            portMapOf(
                resolved,
                { ...network, nodes: nodes.map((node, index) => ({ name: node.name, ip: ips[index]! })) },
                {
                    clusterIP: spec?.clusterIP,
                    ports: spec?.ports,
                    loadBalancerAddress:
                        status?.loadBalancer?.ingress?.[0]?.ip ?? status?.loadBalancer?.ingress?.[0]?.hostname,
                },
            ),
        );
        this.registerOutputs({
            serviceName: this.serviceName,
            serviceNamespace: this.serviceNamespace,
            clusterIP: this.clusterIP,
            selector: this.selector,
            portMap: this.portMap,
        });
    }
}
