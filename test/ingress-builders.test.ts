/** The pure builders: Traefik's objects, the Ingress objects, the try-it commands, registration order. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    ControllerObject,
    IngressImplementation,
    IngressMode,
    ResolvedRoute,
    TRAEFIK_CONTROLLER,
    buildController,
    buildIngress,
    dependencyOrder,
    planIngress,
    resolveController,
    tryCommands,
    validateRoutes,
} from "../components/ingress";
import { routePlanJson } from "../cli/plan-format";
import { IpFamily } from "../components/plan";
import { schemaErrors } from "./helpers/kubernetes-schema";

type Json = Record<string, any>;

/** These fields of each item, as rows to compare. */
function pick(items: Json[], ...fields: string[]): unknown[][] {
    return items.map((item) => fields.map((field) => item[field] as unknown));
}

function traefik(mode: IngressMode = IngressMode.NodePort, families: IpFamily[] = [IpFamily.IPv4]): Map<string, Json> {
    const objects = buildController(resolveController({ mode }, families)).objects;
    return new Map(objects.map((item) => [item.key, item.object as Json]));
}

/**
 * What Traefik's Helm chart grants for the kubernetesIngress provider alone (Traefik >= v3.5:
 * traefik-helm-chart, templates/rbac/clusterrole.yaml): our ClusterRole may grant only a subset of it.
 */
