/**
 * Hand-written Kubernetes objects in the standard shapes the pod network, Services and Ingress components render
 * (flannel's ConfigMap exactly like upstream's, one Node patch per node, Deployments + Services, an Ingress
 * controller with its NodePort Service and IngressClass, Ingresses), built for a given address plan. The lab is
 * tested against them until those components land; the lab reads only these standard fields.
 */
import { AddressPlan } from "../../components/plan";
import { LabManifest } from "../../lab/model";

export interface FixturePort {
    name?: string;
    port: number;
    targetPort?: number | string;
    nodePort?: number;
    protocol?: "TCP" | "UDP";
}

export interface FixtureService {
    name: string;
    namespace: string;
    type?: "ClusterIP" | "NodePort";
    replicas: number;
    image?: string;
    containerPorts: Array<{ name?: string; port: number; protocol?: "TCP" | "UDP" }>;
    ports: FixturePort[];
    /** An HTTP readiness probe path; default a TCP probe on the first container port. */
    readinessPath?: string;
    clusterIP?: string;
}

export interface FixtureRoute {
    host: string;
    paths: Array<{
        path: string;
        pathType?: "Exact" | "Prefix" | "ImplementationSpecific";
        service: string;
        port: number | string;
    }>;
}

export interface FixtureOptions {
    backend: string;
    vni?: number;
    vxlanPort?: number;
    services: FixtureService[];
    ingress?: {
        controller: "traefik" | "ingress-nginx";
        httpNodePort: number;
        httpsNodePort: number;
        routes: FixtureRoute[];
    };
}

function manifest(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
    body: Record<string, unknown>,
    patch = false,
): LabManifest {
    const metadata = { name, ...(namespace ? { namespace } : {}), ...((body["metadata"] as object | undefined) ?? {}) };
    return { apiVersion, kind, name, namespace, patch, object: { apiVersion, kind, ...body, metadata } };
}

/** flannel as upstream's kube-flannel.yml renders it (the parts the lab reads). */
export function flannelManifests(
    plan: AddressPlan,
    options: Pick<FixtureOptions, "backend" | "vni" | "vxlanPort">,
): LabManifest[] {
    const backend: Record<string, unknown> = { Type: options.backend };
    if (options.vni !== undefined) {
        backend["VNI"] = options.vni;
    }
    if (options.vxlanPort !== undefined) {
        backend["Port"] = options.vxlanPort;
    }
    const cniConf = {
        name: "cbr0",
        cniVersion: "0.3.1",
        plugins: [
            { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
            { type: "portmap", capabilities: { portMappings: true } },
        ],
    };
    const netConf = { Network: plan.cluster.podCidr, EnableNFTables: false, Backend: backend };
    return [
        manifest("v1", "Namespace", "kube-flannel", undefined, {
            metadata: { labels: { "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" } },
        }),
        manifest("v1", "ConfigMap", "kube-flannel-cfg", "kube-flannel", {
            metadata: { labels: { tier: "node", "k8s-app": "flannel", app: "flannel" } },
            data: {
                "cni-conf.json": `${JSON.stringify(cniConf, null, 2)}\n`,
                "net-conf.json": `${JSON.stringify(netConf, null, 2)}\n`,
            },
        }),
        manifest("apps/v1", "DaemonSet", "kube-flannel-ds", "kube-flannel", {
            metadata: { labels: { tier: "node", app: "flannel", "k8s-app": "flannel" } },
            spec: {
                selector: { matchLabels: { app: "flannel" } },
                template: {
                    metadata: { labels: { tier: "node", app: "flannel" } },
                    spec: {
                        hostNetwork: true,
                        priorityClassName: "system-node-critical",
                        serviceAccountName: "flannel",
                        containers: [
                            {
                                name: "kube-flannel",
                                image: "ghcr.io/flannel-io/flannel:v0.28.9",
                                command: ["/opt/bin/flanneld"],
                                args: ["--ip-masq", "--kube-subnet-mgr"],
                            },
                        ],
                    },
                },
            },
        }),
        ...plan.nodes.map((node) =>
            manifest(
                "v1",
                "Node",
                node.name,
                undefined,
                { spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] } },
                true,
            ),
        ),
    ];
}

function deployment(service: FixtureService): LabManifest {
    const first = service.containerPorts[0]!;
    const probePort = first.name ?? first.port;
    const readinessProbe =
        service.readinessPath !== undefined
            ? { httpGet: { path: service.readinessPath, port: probePort } }
            : { tcpSocket: { port: probePort } };
    return manifest("apps/v1", "Deployment", service.name, service.namespace, {
        metadata: { labels: { app: service.name } },
        spec: {
            replicas: service.replicas,
            selector: { matchLabels: { app: service.name } },
            template: {
                metadata: { labels: { app: service.name } },
                spec: {
                    containers: [
                        {
                            name: service.name,
                            image: service.image ?? "nginx:1.27",
                            ports: service.containerPorts.map((port) => ({
                                ...(port.name ? { name: port.name } : {}),
                                containerPort: port.port,
                                protocol: port.protocol ?? "TCP",
                            })),
                            readinessProbe,
                        },
                    ],
                },
            },
        },
    });
}

function service(spec: FixtureService): LabManifest {
    return manifest("v1", "Service", spec.name, spec.namespace, {
        metadata: { labels: { app: spec.name } },
        spec: {
            type: spec.type ?? "ClusterIP",
            ...(spec.clusterIP ? { clusterIP: spec.clusterIP } : {}),
            selector: { app: spec.name },
            ports: spec.ports.map((port) => ({
                ...(port.name ? { name: port.name } : {}),
                port: port.port,
                targetPort: port.targetPort ?? port.port,
                protocol: port.protocol ?? "TCP",
                ...(port.nodePort !== undefined ? { nodePort: port.nodePort } : {}),
            })),
        },
    });
}

