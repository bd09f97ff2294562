import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INGRESS_HOST, INGRESS_PATHS, hostProblem, ingressHost, ingressPaths } from "../policies/ingress-rules";
import {
    INGRESS_BACKEND_EXISTS,
    INGRESS_CLASS,
    INGRESS_UNIQUE_HOST_PATH,
    ingressBackendExists,
    ingressClass,
    ingressUniqueHostPath,
} from "../policies/ingress-stack";
import { ingress, lab, messages, mutate, service, urnOf, violationsOf, webIngress } from "./helpers/policy-fixtures";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

void describe("ingress-host", () => {
    void it("accepts DNS names, wildcard first labels and an absent host", () => {
        for (const host of ["web.lab.example", "localhost", "a-b.c", "*.lab.example", "*.example"]) {
            assert.equal(hostProblem(host), undefined, host);
        }
    });

    const refusals: Array<[string, RegExp]> = [
        [
            "192.168.56.10",
            /"192\.168\.56\.10" must be a DNS name, not an IP address; use a name such as web\.lab\.example/,
        ],
        ["010.1.1.1", /must be a DNS name, not an IP address/],
        ["fd00::10", /must be a DNS name, not an IP address/],
        ["[fd00::10]", /must be a DNS name, not an IP address/],
        ["web.lab.example:8080", /includes a port; write "web\.lab\.example"/],
        ["Web.Lab.Example", /has upper-case letters; Kubernetes accepts only lower case; write "web\.lab\.example"/],
        [
            "web.*.example",
            /has a wildcard that is not the whole first label; a wildcard may only be the whole first label/,
        ],
        ["*", /has a wildcard that is not the whole first label/],
        ["*web.lab.example", /has a wildcard that is not the whole first label/],
        ["web_app.lab.example", /is not a DNS-1123 subdomain/],
        ["web.lab.example.", /ends with a dot; write "web\.lab\.example"/],
        [`${"b".repeat(200)}.${"c".repeat(53)}`, /is 254 characters long/],
    ];
    for (const [host, expected] of refusals) {
        void it(`refuses ${JSON.stringify(host)} in a rule and in TLS`, async () => {
            const resource = webIngress({
                rules: [{ host, paths: [{ path: "/", pathType: "Prefix" }] }],
                tls: [{ hosts: [host], secretName: "web-tls" }],
            });
            const violations = await violationsOf(ingressHost, [resource]);
            assert.equal(violations.length, 2, messages(violations).join("\n"));
            assert.ok(
                violations.every(
                    (violation) =>
                        violation.policyName === INGRESS_HOST &&
                        violation.urn === urnOf(INGRESS, "demo-web") &&
                        expected.test(violation.message),
                ),
                messages(violations).join("\n"),
            );
            assert.match(violations[0]!.message, /^Ingress demo\/web spec\.rules\[0\]\.host: /);
            assert.match(violations[1]!.message, /^Ingress demo\/web spec\.tls\[0\]\.hosts\[0\]: /);
        });
    }

    void it("passes the lab", async () => {
        assert.deepEqual(await violationsOf(ingressHost, lab()), []);
    });
});

