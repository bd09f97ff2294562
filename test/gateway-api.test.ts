/**
 * The Gateway API form of the routes: the vendored CRDs, the pure builders (checked against the CRDs' own
 * schemas), the rules HTTPRoute adds to the shared ones, Traefik's Gateway provider and its RBAC compared with
 * upstream's, and the stack config's `api` key.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { STACK_KEYS, formatProblem } from "../components/common";
import {
    BackendService,
    ClusterIngressSettings,
    GATEWAY_API_CRDS_FILE,
    IngressApi,
    IngressImplementation,
    IngressRouteSpec,
    MAX_HTTPROUTE_RULES,
    TRAEFIK_GATEWAY_CONTROLLER,
    TRAEFIK_GATEWAY_RULES,
    TRAEFIK_RULES,
    buildController,
    buildGateway,
    buildHttpRoute,
    buildReferenceGrants,
    hostFindings,
    planIngress,
    resolveController,
    traefikArgs,
    validateGatewayRoutes,
    validateIngress,
} from "../components/ingress";
import { crdSchemaErrors, GATEWAY_API_CRDS_FIXTURE, servedKinds } from "./helpers/crd-schema";
import { schemaErrors } from "./helpers/kubernetes-schema";

type Json = Record<string, any>;

const SERVICES: BackendService[] = [
    {
        name: "web",
        namespace: "demo",
        ports: [
            { name: "http", port: 8080, targetPortName: "http" },
            { name: "https", port: 443 },
        ],
    },
    { name: "api", namespace: "shop", ports: [{ name: "http", port: 80 }] },
    { name: "dns", namespace: "demo", ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
];

const ROUTES: IngressRouteSpec[] = [
    {
        host: "web.lab.example",
        tlsSecret: "web-tls",
        paths: [
            { path: "/", service: "web", portName: "http" },
            { path: "/health", pathType: "Exact", service: "web", port: 8080 },
        ],
    },
    { host: "*.shop.example", paths: [{ path: "/api", service: "api", portName: "http" }] },
];

const GATEWAY = {
    gatewayClassName: "traefik",
    name: "traefik",
    namespace: "traefik",
    httpListenerPort: 8000,
    httpsListenerPort: 8443,
};

function resolved(routes: IngressRouteSpec[] = ROUTES) {
    const result = validateGatewayRoutes(routes, SERVICES, "args.routes");
    assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("\n"));
    return result.value;
}

/** The problem keys of `clusternet:ingress` with these routes and api. */
function keys(
    routes: IngressRouteSpec[],
    api: IngressApi = IngressApi.Gateway,
    extra: Partial<ClusterIngressSettings> = {},
) {
    return validateIngress({ api, routes, ...extra }, { services: SERVICES }, STACK_KEYS).map((problem) => problem.key);
}

void describe("the vendored Gateway API CRDs", () => {
    void it("are byte for byte the pinned upstream release (the test fixture copy)", () => {
        const vendored = fs.readFileSync(GATEWAY_API_CRDS_FILE);
        assert.ok(vendored.equals(fs.readFileSync(GATEWAY_API_CRDS_FIXTURE)));
        const readme = fs.readFileSync(path.join(path.dirname(GATEWAY_API_CRDS_FILE), "README.md"), "utf8");
        assert.match(readme, /kubernetes-sigs\/gateway-api/);
        assert.ok(readme.includes(createHash("sha256").update(vendored).digest("hex")), "README names the sha256");
    });

    void it("are the standard channel of v1.5.1: the kinds clusternet builds are served as v1", () => {
        const documents = parseAllDocuments(fs.readFileSync(GATEWAY_API_CRDS_FILE, "utf8")).map(
            (document) => document.toJS() as Json,
        );
        for (const crd of documents.filter((document) => document["kind"] === "CustomResourceDefinition")) {
            assert.equal(crd["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"], "v1.5.1");
            assert.equal(crd["metadata"]["annotations"]["gateway.networking.k8s.io/channel"], "standard");
        }
        for (const kind of ["GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"]) {
            assert.ok(servedKinds().includes(`gateway.networking.k8s.io/v1 ${kind}`), kind);
        }
    });
});