function ingressController(options: NonNullable<FixtureOptions["ingress"]>): LabManifest[] {
    const traefik = options.controller === "traefik";
    const namespace = traefik ? "traefik" : "ingress-nginx";
    const name = traefik ? "traefik" : "ingress-nginx-controller";
    const labels = traefik
        ? { "app.kubernetes.io/name": "traefik" }
        : { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" };
    const container = traefik
        ? {
              name: "traefik",
              image: "traefik:v3.7.11",
              args: [
                  "--entryPoints.web.address=:8000",
                  "--entryPoints.websecure.address=:8443",
                  "--entryPoints.traefik.address=:8080",
                  "--ping=true",
                  "--providers.kubernetesingress",
              ],
              ports: [
                  { name: "web", containerPort: 8000, protocol: "TCP" },
                  { name: "websecure", containerPort: 8443, protocol: "TCP" },
                  { name: "traefik", containerPort: 8080, protocol: "TCP" },
              ],
              readinessProbe: { httpGet: { path: "/ping", port: 8080 } },
          }
        : {
              name: "controller",
              image: "registry.k8s.io/ingress-nginx/controller:v1.15.1",
              args: ["/nginx-ingress-controller", "--ingress-class=nginx", "--controller-class=k8s.io/ingress-nginx"],
              ports: [
                  { name: "http", containerPort: 80, protocol: "TCP" },
                  { name: "https", containerPort: 443, protocol: "TCP" },
              ],
              readinessProbe: { httpGet: { path: "/healthz", port: 10254 } },
          };
    return [
        manifest("v1", "Namespace", namespace, undefined, {}),
        manifest("apps/v1", "Deployment", name, namespace, {
            metadata: { labels },
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: { metadata: { labels }, spec: { containers: [container] } },
            },
        }),
        manifest("v1", "Service", name, namespace, {
            metadata: { labels },
            spec: {
                type: "NodePort",
                selector: labels,
                ports: [
                    {
                        name: "http",
                        port: 80,
                        targetPort: traefik ? "web" : "http",
                        nodePort: options.httpNodePort,
                        protocol: "TCP",
                    },
                    {
                        name: "https",
                        port: 443,
                        targetPort: traefik ? "websecure" : "https",
                        nodePort: options.httpsNodePort,
                        protocol: "TCP",
                    },
                ],
            },
        }),
        manifest("networking.k8s.io/v1", "IngressClass", traefik ? "traefik" : "nginx", undefined, {
            spec: { controller: traefik ? "traefik.io/ingress-controller" : "k8s.io/ingress-nginx" },
        }),
    ];
}

function ingresses(
    options: NonNullable<FixtureOptions["ingress"]>,
    services: readonly FixtureService[],
): LabManifest[] {
    const className = options.controller === "traefik" ? "traefik" : "nginx";
    return options.routes.map((route, index) => {
        const namespace = services.find((item) => item.name === route.paths[0]!.service)?.namespace ?? "default";
        return manifest(
            "networking.k8s.io/v1",
            "Ingress",
            `${route.host.replace(/[^a-z0-9-]/g, "-")}-${index}`,
            namespace,
            {
                spec: {
                    ingressClassName: className,
                    rules: [
                        {
                            host: route.host,
                            http: {
                                paths: route.paths.map((path) => ({
                                    path: path.path,
                                    pathType: path.pathType ?? "Prefix",
                                    backend: {
                                        service: {
                                            name: path.service,
                                            port:
                                                typeof path.port === "number"
                                                    ? { number: path.port }
                                                    : { name: path.port },
                                        },
                                    },
                                })),
                            },
                        },
                    ],
                },
            },
        );
    });
}

/** Every object a stack of this shape renders, for this plan. */
export function labManifests(plan: AddressPlan, options: FixtureOptions): LabManifest[] {
    const namespaces = [...new Set(options.services.map((item) => item.namespace))].map((namespace) =>
        manifest("v1", "Namespace", namespace, undefined, {}),
    );
    return [
        ...flannelManifests(plan, options),
        ...namespaces,
        ...options.services.flatMap((item) => [deployment(item), service(item)]),
        ...(options.ingress
            ? [...ingressController(options.ingress), ...ingresses(options.ingress, options.services)]
            : []),
    ];
}

/** The dev stack's Services and Ingress, as Pulumi.dev.yaml will describe them. */
export const DEV_FIXTURE: FixtureOptions = {
    backend: "vxlan",
    services: [
        {
            name: "web",
            namespace: "demo",
            type: "NodePort",
            replicas: 2,
            containerPorts: [
                { name: "http", port: 80 },
                { name: "https", port: 443 },
            ],
            ports: [
                { name: "http", port: 8080, targetPort: "http", nodePort: 30808 },
                { name: "https", port: 443, targetPort: "https" },
            ],
        },
    ],
    ingress: {
        controller: "traefik",
        httpNodePort: 30080,
        httpsNodePort: 30443,
        routes: [{ host: "web.lab.example", paths: [{ path: "/", service: "web", port: "http" }] }],
    },
};

/** The dev stack's clusternet:cluster and clusternet:nodes (as in Pulumi.dev.yaml). */
export const DEV_CLUSTER = {
    cluster: {
        name: "lab",
        podCidr: "10.244.0.0/16",
        nodeMaskSize: 24,
        serviceCidr: "10.96.0.0/12",
        nodeNetwork: "192.168.56.0/24",
    },
    nodes: [
        { name: "cp-1", ip: "192.168.56.10", podCidr: "10.244.0.0/24" },
        { name: "worker-1", ip: "192.168.56.11" },
        { name: "worker-2", ip: "192.168.56.12" },
    ],
};
