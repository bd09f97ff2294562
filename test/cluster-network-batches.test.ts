/**
 * ClusterNetwork registers its Services a batch at a time (from its async initialize, issue 14), and nothing a
 * program or the engine sees changes: its children keep their order and parent, its outputs are complete, and a
 * resource that depends on the ClusterNetwork still waits for every child, also those registered after the
 * constructor returned (the SDK expands a component to its children only once its initialize is done).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";

const SERVICES = 60;
const name = (index: number): string => `svc-${String(index).padStart(3, "0")}`;

let run: OfflineRun;

before(async () => {
    run = await runOffline({
        program: async () => {
            const k8s = await import("@pulumi/kubernetes");
            const { ClusterNetwork } = await import("../components/cluster-network/index.js");
            // The SDK's own expansion of a dependsOn list, as it computes what a registration waits for.
            const { getAllTransitivelyReferencedResourceURNs } =
                (await import("@pulumi/pulumi/runtime/dependsOn.js")) as unknown as {
                    getAllTransitivelyReferencedResourceURNs: (
                        resources: Set<pulumi.Resource>,
                        exclude: Set<pulumi.Resource>,
                    ) => Promise<Set<string>>;
                };
            const network = new ClusterNetwork("lab", {
                cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" },
                nodes: [{ name: "cp-1", ip: "192.168.56.10" }],
                services: Array.from({ length: SERVICES }, (_, index) => ({
                    name: name(index),
                    namespace: `ns-${index % 3}`,
                    ...(index < 3
                        ? { app: { image: "nginx:1.27.5", containerPorts: [{ name: "http", port: 80 }] } }
                        : { selector: { app: name(index % 3) } }),
                    ports: [{ name: "http", port: 8080, ...(index < 3 ? { targetPortName: "http" } : {}) }],
                })),
                ingress: {
                    routes: [
                        {
                            host: "last.lab.example",
                            paths: [{ path: "/", service: name(SERVICES - 1), portName: "http" }],
                        },
                    ],
                },
            });
            // Registered right after the constructor returns, before most of the network's Services.
            new k8s.core.v1.ConfigMap("after", { metadata: { name: "after" }, data: {} }, { dependsOn: [network] });
            const waitsFor = await getAllTransitivelyReferencedResourceURNs(new Set([network]), new Set());
            return { portMaps: network.portMaps, ingressRoutes: network.ingressRoutes, waitsFor: [...waitsFor] };
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

function resource(resourceName: string): RecordedResource {
    const found = run.resources.find((candidate) => candidate.name === resourceName);
    assert.ok(found, `no resource named ${resourceName}`);
    return found;
}

const indexOf = (resourceName: string): number => run.resources.indexOf(resource(resourceName));

describe("ClusterNetwork's Services in batches", () => {
    it("registers every Service in order, after the namespaces and before the Ingress controller and routes", () => {
        const appServices = run.resources.filter((candidate) => candidate.type === "clusternet:index:AppService");
        assert.deepEqual(
            appServices.map((candidate) => candidate.name),
            Array.from({ length: SERVICES }, (_, index) => `lab-ns-${index % 3}.${name(index)}`),
        );
        for (const candidate of appServices) {
            assert.equal(candidate.parent, resource("lab").urn, `${candidate.name}'s parent`);
        }
        assert.ok(indexOf("lab-namespace-ns-2") < indexOf(appServices[0]!.name));
        assert.ok(indexOf(`lab-ns-2.${name(SERVICES - 1)}-service`) < indexOf("lab-ingress"));
        assert.ok(indexOf("lab-ingress") < indexOf("lab-routes-last.lab.example"));
    });

    it("outputs every Service's port map in order, and the routes", () => {
        const portMaps = run.outputs["portMaps"] as Array<{ service: string }>;
        assert.equal(portMaps.length, SERVICES);
        assert.deepEqual(
            portMaps.map((entry) => entry.service),
            Array.from({ length: SERVICES }, (_, index) => name(index)),
        );
        assert.deepEqual(
            (run.outputs["ingressRoutes"] as Array<{ host: string }>).map((route) => route.host),
            ["last.lab.example"],
        );
    });

    it("makes what depends on the ClusterNetwork wait for every child, also those registered after its constructor", () => {
        assert.ok(indexOf("after") < indexOf(`lab-ns-2.${name(SERVICES - 1)}-service`));
        // By name: the mocks' URNs name only the closest parent's type.
        const waitsFor = new Set((run.outputs["waitsFor"] as string[]).map((urn) => urn.split("::").pop()));
        for (const child of [
            `lab-ns-0.${name(0)}-deployment`,
            `lab-ns-2.${name(SERVICES - 1)}-service`,
            "lab-ingress-deployment",
            "lab-routes-last.lab.example",
        ]) {
            assert.ok(waitsFor.has(child), `waits for ${child}`);
        }
    });
});
