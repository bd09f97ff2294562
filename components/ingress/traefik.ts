import type * as k8s from "@pulumi/kubernetes";
import {
    CONTROL_PLANE_TOLERATION,
    ControllerObject,
    ControllerObjects,
    DELETE_BEFORE_REPLACE,
    controllerObject,
    serviceIpFamilies,
} from "./controller-objects";
import { GatewayApiObject, TRAEFIK_GATEWAY_CONTROLLER, buildGatewayClass } from "./gateway-api";
import { IngressMode, ResolvedController, TRAEFIK_VERSION, servesGateway, servesIngress } from "./types";

/** The controller value Traefik's kubernetesIngress provider looks for in IngressClasses. */
export const TRAEFIK_CONTROLLER = "traefik.io/ingress-controller";

/** Where Traefik listens inside the pod (unprivileged ports, as its Helm chart does). */
export const TRAEFIK_PORTS = { web: 8000, websecure: 8443, traefik: 8080 } as const;

/**
 * Traefik's ClusterRole for the kubernetesIngress provider alone: upstream's rules (v3.1+ reads EndpointSlices and
 * Nodes) minus what this setup never uses. No `ingresses/status` update: status is written only with an
 * ingressEndpoint, which is not configured. No `pods` get: it only feeds OpenTelemetry attributes, which are off.
 * No `extensions` group: it has not served Ingress since Kubernetes 1.22.
 */
export const TRAEFIK_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["nodes", "services"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses", "ingresses"], verbs: ["get", "list", "watch"] },
];

/** The GatewayClass name of Traefik's Gateway provider (like its IngressClass, `traefik`). */
export const TRAEFIK_GATEWAY_CLASS = "traefik";

/**
 * Traefik's ClusterRole for the kubernetesgateway provider: upstream's documented rules for v3.7.9, field by field,
 * minus `pods` get, which only feeds OpenTelemetry attributes (off here, as for the Ingress provider). Namespaces
 * are listed because listeners select the namespaces they admit by label; configmaps and backendtlspolicies feed
 * BackendTLSPolicy; the status rules let Traefik write GatewayClass, Gateway and route conditions.
 */
