import { parseServiceIp } from "../rules";
import { AppIdentity, WORKLOAD_COMPONENT, appLabels, imageVersion } from "./labels";
import {
    AppServiceSpec,
    AppSpec,
    BUILTIN_NAMESPACES,
    ContainerPortSpec,
    DEFAULT_NAMESPACE,
    DEFAULT_READY_TIMEOUT_SECONDS,
    Protocol,
    ResourcesSpec,
    ServiceType,
} from "./types";

/** A container port with its defaults applied. */
export interface ResolvedContainerPort {
    readonly name: string | undefined;
    readonly port: number;
    readonly protocol: Protocol;
}

/** A Service port with its defaults applied and its targetPort looked up in the app. */
export interface ResolvedServicePort {
    readonly name: string | undefined;
    readonly port: number;
    readonly protocol: Protocol;
    /** As the Service will say it: a number, or a container port's name. */
    readonly targetPort: number | string;
    /** The number the pod listens on; undefined when a name cannot be looked up (no app declares it). */
    readonly targetPortNumber: number | undefined;
    readonly nodePort: number | undefined;
}

/** The readiness probe: a TCP connect, or an HTTP GET when a path is given. */
export interface ReadinessProbe {
    /** A container port's name, or a number. */
    readonly port: number | string;
    /** Set for an HTTP GET probe. */
    readonly path?: string;
}

export interface ResolvedApp {
    readonly image: string;
    readonly replicas: number;
    readonly containerPorts: readonly ResolvedContainerPort[];
    /** Undefined when the app has no TCP port to probe and no readinessPort. */
    readonly readiness: ReadinessProbe | undefined;
    readonly resources: ResourcesSpec | undefined;
    readonly env: Readonly<Record<string, string>> | undefined;
    readonly waitForReady: boolean;
    readonly readyTimeoutSeconds: number;
}

/** A Service spec with every default applied: what the builders and the port map work from. */
export interface ResolvedService {
    readonly name: string;
    readonly namespace: string;
    /** Whether this Service's own component should create the namespace (false for built-in namespaces). */
    readonly createNamespace: boolean;
    readonly type: ServiceType;
    readonly headless: boolean;
    readonly clusterIP: string | undefined;
    /** The Service's selector: the app's stable labels, or the given selector. */
    readonly selector: Readonly<Record<string, string>>;
    /** Labels of the Service object. */
    readonly serviceLabels: Readonly<Record<string, string>>;
    /** Labels of the Deployment and its pod template (a superset of the selector); undefined without an app. */
    readonly podLabels: Readonly<Record<string, string>> | undefined;
    readonly ports: readonly ResolvedServicePort[];
    readonly app: ResolvedApp | undefined;
}

/** Whether a namespace always exists, so nothing should create it. */
export function isBuiltinNamespace(namespace: string): boolean {
    return BUILTIN_NAMESPACES.includes(namespace);
}

export function resolveContainerPorts(ports: readonly ContainerPortSpec[]): ResolvedContainerPort[] {
    return ports.map((port) => ({ name: port.name, port: port.port, protocol: port.protocol || Protocol.TCP }));
}

/**
 * The container port a Service port's target means, matched the way the EndpointSlice controller matches them:
 * by name and protocol, or by number and protocol.
 */
export function findContainerPort(
    containerPorts: readonly ResolvedContainerPort[],
    target: number | string,
    protocol: Protocol,
): ResolvedContainerPort | undefined {
    return containerPorts.find(
        (port) =>
            port.protocol === protocol && (typeof target === "string" ? port.name === target : port.port === target),
    );
}

function resolveReadiness(app: AppSpec, containerPorts: readonly ResolvedContainerPort[]): ReadinessProbe | undefined {
    // A TCP connect (or HTTP GET) cannot tell whether a UDP or SCTP port works, so only TCP ports are probed by default.
    const firstTcp = containerPorts.find((port) => port.protocol === Protocol.TCP);
    const port =
        app.readinessPortName ?? app.readinessPort ?? (firstTcp ? (firstTcp.name ?? firstTcp.port) : undefined);
    if (port === undefined) {
        return undefined;
    }
    return app.readinessPath !== undefined ? { port, path: app.readinessPath } : { port };
}

function resolveApp(app: AppSpec): ResolvedApp {
    const containerPorts = resolveContainerPorts(app.containerPorts);
    return {
        image: app.image,
        replicas: app.replicas ?? 1,
        containerPorts,
        readiness: resolveReadiness(app, containerPorts),
        resources: app.resources,
        env: app.env,
        waitForReady: app.waitForReady ?? true,
        readyTimeoutSeconds: app.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS,
    };
}

/**
 * A pinned clusterIP as the Service carries it: unset when empty (the API server allocates one), an IPv6 address
 * in canonical form (the API server accepts other spellings with a warning; serviceClusterIpWarnings gives it).
 */
export function canonicalClusterIp(clusterIP: string | undefined): string | undefined {
    if (!clusterIP) {
        return undefined;
    }
    const parsed = parseServiceIp(clusterIP);
    return parsed.ok ? (parsed.value.canonical ?? clusterIP) : clusterIP;
}

/**
 * Applies every default to a (validated) Service spec. `instance` is the `app.kubernetes.io/instance` label
 * (default: the Service's name). Pure; does not validate.
 */
export function resolveService(spec: AppServiceSpec, instance?: string): ResolvedService {
    const namespace = spec.namespace ?? DEFAULT_NAMESPACE;
    const app = spec.app ? resolveApp(spec.app) : undefined;
    const identity: AppIdentity = {
        name: spec.name,
        instance: instance ?? spec.name,
        ...(app ? { component: WORKLOAD_COMPONENT } : {}),
        ...(app && imageVersion(app.image) !== undefined ? { version: imageVersion(app.image) } : {}),
    };
    const labels = appLabels(identity);
    const ports = spec.ports.map((port): ResolvedServicePort => {
        // As the API server's defaulting: an empty protocol is TCP, a zero or empty targetPort is the port.
        const protocol = port.protocol || Protocol.TCP;
        const targetPort = port.targetPortName || port.targetPort || port.port;
        const found = app ? findContainerPort(app.containerPorts, targetPort, protocol) : undefined;
        return {
            name: port.name,
            port: port.port,
            protocol,
            targetPort,
            targetPortNumber: typeof targetPort === "number" ? targetPort : found?.port,
            nodePort: port.nodePort,
        };
    });
    return {
        name: spec.name,
        namespace,
        createNamespace: (spec.createNamespace ?? true) && !isBuiltinNamespace(namespace),
        type: spec.type || ServiceType.ClusterIP,
        headless: spec.headless ?? false,
        clusterIP: canonicalClusterIp(spec.clusterIP),
        selector: app ? labels.selector : { ...(spec.selector ?? {}) },
        serviceLabels: labels.labels,
        podLabels: app ? labels.labels : undefined,
        ports,
        app,
    };
}
