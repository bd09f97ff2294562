/**
 * GatewayRoutes and IngressController with the Gateway API, reused on their own under Pulumi's mocks: the CRDs as
 * one ConfigFile of the vendored file that the GatewayClass and controller depend on, the routes waiting for the
 * controller, a cluster that already has the CRDs, and bad args refused with their keys before anything registers.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { runGraph, waitsFor } from "./helpers/graph";

let run: OfflineRun;
const errors: Record<string, string> = {};

before(async () => {
    run = await runOffline({
        program: async () => {
            // Imported only now, after runOffline has installed the mocks.
            const m = await import("../components/ingress/index.js");
            const services = [{ name: "web", namespace: "demo", ports: [{ name: "http", port: 8080 }] }];
            const controller = new m.IngressController("g", { api: m.IngressApi.Gateway });
            const routes = new m.GatewayRoutes(
                "g-routes",
                {
                    routes: [{ host: "web.lab.example", paths: [{ path: "/", service: "web", portName: "http" }] }],
                    services,
                    httpPort: 30080,
                    nodeAddresses: ["192.168.56.10"],
                },
                { dependsOn: [controller] },
            );
            new m.IngressController("pre", { api: m.IngressApi.Both, installGatewayApiCrds: false });
            try {
                new m.IngressController("bad", { api: m.IngressApi.Gateway, implementation: "ingress-nginx" });
            } catch (error) {
                errors["controller"] = String(error);
            }
            try {
                new m.GatewayRoutes("bad-routes", {
                    routes: [
                        {
                            host: "web.lab.example",
                            paths: [
                                { path: "/x", pathType: "ImplementationSpecific", service: "web", portName: "nope" },
                            ],
                        },
                    ],
                    services,
                    gatewayNamespace: "Traefik",
                    httpListenerPort: 0,
                });
            } catch (error) {
                errors["routes"] = String(error);
            }
            return { routes: routes.routes, gatewayClassName: controller.gatewayClassName };
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

const named = (name: string): RecordedResource => {
    const found = run.resources.find((resource) => resource.name === name);
    assert.ok(found, `no resource named ${name}; have ${run.resources.map((resource) => resource.name).join(", ")}`);
    return found;
};

void describe("IngressController with api: gateway", () => {
    void it("installs the vendored CRDs as one ConfigFile, which its GatewayClass and Deployment depend on", () => {
        const crds = named("g-gateway-api-crds");
        assert.equal(crds.type, "kubernetes:yaml/v2:ConfigFile");
        assert.match(
            String(crds.props["file"]),
            /components\/ingress\/upstream\/gateway-api-v1\.5\.1-standard-install\.yaml$/,
        );
        assert.equal(crds.parent, named("g").urn);
        for (const name of ["g-gateway-class", "g-deployment"]) {
            assert.ok(named(name).dependsOn.includes(crds.urn), `${name} depends on the CRDs`);
        }
        assert.equal(named("g-gateway-class").type, "kubernetes:gateway.networking.k8s.io/v1:GatewayClass");
        assert.equal(run.outputs["gatewayClassName"], "traefik");
    });

    void it("leaves the CRDs to the cluster when told it has them", () => {
        assert.ok(!run.resources.some((resource) => resource.name === "pre-gateway-api-crds"));
        assert.deepEqual(named("pre-gateway-class").dependsOn, []);
    });

    void it("refuses the Gateway API on ingress-nginx at args.api, registering nothing", () => {
        assert.match(errors["controller"]!, /args\.api: "gateway" needs a Gateway API controller/);
        assert.ok(!run.resources.some((resource) => resource.name.startsWith("bad-")));
    });
});

void describe("GatewayRoutes", () => {
    void it("registers the Gateway and an HTTPRoute, both waiting for the controller", () => {
        const graph = runGraph(run);
        for (const name of ["g-routes-gateway", "g-routes-web.lab.example"]) {
            const waits = waitsFor(graph, named(name).urn);
            assert.ok(waits.includes(named("g-deployment").urn), `${name} waits for the controller Deployment`);
        }
        assert.ok(named("g-routes-web.lab.example").dependsOn.includes(named("g-routes-gateway").urn));
        assert.equal(named("g-routes-web.lab.example").type, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
        assert.equal((named("g-routes-web.lab.example").props as any).spec.rules[0].backendRefs[0].port, 8080);
    });

    void it("outputs the same try commands as IngressRoutes", () => {
        const [route] = run.outputs["routes"] as Array<{ try: string[] }>;
        assert.deepEqual(route!.try, ["curl -H 'Host: web.lab.example' http://192.168.56.10:30080/"]);
    });

    void it("refuses bad args naming each key, before registering anything", () => {
        const message = errors["routes"]!;
        for (const key of [
            "args.routes[0].paths[0].portName",
            "args.routes[0].paths[0].pathType",
            "args.gatewayNamespace",
            "args.httpListenerPort",
        ]) {
            assert.ok(message.includes(`${key}:`), `${key} in ${message}`);
        }
        assert.ok(!run.resources.some((resource) => resource.name.startsWith("bad-routes")));
    });
});
