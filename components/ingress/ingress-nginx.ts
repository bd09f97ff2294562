import type * as k8s from "@pulumi/kubernetes";
import {
    CONTROL_PLANE_TOLERATION,
    ControllerObject,
    ControllerObjects,
    DELETE_BEFORE_REPLACE,
    controllerObject,
    serviceIpFamilies,
} from "./controller-objects";
import { INGRESS_NGINX_CERTGEN_IMAGE, INGRESS_NGINX_VERSION, IngressMode, ResolvedController } from "./types";

type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;

/**
 * ingress-nginx v1.15.1 for bare metal, object by object as upstream's `deploy/static/provider/baremetal` manifest
 * has it, except where the settings ask otherwise (see docs/ingress.md, "Differences from upstream ingress-nginx"):
 * fixed node ports, explicit replicas, the admission webhook only on request, certgen Jobs that stay after
 * they finish, and in hostPort mode a DaemonSet with hostPorts behind a ClusterIP Service.
 */
export function buildIngressNginx(settings: ResolvedController): ControllerObjects {
    const namespace = settings.namespace;
    const base = { "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx" };
    const labels = (component?: "controller" | "admission-webhook"): Record<string, string> => ({
        ...(component ? { "app.kubernetes.io/component": component } : {}),
        ...base,
        "app.kubernetes.io/part-of": "ingress-nginx",
        "app.kubernetes.io/version": INGRESS_NGINX_VERSION,
    });
    const controllerLabels = labels("controller");
    const admissionLabels = labels("admission-webhook");
    const selector = { "app.kubernetes.io/component": "controller", ...base };
    const webhook = settings.admissionWebhook;
    const hostPort = settings.mode === IngressMode.HostPort;
    const objects: ControllerObject[] = [];
    const add = (...items: ControllerObject[]): void => {
        objects.push(...items);
    };

    add(
        controllerObject("namespace", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { labels: { ...base }, name: namespace },
        } satisfies k8s.types.input.core.v1.Namespace),
    );
    add(
        controllerObject("service-account", {
            apiVersion: "v1",
            automountServiceAccountToken: true,
            kind: "ServiceAccount",
            metadata: { labels: controllerLabels, name: "ingress-nginx", namespace },
        } satisfies k8s.types.input.core.v1.ServiceAccount),
    );
    if (webhook) {
        add(
            controllerObject("admission-service-account", {
                apiVersion: "v1",
                automountServiceAccountToken: true,
                kind: "ServiceAccount",
                metadata: { labels: admissionLabels, name: "ingress-nginx-admission", namespace },
            } satisfies k8s.types.input.core.v1.ServiceAccount),
        );
    }
    add(
        controllerObject("role", {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { labels: controllerLabels, name: "ingress-nginx", namespace },
            rules: [
                { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
                {
                    apiGroups: [""],
                    resources: ["configmaps", "pods", "secrets", "endpoints"],
                    verbs: ["get", "list", "watch"],
                },
                { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: ["get", "list", "watch"] },
                {
                    apiGroups: ["coordination.k8s.io"],
                    resourceNames: ["ingress-nginx-leader"],
                    resources: ["leases"],
                    verbs: ["get", "update"],
                },
                { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch", "get"] },
            ],
        } satisfies k8s.types.input.rbac.v1.Role),
    );
    if (webhook) {
        add(
            controllerObject("admission-role", {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata: { labels: admissionLabels, name: "ingress-nginx-admission", namespace },
                rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "create"] }],
            } satisfies k8s.types.input.rbac.v1.Role),
        );
    }
    add(
        controllerObject("cluster-role", {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { labels: labels(), name: "ingress-nginx" },
            rules: [
                {
                    apiGroups: [""],
                    resources: ["configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"],
                    verbs: ["list", "watch"],
                },
                { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["list", "watch"] },
                { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
                { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
                { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch", "get"] },
            ],
        } satisfies k8s.types.input.rbac.v1.ClusterRole),
    );
    if (webhook) {
        add(
            controllerObject("admission-cluster-role", {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRole",
                metadata: { labels: admissionLabels, name: "ingress-nginx-admission" },
                rules: [
                    {
                        apiGroups: ["admissionregistration.k8s.io"],
                        resources: ["validatingwebhookconfigurations"],
                        verbs: ["get", "update"],
                    },
                ],
            } satisfies k8s.types.input.rbac.v1.ClusterRole),
        );
    }
    const subjects = (name: string) => [{ kind: "ServiceAccount", name, namespace }];
    const roleBinding = (name: string, bindingLabels: Record<string, string>): k8s.types.input.rbac.v1.RoleBinding => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { labels: bindingLabels, name, namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
        subjects: subjects(name),
    });
    const clusterRoleBinding = (
        name: string,
        bindingLabels: Record<string, string>,
    ): k8s.types.input.rbac.v1.ClusterRoleBinding => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { labels: bindingLabels, name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: subjects(name),
    });
    add(controllerObject("role-binding", roleBinding("ingress-nginx", controllerLabels)));
    if (webhook) {
        add(controllerObject("admission-role-binding", roleBinding("ingress-nginx-admission", admissionLabels)));
    }
    add(controllerObject("cluster-role-binding", clusterRoleBinding("ingress-nginx", labels())));
    if (webhook) {
        add(
            controllerObject(
                "admission-cluster-role-binding",
                clusterRoleBinding("ingress-nginx-admission", admissionLabels),
            ),
        );
    }
    add(
        controllerObject("config-map", {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { labels: controllerLabels, name: "ingress-nginx-controller", namespace },
        } satisfies k8s.types.input.core.v1.ConfigMap),
    );
    add(
        controllerObject(
            "service",
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { labels: controllerLabels, name: "ingress-nginx-controller", namespace },
                spec: {
                    ...serviceIpFamilies(settings.ipFamilies),
                    ports: [
                        {
                            appProtocol: "http",
                            name: "http",
                            ...(settings.httpNodePort !== null ? { nodePort: settings.httpNodePort } : {}),
                            port: 80,
                            protocol: "TCP",
                            targetPort: "http",
                        },
                        {
                            appProtocol: "https",
                            name: "https",
                            ...(settings.httpsNodePort !== null ? { nodePort: settings.httpsNodePort } : {}),
                            port: 443,
                            protocol: "TCP",
                            targetPort: "https",
                        },
                    ],
                    selector,
                    // In hostPort mode clients use the nodes' ports 80/443; the Service stays for in-cluster use only.
                    type: hostPort ? "ClusterIP" : "NodePort",
                },
            } satisfies k8s.types.input.core.v1.Service,
            DELETE_BEFORE_REPLACE,
        ),
    );
    if (webhook) {
        add(
            controllerObject("admission-service", {
                apiVersion: "v1",
                kind: "Service",
                metadata: { labels: controllerLabels, name: "ingress-nginx-controller-admission", namespace },
                spec: {
                    ports: [{ appProtocol: "https", name: "https-webhook", port: 443, targetPort: "webhook" }],
                    selector,
                    type: "ClusterIP",
                },
            } satisfies k8s.types.input.core.v1.Service),
        );
    }

    const containerPort = (name: string, port: number): k8s.types.input.core.v1.ContainerPort => ({
        containerPort: port,
        ...(hostPort && (name === "http" || name === "https") ? { hostPort: port } : {}),
        name,
        protocol: "TCP",
    });
    const probe = (failureThreshold: number): k8s.types.input.core.v1.Probe => ({
        failureThreshold,
        httpGet: { path: "/healthz", port: 10254, scheme: "HTTP" },
        initialDelaySeconds: 10,
        periodSeconds: 10,
        successThreshold: 1,
        timeoutSeconds: 1,
    });
    const template: PodTemplate = {
        metadata: { labels: controllerLabels },
        spec: {
            automountServiceAccountToken: true,
            containers: [
                {
                    args: [
                        "/nginx-ingress-controller",
                        "--election-id=ingress-nginx-leader",
                        "--controller-class=k8s.io/ingress-nginx",
                        "--ingress-class=nginx",
                        "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                        ...(webhook
                            ? [
                                  "--validating-webhook=:8443",
                                  "--validating-webhook-certificate=/usr/local/certificates/cert",
                                  "--validating-webhook-key=/usr/local/certificates/key",
                              ]
                            : []),
                    ],
                    env: [
                        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                        { name: "LD_PRELOAD", value: "/usr/local/lib/libmimalloc.so" },
                    ],
                    image: settings.image,
                    imagePullPolicy: "IfNotPresent",
                    lifecycle: { preStop: { exec: { command: ["/wait-shutdown"] } } },
                    livenessProbe: probe(5),
                    name: "controller",
                    ports: [
                        containerPort("http", 80),
                        containerPort("https", 443),
                        ...(webhook ? [containerPort("webhook", 8443)] : []),
                    ],
                    readinessProbe: probe(3),
                    resources: { requests: { cpu: "100m", memory: "90Mi" } },
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                        readOnlyRootFilesystem: false,
                        runAsGroup: 82,
                        runAsNonRoot: true,
                        runAsUser: 101,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    ...(webhook
                        ? {
                              volumeMounts: [
                                  { mountPath: "/usr/local/certificates/", name: "webhook-cert", readOnly: true },
                              ],
                          }
                        : {}),
                },
            ],
            dnsPolicy: "ClusterFirst",
            nodeSelector: { "kubernetes.io/os": "linux" },
            serviceAccountName: "ingress-nginx",
            terminationGracePeriodSeconds: 300,
            ...(hostPort ? { tolerations: [CONTROL_PLANE_TOLERATION] } : {}),
            ...(webhook
                ? { volumes: [{ name: "webhook-cert", secret: { secretName: "ingress-nginx-admission" } }] }
                : {}),
        },
    };
    // The controller starts with its RBAC in place and, with the webhook, only once its certificate Secret exists.
    const workloadWaitsFor = [
        "service-account",
        "role-binding",
        "cluster-role-binding",
        "config-map",
        ...(webhook ? ["admission-create-job"] : []),
    ];
    add(
        hostPort
            ? controllerObject(
                  "daemon-set",
                  {
                      apiVersion: "apps/v1",
                      kind: "DaemonSet",
                      metadata: { labels: controllerLabels, name: "ingress-nginx-controller", namespace },
                      spec: {
                          minReadySeconds: 0,
                          revisionHistoryLimit: 10,
                          selector: { matchLabels: selector },
                          // A hostPort cannot be held twice on one node, so pods are replaced, never surged.
                          updateStrategy: { rollingUpdate: { maxUnavailable: 1 }, type: "RollingUpdate" },
                          template,
                      },
                  } satisfies k8s.types.input.apps.v1.DaemonSet,
                  { waitsFor: workloadWaitsFor, deleteBeforeReplace: true },
              )
            : controllerObject(
                  "deployment",
                  {
                      apiVersion: "apps/v1",
                      kind: "Deployment",
                      metadata: { labels: controllerLabels, name: "ingress-nginx-controller", namespace },
                      spec: {
                          minReadySeconds: 0,
                          replicas: settings.replicas ?? 1,
                          revisionHistoryLimit: 10,
                          selector: { matchLabels: selector },
                          strategy: { rollingUpdate: { maxUnavailable: 1 }, type: "RollingUpdate" },
                          template,
                      },
                  } satisfies k8s.types.input.apps.v1.Deployment,
                  { waitsFor: workloadWaitsFor },
              ),
    );
    if (webhook) {
        add(...certgenJobs(namespace, admissionLabels));
    }
    add(
        controllerObject("ingress-class", {
            apiVersion: "networking.k8s.io/v1",
            kind: "IngressClass",
            metadata: { labels: controllerLabels, name: settings.ingressClassName },
            spec: { controller: "k8s.io/ingress-nginx" },
        } satisfies k8s.types.input.networking.v1.IngressClass),
    );
    if (webhook) {
        add(
            controllerObject(
                "validating-webhook-configuration",
                {
                    apiVersion: "admissionregistration.k8s.io/v1",
                    kind: "ValidatingWebhookConfiguration",
                    metadata: { labels: admissionLabels, name: "ingress-nginx-admission" },
                    webhooks: [
                        {
                            admissionReviewVersions: ["v1"],
                            clientConfig: {
                                service: {
                                    name: "ingress-nginx-controller-admission",
                                    namespace,
                                    path: "/networking/v1/ingresses",
                                    port: 443,
                                },
                            },
                            failurePolicy: "Fail",
                            matchPolicy: "Equivalent",
                            name: "validate.nginx.ingress.kubernetes.io",
                            rules: [
                                {
                                    apiGroups: ["networking.k8s.io"],
                                    apiVersions: ["v1"],
                                    operations: ["CREATE", "UPDATE"],
                                    resources: ["ingresses"],
                                },
                            ],
                            sideEffects: "None",
                        },
                    ],
                } satisfies k8s.types.input.admissionregistration.v1.ValidatingWebhookConfiguration,
                // With failurePolicy Fail, the webhook must not exist before the controller answers it: until then
                // it would refuse every Ingress in the cluster. caBundle is left to the patch Job.
                { waitsFor: [hostPort ? "daemon-set" : "deployment"] },
            ),
        );
    }
    // Upstream's order; the component registers them in dependency order (waitsFor).
    return { objects };
}

