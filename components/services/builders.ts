import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sharedLabels } from "./labels";
import { ResolvedApp, ResolvedService } from "./resolve";
import { DEFAULT_READY_TIMEOUT_SECONDS, ServiceType } from "./types";

/** Plain (never Output) Kubernetes objects, as the builders return them and the component registers them. */
type Plain<T> = pulumi.Unwrap<T>;
type Meta = Plain<k8s.types.input.meta.v1.ObjectMeta>;
export type NamespaceManifest = Plain<k8s.types.input.core.v1.Namespace> & {
    apiVersion: "v1";
    kind: "Namespace";
    metadata: Meta & { name: string };
};
export type ServiceManifest = Plain<k8s.types.input.core.v1.Service> & {
    apiVersion: "v1";
    kind: "Service";
    metadata: Meta & { name: string; namespace: string };
    spec: Plain<k8s.types.input.core.v1.ServiceSpec>;
};
export type DeploymentManifest = Plain<k8s.types.input.apps.v1.Deployment> & {
    apiVersion: "apps/v1";
    kind: "Deployment";
    metadata: Meta & { name: string; namespace: string };
    spec: Plain<k8s.types.input.apps.v1.DeploymentSpec>;
};

/** Tells the Pulumi Kubernetes provider not to wait for the object to become ready. */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
/** How often the readiness probe runs: quicker feedback than Kubernetes' 10 s default. */
const READINESS_PERIOD_SECONDS = 5;

/** What `pulumi up` waits for, and why not. */
export interface AwaitPlan {
    /** Why the Service is not waited for (its endpoints, and a LoadBalancer's address); undefined when it is. */
    readonly serviceSkipReason: string | undefined;
    /** Why the Deployment's rollout is not waited for; undefined when it is. */
    readonly deploymentSkipReason: string | undefined;
    /** How long the waits may take, in seconds. */
    readonly timeoutSeconds: number;
}

/**
 * Decides what `pulumi up` may wait for, so it never waits on what a lab cannot provide:
 * - a LoadBalancer Service's address, unless the cluster has a load-balancer provider (`loadBalancer`);
 * - endpoints of a Service whose app has 0 replicas (there will never be any);
 * - anything, when the app says `waitForReady: false`.
 * Otherwise the Service waits for Ready endpoints and the Deployment for its rollout, both for at most
 * `readyTimeoutSeconds` (default 300) instead of Pulumi's 10 minutes: a pod that never gets Ready (bad image,
 * failing probe) is a real failure worth reporting, just sooner.
 */
export function awaitPlan(service: ResolvedService, loadBalancer: boolean): AwaitPlan {
    const app = service.app;
    let serviceSkipReason: string | undefined;
    if (service.type === ServiceType.LoadBalancer && !loadBalancer) {
        serviceSkipReason =
            "no load-balancer provider will give this LoadBalancer Service an address (cluster.loadBalancer is false)";
    } else if (app && !app.waitForReady) {
        serviceSkipReason = "app.waitForReady is false";
    } else if (app && app.replicas === 0) {
        serviceSkipReason = "with 0 replicas the Service never has endpoints";
    }
    return {
        serviceSkipReason,
        deploymentSkipReason: app && !app.waitForReady ? "app.waitForReady is false" : undefined,
        timeoutSeconds: app?.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS,
    };
}

export function buildNamespace(name: string): NamespaceManifest {
    return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: sharedLabels() } };
}

export function buildService(service: ResolvedService, loadBalancer: boolean): ServiceManifest {
    const waits = awaitPlan(service, loadBalancer);
    const nodePorts = service.type !== ServiceType.ClusterIP;
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
            name: service.name,
            namespace: service.namespace,
            labels: { ...service.serviceLabels },
            ...(waits.serviceSkipReason !== undefined ? { annotations: { [SKIP_AWAIT_ANNOTATION]: "true" } } : {}),
        },
        spec: {
            type: service.type,
            ...(service.headless
                ? { clusterIP: "None" }
                : service.clusterIP !== undefined
                  ? { clusterIP: service.clusterIP }
                  : {}),
            selector: { ...service.selector },
            ports: service.ports.map((port) => ({
                ...(port.name !== undefined ? { name: port.name } : {}),
                protocol: port.protocol,
                port: port.port,
                targetPort: port.targetPort,
                ...(nodePorts && port.nodePort !== undefined ? { nodePort: port.nodePort } : {}),
            })),
        },
    };
}

function quantities(values: Record<string, string | number> | undefined): Record<string, string> | undefined {
    return values === undefined
        ? undefined
        : Object.fromEntries(Object.entries(values).map(([name, value]) => [name, String(value)]));
}

function container(name: string, app: ResolvedApp): Plain<k8s.types.input.core.v1.Container> {
    const requests = quantities(app.resources?.requests);
    const limits = quantities(app.resources?.limits);
    const readiness = app.readiness;
    return {
        name,
        image: app.image,
        ports: app.containerPorts.map((port) => ({
            ...(port.name !== undefined ? { name: port.name } : {}),
            containerPort: port.port,
            protocol: port.protocol,
        })),
        ...(readiness
            ? {
                  readinessProbe: {
                      ...(readiness.path !== undefined
                          ? { httpGet: { path: readiness.path, port: readiness.port } }
                          : { tcpSocket: { port: readiness.port } }),
                      periodSeconds: READINESS_PERIOD_SECONDS,
                  },
              }
            : {}),
        ...(requests || limits
            ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }
            : {}),
        ...(app.env && Object.keys(app.env).length > 0
            ? { env: Object.entries(app.env).map(([envName, value]) => ({ name: envName, value })) }
            : {}),
    };
}

/** The Deployment behind a Service, or undefined when the Service selects pods that exist already. */
export function buildDeployment(service: ResolvedService): DeploymentManifest | undefined {
    const app = service.app;
    if (!app || !service.podLabels) {
        return undefined;
    }
    const waits = awaitPlan(service, false);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
            name: service.name,
            namespace: service.namespace,
            labels: { ...service.podLabels },
            ...(waits.deploymentSkipReason !== undefined ? { annotations: { [SKIP_AWAIT_ANNOTATION]: "true" } } : {}),
        },
        spec: {
            replicas: app.replicas,
            // The same object the Service's selector is made from (see appLabels).
            selector: { matchLabels: { ...service.selector } },
            template: {
                metadata: { labels: { ...service.podLabels } },
                spec: { containers: [container(service.name, app)] },
            },
        },
    };
}