const UPSTREAM_TRAEFIK_INGRESS_RBAC = [
    { apiGroups: [""], resources: ["nodes", "services"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
    {
        apiGroups: ["extensions", "networking.k8s.io"],
        resources: ["ingressclasses", "ingresses"],
        verbs: ["get", "list", "watch"],
    },
    { apiGroups: ["extensions", "networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
];

function grants(rules: Json[]): Set<string> {
    const all = new Set<string>();
    for (const rule of rules) {
        assert.equal(rule.resourceNames, undefined);
        for (const group of rule.apiGroups) {
            for (const resource of rule.resources) {
                for (const verb of rule.verbs) {
                    all.add(`${group}/${resource}:${verb}`);
                }
            }
        }
    }
    return all;
}

void describe("Traefik", () => {
    void it("grants no more than upstream's RBAC for the Ingress provider, and what the provider reads", () => {
        const ours = grants(traefik().get("cluster-role")!.rules);
        const upstream = grants(UPSTREAM_TRAEFIK_INGRESS_RBAC);
        for (const grant of ours) {
            assert.ok(upstream.has(grant), `${grant} is beyond upstream's RBAC`);
            assert.ok(!grant.includes("*"), grant);
        }
        for (const needed of [
            "networking.k8s.io/ingresses:watch",
            "networking.k8s.io/ingressclasses:list",
            "/services:watch",
            "discovery.k8s.io/endpointslices:watch",
            "/secrets:watch",
            "/nodes:list",
        ]) {
            assert.ok(ours.has(needed), `missing ${needed}`);
        }
        const binding = traefik().get("cluster-role-binding")!;
        assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "traefik", namespace: "traefik" }]);
        assert.equal(binding.roleRef.name, traefik().get("cluster-role")!.metadata.name);
    });

    void it("serves IngressClass traefik through its kubernetesIngress provider, on entry points web :8000 and websecure :8443", () => {
        const objects = traefik();
        assert.deepEqual(objects.get("ingress-class")!.spec, { controller: TRAEFIK_CONTROLLER });
        assert.equal(objects.get("ingress-class")!.metadata.name, "traefik");
        const container = objects.get("deployment")!.spec.template.spec.containers[0];
        assert.equal(container.image, "traefik:v3.7.11");
        for (const flag of [
            "--providers.kubernetesingress=true",
            "--providers.kubernetesingress.ingressClass=traefik",
            "--entryPoints.web.address=:8000/tcp",
            "--entryPoints.websecure.address=:8443/tcp",
            "--entryPoints.websecure.http.tls=true",
            "--ping=true",
            // As Traefik's chart: 503 (not 404) for a route whose Service has no ready endpoint.
            "--providers.kubernetesingress.allowEmptyServices=true",
        ]) {
            assert.ok(container.args.includes(flag), flag);
        }
        // As the chart: the ServiceAccount mounts no token by default; the controller's pod asks for one.
        assert.equal(objects.get("service-account")!.automountServiceAccountToken, false);
        assert.equal(objects.get("deployment")!.spec.template.spec.automountServiceAccountToken, true);
        assert.ok(
            !container.args.some((arg: string) => arg.includes("ingressendpoint")),
            "publishes no Ingress status",
        );
        assert.deepEqual(pick(container.ports, "name", "containerPort"), [
            ["web", 8000],
            ["websecure", 8443],
            ["traefik", 8080],
        ]);
    });

    void it("probes /ping on a declared port, and runs unprivileged with a read-only root", () => {
        const pod = traefik().get("deployment")!.spec.template.spec;
        const container = pod.containers[0];
        const portNames = pick(container.ports, "name").flat();
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
            assert.equal(probe.httpGet.path, "/ping");
            assert.ok(portNames.includes(probe.httpGet.port), probe.httpGet.port);
        }
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.deepEqual(container.securityContext, {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
        });
        assert.equal(traefik().get("namespace")!.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    void it("in NodePort mode: a NodePort Service with the fixed node ports onto the named container ports", () => {
        const service = traefik().get("service")!;
        assert.equal(service.spec.type, "NodePort");
        assert.deepEqual(pick(service.spec.ports, "name", "port", "targetPort", "nodePort"), [
            ["web", 80, "web", 30080],
            ["websecure", 443, "websecure", 30443],
        ]);
        assert.deepEqual(service.spec.selector, traefik().get("deployment")!.spec.selector.matchLabels);
        const custom = buildController(
            resolveController({ httpNodePort: 31080, httpsNodePort: 31443, replicas: 3 }),
        ).objects;
        const customService = custom.find((item) => item.key === "service")!.object as Json;
        assert.deepEqual(pick(customService.spec.ports, "nodePort").flat(), [31080, 31443]);
        assert.equal((custom.find((item) => item.key === "deployment")!.object as Json).spec.replicas, 3);
    });

    void it("in hostPort mode: a DaemonSet holding ports 80/443 on every node, a ClusterIP Service, no restricted label", () => {
        const objects = traefik(IngressMode.HostPort);
        assert.ok(!objects.has("deployment"));
        const pod = objects.get("daemon-set")!.spec.template.spec;
        assert.deepEqual(pick(pod.containers[0].ports, "name", "hostPort"), [
            ["web", 80],
            ["websecure", 443],
            ["traefik", undefined],
        ]);
        assert.deepEqual(pod.tolerations, [
            { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
        ]);
        assert.equal(objects.get("service")!.spec.type, "ClusterIP");
        assert.ok(objects.get("service")!.spec.ports.every((port: Json) => port.nodePort === undefined));
        assert.equal(objects.get("namespace")!.metadata.labels["pod-security.kubernetes.io/enforce"], undefined);
    });

    void it("follows the cluster's IP families", () => {
        assert.deepEqual(
            [traefik().get("service")!.spec.ipFamilies, traefik().get("service")!.spec.ipFamilyPolicy],
            [["IPv4"], "SingleStack"],
        );
        const dual = traefik(IngressMode.NodePort, [IpFamily.IPv4, IpFamily.IPv6]).get("service")!.spec;
        assert.deepEqual([dual.ipFamilies, dual.ipFamilyPolicy], [["IPv4", "IPv6"], "PreferDualStack"]);
        assert.deepEqual(traefik(IngressMode.NodePort, [IpFamily.IPv6]).get("service")!.spec.ipFamilies, ["IPv6"]);
    });

    void it("builds objects the Kubernetes 1.34 schemas accept", async () => {
        for (const mode of [IngressMode.NodePort, IngressMode.HostPort]) {
            for (const object of traefik(mode, [IpFamily.IPv4, IpFamily.IPv6]).values()) {
                assert.deepEqual(await schemaErrors(object), [], `${object.kind}/${object.metadata.name}`);
            }
        }
    });
});

void describe("every controller object", () => {
    const variants = [
        resolveController({}),
        resolveController({ mode: IngressMode.HostPort }),
        resolveController({ implementation: IngressImplementation.IngressNginx }),
        resolveController({
            implementation: IngressImplementation.IngressNginx,
            admissionWebhook: true,
            mode: IngressMode.HostPort,
        }),
    ];

    void it("has an explicit name, a unique key, and is ordered after what it waits for", () => {
        for (const settings of variants) {
            const objects = buildController(settings).objects;
            assert.equal(new Set(objects.map((item) => item.key)).size, objects.length);
            const order = dependencyOrder(objects).map((item) => item.key);
            for (const item of objects) {
                assert.ok(typeof item.name === "string" && item.name.length > 0, item.key);
                assert.equal(
                    item.namespace === undefined,
                    [
                        "ClusterRole",
                        "ClusterRoleBinding",
                        "IngressClass",
                        "Namespace",
                        "ValidatingWebhookConfiguration",
                    ].includes(item.kind),
                    item.key,
                );
                for (const prerequisite of [...item.waitsFor, ...(item.namespace ? ["namespace"] : [])]) {
                    assert.ok(
                        order.indexOf(prerequisite) < order.indexOf(item.key),
                        `${prerequisite} before ${item.key}`,
                    );
                }
            }
        }
    });

    void it("refuses a builder bug: a wait for an object that does not exist, or a cycle", () => {
        const item = (key: string, waitsFor: string[]): ControllerObject => ({
            key,
            kind: "ConfigMap",
            name: key,
            object: { metadata: { name: key } },
            waitsFor,
            deleteBeforeReplace: false,
            waitsForGatewayApi: false,
        });
        assert.throws(
            () => dependencyOrder([item("a", ["missing"])]),
            /a waits for missing, which the controller does not have/,
        );
        assert.throws(() => dependencyOrder([item("a", ["b"]), item("b", ["a"])]), /cycle: a, b/);
    });
});

void describe("Ingress objects", () => {
    const services = [
        {
            name: "web",
            namespace: "demo",
            ports: [
                { name: "http", port: 8080 },
                { name: "https", port: 443 },
            ],
        },
    ];
    const resolve = (...routes: Parameters<typeof validateRoutes>[0]): ResolvedRoute[] => {
        const result = validateRoutes(routes, services, "routes");
        assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.problems));
        return [...result.value];
    };

    void it("are standard networking.k8s.io/v1 Ingresses with the controller's class, in the backends' namespace", async () => {
        const [route] = resolve({
            host: "web.lab.example",
            paths: [
                { service: "web", portName: "http" },
                { path: "/secure", pathType: "Exact", service: "web", port: 443 },
            ],
        });
        const ingress = buildIngress(route!, resolveController({})) as Json;
        assert.deepEqual(ingress, {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: {
                name: "web.lab.example",
                namespace: "demo",
                labels: { "app.kubernetes.io/part-of": "clusternet" },
                annotations: { "pulumi.com/skipAwait": "true" },
            },
            spec: {
                ingressClassName: "traefik",
                rules: [
                    {
                        host: "web.lab.example",
                        http: {
                            paths: [
                                {
                                    path: "/",
                                    pathType: "Prefix",
                                    backend: { service: { name: "web", port: { name: "http" } } },
                                },
                                {
                                    path: "/secure",
                                    pathType: "Exact",
                                    backend: { service: { name: "web", port: { number: 443 } } },
                                },
                            ],
                        },
                    },
                ],
            },
        });
        assert.deepEqual(await schemaErrors(ingress), []);
    });

    void it("are awaited only when the controller writes their status (ingress-nginx), else skipAwait (Traefik)", () => {
        const [route] = resolve({ host: "web.lab.example", paths: [{ service: "web", portName: "http" }] });
        const nginx = buildIngress(
            route!,
            resolveController({ implementation: IngressImplementation.IngressNginx }),
        ) as Json;
        assert.equal(nginx.metadata.annotations, undefined);
        assert.equal(nginx.spec.ingressClassName, "nginx");
        assert.equal(
            (buildIngress(route!, resolveController({})) as Json).metadata.annotations["pulumi.com/skipAwait"],
            "true",
        );
    });

    void it("carry the TLS Secret for their host, and wildcard hosts get a valid name", async () => {
        const [route] = resolve({
            host: "*.lab.example",
            paths: [{ service: "web", portName: "https" }],
            tlsSecret: "lab-wildcard-tls",
        });
        const ingress = buildIngress(route!, resolveController({})) as Json;
        assert.equal(ingress.metadata.name, "wildcard.lab.example");
        assert.deepEqual(ingress.spec.tls, [{ hosts: ["*.lab.example"], secretName: "lab-wildcard-tls" }]);
        assert.deepEqual(await schemaErrors(ingress), []);
    });
});

void describe("what to try from the nodes' network", () => {
    const routeOf = (host: string, paths: string[], tlsSecret: string | null = null): ResolvedRoute => ({
        host,
        ingressName: host,
        namespace: "demo",
        tlsSecret,
        paths: paths.map((path) => ({ path, pathType: "Prefix", service: "web", port: "http", portNumber: 8080 })),
    });

    void it("curls a node's HTTP node port with the route's Host header", () => {
        assert.deepEqual(tryCommands(routeOf("web.lab.example", ["/"]), resolveController({}), "192.168.56.11"), [
            "curl -H 'Host: web.lab.example' http://192.168.56.11:30080/",
        ]);
    });

    void it("adds HTTPS with -k and --resolve for TLS routes, one pair per path", () => {
        assert.deepEqual(
            tryCommands(routeOf("web.lab.example", ["/", "/api"], "web-tls"), resolveController({}), "192.168.56.10"),
            [
                "curl -H 'Host: web.lab.example' http://192.168.56.10:30080/",
                "curl -k --resolve web.lab.example:30443:192.168.56.10 https://web.lab.example:30443/",
                "curl -H 'Host: web.lab.example' http://192.168.56.10:30080/api",
                "curl -k --resolve web.lab.example:30443:192.168.56.10 https://web.lab.example:30443/api",
            ],
        );
    });

    void it("leaves the default ports out in hostPort mode", () => {
        assert.deepEqual(
            tryCommands(
                routeOf("web.lab.example", ["/"], "t"),
                resolveController({ mode: IngressMode.HostPort }),
                "192.168.56.10",
            ),
            [
                "curl -H 'Host: web.lab.example' http://192.168.56.10/",
                "curl -k --resolve web.lab.example:443:192.168.56.10 https://web.lab.example/",
            ],
        );
    });

    void it("brackets IPv6 nodes, turns globbing off, quotes what the shell would mangle, and samples wildcard hosts", () => {
        assert.deepEqual(tryCommands(routeOf("*.lab.example", ["/a b"], "t"), resolveController({}), "fd00:56::11"), [
            "curl -g -H 'Host: wildcard-test.lab.example' 'http://[fd00:56::11]:30080/a b'",
            "curl -g -k --resolve 'wildcard-test.lab.example:30443:[fd00:56::11]' 'https://wildcard-test.lab.example:30443/a b'",
        ]);
    });

    void it("exports a route without null or union fields, and writes it into the plan's JSON as it always was", () => {
        const plan = planIngress(
            resolveController({}),
            [
                routeOf("web.lab.example", ["/"]),
                {
                    ...routeOf("api.lab.example", ["/"], "api-tls"),
                    paths: [{ path: "/", pathType: "Exact", service: "api", port: 8080, portNumber: 8080 }],
                },
            ],
            ["192.168.56.10"],
        );
        const [web, api] = plan.routes;
        assert.ok(!("tlsSecret" in web!), "no TLS Secret: the key is left out");
        assert.deepEqual(web!.paths, [{ path: "/", pathType: "Prefix", service: "web", portName: "http" }]);
        assert.deepEqual([api!.tlsSecret, api!.paths[0]!.port, api!.paths[0]!.portName], ["api-tls", 8080, undefined]);
        assert.deepEqual(routePlanJson(web!), {
            host: "web.lab.example",
            namespace: "demo",
            ingressName: "web.lab.example",
            tlsSecret: null,
            paths: [{ path: "/", pathType: "Prefix", service: "web", port: "http" }],
            try: ["curl -H 'Host: web.lab.example' http://192.168.56.10:30080/"],
        });
        assert.deepEqual(routePlanJson(api!).paths[0]!.port, 8080);
    });

    void it("uses a placeholder when the plan has no node, and warns about ingress-nginx in the plan", () => {
        const plan = planIngress(
            resolveController({ implementation: IngressImplementation.IngressNginx }),
            [routeOf("web.lab.example", ["/"])],
            [],
        );
        assert.equal(plan.tryNode, null);
        assert.deepEqual(plan.routes[0]!.try, ["curl -H 'Host: web.lab.example' 'http://<node-ip>:30080/'"]);
        assert.equal(plan.awaitsIngressStatus, true);
        assert.match(plan.warnings.join(), /ingress-nginx was retired in March 2026.*no further security fixes/);
        assert.deepEqual(planIngress(resolveController({}), [], ["192.168.56.10"]).warnings, []);
    });
});