/** The certgen Jobs: `create` makes the webhook's certificate Secret, `patch` writes its CA into the webhook. */
function certgenJobs(namespace: string, admissionLabels: Record<string, string>): [ControllerObject, ControllerObject] {
    const job = (action: "create" | "patch", args: string[]): k8s.types.input.batch.v1.Job => ({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { labels: admissionLabels, name: `ingress-nginx-admission-${action}`, namespace },
        spec: {
            template: {
                metadata: { labels: admissionLabels, name: `ingress-nginx-admission-${action}` },
                spec: {
                    automountServiceAccountToken: true,
                    containers: [
                        {
                            args,
                            env: [
                                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                            ],
                            image: INGRESS_NGINX_CERTGEN_IMAGE,
                            imagePullPolicy: "IfNotPresent",
                            name: action,
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: { drop: ["ALL"] },
                                readOnlyRootFilesystem: true,
                                runAsGroup: 65532,
                                runAsNonRoot: true,
                                runAsUser: 65532,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                        },
                    ],
                    nodeSelector: { "kubernetes.io/os": "linux" },
                    restartPolicy: "OnFailure",
                    serviceAccountName: "ingress-nginx-admission",
                },
            },
            // No ttlSecondsAfterFinished (upstream: 0). A Job the TTL controller deletes vanishes from Pulumi's
            // state on refresh and is created again by the next `pulumi up`; a finished Job that stays is stable.
        },
    });
    const rbac = ["admission-service-account", "admission-role-binding", "admission-cluster-role-binding"];
    const options = { deleteBeforeReplace: true };
    return [
        controllerObject(
            "admission-create-job",
            job("create", [
                "create",
                "--host=ingress-nginx-controller-admission,ingress-nginx-controller-admission.$(POD_NAMESPACE).svc",
                "--namespace=$(POD_NAMESPACE)",
                "--secret-name=ingress-nginx-admission",
            ]),
            { ...options, waitsFor: rbac },
        ),
        controllerObject(
            "admission-patch-job",
            job("patch", [
                "patch",
                "--webhook-name=ingress-nginx-admission",
                "--namespace=$(POD_NAMESPACE)",
                "--patch-mutating=false",
                "--secret-name=ingress-nginx-admission",
                "--patch-failure-policy=Fail",
            ]),
            { ...options, waitsFor: [...rbac, "admission-create-job", "validating-webhook-configuration"] },
        ),
    ];
}
