/** Validation of clusternet:ingress: hosts, paths and backends as Kubernetes and the stack see them, and the controller's ports. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Problem, SPLIT_PORT_FIELDS, STACK_KEYS, formatProblem, problemAt } from "../components/common";
import { ConfigSource, loadStack } from "../components/config";
import {
    BackendService,
    ClusterIngressSettings,
    IngressRouteSpec,
    controllerNodePortClaims,
    hostFindings,
    pathFindings,
    validateIngress,
    validateRoutes,
} from "../components/ingress";
import {
    checkNodePortClaims,
    findServiceBackend,
    parseNodePortRange,
    serviceNodePortClaims,
    servicesKeys,
} from "../components/services";

const SERVICES: BackendService[] = [
    {
        name: "web",
        namespace: "demo",
        type: "NodePort",
        ports: [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
            { name: "https", port: 443, targetPort: 8443 },
        ],
    },
    { name: "api", namespace: "shop", ports: [{ name: "http", port: 80 }] },
    { name: "api", namespace: "staging", ports: [{ name: "http", port: 80 }] },
    { name: "dns", namespace: "demo", ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
    { name: "cart", namespace: "shop", ports: [{ port: 9000 }] },
];

/** The ingress settings' problems, and the node port problems of the controller's ports among the Services' (as validateClusterNetwork checks them). */
function check(
    ingress: ClusterIngressSettings,
    services: BackendService[] = SERVICES,
    nodePortRange = "30000-32767",
): Problem[] {
    const range = parseNodePortRange(nodePortRange);
    const rangeKey = "clusternet:cluster.nodePortRange";
    const nodePorts = range.ok
        ? checkNodePortClaims(
              [
                  ...serviceNodePortClaims(services, servicesKeys(STACK_KEYS)),
                  ...controllerNodePortClaims(ingress.controller ?? {}, "clusternet:ingress.controller"),
              ],
              { range: range.value, text: nodePortRange, key: rangeKey },
          )
        : range.problems.map((problem) => problemAt(problem, rangeKey));
    return [...validateIngress(ingress, { services }, STACK_KEYS), ...nodePorts];
}

function routesOf(...routes: IngressRouteSpec[]): ClusterIngressSettings {
    return { routes };
}

const route = (host: string, extra: Partial<IngressRouteSpec> = {}): IngressRouteSpec => ({
    host,
    paths: [{ path: "/", service: "web", portName: "http" }],
    ...extra,
});

/** The only problem's line (key: message; fix), failing when there is not exactly one. */
function only(problems: Problem[]): string {
    assert.equal(problems.length, 1, `expected one problem, got:\n${problems.map(formatProblem).join("\n")}`);
    return formatProblem(problems[0]!);
}

