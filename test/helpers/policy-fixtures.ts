/**
 * Resources shaped as the engine hands them to policies (type token, name, URN, props = the object with apiVersion,
 * kind, metadata and spec), written after the upstream objects: flannel v0.28.9's manifest, a Traefik controller,
 * an app Deployment with its Service and Ingress. Plus a runner for one policy through the engine-free harness.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { parseAllDocuments } from "yaml";
import { EngineResource, PackSettings, Violation, runPolicies } from "../../cli/policy-harness";

export const PROJECT = "clusternet";
export const STACK = "dev";

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

export const STACK_URN = urnOf("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`);

function resource(type: string, name: string, props: Record<string, unknown>): EngineResource {
    return { type, name, urn: urnOf(type, name), props, parent: STACK_URN };
}

/** The dev stack's plan, as the stack exports it (only the fields the policies read, plus a few). */
export function devPlan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        cluster: {
            name: "lab",
            families: ["IPv4"],
            podCidr: "10.244.0.0/16",
            podCidrV6: null,
            nodeMaskSize: 24,
            nodeMaskSizeV6: 64,
            serviceCidr: "10.96.0.0/12",
            serviceCidrV6: null,
            nodeNetwork: "192.168.56.0/24",
            reserved: [{ name: "office-vpn", cidr: "10.8.0.0/16" }],
            ...overrides,
        },
        kubernetesServiceIp: "10.96.0.1",
        dnsServiceIp: "10.96.0.10",
        nodes: [
            { name: "cp-1", ip: "192.168.56.10", podCidr: "10.244.0.0/24" },
            { name: "worker-1", ip: "192.168.56.11", podCidr: "10.244.1.0/24" },
            { name: "worker-2", ip: "192.168.56.12", podCidr: "10.244.2.0/24" },
        ],
    };
}

/** The root Stack resource, its props being the stack outputs; `null` for a stack that exports no plan. */
export function stackResource(plan: Record<string, unknown> | null = devPlan()): EngineResource {
    return {
        type: "pulumi:pulumi:Stack",
        name: `${PROJECT}-${STACK}`,
        urn: STACK_URN,
        props: plan === null ? {} : { plan },
    };
}

export function nodePatch(node: string, podCidrs: readonly string[]): EngineResource {
    return resource("kubernetes:core/v1:NodePatch", `lab-node-${node}`, {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: node },
        spec: { podCIDR: podCidrs[0], podCIDRs: [...podCidrs] },
    });
}

export const NET_CONF = { Network: "10.244.0.0/16", EnableNFTables: false, Backend: { Type: "vxlan" } };
export const CNI_CONF = {
    name: "cbr0",
    cniVersion: "0.3.1",
    plugins: [
        { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
        { type: "portmap", capabilities: { portMappings: true } },
    ],
};

/** flannel's ConfigMap; pass a string to write net-conf.json verbatim. */
export function flannelConfigMap(netConf: unknown = NET_CONF, cniConf: unknown = CNI_CONF): EngineResource {
    const text = (value: unknown): string =>
        typeof value === "string" ? value : `${JSON.stringify(value, null, 2)}\n`;
    return resource("kubernetes:core/v1:ConfigMap", "lab-flannel-cfg", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: "kube-flannel-cfg",
            namespace: "kube-flannel",
            labels: { tier: "node", "k8s-app": "flannel", app: "flannel" },
        },
        data: { "cni-conf.json": text(cniConf), "net-conf.json": text(netConf) },
    });
}

