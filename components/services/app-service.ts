import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Problem, SPLIT_PORT_FIELDS, formatProblem, isLabelValue, show } from "../common";
import { awaitPlan, buildDeployment, buildNamespace, buildService } from "./builders";
import { resolveServiceNetwork } from "./network";
import { PortMapEntry, portMapOf } from "./port-map";
import { ResolvedService, resolveService } from "./resolve";
import { AppServiceSpec, ServiceClusterSpec } from "./types";
import { validateServices } from "./validate";

/** AppService's args: the Service and its app (plain values, not Inputs: they are validated before anything registers). */
export interface AppServiceArgs extends AppServiceSpec {
    /** What the Service needs to know about its cluster. Default: Service CIDR 10.96.0.0/12, node ports 30000-32767, no load balancer, node IPs unknown. */
    cluster?: ServiceClusterSpec;
    /** The `app.kubernetes.io/instance` label: which installation of the app this is (ClusterNetwork passes the cluster name). Default: the Service's name. */
    instance?: string;
}

/** The key root AppService names its problems by: `args.ports[1].targetPort`. */
const ARGS = "args";

/** The Service of valid args, defaults applied; otherwise a RunError listing every problem, thrown before anything is registered. */
function validService(name: string, args: AppServiceArgs): ResolvedService {
    const problems: Problem[] = validateServices([args], args.cluster, {
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
    return resolveService(args, args.instance);
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
        const { network } = resolveServiceNetwork(args.cluster, `${ARGS}.cluster`);
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
        this.deployment = deployment
            ? new k8s.apps.v1.Deployment(`${name}-deployment`, deployment, {
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
        this.portMap = pulumi.all([this.service.spec, this.service.status]).apply(([spec, status]) =>
            portMapOf(resolved, network, {
                clusterIP: spec?.clusterIP,
                ports: spec?.ports,
                loadBalancerAddress:
                    status?.loadBalancer?.ingress?.[0]?.ip ?? status?.loadBalancer?.ingress?.[0]?.hostname,
            }),
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
