/** The shapes of a Service and the workload behind it, as AppService takes them and `clusternet:services` holds them. */

/** How a Service is reached. */
export const ServiceType = {
    /** A virtual IP inside the cluster only. */
    ClusterIP: "ClusterIP",
    /** Also a port on every node (the cluster's node port range). */
    NodePort: "NodePort",
    /** Also an external address from a load-balancer provider (MetalLB...); a lab without one never gets it. */
    LoadBalancer: "LoadBalancer",
} as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

/** A port's transport protocol, as Kubernetes spells it. */
export const Protocol = {
    TCP: "TCP",
    UDP: "UDP",
    SCTP: "SCTP",
} as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

/** A port the app's container listens on. */
export interface ContainerPortSpec {
    /** The port's name, an IANA service name (at most 15 characters) that targetPorts and the probe can use. Default: unnamed. */
    name?: string;
    /** The port number inside the pod, 1-65535. */
    port: number;
    /** TCP, UDP or SCTP. Default TCP. */
    protocol?: Protocol;
}

/** One port of a Service. */
export interface ServicePortSpec {
    /** The port's name (a DNS-1123 label); required when the Service has more than one port. Default: unnamed. */
    name?: string;
    /** The Service's port on its cluster IP, 1-65535. */
    port: number;
    /** The pod's port by number, 1-65535. Set this or `targetPortName`, not both. Default: the same number as `port`. */
    targetPort?: number;
    /** The pod's port by the name of one of the app's container ports (an IANA service name). Set this or `targetPort`, not both. */
    targetPortName?: string;
    /** TCP, UDP or SCTP. Default TCP. */
    protocol?: Protocol;
    /** A fixed port on every node, for NodePort and LoadBalancer Services, inside the node port range. Default: the cluster picks one. */
    nodePort?: number;
}

/** Container resources, as in a Kubernetes container spec; quantities as strings (`"100m"`, `"0.5"`, `"64Mi"`). */
export interface ResourcesSpec {
    /** What the scheduler reserves, e.g. `{ cpu: "100m", memory: "64Mi" }`. Default: none. */
    requests?: Record<string, string>;
    /** The most the container may use, e.g. `{ memory: "128Mi" }`. Default: none. */
    limits?: Record<string, string>;
}

/** The workload's settings that shape its objects: everything of an app but its image and environment. */
export interface AppSettings {
    /** How many pods. Default 1. With 0 the Service has no endpoints, so nothing waits for them. */
    replicas?: number;
    /** The ports the container listens on; named ones can be targetPorts. At least one. */
    containerPorts: ContainerPortSpec[];
    /** An HTTP GET readiness probe on this path. Default: a TCP probe (connect only). */
    readinessPath?: string;
    /** The readiness probe's port by number. Set this or `readinessPortName`, not both. Default: the first TCP container port. */
    readinessPort?: number;
    /** The readiness probe's port by container port name. Set this or `readinessPort`, not both. */
    readinessPortName?: string;
    /** CPU and memory requests and limits. Default: none. */
    resources?: ResourcesSpec;
    /** Let `pulumi up` wait until the pods are Ready and the Service has endpoints. Default true; false sets `pulumi.com/skipAwait`. */
    waitForReady?: boolean;
    /** How long `pulumi up` waits for Ready pods and endpoints before failing, in seconds. Default 300 (Pulumi's own default is 600). */
    readyTimeoutSeconds?: number;
}

/** The workload behind a Service: a Deployment of one container. */
export interface AppSpec extends AppSettings {
    /** The container image, pinned by tag or digest (e.g. `nginx:1.27.5`). */
    image: string;
    /** Environment variables of the container. Default: none. */
    env?: Record<string, string>;
}

/** A Service's own settings: everything of an AppServiceSpec but the app behind it. */
export interface ServiceSettings {
    /** The Service's name (a DNS-1035 label); also the Deployment's and the container's name. */
    name: string;
    /** Its namespace (a DNS-1123 label). Default `default`. */
    namespace?: string;
    /** Create the namespace; false when it already exists. Built-in namespaces (default, kube-system...) are never created. Default true. */
    createNamespace?: boolean;
    /** ClusterIP, NodePort or LoadBalancer. Default ClusterIP. */
    type?: ServiceType;
    /** A headless Service (`clusterIP: None`): DNS returns the pod IPs, nothing is proxied. Only with type ClusterIP. Default false. */
    headless?: boolean;
    /** A fixed cluster IP inside the Service CIDR (not the `kubernetes` or DNS Service's IP). Default: the cluster picks one. */
    clusterIP?: string;
    /** Labels of existing pods to select, when there is no app. With an app the selector comes from the app's labels. */
    selector?: Record<string, string>;
    /** The Service's ports, at least one. */
    ports: ServicePortSpec[];
}

/** A Service with its port mappings and, optionally, the Deployment behind it. */
export interface AppServiceSpec extends ServiceSettings {
    /** The Deployment behind the Service. Default: none (then `selector` is required). */
    app?: AppSpec;
}

/** A node's name and address, for the port map. */
export interface ServiceNodeAddress {
    /** The Kubernetes Node name. */
    name: string;
    /** The node's IP, where node ports listen. */
    ip: string;
}

/** What a Service needs to know about its cluster, but its nodes. */
export interface ServiceClusterSettings {
    /** The IPv4 Service CIDR (kube-apiserver --service-cluster-ip-range). Default 10.96.0.0/12 when serviceCidrV6 is not set either. */
    serviceCidr?: string;
    /** The IPv6 Service CIDR. Default: none. */
    serviceCidrV6?: string;
    /** The API server's --service-node-port-range, `FIRST-LAST`. Default 30000-32767. */
    nodePortRange?: string;
    /** True when something (e.g. MetalLB) gives LoadBalancer Services an address; otherwise `pulumi up` does not wait for one. Default false. */
    loadBalancer?: boolean;
}

/** What a Service needs to know about its cluster. */
export interface ServiceClusterSpec extends ServiceClusterSettings {
    /** The nodes, whose IPs the port map shows for node ports. Default: none known (shown as `<nodeIP>`). */
    nodes?: ServiceNodeAddress[];
}

/** Kubernetes' default --service-node-port-range. */
export { DEFAULT_NODE_PORT_RANGE } from "../rules/node-ports";
/** The namespace a Service lands in when none is given. */
export const DEFAULT_NAMESPACE = "default";
/** Default seconds `pulumi up` waits for Ready pods: less than Pulumi's 10 minutes, so a broken lab app fails sooner. */
export const DEFAULT_READY_TIMEOUT_SECONDS = 300;
/** Namespaces every cluster has: never created (that would fail with AlreadyExists) and never deleted by the stack. */
export const BUILTIN_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease"];