/** flannel's DaemonSet as upstream v0.28.9 ships it (hostNetwork, NET_ADMIN + NET_RAW, healthz on 8081). */
export function flannelDaemonSet(name = "kube-flannel-ds", namespace = "kube-flannel"): EngineResource {
    return resource("kubernetes:apps/v1:DaemonSet", `lab-${name}`, {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name, namespace, labels: { tier: "node", app: "flannel", "k8s-app": "flannel" } },
        spec: {
            selector: { matchLabels: { app: "flannel" } },
            template: {
                metadata: { labels: { tier: "node", app: "flannel" } },
                spec: {
                    hostNetwork: true,
                    priorityClassName: "system-node-critical",
                    tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
                    serviceAccountName: "flannel",
                    initContainers: [
                        {
                            name: "install-cni-plugin",
                            image: "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3",
                            command: ["cp"],
                            args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
                        },
                        {
                            name: "install-cni",
                            image: "ghcr.io/flannel-io/flannel:v0.28.9",
                            command: ["/opt/bin/install-conf"],
                            args: ["/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                        },
                    ],
                    containers: [
                        {
                            name: "kube-flannel",
                            image: "ghcr.io/flannel-io/flannel:v0.28.9",
                            command: ["/opt/bin/flanneld"],
                            args: ["--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081"],
                            ports: [{ name: "healthz", containerPort: 8081, protocol: "TCP" }],
                            readinessProbe: { httpGet: { path: "/readyz", port: "healthz" } },
                            securityContext: { privileged: false, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
                        },
                    ],
                },
            },
        },
    });
}

export interface ServicePortSpec {
    name?: string;
    port: unknown;
    targetPort?: unknown;
    protocol?: string;
    nodePort?: unknown;
}

export interface ServiceSpec {
    name: string;
    namespace?: string;
    type?: string;
    selector?: Record<string, string>;
    ports: ServicePortSpec[];
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    externalName?: string;
}

export function service(spec: ServiceSpec): EngineResource {
    const namespace = spec.namespace ?? "demo";
    return resource("kubernetes:core/v1:Service", `${namespace}-${spec.name}`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: spec.name, namespace, labels: { "app.kubernetes.io/name": spec.name } },
        spec: {
            ...(spec.type ? { type: spec.type } : {}),
            ...(spec.selector ? { selector: spec.selector } : {}),
            ...(spec.clusterIP !== undefined ? { clusterIP: spec.clusterIP } : {}),
            ...(spec.clusterIPs ? { clusterIPs: spec.clusterIPs } : {}),
            ...(spec.externalIPs ? { externalIPs: spec.externalIPs } : {}),
            ...(spec.externalName ? { externalName: spec.externalName } : {}),
            ports: spec.ports,
        },
    });
}

export interface ContainerSpec {
    name: string;
    ports?: Array<{ name?: string; containerPort: number; protocol?: string; hostPort?: number; hostIP?: string }>;
    readinessProbe?: unknown;
    securityContext?: unknown;
}

export interface WorkloadSpec {
    kind?: "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet";
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    replicas?: number;
    hostNetwork?: boolean;
    nodeSelector?: Record<string, string>;
    containers: ContainerSpec[];
}

export function workload(spec: WorkloadSpec): EngineResource {
    const kind = spec.kind ?? "Deployment";
    const namespace = spec.namespace ?? "demo";
    const labels = spec.labels ?? { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/instance": spec.name };
    return resource(`kubernetes:apps/v1:${kind}`, `${namespace}-${spec.name}`, {
        apiVersion: "apps/v1",
        kind,
        metadata: { name: spec.name, namespace, labels },
        spec: {
            ...(kind === "DaemonSet" ? {} : { replicas: spec.replicas ?? 1 }),
            ...(kind === "StatefulSet" ? { serviceName: spec.name } : {}),
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    ...(spec.hostNetwork !== undefined ? { hostNetwork: spec.hostNetwork } : {}),
                    ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
                    containers: spec.containers.map((container) => ({ image: "nginx:1.27", ...container })),
                },
            },
        },
    });
}