void describe("Ingress hosts, as the API server checks them", () => {
    void it("accepts DNS names and a leading wildcard label", () => {
        // Kubernetes limits the whole host to 253 characters, not each label to 63 (IsDNS1123Subdomain).
        const long = [`${"a".repeat(63)}.example`, `${"a".repeat(64)}.example`, `${"b".repeat(200)}.${"c".repeat(52)}`];
        for (const host of ["web.lab.example", "*.lab.example", "a-b.c1.example", ...long]) {
            assert.deepEqual(hostFindings(host), [], host);
        }
    });

    const refused: Array<[string, RegExp]> = [
        ["192.168.56.11", /"192\.168\.56\.11" must be a DNS name, not an IP address/],
        ["fd00::1", /must be a DNS name, not an IP address/],
        ["[fd00::1]", /must be a DNS name, not an IP address/],
        ["FD00:0:0::1", /must be a DNS name, not an IP address/],
        ["web.lab.example:8080", /includes a port/],
        ["Web.Lab.Example", /has upper-case letters; Kubernetes accepts only lower case; write "web\.lab\.example"/],
        ["web.*.example", /wildcard that is not the whole first label/],
        ["*web.lab.example", /wildcard that is not the whole first label/],
        ["*", /wildcard that is not the whole first label/],
        ["**.lab.example", /wildcard that is not the whole first label/],
        ["web", /"web" is not a fully qualified domain name; use a full name such as web\.lab\.example/],
        ["*.example", /is not a fully qualified domain name; cover a domain of at least two labels/],
        ["web.lab.example.", /ends with a dot/],
        ["my_web.lab.example", /is not a DNS-1123 subdomain: "my_web"/],
        ["-web.lab.example", /is not a DNS-1123 subdomain: "-web"/],
        [`${"b".repeat(200)}.${"c".repeat(53)}`, /is 254 characters long; use at most 253 characters/],
        ["web..example", /an empty label/],
        ["", /is empty/],
    ];
    for (const [host, expected] of refused) {
        void it(`refuses ${JSON.stringify(host)}`, () => {
            const findings = hostFindings(host);
            assert.ok(findings.length > 0, "refused");
            assert.match(findings.map((finding) => `${finding.message}; ${finding.fix ?? ""}`).join(" | "), expected);
        });
    }

    void it("refuses a host longer than 253 characters", () => {
        const host = Array.from({ length: 5 }, () => "a".repeat(60)).join(".");
        assert.match(
            hostFindings(host)
                .map((finding) => finding.message)
                .join(),
            /is 304 characters long/,
        );
    });

    void it("names the route in the problem's key", () => {
        assert.equal(
            only(check(routesOf(route("web.lab.example"), route("10.0.0.1")))),
            "clusternet:ingress.routes[1].host: \"10.0.0.1\" must be a DNS name, not an IP address; use a name such as web.lab.example and point it at a node (DNS, /etc/hosts, or curl -H 'Host: …')",
        );
    });

    void it("refuses a host used by two routes: each host is one Ingress", () => {
        assert.match(
            only(check(routesOf(route("web.lab.example"), route("web.lab.example")))),
            /^clusternet:ingress\.routes\[1\]\.host: "web\.lab\.example" is already the host of clusternet:ingress\.routes\[0\]; merge/,
        );
    });

    void it("refuses two hosts that would give the same Ingress name", () => {
        assert.match(
            only(check(routesOf(route("*.lab.example"), route("wildcard.lab.example")))),
            /routes\[1\]\.host: "wildcard\.lab\.example" gives the same Ingress name \(wildcard\.lab\.example\)/,
        );
    });
});

void describe("Ingress paths, as the API server checks them", () => {
    void it("accepts absolute, normalised paths", () => {
        for (const path of ["/", "/api", "/api/", "/a.b/c", "/%20x"]) {
            assert.deepEqual(pathFindings(path, "Prefix"), [], path);
            assert.deepEqual(pathFindings(path, "Exact"), [], path);
        }
        assert.deepEqual(pathFindings("", "ImplementationSpecific"), []);
        assert.deepEqual(pathFindings("/api(/|$)(.*)", "ImplementationSpecific"), []);
    });

    const refused: Array<[string, string, RegExp]> = [
        ["api", "Prefix", /"api" must be an absolute path; start it with \/, e.g. "\/api"/],
        ["", "Exact", /must be an absolute path/],
        ["api", "ImplementationSpecific", /must be an absolute path/],
        ["/a//b", "Prefix", /must not contain '\/\/'/],
        ["/a/./b", "Prefix", /must not contain '\/\.\/'/],
        ["/a/../b", "Exact", /must not contain '\/\.\.\/'/],
        ["/a%2fb", "Prefix", /must not contain '%2f'/],
        ["/a%2Fb", "Prefix", /must not contain '%2F'/],
        ["/a/..", "Prefix", /cannot end with '\/\.\.'/],
        ["/a/.", "Exact", /cannot end with '\/\.'/],
        ["/a", "Regex", /"Regex" is not a pathType; use Prefix, Exact, ImplementationSpecific/],
    ];
    for (const [path, pathType, expected] of refused) {
        void it(`refuses ${JSON.stringify(path)} as ${pathType}`, () => {
            assert.match(
                pathFindings(path, pathType)
                    .map((finding) => `${finding.message}; ${finding.fix ?? ""}`)
                    .join(" | "),
                expected,
            );
        });
    }

    void it("defaults to / with pathType Prefix", () => {
        const result = validateRoutes(
            [{ host: "web.lab.example", paths: [{ service: "web", portName: "http" }] }],
            SERVICES,
            "routes",
        );
        assert.ok(result.ok);
        assert.deepEqual(result.value[0]!.paths, [
            { path: "/", pathType: "Prefix", service: "web", port: "http", portNumber: 8080 },
        ]);
    });

    void it("names the path in the problem's key, pathType included", () => {
        const problems = check(
            routesOf(
                route("web.lab.example", {
                    paths: [
                        { path: "/ok", service: "web", portName: "http" },
                        { path: "x//y", service: "web", portName: "http" },
                    ],
                }),
            ),
        );
        assert.deepEqual(
            problems.map((problem) => problem.key),
            ["clusternet:ingress.routes[0].paths[1].path", "clusternet:ingress.routes[0].paths[1].path"],
        );
        const typed = check(
            routesOf(
                route("web.lab.example", {
                    paths: [{ path: "/", pathType: "Glob" as never, service: "web", portName: "http" }],
                }),
            ),
        );
        assert.equal(typed[0]!.key, "clusternet:ingress.routes[0].paths[0].pathType");
    });

    void it("refuses the same host+path twice", () => {
        const twice = route("web.lab.example", {
            paths: [
                { path: "/api", service: "web", portName: "http" },
                { path: "/api", pathType: "Exact", service: "web", port: 8080 },
            ],
        });
        assert.match(
            only(check(routesOf(twice))),
            /^clusternet:ingress\.routes\[0\]\.paths\[1\]\.path: "\/api" on "web\.lab\.example" is already routed by clusternet:ingress\.routes\[0\]\.paths\[0\]/,
        );
    });

    void it("refuses a route without paths", () => {
        assert.match(
            only(check(routesOf({ host: "web.lab.example", paths: [] }))),
            /^clusternet:ingress\.routes\[0\]\.paths: has no paths/,
        );
    });
});

