import type * as pulumi from "@pulumi/pulumi";
import type { AppServiceSpec } from "../services/types";
import type { IpFamily } from "../plan";

/** Which Ingress controller serves the cluster's Ingress objects. */
export const IngressImplementation = {
    /** Traefik v3.7 with its kubernetesIngress provider: maintained, the default. */
    Traefik: "traefik",
    /** ingress-nginx v1.15.1, the final release: retired in March 2026, no further security fixes. */
    IngressNginx: "ingress-nginx",
} as const;
export type IngressImplementation = (typeof IngressImplementation)[keyof typeof IngressImplementation];

/** Which Kubernetes API the routes are written in. */
export const IngressApi = {
    /** networking.k8s.io/v1 Ingress objects (the default). */
    Ingress: "ingress",
    /** Gateway API: a GatewayClass, one Gateway and one HTTPRoute per host (standard channel v1.5.1). */
    Gateway: "gateway",
    /** Both at once, from the same routes: for a migration from Ingress to the Gateway API. */
    Both: "both",
} as const;
export type IngressApi = (typeof IngressApi)[keyof typeof IngressApi];

/** Whether an API choice serves networking.k8s.io/v1 Ingress objects. */
export function servesIngress(api: IngressApi): boolean {
    return api !== IngressApi.Gateway;
}

/** Whether an API choice serves Gateway API HTTPRoutes. */
export function servesGateway(api: IngressApi): boolean {
    return api !== IngressApi.Ingress;
}

/** How machines outside the cluster reach the controller. */
export const IngressMode = {
    /** A NodePort Service with fixed http/https node ports, answered on every node by kube-proxy. */
    NodePort: "NodePort",
    /** Ports 80/443 on every node: the controller runs as a DaemonSet with hostPorts; its Service is ClusterIP. */
    HostPort: "hostPort",
} as const;
export type IngressMode = (typeof IngressMode)[keyof typeof IngressMode];

/** How an Ingress path matches a request path (networking.k8s.io/v1 pathType). */
export const PathType = {
    /** Matches by path element: `/app` matches `/app` and `/app/x`, not `/apples`. */
    Prefix: "Prefix",
    /** Matches the path exactly. */
    Exact: "Exact",
    /** Left to the controller's interpretation. */
    ImplementationSpecific: "ImplementationSpecific",
} as const;
export type PathType = (typeof PathType)[keyof typeof PathType];

/** Pinned images: the controllers' releases these manifests were written for. */
export const TRAEFIK_IMAGE = "traefik:v3.7.11";
export const TRAEFIK_VERSION = "v3.7.11";
export const INGRESS_NGINX_VERSION = "1.15.1";
export const INGRESS_NGINX_IMAGE =
    "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1";
export const INGRESS_NGINX_CERTGEN_IMAGE =
    "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd";

export const DEFAULT_HTTP_NODE_PORT = 30080;
export const DEFAULT_HTTPS_NODE_PORT = 30443;

/** Shown at preview and by `clusternet plan`/`render` whenever ingress-nginx is chosen. */
export const INGRESS_NGINX_RETIREMENT_WARNING =
    "ingress-nginx was retired in March 2026: v1.15.1 is its final release and it gets no further security fixes; " +
    "use the traefik implementation (the default) unless you need ingress-nginx's exact behaviour";

/** The Ingress controller's settings, as in `clusternet:ingress.controller` (IngressController's args extend them). */
export interface IngressControllerSettings {
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
    /**
     * The controller image, pinned by tag or digest. An Input: it only passes through to the controller's workload;
     * a plain one is checked before anything registers, an Output one is not. Default traefik:v3.7.11, or
     * ingress-nginx v1.15.1 by digest.
     */
    image?: pulumi.Input<string>;
    /** ingress-nginx only: its validating admission webhook and the certgen Jobs behind it. Default false. */
    admissionWebhook?: boolean;
}

/** One path of a route: which requests go to which Service port. */
export interface IngressPathSpec {
    /** The request path. Default `/`. */
    path?: string;
    /** How the path matches. Default Prefix. */
    pathType?: PathType;
    /** The backend Service's name: a Service of this stack. */
    service: string;
    /** The backend Service's port by number (its `port`, not targetPort or nodePort). Set this or `portName`. */
    port?: number;
    /** The backend Service's port by name. Set this or `port`. */
    portName?: string;
    /** The backend Service's namespace; needed only when Services in two namespaces share the name. Default: the one Service of that name. */
    namespace?: string;
}

/** One route: a host and its paths. It becomes one Ingress in its backends' namespace. */
export interface IngressRouteSpec {
    /** A DNS name (never an IP address, no port); a wildcard only as the whole first label (`*.lab.example`). */
    host: string;
    /** The paths routed to backend Services; all of them in one namespace. */
    paths: IngressPathSpec[];
    /** A kubernetes.io/tls Secret in the route's namespace holding this host's certificate. Default: none (the controller's default certificate on HTTPS). */
    tlsSecret?: string;
}

/** `clusternet:ingress`: the controller and the routes it serves. */
export interface ClusterIngressSettings {
    /** Which API the routes are written in: `ingress` (default), `gateway` (Gateway API HTTPRoutes) or `both`. */
    api?: IngressApi;
    /** The Ingress controller. Default: Traefik in NodePort mode on 30080/30443. */
    controller?: IngressControllerSettings;
    /** Hosts and paths, each routed to a Service of this stack. Default: none. */
    routes?: IngressRouteSpec[];
}

/** A Service of the stack, as in `clusternet:services[]`: what a route may point to. */
export type BackendService = AppServiceSpec;

/** The controller's settings with every default applied. */
export interface ResolvedController {
    readonly implementation: IngressImplementation;
    /** Which APIs the controller serves: Ingress, the Gateway API, or both. */
    readonly api: IngressApi;
    readonly mode: IngressMode;
    /** Node ports, or null in hostPort mode. */
    readonly httpNodePort: number | null;
    readonly httpsNodePort: number | null;
    /** Where clients connect on a node: the node ports, or 80/443 in hostPort mode. */
    readonly httpPort: number;
    readonly httpsPort: number;
    /** Deployment replicas, or null in hostPort mode (a DaemonSet). */
    readonly replicas: number | null;
    readonly image: string;
    readonly admissionWebhook: boolean;
    /** The cluster's IP families, for the controller's Service. */
    readonly ipFamilies: readonly IpFamily[];
    /** The IngressClass every route names. */
    readonly ingressClassName: string;
    /** The controller's namespace. */
    readonly namespace: string;
    /**
     * Whether the controller writes Ingress status: ingress-nginx (without --publish-service) writes the node IPs,
     * so its Ingresses can be awaited; Traefik writes none unless given an ingressEndpoint, so they get skipAwait.
     */
    readonly publishesStatus: boolean;
}