export const TRAEFIK_GATEWAY_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["namespaces"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["services", "secrets", "configmaps"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    {
        apiGroups: ["gateway.networking.k8s.io"],
        resources: [
            "gatewayclasses",
            "gateways",
            "httproutes",
            "grpcroutes",
            "tcproutes",
            "tlsroutes",
            "referencegrants",
            "backendtlspolicies",
        ],
        verbs: ["get", "list", "watch"],
    },
    {
        apiGroups: ["gateway.networking.k8s.io"],
        resources: [
            "gatewayclasses/status",
            "gateways/status",
            "httproutes/status",
            "grpcroutes/status",
            "tcproutes/status",
            "tlsroutes/status",
            "referencegrants/status",
            "backendtlspolicies/status",
        ],
        verbs: ["update"],
    },
];

/** Traefik's static configuration, as command-line flags. */
export function traefikArgs(settings: ResolvedController): string[] {
    return [
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        `--entryPoints.web.address=:${TRAEFIK_PORTS.web}/tcp`,
        `--entryPoints.websecure.address=:${TRAEFIK_PORTS.websecure}/tcp`,
        `--entryPoints.traefik.address=:${TRAEFIK_PORTS.traefik}/tcp`,
        // Routers from Ingresses attach to these two only, never to the internal ping entry point.
        "--entryPoints.web.asDefault=true",
        "--entryPoints.websecure.asDefault=true",
        // Every router on websecure terminates TLS: with the route's Secret, else Traefik's default certificate.
        "--entryPoints.websecure.http.tls=true",
        "--ping=true",
        ...(servesIngress(settings.api)
            ? [
                  "--providers.kubernetesingress=true",
                  `--providers.kubernetesingress.ingressClass=${settings.ingressClassName}`,
                  // As the chart sets it: a route whose Service has no ready endpoint answers 503, not 404.
                  "--providers.kubernetesingress.allowEmptyServices=true",
              ]
            : []),
        // Gateway listeners bind to the entry point of their port: 8000 (web) for HTTP, 8443 (websecure) for HTTPS.
        ...(servesGateway(settings.api) ? ["--providers.kubernetesgateway=true"] : []),
        "--log.level=INFO",
    ];
}

/**
 * Traefik v3.7 reading networking.k8s.io/v1 Ingress through its kubernetesIngress provider: namespace, RBAC,
 * IngressClass `traefik`, the controller (a Deployment, or a DaemonSet with hostPorts in hostPort mode) with ping
 * probes, and its Service (NodePort with fixed node ports, or ClusterIP in hostPort mode).
 */
export function buildTraefik(settings: ResolvedController): ControllerObjects {
    const namespace = settings.namespace;
    const selector = { "app.kubernetes.io/instance": "traefik", "app.kubernetes.io/name": "traefik" };
    const labels = {
        ...selector,
        "app.kubernetes.io/part-of": "clusternet",
        "app.kubernetes.io/version": TRAEFIK_VERSION,
    };
    const hostPort = settings.mode === IngressMode.HostPort;
    const objects: ControllerObject[] = [];

    objects.push(
        controllerObject("namespace", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
                name: namespace,
                labels: {
                    ...selector,
                    // The pod meets the restricted Pod Security profile; hostPorts are outside even the baseline one.
                    ...(hostPort ? {} : { "pod-security.kubernetes.io/enforce": "restricted" }),
                },
            },
        } satisfies k8s.types.input.core.v1.Namespace),
        controllerObject("service-account", {
            apiVersion: "v1",
            kind: "ServiceAccount",
            // As the chart does: no token in pods by default; only the controller's pod mounts one.
            automountServiceAccountToken: false,
            metadata: { name: "traefik", namespace, labels },
        } satisfies k8s.types.input.core.v1.ServiceAccount),
    );
    // Each provider gets its own ClusterRole, so each can be compared with upstream's and left out on its own.
    const roles: Array<{ key: string; name: string; rules: k8s.types.input.rbac.v1.PolicyRule[] }> = [
        ...(servesIngress(settings.api) ? [{ key: "", name: "traefik", rules: TRAEFIK_RULES }] : []),
        ...(servesGateway(settings.api)
            ? [{ key: "-gateway", name: "traefik-gateway", rules: TRAEFIK_GATEWAY_RULES }]
            : []),
    ];
    for (const role of roles) {
        objects.push(
            controllerObject(`cluster-role${role.key}`, {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRole",
                metadata: { name: role.name, labels },
                rules: role.rules,
            } satisfies k8s.types.input.rbac.v1.ClusterRole),
            controllerObject(`cluster-role-binding${role.key}`, {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: role.name, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.name },
                subjects: [{ kind: "ServiceAccount", name: "traefik", namespace }],
            } satisfies k8s.types.input.rbac.v1.ClusterRoleBinding),
        );
    }
    if (servesIngress(settings.api)) {
        objects.push(
            controllerObject("ingress-class", {
                apiVersion: "networking.k8s.io/v1",
                kind: "IngressClass",
                metadata: { name: settings.ingressClassName, labels },
                spec: { controller: TRAEFIK_CONTROLLER },
            } satisfies k8s.types.input.networking.v1.IngressClass),
        );
    }
    if (servesGateway(settings.api)) {
        objects.push(
            controllerObject(
                "gateway-class",
                buildGatewayClass(TRAEFIK_GATEWAY_CLASS, TRAEFIK_GATEWAY_CONTROLLER, labels) satisfies GatewayApiObject,
                { waitsForGatewayApi: true },
            ),
        );
    }
    objects.push(
        controllerObject(
            "service",
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "traefik", namespace, labels },
                spec: {
                    // In hostPort mode clients use the nodes' ports 80/443; the Service stays for in-cluster use only.
                    type: hostPort ? "ClusterIP" : "NodePort",
                    ...serviceIpFamilies(settings.ipFamilies),
                    selector,
                    ports: [
                        {
                            name: "web",
                            port: 80,
                            protocol: "TCP",
                            targetPort: "web",
                            ...(settings.httpNodePort !== null ? { nodePort: settings.httpNodePort } : {}),
                        },
                        {
                            name: "websecure",
                            port: 443,
                            protocol: "TCP",
                            targetPort: "websecure",
                            ...(settings.httpsNodePort !== null ? { nodePort: settings.httpsNodePort } : {}),
                        },
                    ],
                },
            } satisfies k8s.types.input.core.v1.Service,
            DELETE_BEFORE_REPLACE,
        ),
    );

    const probe = (failureThreshold: number): k8s.types.input.core.v1.Probe => ({
        httpGet: { path: "/ping", port: "traefik", scheme: "HTTP" },
        failureThreshold,
        initialDelaySeconds: 2,
        periodSeconds: 10,
        successThreshold: 1,
        timeoutSeconds: 2,
    });
    const template: k8s.types.input.core.v1.PodTemplateSpec = {
        metadata: { labels },
        spec: {
            serviceAccountName: "traefik",
            automountServiceAccountToken: true,
            terminationGracePeriodSeconds: 60,
            nodeSelector: { "kubernetes.io/os": "linux" },
            ...(hostPort ? { tolerations: [CONTROL_PLANE_TOLERATION] } : {}),
            securityContext: {
                runAsUser: 65532,
                runAsGroup: 65532,
                runAsNonRoot: true,
                seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
                {
                    name: "traefik",
                    image: settings.image,
                    imagePullPolicy: "IfNotPresent",
                    args: traefikArgs(settings),
                    ports: [
                        {
                            name: "web",
                            containerPort: TRAEFIK_PORTS.web,
                            protocol: "TCP",
                            ...(hostPort ? { hostPort: 80 } : {}),
                        },
                        {
                            name: "websecure",
                            containerPort: TRAEFIK_PORTS.websecure,
                            protocol: "TCP",
                            ...(hostPort ? { hostPort: 443 } : {}),
                        },
                        { name: "traefik", containerPort: TRAEFIK_PORTS.traefik, protocol: "TCP" },
                    ],
                    // /ping answers 200 once Traefik serves, and 503 while it shuts down.
                    readinessProbe: probe(1),
                    livenessProbe: probe(3),
                    resources: { requests: { cpu: "100m", memory: "64Mi" } },
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                        readOnlyRootFilesystem: true,
                    },
                    volumeMounts: [
                        { name: "data", mountPath: "/data" },
                        { name: "tmp", mountPath: "/tmp" },
                    ],
                },
            ],
            volumes: [
                { name: "data", emptyDir: {} },
                { name: "tmp", emptyDir: {} },
            ],
        },
    };
    const metadata = { name: "traefik", namespace, labels };
    const waitsFor = ["service-account", ...roles.map((role) => `cluster-role-binding${role.key}`)];
    const waitsForGatewayApi = servesGateway(settings.api);
    objects.push(
        hostPort
            ? controllerObject(
                  "daemon-set",
                  {
                      apiVersion: "apps/v1",
                      kind: "DaemonSet",
                      metadata,
                      spec: {
                          selector: { matchLabels: selector },
                          // A hostPort cannot be held twice on one node, so pods are replaced, never surged.
                          updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                          template,
                      },
                  } satisfies k8s.types.input.apps.v1.DaemonSet,
                  { waitsFor, deleteBeforeReplace: true, waitsForGatewayApi },
              )
            : controllerObject(
                  "deployment",
                  {
                      apiVersion: "apps/v1",
                      kind: "Deployment",
                      metadata,
                      spec: {
                          replicas: settings.replicas ?? 1,
                          selector: { matchLabels: selector },
                          // Start the new pod before stopping the old one: no gap in serving.
                          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                          template,
                      },
                  } satisfies k8s.types.input.apps.v1.Deployment,
                  { waitsFor, waitsForGatewayApi },
              ),
    );
    return { objects };
}