void describe("Ingress backends: a Service of the stack, by name and port", () => {
    void it("resolves by port name and by port number", () => {
        const byName = findServiceBackend(SERVICES, { service: "web", port: "http" });
        const byNumber = findServiceBackend(SERVICES, { service: "web", port: 443 });
        assert.ok(byName.ok && byNumber.ok);
        assert.deepEqual([byName.value.namespace, byName.value.port, byName.value.portIndex], ["demo", 8080, 0]);
        assert.deepEqual([byNumber.value.portName, byNumber.value.portIndex], ["https", 1]);
    });

    // Args (port or portName) checked with the stack's keys: every problem names the config key the user wrote, `port`.
    const cases: Array<[string, { service: string; port?: number; portName?: string; namespace?: string }, string]> = [
        [
            "a Service the stack does not have",
            { service: "shop", port: 80 },
            'clusternet:ingress.routes[0].paths[0].service: there is no Service "shop" in the stack\'s Services; name one of demo/web, shop/api, staging/api, demo/dns, shop/cart, or add it to clusternet:services',
        ],
        [
            "a port name the Service does not have",
            { service: "web", portName: "metrics" },
            'clusternet:ingress.routes[0].paths[0].port: Service demo/web has no port "metrics"; use one of its ports: http (8080), https (443)',
        ],
        [
            "a port number that is the Service's nodePort",
            { service: "web", port: 30808 },
            "clusternet:ingress.routes[0].paths[0].port: Service demo/web has no port 30808 (30808 is the nodePort of its port http; a backend names the Service's own port); use one of its ports: http (8080), https (443)",
        ],
        [
            "a port number that is the Service's targetPort",
            { service: "web", port: 8443 },
            "clusternet:ingress.routes[0].paths[0].port: Service demo/web has no port 8443 (8443 is the targetPort of its port https; a backend names the Service's own port); use one of its ports: http (8080), https (443)",
        ],
        [
            "a name shared by Services in two namespaces",
            { service: "api", portName: "http" },
            'clusternet:ingress.routes[0].paths[0].service: "api" names Services in several namespaces (shop/api, staging/api); add namespace to say which one',
        ],
        [
            "a namespace the Service is not in",
            { service: "web", portName: "http", namespace: "prod" },
            'clusternet:ingress.routes[0].paths[0].namespace: Service "web" is not in namespace "prod"; use the namespace it is in: demo',
        ],
        [
            "a UDP port",
            { service: "dns", portName: "dns" },
            'clusternet:ingress.routes[0].paths[0].port: port "dns" of Service demo/dns carries UDP, but an Ingress routes HTTP, which needs TCP; route to a TCP port: the Service has none',
        ],
    ];
    for (const [what, backend, expected] of cases) {
        void it(`refuses ${what}`, () => {
            assert.equal(
                only(check(routesOf({ host: "web.lab.example", paths: [{ path: "/", ...backend }] }))),
                expected,
            );
        });
    }

    void it("leaves a Service listed twice in one namespace to the Services' own check", () => {
        const twice: BackendService[] = [SERVICES[0]!, { ...SERVICES[0]!, ports: [{ name: "other", port: 1 }] }];
        const result = findServiceBackend(twice, { service: "web", port: "http", namespace: "demo" });
        assert.equal(result.ok, false, "two Services of one name in one namespace are ambiguous");
    });

    void it("refuses a backend without a port", () => {
        assert.equal(
            only(check(routesOf({ host: "web.lab.example", paths: [{ service: "cart" }] }))),
            "clusternet:ingress.routes[0].paths[0].port: is required; name the Service's port, by name or number",
        );
    });

    void it("in args, names a port given by name portName, and refuses port and portName together", () => {
        const result = validateRoutes(
            [
                {
                    host: "web.lab.example",
                    paths: [
                        { service: "web", portName: "metrics" },
                        { path: "/both", service: "web", port: 8080, portName: "http" },
                        { path: "/none", service: "web" },
                    ],
                },
            ],
            SERVICES,
            "args.routes",
            SPLIT_PORT_FIELDS,
        );
        assert.ok(!result.ok);
        assert.deepEqual(result.problems.map(formatProblem), [
            'args.routes[0].paths[0].portName: Service demo/web has no port "metrics"; use one of its ports: http (8080), https (443)',
            "args.routes[0].paths[1].portName: is set together with port, but a backend port is given by number or by name, not both; remove one of them",
            "args.routes[0].paths[2].port: is required; name the Service's port: its number as port, or its name as portName",
        ]);
    });

    void it("refuses every backend when the stack has no Services", () => {
        assert.match(
            only(check(routesOf(route("web.lab.example")), [])),
            /there is no Service "web" in the stack's Services; add it to clusternet:services \(the stack has no Services yet\)/,
        );
    });

    void it("picks the namespace when given, and places the Ingress there", () => {
        const result = validateRoutes(
            [{ host: "api.lab.example", paths: [{ service: "api", portName: "http", namespace: "staging" }] }],
            SERVICES,
            "routes",
        );
        assert.ok(result.ok);
        assert.equal(result.value[0]!.namespace, "staging");
    });

    void it("refuses a route whose backends are in two namespaces: an Ingress reaches only its own namespace", () => {
        const mixed = route("shop.lab.example", {
            paths: [
                { path: "/", service: "web", portName: "http" },
                { path: "/cart", service: "cart", port: 9000 },
            ],
        });
        assert.equal(
            only(check(routesOf(mixed))),
            "clusternet:ingress.routes[0].paths[1].service: Service shop/cart is in namespace shop, but clusternet:ingress.routes[0].paths[0] routes to namespace demo; an Ingress reaches only Services in its own namespace; route this host to Services of one namespace only (use another host for the others, or move the Services together)",
        );
    });

    void it("refuses a TLS Secret name Kubernetes would refuse", () => {
        assert.match(
            only(check(routesOf(route("web.lab.example", { tlsSecret: "Web_TLS" })))),
            /^clusternet:ingress\.routes\[0\]\.tlsSecret: "Web_TLS" is not a Secret name/,
        );
    });

    void it("reports every problem of every route at once", () => {
        const problems = check(
            routesOf(route("10.0.0.1"), { host: "Bad", paths: [{ path: "x", service: "nope", port: 1 }] }),
        );
        assert.deepEqual(
            problems.map((problem) => problem.key),
            [
                "clusternet:ingress.routes[0].host",
                "clusternet:ingress.routes[1].host",
                "clusternet:ingress.routes[1].host",
                "clusternet:ingress.routes[1].paths[0].path",
                "clusternet:ingress.routes[1].paths[0].service",
            ],
        );
    });
});