void describe("the Gateway API objects", () => {
    const routes = resolved();

    void it("validate against the CRDs' OpenAPI schemas", () => {
        const objects = [
            buildGateway(routes, GATEWAY),
            ...buildReferenceGrants(routes, GATEWAY),
            ...routes.map((route) => buildHttpRoute(route, GATEWAY)),
            ...buildController(resolveController({}, undefined, IngressApi.Gateway))
                .objects.filter((item) => item.kind === "GatewayClass")
                .map((item) => item.object),
        ];
        assert.deepEqual(
            objects.map((object) => object.kind),
            ["Gateway", "ReferenceGrant", "HTTPRoute", "HTTPRoute", "GatewayClass"],
        );
        for (const object of objects) {
            assert.deepEqual(crdSchemaErrors(object), [], JSON.stringify(object.metadata));
        }
    });

    void it("and the schema check can fail: a named backend port, an unknown match type, a misspelled field", () => {
        const route = buildHttpRoute(routes[0]!, GATEWAY) as Json;
        const broken = structuredClone(route);
        broken["spec"]["rules"][0]["backendRefs"][0]["port"] = "http";
        broken["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix";
        broken["spec"]["hostname"] = ["web.lab.example"];
        const errors = crdSchemaErrors(broken);
        assert.equal(errors.length, 3, errors.join("\n"));
        assert.ok(errors.some((error) => error.includes("backendRefs[0].port")));
    });

    void it("one HTTPRoute per host: its hostname, PathPrefix/Exact matches, Service ports by number", () => {
        const web = buildHttpRoute(routes[0]!, GATEWAY) as Json;
        assert.deepEqual(web["metadata"], {
            name: "web.lab.example",
            namespace: "demo",
            labels: { "app.kubernetes.io/part-of": "clusternet" },
        });
        assert.deepEqual(web["spec"]["hostnames"], ["web.lab.example"]);
        assert.deepEqual(
            web["spec"]["rules"].map((rule: Json) => [rule["matches"][0]["path"], rule["backendRefs"][0]]),
            [
                [
                    { type: "PathPrefix", value: "/" },
                    { group: "", kind: "Service", name: "web", port: 8080 },
                ],
                [
                    { type: "Exact", value: "/health" },
                    { group: "", kind: "Service", name: "web", port: 8080 },
                ],
            ],
        );
        // The TLS host attaches to the HTTP listener and to its own HTTPS listener.
        assert.deepEqual(
            web["spec"]["parentRefs"].map((ref: Json) => [ref["namespace"], ref["name"], ref["sectionName"]]),
            [
                ["traefik", "traefik", "web"],
                ["traefik", "traefik", "websecure-web.lab.example"],
            ],
        );
        const shop = buildHttpRoute(routes[1]!, GATEWAY) as Json;
        assert.equal(shop["metadata"]["name"], "wildcard.shop.example");
        assert.deepEqual(shop["spec"]["hostnames"], ["*.shop.example"]);
        assert.equal(shop["spec"]["parentRefs"].length, 1);
    });

    void it("one Gateway: HTTP on the web entry point, HTTPS per TLS host, routes' namespaces only, never awaited", () => {
        const gateway = buildGateway(routes, GATEWAY) as Json;
        assert.equal(gateway["metadata"]["annotations"]["pulumi.com/skipAwait"], "true");
        const listeners = gateway["spec"]["listeners"] as Json[];
        assert.deepEqual(
            listeners.map((listener) => [
                listener["name"],
                listener["protocol"],
                listener["port"],
                listener["hostname"],
            ]),
            [
                ["web", "HTTP", 8000, undefined],
                ["websecure-web.lab.example", "HTTPS", 8443, "web.lab.example"],
            ],
        );
        assert.deepEqual(listeners[0]!["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"], [
            "demo",
            "shop",
        ]);
        assert.deepEqual(listeners[1]!["tls"]["certificateRefs"], [
            { group: "", kind: "Secret", name: "web-tls", namespace: "demo" },
        ]);
        // The certificate lives in the route's namespace: that namespace grants the Gateway access to it.
        const [grant] = buildReferenceGrants(routes, GATEWAY) as Json[];
        assert.equal(grant!["metadata"]["namespace"], "demo");
        assert.deepEqual(grant!["spec"]["to"], [{ group: "", kind: "Secret", name: "web-tls" }]);
        assert.deepEqual(buildReferenceGrants(routes, { ...GATEWAY, namespace: "demo" }), []);
    });
});

void describe("route rules: shared where Ingress and HTTPRoute agree, HTTPRoute's own where they differ", () => {
    void it("a host valid for Ingress is a valid HTTPRoute hostname (the CRD's pattern and length)", () => {
        const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
        const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
        const host = fc
            .tuple(fc.boolean(), fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom("example", "lab"))
            .map(([wildcard, labels, tld]) => `${wildcard ? "*." : ""}${[...labels, tld].join(".")}`);
        fc.assert(
            fc.property(host, (candidate) => {
                if (hostFindings(candidate).length === 0) {
                    assert.match(candidate, hostnamePattern);
                    assert.ok(candidate.length <= 253);
                }
            }),
        );
    });

    void it("whatever the validator accepts builds HTTPRoutes the CRD's schema and CEL path rules accept", () => {
        // HTTPRoute's CEL rules for Exact and PathPrefix values, as the CRD states them.
        const celPath = (value: string): boolean =>
            value.startsWith("/") &&
            !["//", "/./", "/../", "%2f", "%2F", "#"].some((sequence) => value.includes(sequence)) &&
            !value.endsWith("/..") &&
            !value.endsWith("/.") &&
            /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/.test(value);
        const segment = fc.stringMatching(/^[-a-zA-Z0-9._~%#? 2fF]{0,6}$/);
        const spec = fc.record({
            path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
            pathType: fc.constantFrom("Prefix" as const, "Exact" as const),
        });
        fc.assert(
            fc.property(fc.array(spec, { minLength: 1, maxLength: 4 }), (paths) => {
                const route: IngressRouteSpec = {
                    host: "web.lab.example",
                    paths: paths.map((item) => ({ ...item, service: "web", port: 8080 })),
                };
                const result = validateGatewayRoutes([route], SERVICES, "routes");
                if (!result.ok) {
                    return;
                }
                const built = buildHttpRoute(result.value[0]!, GATEWAY) as Json;
                assert.deepEqual(crdSchemaErrors(built), []);
                for (const rule of built["spec"]["rules"] as Json[]) {
                    const value = rule["matches"][0]["path"]["value"] as string;
                    assert.ok(celPath(value), `accepted ${JSON.stringify(value)}, which HTTPRoute's CEL rules refuse`);
                }
            }),
            { numRuns: 300 },
        );
    });

    void it("refuses what the Ingress rules refuse too, under the same keys (an IP host, a relative path)", () => {
        assert.deepEqual(
            keys([
                { host: "10.0.0.1", paths: [{ service: "web", port: 8080 }] },
                { host: "a.lab.example", paths: [{ path: "api", service: "web", port: 8080 }] },
            ]),
            ["clusternet:ingress.routes[0].host", "clusternet:ingress.routes[1].paths[0].path"],
        );
    });

    void it("refuses ImplementationSpecific and over 16 paths only with the Gateway API; '#' and characters outside RFC 3986 with both", () => {
        const routes: IngressRouteSpec[] = [
            {
                host: "a.lab.example",
                paths: [{ path: "/x", pathType: "ImplementationSpecific", service: "web", port: 8080 }],
            },
            { host: "b.lab.example", paths: [{ path: "/x#top", service: "web", port: 8080 }] },
            { host: "c.lab.example", paths: [{ path: "/a b", service: "web", port: 8080 }] },
            {
                host: "d.lab.example",
                paths: Array.from({ length: MAX_HTTPROUTE_RULES + 1 }, (_, index) => ({
                    path: `/p${index}`,
                    service: "web",
                    port: 8080,
                })),
            },
        ];
        assert.deepEqual(keys(routes).sort(), [
            "clusternet:ingress.routes[0].paths[0].pathType",
            "clusternet:ingress.routes[1].paths[0].path",
            "clusternet:ingress.routes[2].paths[0].path",
            "clusternet:ingress.routes[3].paths",
        ]);
        assert.deepEqual(keys(routes, IngressApi.Both), keys(routes));
        // '#' and spaces are outside RFC 3986's path characters, which both APIs refuse; the rest is HTTPRoute's own.
        assert.deepEqual(keys(routes, IngressApi.Ingress), [
            "clusternet:ingress.routes[1].paths[0].path",
            "clusternet:ingress.routes[2].paths[0].path",
        ]);
    });

    void it("refuses a backend that is not a Service port of the stack, naming the port key", () => {
        assert.deepEqual(keys([{ host: "a.lab.example", paths: [{ service: "web", port: "metrics" }] as never }]), [
            "clusternet:ingress.routes[0].paths[0].port",
        ]);
    });

    void it("refuses the Gateway API with ingress-nginx, and an unknown api, at clusternet:ingress.api", () => {
        const nginx = { controller: { implementation: IngressImplementation.IngressNginx } };
        assert.deepEqual(keys([], IngressApi.Gateway, nginx), ["clusternet:ingress.api"]);
        assert.deepEqual(keys([], IngressApi.Ingress, nginx), []);
        assert.deepEqual(keys([], "gateways" as IngressApi), ["clusternet:ingress.api"]);
    });
});

void describe("Traefik with its Gateway provider", () => {
    const objects = (api: IngressApi) =>
        new Map(buildController(resolveController({}, undefined, api)).objects.map((item) => [item.key, item]));

    void it("grants exactly upstream's RBAC for the Gateway provider (v3.7.9), less the OpenTelemetry-only pods get", () => {
        const [role, binding] = parseAllDocuments(
            fs.readFileSync(path.join(__dirname, "fixtures", "traefik-v3.7.9-gateway-rbac.yml"), "utf8"),
        ).map((document) => document.toJS() as Json);
        const upstreamRules = (role!["rules"] as Json[]).filter(
            (rule) => !(rule["resources"].length === 1 && rule["resources"][0] === "pods"),
        );
        assert.equal(upstreamRules.length, (role!["rules"] as Json[]).length - 1);
        assert.deepEqual(TRAEFIK_GATEWAY_RULES, upstreamRules);
        const ours = objects(IngressApi.Gateway);
        const clusterRole = ours.get("cluster-role-gateway")!.object as Json;
        assert.deepEqual(clusterRole["rules"], upstreamRules);
        const ourBinding = ours.get("cluster-role-binding-gateway")!.object as Json;
        assert.deepEqual(ourBinding["roleRef"], { ...binding!["roleRef"], name: clusterRole["metadata"]["name"] });
        assert.deepEqual(ourBinding["subjects"], [{ kind: "ServiceAccount", name: "traefik", namespace: "traefik" }]);
        for (const object of [clusterRole, ourBinding]) {
            assert.deepEqual(object["apiVersion"], role!["apiVersion"]);
        }
    });

    void it("gateway: the Gateway provider, its GatewayClass and role only; ingress: none of them; both: everything", async () => {
        const gateway = objects(IngressApi.Gateway);
        assert.deepEqual(
            [...gateway.keys()].filter((key) => /role|class/.test(key)),
            ["cluster-role-gateway", "cluster-role-binding-gateway", "gateway-class"],
        );
        const gatewayClass = gateway.get("gateway-class")!;
        assert.equal((gatewayClass.object as Json)["spec"]["controllerName"], TRAEFIK_GATEWAY_CONTROLLER);
        assert.ok(gatewayClass.waitsForGatewayApi);
        const deployment = gateway.get("deployment")!;
        assert.ok(deployment.waitsForGatewayApi, "the controller starts after the CRDs");
        assert.deepEqual(deployment.waitsFor, ["service-account", "cluster-role-binding-gateway"]);
        // `pulumi up` awaits the controller Deployment (no skipAwait on it).
        assert.equal((deployment.object as Json)["metadata"]["annotations"], undefined);
        assert.deepEqual(await schemaErrors(deployment.object), []);

        const args = (api: IngressApi) => traefikArgs(resolveController({}, undefined, api));
        assert.ok(args(IngressApi.Gateway).includes("--providers.kubernetesgateway=true"));
        assert.ok(!args(IngressApi.Gateway).some((arg) => arg.startsWith("--providers.kubernetesingress")));
        assert.ok(!args(IngressApi.Ingress).includes("--providers.kubernetesgateway=true"));
        assert.ok(args(IngressApi.Both).includes("--providers.kubernetesingress=true"));
        assert.ok(args(IngressApi.Both).includes("--providers.kubernetesgateway=true"));

        const ingress = objects(IngressApi.Ingress);
        assert.ok(!ingress.has("gateway-class") && !ingress.has("cluster-role-gateway"));
        assert.deepEqual((ingress.get("cluster-role")!.object as Json)["rules"], TRAEFIK_RULES);
        const both = objects(IngressApi.Both);
        for (const key of ["cluster-role", "cluster-role-gateway", "ingress-class", "gateway-class"]) {
            assert.ok(both.has(key), key);
        }
    });

    void it("plans the same try commands for HTTPRoutes as for Ingresses, and names the Gateway", () => {
        const routes = resolved();
        const plan = (api: IngressApi) => planIngress(resolveController({}, undefined, api), routes, ["192.168.56.10"]);
        assert.deepEqual(
            plan(IngressApi.Gateway).routes.map((route) => route.try),
            plan(IngressApi.Ingress).routes.map((route) => route.try),
        );
        assert.deepEqual(plan(IngressApi.Gateway).gateway, {
            gatewayClassName: "traefik",
            gateway: "traefik/traefik",
            crds: "Gateway API v1.5.1 standard channel",
        });
        assert.equal(plan(IngressApi.Ingress).gateway, null);
        // A wildcard host matches differently in the two APIs: `both` says so.
        assert.equal(plan(IngressApi.Both).warnings.length, 1);
        assert.match(plan(IngressApi.Both).warnings[0]!, /\*\.shop\.example/);
    });
});
