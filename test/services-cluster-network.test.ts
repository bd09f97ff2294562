/** ClusterNetwork's Services under Pulumi's mocks: shared namespaces created once, ordering, the port maps. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";

const APP = { image: "nginx:1.27.5", containerPorts: [{ name: "http", port: 80 }] };
const HTTP = [{ name: "http", port: 80, targetPortName: "http" }];
const CLUSTER = { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" };
const NODES = [
    { name: "cp-1", ip: "192.168.56.10" },
    { name: "worker-1", ip: "192.168.56.11" },
];

let run: OfflineRun;

before(async () => {
    run = await runOffline({
        program: async () => {
            const { ClusterNetwork } = await import("../components/cluster-network/index.js");
            const network = new ClusterNetwork("lab", {
                cluster: CLUSTER,
                nodes: NODES,
                services: [
                    {
                        name: "web",
                        namespace: "demo",
                        type: "NodePort",
                        app: APP,
                        ports: [{ name: "http", port: 8080, targetPortName: "http", nodePort: 30808 }],
                    },
                    { name: "api", namespace: "demo", app: APP, ports: HTTP },
                    { name: "shop", namespace: "shop", app: APP, ports: HTTP },
                    { name: "metrics", namespace: "kube-system", app: APP, ports: HTTP },
                    {
                        name: "legacy",
                        namespace: "legacy",
                        createNamespace: false,
                        selector: { app: "legacy" },
                        ports: [{ port: 80 }],
                    },
                ],
            });
            let error: unknown;
            try {
                new ClusterNetwork("bad", {
                    cluster: { ...CLUSTER, nodePortRange: "30000-30999" },
                    nodes: NODES,
                    services: [
                        {
                            name: "web",
                            namespace: "demo",
                            type: "NodePort",
                            app: APP,
                            ports: [{ name: "http", port: 8080, targetPortName: "http", nodePort: 30808 }],
                        },
                        {
                            name: "api",
                            namespace: "demo",
                            type: "NodePort",
                            app: APP,
                            ports: [{ name: "http", port: 80, targetPortName: "http", nodePort: 30808 }],
                        },
                    ],
                });
            } catch (caught) {
                error = caught;
            }
            return { portMaps: network.portMaps, error: error instanceof Error ? error.message : String(error) };
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

describe("ClusterNetwork with Services", () => {
    it("creates each namespace once, however many Services share it, and never a built-in or existing one", () => {
        const namespaces = run.resources.filter(
            (r) => r.type === "kubernetes:core/v1:Namespace" && r.parent === resource("lab").urn,
        );
        assert.deepEqual(
            namespaces.map((r) => [r.name, (r.props as any).metadata.name]),
            [
                ["lab-namespace-demo", "demo"],
                ["lab-namespace-shop", "shop"],
            ],
        );
        assert.equal(resource("lab-namespace-demo").parent, resource("lab").urn);
    });

    it("builds one AppService per Service, after its namespace", () => {
        const demo = resource("lab-namespace-demo").urn;
        for (const name of ["lab-demo.web", "lab-demo.api"]) {
            assert.equal(resource(name).type, "clusternet:index:AppService");
            assert.equal(resource(name).parent, resource("lab").urn);
            assert.deepEqual(resource(name).dependsOn, [demo]);
            assert.deepEqual(resource(`${name}-service`).dependsOn, [demo], `${name}-service`);
            assert.deepEqual(resource(`${name}-deployment`).dependsOn, [demo], `${name}-deployment`);
        }
        assert.deepEqual(resource("lab-shop.shop-service").dependsOn, [resource("lab-namespace-shop").urn]);
        assert.deepEqual(resource("lab-kube-system.metrics-service").dependsOn, []);
        assert.deepEqual(resource("lab-legacy.legacy-service").dependsOn, []);
        assert.equal(
            run.resources.some((r) => r.name === "lab-legacy.legacy-deployment"),
            false,
            "a Service with a selector has no Deployment",
        );
    });

    it("labels the apps with the cluster as their instance", () => {
        assert.deepEqual((resource("lab-demo.web-service").props as any).spec.selector, {
            "app.kubernetes.io/name": "web",
            "app.kubernetes.io/instance": "lab",
        });
    });

    it("exports every Service's port map, in order, with the plan's node IPs", () => {
        const maps = run.outputs["portMaps"] as any[];
        assert.deepEqual(
            maps.map((entry) => `${entry.namespace}/${entry.service}`),
            ["demo/web", "demo/api", "shop/shop", "kube-system/metrics", "legacy/legacy"],
        );
        assert.deepEqual(maps[0].chains, ["client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80"]);
        assert.equal(maps[0].nodeCount, 2, "the chain holds on both nodes");
        assert.deepEqual(maps[4].chains, ["pod -> <clusterIP>:80 -> <podIP>:80"]);
    });

    it("refuses node port conflicts and ranges stack-wide, before registering any child", () => {
        assert.equal(
            run.outputs["error"],
            [
                'ClusterNetwork "bad" has invalid args:',
                "args.services[1].ports[0].nodePort: 30808 is already the node port of Service demo/web (args.services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 30999 that nothing else uses, or leave it out to let the cluster choose",
            ].join("\n"),
        );
        assert.deepEqual(
            run.resources.filter((r) => r.name.startsWith("bad")).map((r) => r.name),
            [],
            "not even the ClusterNetwork itself is registered",
        );
    });
});