void describe("the controller's settings and node ports", () => {
    const controller = (
        settings: ClusterIngressSettings["controller"],
        services: BackendService[] = SERVICES,
        range?: string,
    ): string[] =>
        check({ controller: settings }, services, range)
            .filter((problem) => !problem.key.startsWith("clusternet:services"))
            .map(formatProblem);

    void it("accepts the defaults and the dev stack's ports", () => {
        assert.deepEqual(controller({}), []);
        assert.deepEqual(controller({ implementation: "traefik", httpNodePort: 30080, httpsNodePort: 30443 }), []);
    });

    void it("refuses a node port a Service of the stack already holds", () => {
        assert.deepEqual(controller({ httpNodePort: 30808 }), [
            "clusternet:ingress.controller.httpNodePort: 30808 is already the node port of Service demo/web (clusternet:services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 32767 that nothing else uses",
        ]);
    });

    void it("counts the default node ports too", () => {
        const taken: BackendService[] = [{ name: "other", type: "NodePort", ports: [{ port: 80, nodePort: 30443 }] }];
        assert.match(
            only(check({}, taken)),
            /^clusternet:ingress\.controller\.httpsNodePort: the default 30443 \(not set in the stack\) is already the node port of Service default\/other/,
        );
    });

    void it("refuses node ports outside the cluster's range", () => {
        assert.deepEqual(controller({ httpNodePort: 8080 }), [
            "clusternet:ingress.controller.httpNodePort: 8080 is outside the node port range 30000-32767 (clusternet:cluster.nodePortRange); pick a port from 30000 to 32767",
        ]);
        assert.deepEqual(controller({ httpsNodePort: 31500 }, SERVICES, "31000-31999"), [
            "clusternet:ingress.controller.httpNodePort: the default 30080 (not set in the stack) is outside the node port range 31000-31999 (clusternet:cluster.nodePortRange); pick a port from 31000 to 31999",
        ]);
    });

    void it("refuses a node port range it cannot read", () => {
        assert.deepEqual(controller({}, SERVICES, "30000:32767"), [
            'clusternet:cluster.nodePortRange: "30000:32767" is not a port range (the API server takes FIRST-LAST or one port); write FIRST-LAST, e.g. 30000-32767',
        ]);
    });

    void it("refuses the same port for HTTP and HTTPS", () => {
        assert.deepEqual(controller({ httpNodePort: 31000, httpsNodePort: 31000 }), [
            "clusternet:ingress.controller.httpsNodePort: TCP node port 31000 is also clusternet:ingress.controller.httpNodePort; pick a port from 30000 to 32767 that nothing else uses",
        ]);
    });

    void it("refuses node ports and replicas in hostPort mode, and checks no node port there", () => {
        assert.deepEqual(controller({ mode: "hostPort" }, [{ name: "x", ports: [{ port: 1, nodePort: 30080 }] }]), []);
        assert.deepEqual(controller({ mode: "hostPort", httpNodePort: 30080, replicas: 2 }), [
            "clusternet:ingress.controller.httpNodePort: has no effect in hostPort mode: the controller listens on ports 80 and 443 of every node and needs no NodePort Service; remove httpNodePort, or use mode: NodePort",
            "clusternet:ingress.controller.replicas: has no effect in hostPort mode: the controller runs as a DaemonSet, one pod per node; remove replicas, or use mode: NodePort",
        ]);
    });

    void it("refuses the admission webhook for Traefik", () => {
        assert.deepEqual(controller({ admissionWebhook: true }), [
            "clusternet:ingress.controller.admissionWebhook: Traefik has no admission webhook; this setting belongs to ingress-nginx; remove admissionWebhook, or use implementation: ingress-nginx",
        ]);
        assert.deepEqual(controller({ implementation: "ingress-nginx", admissionWebhook: true }), []);
    });

    void it("refuses an image that is not pinned", () => {
        for (const image of ["traefik", "traefik:latest", "registry.local:5000/traefik", ""]) {
            assert.match(
                only(check({ controller: { image } })),
                /^clusternet:ingress\.controller\.image: .* is not pinned/,
                image,
            );
        }
        for (const image of [
            "traefik:v3.7.11",
            "registry.local:5000/traefik:v3.7.11",
            `traefik@sha256:${"a".repeat(64)}`,
        ]) {
            assert.deepEqual(controller({ image }), [], image);
        }
    });

    void it("refuses what only typed args can get wrong: unknown implementation or mode, bad replicas", () => {
        assert.deepEqual(controller({ implementation: "nginx" as never, mode: "LoadBalancer" as never, replicas: 0 }), [
            'clusternet:ingress.controller.implementation: "nginx" is not a supported Ingress controller; use traefik or ingress-nginx',
            'clusternet:ingress.controller.mode: "LoadBalancer" is not a mode; use NodePort or hostPort',
            "clusternet:ingress.controller.replicas: 0 is not a replica count; use a whole number, at least 1",
        ]);
    });
});

