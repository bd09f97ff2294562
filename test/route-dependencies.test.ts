/**
 * Which resources each route waits for, under Pulumi's mocks: its controller (and through it the ingress-nginx
 * webhook), its own namespace and the Services it routes to, never every Service of the stack. The SDK expands each
 * component in a dependsOn list to all its children, so lists of every Service grew as routes x Services (issue 14).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { runGraph, waitsFor } from "./helpers/graph";

const APP = { image: "nginx:1.27.5", containerPorts: [{ name: "http", port: 80 }] };
const HTTP = [{ name: "http", port: 80, targetPortName: "http" }];
const CLUSTER = { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };
const NODES = [{ name: "cp-1", ip: "192.168.56.10" }];
const SERVICES = [
    { name: "web", namespace: "demo", app: APP, ports: HTTP },
    { name: "api", namespace: "demo", app: APP, ports: HTTP },
    { name: "shop", namespace: "shop", app: APP, ports: HTTP },
    { name: "cart", namespace: "shop", selector: { app: "cart" }, ports: [{ name: "http", port: 80 }] },
];
const ROUTES = [
    { host: "web.lab.example", paths: [{ path: "/", service: "web", portName: "http" }] },
    {
        host: "api.lab.example",
        paths: [
            { path: "/v1", service: "api", portName: "http" },
            { path: "/", service: "web", portName: "http" },
        ],
    },
    { host: "shop.lab.example", tlsSecret: "shop-tls", paths: [{ path: "/", service: "shop", portName: "http" }] },
];

let run: OfflineRun;

before(async () => {
    run = await runOffline({
        program: async () => {
            const { ClusterNetwork } = await import("../components/cluster-network/index.js");
            const { IngressApi, IngressImplementation } = await import("../components/ingress/index.js");
            new ClusterNetwork("nx", {
                cluster: CLUSTER,
                nodes: NODES,
                services: SERVICES,
                ingress: {
                    controller: { implementation: IngressImplementation.IngressNginx, admissionWebhook: true },
                    routes: ROUTES,
                },
            });
            // Reused on their own: an AppService that creates its namespace is what a route in it waits for.
            const m = await import("../components/index.js");
            const soloServices = [
                { name: "first", namespace: "solo", app: APP, ports: HTTP },
                { name: "second", namespace: "solo", createNamespace: false, app: APP, ports: HTTP },
            ];
            const first = new m.AppService("first", soloServices[0]!);
            const second = new m.AppService("second", soloServices[1]!, { dependsOn: [first] });
            const edge = new m.IngressController("edge", {});
            new m.IngressRoutes(
                "edge-routes",
                {
                    routes: [{ host: "second.lab.example", paths: [{ service: "second", portName: "http" }] }],
                    services: soloServices,
                    ...m.routeControllerInfo(m.resolveController({})),
                },
                { dependsOn: [edge, first, second] },
            );
            // A Gateway in a namespace an AppService creates waits for that AppService, and for nothing else marked.
            const gatewayServices = [
                { name: "front", namespace: "edge", app: APP, ports: HTTP },
                { name: "back", namespace: "apps", app: APP, ports: HTTP },
            ];
            const front = new m.AppService("front", gatewayServices[0]!);
            const back = new m.AppService("back", gatewayServices[1]!);
            new m.GatewayRoutes(
                "edge-gateway",
                {
                    routes: [{ host: "back.lab.example", paths: [{ service: "back", portName: "http" }] }],
                    services: gatewayServices,
                    gatewayNamespace: "edge",
                },
                { dependsOn: [front, back] },
            );
            new ClusterNetwork("gw", {
                cluster: CLUSTER,
                nodes: NODES,
                services: SERVICES,
                ingress: { api: IngressApi.Both, routes: ROUTES },
            });
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

function resource(name: string): RecordedResource {
    const found = run.resources.find((candidate) => candidate.name === name);
    assert.ok(found, `no resource named ${name}; registered: ${run.resources.map((r) => r.name).join(", ")}`);
    return found;
}

const urns = (...names: string[]): string[] => names.map((name) => resource(name).urn);

describe("a route's dependencies", () => {
    it("an Ingress waits for the controller, its namespace and its backends' AppServices only", () => {
        assert.deepEqual(
            resource("nx-routes-web.lab.example").dependsOn,
            urns("nx-ingress", "nx-namespace-demo", "nx-demo.web"),
        );
        assert.deepEqual(
            resource("nx-routes-api.lab.example").dependsOn,
            urns("nx-ingress", "nx-namespace-demo", "nx-demo.web", "nx-demo.api"),
        );
        assert.deepEqual(
            resource("gw-routes-shop.lab.example").dependsOn,
            urns("gw-ingress", "gw-namespace-shop", "gw-shop.shop"),
        );
    });

    it("an Ingress waits for the AppService that creates its namespace, though it does not route to it", () => {
        assert.deepEqual(resource("edge-routes-second.lab.example").dependsOn, urns("edge", "first", "second"));
    });

    it("an Ingress still waits for ingress-nginx's admission webhook and its Jobs, and not for other Services' workloads", () => {
        const waits = waitsFor(runGraph(run), resource("nx-routes-web.lab.example").urn);
        for (const name of [
            "nx-ingress-deployment",
            "nx-ingress-admission-create-job",
            "nx-ingress-admission-patch-job",
            "nx-ingress-validating-webhook-configuration",
            "nx-ingress-ingress-class",
            "nx-demo.web-service",
            "nx-demo.web-deployment",
        ]) {
            assert.ok(waits.includes(resource(name).urn), `waits for ${name}`);
        }
        for (const name of ["nx-demo.api-service", "nx-shop.shop-deployment", "nx-namespace-shop"]) {
            assert.ok(!waits.includes(resource(name).urn), `does not wait for ${name}`);
        }
    });

    it("a Gateway waits for the AppService that creates its namespace, not for the Services its routes reach", () => {
        assert.deepEqual(resource("edge-gateway-gateway").dependsOn, urns("front"));
        assert.deepEqual(resource("edge-gateway-back.lab.example").dependsOn, urns("edge-gateway-gateway", "back"));
    });

    it("an HTTPRoute waits for the Gateway, the ReferenceGrants, the controller, its namespace and its backends only", () => {
        assert.deepEqual(resource("gw-gateway-routes-gateway").dependsOn, urns("gw-ingress"));
        assert.deepEqual(
            resource("gw-gateway-routes-reference-grant-shop").dependsOn,
            urns("gw-ingress", "gw-namespace-shop"),
        );
        assert.deepEqual(
            resource("gw-gateway-routes-api.lab.example").dependsOn,
            urns(
                "gw-gateway-routes-gateway",
                "gw-gateway-routes-reference-grant-shop",
                "gw-ingress",
                "gw-namespace-demo",
                "gw-demo.web",
                "gw-demo.api",
            ),
        );
    });
});
