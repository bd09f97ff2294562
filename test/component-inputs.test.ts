/**
 * What passes through (images, environment values, node addresses) may be an Output in the components' args: under
 * mocks, an Output gives the same objects as the plain value, except what the plain value is checked for.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { schemaErrors } from "./helpers/kubernetes-schema";

let run: OfflineRun;

before(async () => {
    run = await runOffline({
        program: async () => {
            // Imported only now: setMocks must come first.
            const pulumi = await import("@pulumi/pulumi");
            const { AppService, IngressController, IngressRoutes } = await import("../components/index.js");
            const service = (
                image: string | import("@pulumi/pulumi").Output<string>,
                env: Record<string, unknown>,
            ) => ({
                name: "whoami",
                namespace: "tools",
                type: "NodePort" as const,
                app: {
                    image,
                    replicas: 2,
                    containerPorts: [{ name: "http", port: 80 }],
                    env: env as Record<string, string>,
                },
                ports: [{ name: "http", port: 8080, targetPortName: "http", nodePort: 30900 }],
            });
            const plain = new AppService("plain", {
                ...service("traefik/whoami:v1.11.0", { LOG: "debug", NAME: "plain" }),
                cluster: { nodes: [{ name: "cp-1", ip: "192.168.56.10" }] },
            });
            const inputs = new AppService("inputs", {
                ...service(pulumi.output("traefik/whoami:v1.11.0"), {
                    LOG: pulumi.output("debug"),
                    NAME: "plain",
                }),
                cluster: { nodes: [{ name: "cp-1", ip: pulumi.output("192.168.56.10") }] },
            });
            // An Output image is not known before registering, so it cannot be checked; a plain one is.
            const unchecked = new AppService("unchecked", service(pulumi.output("traefik/whoami:latest"), {}));
            let refused = "";
            try {
                new AppService("refused", service("traefik/whoami:latest", {}));
            } catch (error) {
                refused = String(error);
            }

            new IngressController("plain-controller", { image: "traefik:v3.7.10" });
            new IngressController("input-controller", { image: pulumi.output("traefik:v3.7.10") });
            new IngressController("input-nginx", {
                implementation: "ingress-nginx",
                admissionWebhook: true,
                image: pulumi.output("registry.k8s.io/ingress-nginx/controller:v1.15.0"),
            });
            const routes = new IngressRoutes("routes", {
                routes: [{ host: "whoami.lab.example", paths: [{ service: "whoami", portName: "http" }] }],
                services: [{ ...service("traefik/whoami:v1.11.0", {}), app: undefined, selector: { app: "whoami" } }],
                ingressClassName: "traefik",
                nodeAddresses: [pulumi.output("192.168.56.10")],
                httpPort: 30080,
            });
            return {
                plainPortMap: plain.portMap,
                inputsPortMap: inputs.portMap,
                uncheckedName: unchecked.serviceName,
                refused,
                routes: routes.routes,
            };
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

function props(name: string): any {
    const found: RecordedResource | undefined = run.resources.find((candidate) => candidate.name === name);
    assert.ok(found, `no resource named ${name}; registered: ${run.resources.map((r) => r.name).join(", ")}`);
    return found.props;
}

describe("AppService with Inputs", () => {
    it("gives the Deployment the image and environment values the Outputs hold", () => {
        const container = props("inputs-deployment").spec.template.spec.containers[0];
        assert.equal(container.image, "traefik/whoami:v1.11.0");
        assert.deepEqual(container.env, [
            { name: "LOG", value: "debug" },
            { name: "NAME", value: "plain" },
        ]);
    });

    it("builds what the plain values build, without the version label it cannot read from an unknown image", async () => {
        const plain = props("plain-deployment");
        const inputs = props("inputs-deployment");
        const withoutVersion = (labels: Record<string, string>) =>
            Object.fromEntries(Object.entries(labels).filter(([key]) => key !== "app.kubernetes.io/version"));
        assert.equal(plain.spec.template.metadata.labels["app.kubernetes.io/version"], "v1.11.0");
        assert.equal(inputs.spec.template.metadata.labels["app.kubernetes.io/version"], undefined);
        assert.deepEqual(
            { ...inputs, metadata: { ...inputs.metadata, labels: withoutVersion(inputs.metadata.labels) } },
            {
                ...plain,
                metadata: { ...plain.metadata, labels: withoutVersion(plain.metadata.labels) },
                spec: {
                    ...plain.spec,
                    template: {
                        ...plain.spec.template,
                        metadata: { labels: withoutVersion(plain.spec.template.metadata.labels) },
                    },
                },
            },
        );
        const service = (name: string) => {
            const object = props(name);
            return { ...object, metadata: { ...object.metadata, labels: withoutVersion(object.metadata.labels) } };
        };
        assert.deepEqual(service("inputs-service"), service("plain-service"));
        assert.deepEqual(await schemaErrors(inputs), []);
    });

    it("shows the node IPs the Outputs hold in the port map", () => {
        assert.deepEqual(run.outputs["inputsPortMap"], run.outputs["plainPortMap"]);
        const [entry] = run.outputs["inputsPortMap"] as Array<{ chains: string[] }>;
        assert.deepEqual(entry?.chains, ["client -> 192.168.56.10:30900 -> <clusterIP>:8080 -> <podIP>:80"]);
    });

    it("checks a plain image before registering, and leaves an Output image to the cluster", () => {
        assert.match(String(run.outputs["refused"]), /args\.app\.image: "traefik\/whoami:latest" is not pinned/);
        assert.equal(props("unchecked-deployment").spec.template.spec.containers[0].image, "traefik/whoami:latest");
    });
});

describe("Ingress components with Inputs", () => {
    it("gives the controller's container the image the Output holds, and nothing else", () => {
        assert.deepEqual(props("input-controller-deployment"), props("plain-controller-deployment"));
        const nginx = props("input-nginx-deployment").spec.template.spec.containers[0];
        assert.equal(nginx.image, "registry.k8s.io/ingress-nginx/controller:v1.15.0");
        const job = props("input-nginx-admission-create-job").spec.template.spec.containers[0];
        assert.match(job.image, /kube-webhook-certgen/);
    });

    it("tries the routes on the node address the Output holds", () => {
        const [route] = run.outputs["routes"] as Array<{ try: string[] }>;
        assert.ok(
            route?.try.some((command) => command.includes("http://192.168.56.10:30080/")),
            route?.try.join("\n"),
        );
    });
});
