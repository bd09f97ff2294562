/** The Gateway API policies over resources built by clusternet's own builders, then broken one field at a time. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    IngressApi,
    ResolvedRoute,
    buildController,
    buildGateway,
    buildHttpRoute,
    resolveController,
    validateGatewayRoutes,
} from "../components/ingress";
import {
    checkGatewayClasses,
    checkRouteBackends,
    checkRouteHostnames,
    checkRouteParents,
    checkUniqueRouteHostPaths,
} from "../policies/gateway-routes";
import { ResourceLike } from "../policies/lib/kubernetes";

type Json = Record<string, any>;

const GATEWAY = {
    gatewayClassName: "traefik",
    name: "traefik",
    namespace: "traefik",
    httpListenerPort: 8000,
    httpsListenerPort: 8443,
};

function resourceOf(object: Json, name = String(object["metadata"]["name"])): ResourceLike {
    const [group, version] = String(object["apiVersion"]).includes("/")
        ? String(object["apiVersion"]).split("/")
        : ["core", object["apiVersion"]];
    const type = `kubernetes:${group}/${String(version)}:${String(object["kind"])}`;
    return { type, name, urn: `urn:pulumi:dev::clusternet::${type}::${name}`, props: object };
}

const SERVICES = [
    { name: "web", namespace: "demo", ports: [{ name: "http", port: 8080 }] },
    { name: "api", namespace: "shop", ports: [{ name: "http", port: 80 }] },
];

function routes(): readonly ResolvedRoute[] {
    const result = validateGatewayRoutes(
        [
            { host: "web.lab.example", tlsSecret: "web-tls", paths: [{ path: "/", service: "web", portName: "http" }] },
            { host: "api.lab.example", paths: [{ path: "/v1", service: "api", port: 80 }] },
        ],
        SERVICES,
        "routes",
    );
    assert.ok(result.ok);
    return result.value;
}

/** A stack as clusternet renders it with api: gateway; `change` breaks it before it is checked. */
function stack(change: (objects: { gateway: Json; routes: Json[] }) => void = () => {}): ResourceLike[] {
    const built = routes();
    const gateway = structuredClone(buildGateway(built, GATEWAY)) as Json;
    const httpRoutes = built.map((route) => structuredClone(buildHttpRoute(route, GATEWAY)) as Json);
    change({ gateway, routes: httpRoutes });
    const controller = buildController(resolveController({}, undefined, IngressApi.Gateway)).objects.map((item) =>
        resourceOf(item.object as Json, `lab-ingress-${item.key}`),
    );
    const services = SERVICES.map((service) =>
        resourceOf({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: service.name, namespace: service.namespace },
            spec: { ports: service.ports.map((port) => ({ ...port, protocol: "TCP" })) },
        }),
    );
    return [...controller, ...services, resourceOf(gateway), ...httpRoutes.map((route) => resourceOf(route))];
}

type Check = (resources: readonly ResourceLike[], report: (message: string, urn?: string) => void) => void;

function violations(check: Check, resources: readonly ResourceLike[]): string[] {
    const found: string[] = [];
    check(resources, (message) => found.push(message));
    return found;
}

const CHECKS: Record<string, Check> = {
    hostnames: checkRouteHostnames,
    parents: checkRouteParents,
    backends: (resources, report) => checkRouteBackends(resources, { externalServices: [] }, report),
    unique: checkUniqueRouteHostPaths,
    classes: (resources, report) => checkGatewayClasses(resources, { allowedClasses: [] }, report),
};

void describe("the Gateway API policies", () => {
    void it("pass what clusternet builds", () => {
        for (const [name, check] of Object.entries(CHECKS)) {
            assert.deepEqual(violations(check, stack()), [], name);
        }
    });

    void it("gateway-route-hostnames: refuses an IP address and a name that is not fully qualified", () => {
        const found = violations(
            CHECKS["hostnames"]!,
            stack(({ routes }) => {
                routes[0]!["spec"]["hostnames"] = ["192.168.56.10"];
                routes[1]!["spec"]["hostnames"] = ["api"];
            }),
        );
        assert.equal(found.length, 2);
        assert.match(
            found[0]!,
            /HTTPRoute demo\/web\.lab\.example spec\.hostnames\[0\] "192\.168\.56\.10" must be a DNS name/,
        );
    });

    void it("gateway-route-parents: refuses an unknown Gateway, an unknown listener, a listener that does not admit the namespace", () => {
        const found = violations(
            CHECKS["parents"]!,
            stack(({ gateway, routes }) => {
                routes[0]!["spec"]["parentRefs"][0]["name"] = "nginx";
                routes[0]!["spec"]["parentRefs"][1]["sectionName"] = "websecure";
                gateway["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0][
                    "values"
                ] = ["demo"];
            }),
        );
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found[0]!, /names traefik\/nginx, which is not a Gateway of this stack/);
        assert.match(found[1]!, /names listener "websecure", which Gateway traefik\/traefik does not have/);
        assert.match(found[2]!, /HTTPRoute shop\/api\.lab\.example .*admits routes from namespace shop/);
    });

    void it("gateway-route-backends: refuses a missing Service, a named port, a port the Service lacks", () => {
        const found = violations(
            CHECKS["backends"]!,
            stack(({ routes }) => {
                routes[0]!["spec"]["rules"][0]["backendRefs"][0]["port"] = "http";
                routes[1]!["spec"]["rules"][0]["backendRefs"] = [
                    { group: "", kind: "Service", name: "nope", port: 80 },
                    { group: "", kind: "Service", name: "api", port: 8080 },
                ];
            }),
        );
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found[0]!, /asks for port "http" of Service demo\/web/);
        assert.match(found[1]!, /Service shop\/nope, which this stack does not define/);
        assert.match(found[2]!, /asks for port 8080 of Service shop\/api/);
    });

    void it("gateway-route-unique-host-path: refuses two routes claiming one hostname+path on a listener", () => {
        const found = violations(
            CHECKS["unique"]!,
            stack(({ routes }) => {
                routes[1]!["spec"]["hostnames"] = ["web.lab.example"];
                routes[1]!["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/";
                routes[1]!["metadata"]["namespace"] = "demo";
            }),
        );
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /routes web\.lab\.example\/ \(PathPrefix\) on listener web of Gateway traefik\/traefik/,
        );
    });

    void it("gateway-class-exists: refuses a Gateway of an unknown class and a Traefik Gateway provider without its class", () => {
        const resources = stack(({ gateway }) => {
            gateway["spec"]["gatewayClassName"] = "nginx";
        }).filter((resource) => !resource.type.endsWith(":GatewayClass"));
        const found = violations(CHECKS["classes"]!, resources);
        assert.equal(found.length, 2, found.join("\n"));
        assert.match(found[0]!, /Gateway traefik\/traefik names GatewayClass "nginx"/);
        assert.match(found[1]!, /runs Traefik's Gateway provider, but no GatewayClass/);
    });
});