/** The demo app: a Deployment with named ports and a readiness probe, and its NodePort Service. */
export function webApp(namespace = "demo"): EngineResource[] {
    const labels = { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web" };
    return [
        workload({
            name: "web",
            namespace,
            labels,
            replicas: 2,
            containers: [
                {
                    name: "web",
                    ports: [
                        { name: "http", containerPort: 80, protocol: "TCP" },
                        { name: "https", containerPort: 443, protocol: "TCP" },
                    ],
                    readinessProbe: { tcpSocket: { port: "http" } },
                },
            ],
        }),
        service({
            name: "web",
            namespace,
            type: "NodePort",
            selector: labels,
            ports: [
                { name: "http", port: 8080, targetPort: "http", protocol: "TCP", nodePort: 30808 },
                { name: "https", port: 443, targetPort: "https", protocol: "TCP" },
            ],
        }),
    ];
}

/** A Traefik controller reached through NodePorts 30080/30443, its IngressClass, and an Ingress to the web app. */
export function traefik(): EngineResource[] {
    const labels = { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik" };
    return [
        workload({
            name: "traefik",
            namespace: "traefik",
            labels,
            containers: [
                {
                    name: "traefik",
                    ports: [
                        { name: "web", containerPort: 8000, protocol: "TCP" },
                        { name: "websecure", containerPort: 8443, protocol: "TCP" },
                    ],
                    readinessProbe: { httpGet: { path: "/ping", port: 8080 } },
                },
            ],
        }),
        service({
            name: "traefik",
            namespace: "traefik",
            type: "NodePort",
            selector: labels,
            ports: [
                { name: "web", port: 80, targetPort: "web", protocol: "TCP", nodePort: 30080 },
                { name: "websecure", port: 443, targetPort: "websecure", protocol: "TCP", nodePort: 30443 },
            ],
        }),
        resource("kubernetes:networking.k8s.io/v1:IngressClass", "traefik", {
            apiVersion: "networking.k8s.io/v1",
            kind: "IngressClass",
            metadata: { name: "traefik" },
            spec: { controller: "traefik.io/ingress-controller" },
        }),
    ];
}

export interface IngressPathSpec {
    path?: unknown;
    pathType?: unknown;
    service?: string;
    port?: number | string;
    backend?: unknown;
}

export interface IngressSpec {
    name: string;
    namespace?: string;
    className?: unknown;
    annotations?: Record<string, string>;
    rules?: Array<{ host?: unknown; paths: IngressPathSpec[] }>;
    tls?: Array<{ hosts: unknown[]; secretName?: string }>;
    defaultBackend?: unknown;
}

export function ingress(spec: IngressSpec): EngineResource {
    const namespace = spec.namespace ?? "demo";
    return resource("kubernetes:networking.k8s.io/v1:Ingress", `${namespace}-${spec.name}`, {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: spec.name, namespace, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
        spec: {
            ...(spec.className !== undefined ? { ingressClassName: spec.className } : {}),
            ...(spec.defaultBackend !== undefined ? { defaultBackend: spec.defaultBackend } : {}),
            ...(spec.tls ? { tls: spec.tls } : {}),
            ...(spec.rules
                ? {
                      rules: spec.rules.map((rule) => ({
                          ...(rule.host !== undefined ? { host: rule.host } : {}),
                          http: {
                              paths: rule.paths.map((path) => ({
                                  ...(path.path !== undefined ? { path: path.path } : {}),
                                  ...(path.pathType !== undefined ? { pathType: path.pathType } : {}),
                                  backend: path.backend ?? {
                                      service: {
                                          name: path.service ?? "web",
                                          port:
                                              typeof path.port === "number"
                                                  ? { number: path.port }
                                                  : { name: path.port ?? "http" },
                                      },
                                  },
                              })),
                          },
                      })),
                  }
                : {}),
        },
    });
}

export function webIngress(overrides: Partial<IngressSpec> = {}): EngineResource {
    return ingress({
        name: "web",
        className: "traefik",
        rules: [{ host: "web.lab.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: "http" }] }],
        ...overrides,
    });
}

/** The whole dev lab, consistent with the dev plan: every policy passes on it. */
export function lab(): EngineResource[] {
    return [
        stackResource(),
        flannelConfigMap(),
        flannelDaemonSet(),
        nodePatch("cp-1", ["10.244.0.0/24"]),
        nodePatch("worker-1", ["10.244.1.0/24"]),
        nodePatch("worker-2", ["10.244.2.0/24"]),
        ...webApp(),
        ...traefik(),
        webIngress(),
    ];
}

/** A copy with one resource's props changed, found by its kind (the type token's last part) and Pulumi name. */
export function mutate(
    resources: readonly EngineResource[],
    kind: string,
    name: string,
    change: (props: any) => void,
): EngineResource[] {
    let found = false;
    const result = resources.map((entry) => {
        if (!entry.type.endsWith(`:${kind}`) || entry.name !== name) {
            return entry;
        }
        found = true;
        const props = structuredClone(entry.props);
        change(props);
        return { ...entry, props };
    });
    if (!found) {
        throw new Error(`no ${kind} named ${name}`);
    }
    return result;
}

/** Runs one policy (or a few) over the resources, as the engine would. */
export async function violationsOf(
    policy: ResourceValidationPolicy | StackValidationPolicy | Array<ResourceValidationPolicy | StackValidationPolicy>,
    resources: readonly EngineResource[],
    settings: PackSettings = {},
): Promise<Violation[]> {
    const result = await runPolicies(Array.isArray(policy) ? policy : [policy], resources, settings, "mandatory");
    return [...result.violations];
}

/**
 * A violation line names its fix: formatProblem's `key: message; fix`, the fix an instruction. The verbs are those
 * the policies' fixes start with; a fix starting otherwise fails the tests that use this.
 */
export const NAMES_A_FIX =
    /; (?:add|allow|attach|correct|create|declare|drop|enable|expose|give|keep|list|lower|make|merge|move|name|pick|put|remove|route|scale|set|store|switch|use|write)\b/;

export function messages(violations: readonly Violation[]): string[] {
    return violations.map((violation) => violation.message);
}

/** The objects of a multi-document manifest as the engine would hold them, typed after their apiVersion and kind. */
export function manifestResources(text: string, prefix: string): EngineResource[] {
    return parseAllDocuments(text)
        .map((document) => document.toJS() as Record<string, any> | null)
        .filter((object): object is Record<string, any> => typeof object?.["kind"] === "string")
        .map((object) => {
            const apiVersion = object["apiVersion"] as string;
            const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
            const metadata = object["metadata"] as { name: string; namespace?: string };
            return resource(
                `kubernetes:${group}/${version}:${object["kind"]}`,
                `${prefix}-${metadata.namespace ?? "cluster"}-${metadata.name}`,
                object,
            );
        });
}