void describe("the stack's config: clusternet:ingress through loadStack", () => {
    const source = (values: Record<string, unknown>): ConfigSource => ({
        label: "test",
        kind: "stack-file",
        values: new Map(
            Object.entries({
                cluster: { podCidr: "10.244.0.0/16", nodeNetwork: "192.168.56.0/24" },
                nodes: [{ name: "n1", ip: "192.168.56.10" }],
                ...values,
            }),
        ),
        secretKeys: new Set(),
    });
    const services = [
        {
            name: "web",
            namespace: "demo",
            type: "NodePort",
            selector: { app: "web" },
            ports: [{ name: "http", port: 8080, nodePort: 30808 }],
        },
    ];

    void it("loads a valid Ingress, defaults applied", () => {
        const loaded = loadStack(
            source({
                services,
                ingress: { routes: [{ host: "web.lab.example", paths: [{ service: "web", port: "http" }] }] },
            }),
        );
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        assert.deepEqual(loaded.value.args.ingress, {
            api: "ingress",
            controller: { implementation: "traefik", mode: "NodePort", admissionWebhook: false },
            routes: [
                {
                    host: "web.lab.example",
                    paths: [{ path: "/", pathType: "Prefix", service: "web", portName: "http" }],
                },
            ],
        });
    });

    void it("maps a backend port by name to portName, and names it by the config key the user wrote", () => {
        const loaded = loadStack(
            source({
                services,
                ingress: {
                    routes: [
                        {
                            host: "web.lab.example",
                            paths: [
                                { service: "web", port: "metrics" },
                                { path: "/x", service: "web", port: 9999 },
                            ],
                        },
                    ],
                },
            }),
        );
        assert.ok(!loaded.ok);
        assert.deepEqual(
            loaded.problems.map((problem) => problem.key),
            ["clusternet:ingress.routes[0].paths[0].port", "clusternet:ingress.routes[0].paths[1].port"],
        );
    });

    void it("reports shape problems with their keys", () => {
        const loaded = loadStack(
            source({
                services,
                ingress: {
                    controller: { implementation: "nginx", httpNodePort: 70000 },
                    routes: [{ host: "web.lab.example", paths: [{ service: "web", port: "http", pathtype: "Exact" }] }],
                },
            }),
        );
        assert.ok(!loaded.ok);
        assert.deepEqual(
            loaded.problems.map((problem) => problem.key),
            [
                "clusternet:ingress.controller.implementation",
                "clusternet:ingress.controller.httpNodePort",
                "clusternet:ingress.routes[0].paths[0].pathtype",
            ],
        );
        assert.match(formatProblem(loaded.problems[2]!), /did you mean pathType\?/);
    });

    void it("reports Ingress problems along with address-plan problems, in one run", () => {
        const loaded = loadStack(
            source({
                nodes: [{ name: "n1", ip: "10.244.0.5" }],
                services,
                ingress: {
                    controller: { httpNodePort: 30808 },
                    routes: [{ host: "192.168.56.10", paths: [{ service: "web", port: "http" }] }],
                },
            }),
        );
        assert.ok(!loaded.ok);
        const keys = loaded.problems.map((problem) => problem.key);
        assert.ok(
            keys.some((key) => key.startsWith("clusternet:nodes[0]")),
            keys.join(),
        );
        assert.ok(keys.includes("clusternet:ingress.controller.httpNodePort"), keys.join());
        assert.ok(keys.includes("clusternet:ingress.routes[0].host"), keys.join());
    });

    void it("leaves Ingress unchecked when clusternet:services itself is broken, instead of misreporting its backends", () => {
        const loaded = loadStack(
            source({
                services: [{ name: "web" }],
                ingress: { routes: [{ host: "web.lab.example", paths: [{ service: "web", port: "http" }] }] },
            }),
        );
        assert.ok(!loaded.ok);
        assert.ok(
            loaded.problems.every((problem) => problem.key.startsWith("clusternet:services")),
            loaded.problems.map(formatProblem).join("\n"),
        );
    });
});
