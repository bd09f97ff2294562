/** AppService under Pulumi's mocks: what it registers, in which order, with which options. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { manifestsOf } from "../cli/manifests";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { schemaErrors } from "./helpers/kubernetes-schema";

const CLUSTER = {
    serviceCidr: "10.96.0.0/12",
    nodes: [
        { name: "cp-1", ip: "192.168.56.10" },
        { name: "worker-1", ip: "192.168.56.11" },
    ],
};
const APP = {
    image: "nginx:1.27.5",
    replicas: 2,
    containerPorts: [
        { name: "http", port: 80 },
        { name: "https", port: 443 },
    ],
};

let run: OfflineRun;

before(async () => {
    run = await runOffline({
        program: async () => {
            // Imported only now: setMocks must come first.
            const k8s = await import("@pulumi/kubernetes");
            const { AppService } = await import("../components/services/index.js");
            const web = new AppService("web", {
                name: "web",
                namespace: "demo",
                type: "NodePort",
                app: APP,
                ports: [
                    { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
                    { name: "https", port: 443, targetPortName: "https" },
                ],
                cluster: CLUSTER,
                instance: "lab",
            });
            new AppService("lb", {
                name: "lb",
                type: "LoadBalancer",
                app: APP,
                ports: [{ name: "http", port: 80, targetPortName: "http" }],
            });
            new AppService("metallb", {
                name: "metallb",
                namespace: "edge",
                type: "LoadBalancer",
                app: APP,
                ports: [{ name: "http", port: 80, targetPortName: "http" }],
                cluster: { loadBalancer: true },
            });
            const first = new k8s.core.v1.ConfigMap("first", {
                metadata: { name: "first", namespace: "default" },
                data: { a: "b" },
            });
            new AppService(
                "after",
                {
                    name: "after",
                    namespace: "shared",
                    createNamespace: false,
                    app: APP,
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                },
                { dependsOn: [first] },
            );
            new AppService(
                "owned",
                {
                    name: "owned",
                    namespace: "owned",
                    app: APP,
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                },
                { dependsOn: first },
            );
            let error: unknown;
            try {
                new AppService("bad", {
                    name: "Bad",
                    namespace: "demo",
                    app: APP,
                    ports: [
                        { port: 80, targetPortName: "htp" },
                        { port: 81, targetPort: 80, nodePort: 30001 },
                    ],
                });
            } catch (caught) {
                error = caught;
            }
            const { RunError } = await import("@pulumi/pulumi");
            // A RunError is reported as a message, without a stack trace.
            return {
                portMap: web.portMap,
                clusterIP: web.clusterIP.apply((ip) => ip ?? "(absent)"),
                selector: web.selector,
                error: RunError.isInstance(error) ? `RunError: ${error.message}` : String(error),
            };
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

function props(name: string): any {
    return resource(name).props;
}

describe("AppService under mocks", () => {
    it("registers a Namespace, a Service and a Deployment as children, named after the component", () => {
        const component = resource("web");
        assert.equal(component.type, "clusternet:index:AppService");
        assert.equal(component.custom, false);
        for (const [name, type] of [
            ["web-namespace", "kubernetes:core/v1:Namespace"],
            ["web-service", "kubernetes:core/v1:Service"],
            ["web-deployment", "kubernetes:apps/v1:Deployment"],
        ] as const) {
            assert.equal(resource(name).type, type);
            assert.equal(resource(name).parent, component.urn, `${name} is a child of web`);
        }
        assert.deepEqual(
            [
                props("web-namespace").metadata.name,
                props("web-service").metadata.namespace,
                props("web-deployment").metadata.namespace,
            ],
            ["demo", "demo", "demo"],
        );
    });

    it("gives the Service a selector equal to the Deployment's selector and contained in the pod labels", () => {
        const selector = props("web-service").spec.selector;
        const deployment = props("web-deployment").spec;
        assert.deepEqual(selector, { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "lab" });
        assert.deepEqual(deployment.selector.matchLabels, selector);
        for (const [key, value] of Object.entries(selector)) {
            assert.equal(deployment.template.metadata.labels[key], value);
        }
        assert.deepEqual(run.outputs["selector"], selector);
    });

    it("orders the Namespace before the Service and the Deployment", () => {
        const namespace = resource("web-namespace").urn;
        assert.deepEqual(resource("web-service").dependsOn, [namespace]);
        assert.deepEqual(resource("web-deployment").dependsOn, [namespace]);
    });

    it("hands the component's dependsOn on to its children, through its own Namespace when it has one", () => {
        const first = resource("first").urn;
        assert.deepEqual(resource("after-service").dependsOn, [first]);
        assert.deepEqual(resource("after-deployment").dependsOn, [first]);
        assert.equal(
            run.resources.some((r) => r.name === "after-namespace"),
            false,
            "createNamespace: false creates none",
        );
        assert.deepEqual(resource("owned-namespace").dependsOn, [first]);
        assert.deepEqual(resource("owned-service").dependsOn, [resource("owned-namespace").urn]);
    });

    it("never creates a built-in namespace", () => {
        assert.equal(props("lb-service").metadata.namespace, "default");
        assert.equal(
            run.resources.some((r) => r.name === "lb-namespace"),
            false,
        );
    });

    it("sets pulumi.com/skipAwait on a LoadBalancer Service only when the cluster has no load-balancer provider", () => {
        assert.deepEqual(props("lb-service").metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.equal(props("metallb-service").metadata.annotations, undefined);
        assert.equal(props("web-service").metadata.annotations, undefined);
        assert.equal(props("web-deployment").metadata.annotations, undefined);
    });

    it("bounds the waits it keeps with customTimeouts, and sets none where it skips them", () => {
        const timeouts = { create: "300s", update: "300s" };
        assert.deepEqual(resource("web-service").options.customTimeouts, timeouts);
        assert.deepEqual(resource("web-deployment").options.customTimeouts, timeouts);
        assert.equal(resource("lb-service").options.customTimeouts, undefined);
    });

    it("registers only objects that are valid against the Kubernetes schemas", async () => {
        const manifests = manifestsOf(run.resources);
        assert.ok(manifests.length >= 12);
        for (const manifest of manifests) {
            assert.deepEqual(
                await schemaErrors(manifest.object),
                [],
                `${manifest.kind} ${manifest.namespace}/${manifest.name}`,
            );
        }
    });

    it("exports the port map, with placeholders for what only the cluster knows", () => {
        assert.deepEqual(
            (run.outputs["portMap"] as any[]).map((entry) => entry.chains),
            [
                ["client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80"],
                ["client -> 192.168.56.10:<nodePort> -> <clusterIP>:443 -> <podIP>:443"],
            ],
        );
        assert.equal(run.outputs["clusterIP"], "(absent)", "unknown until the cluster picks it");
        assert.ok(
            !("clusterIP" in (run.outputs["portMap"] as any[])[0]),
            "no clusterIP key while the cluster has not picked it",
        );
    });

    it("refuses bad args before registering anything, itself included, naming every problem", () => {
        assert.equal(
            run.outputs["error"],
            [
                'RunError: AppService "bad" has invalid args:',
                "args.name: \"Bad\" is not a valid Service name (a DNS-1035 label); use lowercase letters, digits and '-', starting with a letter, at most 63 characters, e.g. web",
                "args.ports[0].name: is required because the Service has 2 ports (the API server needs a name per port to tell them apart); name every port with a DNS-1123 label, e.g. port-80",
                'args.ports[0].targetPortName: "htp" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
                "args.ports[1].name: is required because the Service has 2 ports (the API server needs a name per port to tell them apart); name every port with a DNS-1123 label, e.g. port-81",
                "args.ports[1].nodePort: is set, but a ClusterIP Service has no node ports; the API server refuses it; remove nodePort, or make the Service type NodePort",
            ].join("\n"),
        );
        assert.deepEqual(
            run.resources.filter((r) => r.name.startsWith("bad")).map((r) => r.type),
            [],
        );
    });
});