void describe("ingress-paths", () => {
    void it("passes the lab, ImplementationSpecific paths and a default backend alone", async () => {
        const resources = [
            ...lab(),
            ingress({
                name: "regex",
                className: "traefik",
                rules: [
                    { host: "x.lab.example", paths: [{ path: "/api(/|$)(.*)", pathType: "ImplementationSpecific" }] },
                ],
            }),
            ingress({
                name: "fallback",
                className: "traefik",
                defaultBackend: { service: { name: "web", port: { number: 8080 } } },
            }),
        ];
        assert.deepEqual(messages(await violationsOf(ingressPaths, resources)), []);
    });

    const refusals: Array<[string, Parameters<typeof ingress>[0]["rules"], RegExp]> = [
        [
            "a missing pathType",
            [{ host: "a.example", paths: [{ path: "/" }] }],
            /has no pathType, which networking\.k8s\.io\/v1 requires/,
        ],
        [
            "an unknown pathType",
            [{ host: "a.example", paths: [{ path: "/", pathType: "prefix" }] }],
            /pathType "prefix" is not one of Prefix, Exact, ImplementationSpecific/,
        ],
        [
            "a relative path",
            [{ host: "a.example", paths: [{ path: "api", pathType: "Prefix" }] }],
            /path "api" is not absolute; write "\/api"/,
        ],
        [
            "a double slash",
            [{ host: "a.example", paths: [{ path: "/api//v1", pathType: "Prefix" }] }],
            /path "\/api\/\/v1" must not contain '\/\/'/,
        ],
        [
            "an encoded slash",
            [{ host: "a.example", paths: [{ path: "/a%2Fb", pathType: "Exact" }] }],
            /must not contain '%2F'/,
        ],
        [
            "a dot-dot suffix",
            [{ host: "a.example", paths: [{ path: "/api/..", pathType: "Prefix" }] }],
            /cannot end with '\/\.\.'/,
        ],
        [
            "an Exact path without path",
            [{ host: "a.example", paths: [{ pathType: "Exact" }] }],
            /has no path, but a Exact path must be absolute/,
        ],
        [
            "a backend with both service and resource",
            [
                {
                    host: "a.example",
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: {
                                service: { name: "web", port: { number: 80 } },
                                resource: { kind: "Bucket", name: "b" },
                            },
                        },
                    ],
                },
            ],
            /sets both service and resource/,
        ],
        [
            "a service port with both number and name",
            [
                {
                    host: "a.example",
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: { service: { name: "web", port: { number: 80, name: "http" } } },
                        },
                    ],
                },
            ],
            /sets both number and name/,
        ],
        [
            "a service port with neither",
            [
                {
                    host: "a.example",
                    paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: {} } } }],
                },
            ],
            /sets neither number nor name/,
        ],
        [
            "a port number out of range",
            [{ host: "a.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: 0 }] }],
            /port\.number 0 is not a port number/,
        ],
    ];
    for (const [what, rules, expected] of refusals) {
        void it(`refuses ${what}`, async () => {
            const violations = await violationsOf(ingressPaths, [
                ingress({ name: "bad", className: "traefik", rules }),
            ]);
            assert.ok(
                violations.some(
                    (violation) =>
                        violation.policyName === INGRESS_PATHS &&
                        violation.urn === urnOf(INGRESS, "demo-bad") &&
                        expected.test(violation.message) &&
                        violation.message.startsWith("Ingress demo/bad spec.rules[0]"),
                ),
                messages(violations).join("\n"),
            );
        });
    }

    void it("refuses an Ingress with neither rules nor default backend", async () => {
        const found = messages(await violationsOf(ingressPaths, [ingress({ name: "empty", className: "traefik" })]));
        assert.ok(
            found.some((message) => /has neither rules nor a defaultBackend/.test(message)),
            found.join("\n"),
        );
    });
});

void describe("ingress-class", () => {
    void it("passes an Ingress naming the stack's IngressClass, or one allowed by config", async () => {
        assert.deepEqual(await violationsOf(ingressClass, lab()), []);
        const settings = { [INGRESS_CLASS]: { properties: { allowedClasses: ["nginx"] } } };
        assert.deepEqual(
            await violationsOf(ingressClass, [...lab(), webIngress({ name: "other", className: "nginx" })], settings),
            [],
        );
    });

    void it("refuses a missing ingressClassName, mentioning the deprecated annotation, and an unknown class", async () => {
        const resources = [
            ...lab(),
            webIngress({
                name: "no-class",
                className: undefined,
                annotations: { "kubernetes.io/ingress.class": "traefik" },
            }),
            webIngress({ name: "nginx", className: "nginx" }),
        ];
        const violations = await violationsOf(ingressClass, resources);
        assert.deepEqual(
            violations.map((violation) => [violation.policyName, violation.urn]),
            [
                [INGRESS_CLASS, urnOf(INGRESS, "demo-no-class")],
                [INGRESS_CLASS, urnOf(INGRESS, "demo-nginx")],
            ],
        );
        assert.match(
            violations[0]!.message,
            /sets no spec\.ingressClassName \(it uses the deprecated annotation kubernetes\.io\/ingress\.class: "traefik".*; set spec\.ingressClassName to one of "traefik"/,
        );
        assert.match(
            violations[1]!.message,
            /names IngressClass "nginx", which neither this stack defines nor ingress-class\.allowedClasses allows/,
        );
    });
});

void describe("ingress-unique-host-path", () => {
    void it("passes distinct hosts, paths, path types and classes", async () => {
        const resources = [
            ...lab(),
            webIngress({
                name: "api",
                rules: [{ host: "web.lab.example", paths: [{ path: "/api", pathType: "Prefix" }] }],
            }),
            webIngress({
                name: "exact",
                rules: [{ host: "web.lab.example", paths: [{ path: "/", pathType: "Exact" }] }],
            }),
            webIngress({ name: "other-class", className: "nginx" }),
        ];
        assert.deepEqual(messages(await violationsOf(ingressUniqueHostPath, resources)), []);
    });

    void it("refuses the same class, host, path and type twice, across namespaces and within one Ingress", async () => {
        const resources = [
            ...lab(),
            webIngress({
                name: "copy",
                namespace: "other",
                rules: [{ host: "WEB.lab.example", paths: [{ path: "/", pathType: "Prefix" }] }],
            }),
            webIngress({
                name: "twice",
                rules: [
                    {
                        host: "twice.lab.example",
                        paths: [
                            { path: "/a/", pathType: "Prefix" },
                            { path: "/a", pathType: "Prefix" },
                        ],
                    },
                ],
            }),
        ];
        const violations = await violationsOf(ingressUniqueHostPath, resources);
        assert.equal(violations.length, 2, messages(violations).join("\n"));
        assert.equal(violations[0]!.policyName, INGRESS_UNIQUE_HOST_PATH);
        assert.equal(violations[0]!.urn, urnOf(INGRESS, "other-copy"));
        assert.match(
            violations[0]!.message,
            /Ingress other\/copy spec\.rules\[0\]\.http\.paths\[0\] routes web\.lab\.example\/ \(Prefix\) for class "traefik", which Ingress demo\/web spec\.rules\[0\]\.http\.paths\[0\] already routes/,
        );
        assert.match(violations[1]!.message, /which its own spec\.rules\[0\]\.http\.paths\[0\] already routes/);
    });

    void it("refuses two default backends for one class", async () => {
        const backend = { service: { name: "web", port: { number: 8080 } } };
        const resources = [
            ingress({ name: "a", className: "traefik", defaultBackend: backend }),
            ingress({ name: "b", className: "traefik", defaultBackend: backend }),
        ];
        const found = messages(await violationsOf(ingressUniqueHostPath, resources));
        assert.equal(found.length, 1);
        assert.match(
            found[0]!,
            /Ingress demo\/b sets spec\.defaultBackend for class "traefik", which Ingress demo\/a sets too/,
        );
    });
});

void describe("ingress-backend-exists", () => {
    void it("passes backends naming a Service of the stack and its port, by name or number, or an allowed external Service", async () => {
        const resources = [
            ...lab(),
            webIngress({
                name: "by-number",
                rules: [
                    { host: "n.lab.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: 8080 }] },
                ],
            }),
        ];
        assert.deepEqual(messages(await violationsOf(ingressBackendExists, resources)), []);
        const settings = { [INGRESS_BACKEND_EXISTS]: { properties: { externalServices: ["demo/legacy"] } } };
        assert.deepEqual(
            await violationsOf(
                ingressBackendExists,
                [
                    ...lab(),
                    webIngress({
                        name: "legacy",
                        rules: [
                            {
                                host: "l.lab.example",
                                paths: [{ path: "/", pathType: "Prefix", service: "legacy", port: 80 }],
                            },
                        ],
                    }),
                ],
                settings,
            ),
            [],
        );
    });

    void it("refuses a missing Service, naming the Services of the namespace", async () => {
        const resources = mutate(lab(), "Ingress", "demo-web", (props) => {
            props.spec.rules[0].http.paths[0].backend.service.name = "wbe";
        });
        const violations = await violationsOf(ingressBackendExists, resources);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.equal(violations[0]!.policyName, INGRESS_BACKEND_EXISTS);
        assert.equal(violations[0]!.urn, urnOf(INGRESS, "demo-web"));
        assert.match(
            violations[0]!.message,
            /points to Service "wbe", which this stack does not define in namespace demo; Services in namespace demo: web/,
        );
    });

    void it("refuses a Service of another namespace, and a port the Service lacks (a targetPort given instead)", async () => {
        const resources = [
            ...lab(),
            webIngress({
                name: "cross",
                namespace: "other",
                rules: [
                    { host: "c.lab.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: "http" }] },
                ],
            }),
            webIngress({
                name: "target",
                rules: [
                    { host: "t.lab.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: 80 }] },
                ],
            }),
            webIngress({
                name: "named",
                rules: [
                    { host: "m.lab.example", paths: [{ path: "/", pathType: "Prefix", service: "web", port: "htp" }] },
                ],
            }),
            service({ name: "bare", ports: [{ port: 80 }] }),
        ];
        const found = messages(await violationsOf(ingressBackendExists, resources));
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(
            found[0]!,
            /a Service of that name exists in namespace demo, but an Ingress only reaches Services of its own namespace/,
        );
        assert.match(
            found[1]!,
            /asks for port 80 of Service demo\/web, which has http \(8080\) and https \(443\); use one of the Service's port numbers/,
        );
        assert.match(found[2]!, /asks for port "htp" of Service demo\/web/);
    });
});
