import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    AppLabel,
    AppServiceSpec,
    SKIP_AWAIT_ANNOTATION,
    appLabels,
    awaitPlan,
    buildDeployment,
    buildNamespace,
    buildService,
    imageVersion,
    parseImage,
    resolveService,
} from "../components/services";
import { schemaErrors } from "./helpers/kubernetes-schema";
import { web } from "./helpers/services";

/** Specs covering every builder branch: each type, headless, pinned IP, selector-only, probes, resources, env, UDP. */
const VARIANTS: Record<string, AppServiceSpec> = {
    seed: web(),
    clusterIp: web({
        type: "ClusterIP",
        clusterIP: "10.96.0.50",
        ports: [{ name: "http", port: 80, targetPortName: "http" }],
    }),
    loadBalancer: web({ type: "LoadBalancer" }),
    headless: web({ type: "ClusterIP", headless: true, ports: [{ port: 80 }] }),
    selectorOnly: { name: "legacy", selector: { app: "legacy" }, ports: [{ port: 80, targetPort: 8080 }] },
    httpProbe: web({
        app: {
            image: "ghcr.io/example/api@sha256:0123456789abcdef",
            replicas: 0,
            containerPorts: [{ name: "metrics", port: 9090 }, { port: 8080 }],
            readinessPath: "/healthz",
            readinessPort: 8080,
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128" } },
            env: { LOG_LEVEL: "debug" },
            waitForReady: false,
        },
        ports: [{ port: 8080 }],
        type: "ClusterIP",
    }),
    udp: {
        name: "dns",
        namespace: "kube-system",
        app: { image: "coredns/coredns:1.12.0", containerPorts: [{ name: "dns", port: 53, protocol: "UDP" }] },
        ports: [{ name: "dns", port: 53, protocol: "UDP", targetPortName: "dns" }],
    },
};

describe("labels", () => {
    it("derives the selector from the same labels as the pods, keeping only stable keys", () => {
        const { selector, labels } = appLabels({
            name: "web",
            instance: "lab",
            component: "server",
            version: "1.27.5",
        });
        assert.deepEqual(selector, { [AppLabel.Name]: "web", [AppLabel.Instance]: "lab" });
        assert.deepEqual(labels, {
            "app.kubernetes.io/name": "web",
            "app.kubernetes.io/instance": "lab",
            "app.kubernetes.io/component": "server",
            "app.kubernetes.io/version": "1.27.5",
            "app.kubernetes.io/part-of": "clusternet",
            "app.kubernetes.io/managed-by": "pulumi",
        });
    });

    it("reads the version from the image tag, not from a digest or a registry port", () => {
        assert.deepEqual(parseImage("registry.local:5000/team/api:2.1@sha256:abc"), {
            repository: "registry.local:5000/team/api",
            tag: "2.1",
            digest: "sha256:abc",
        });
        assert.equal(imageVersion("nginx:1.27.5"), "1.27.5");
        assert.equal(imageVersion("registry.local:5000/nginx"), undefined);
        assert.equal(imageVersion("nginx@sha256:abc"), undefined);
    });
});

describe("buildService and buildDeployment", () => {
    for (const [name, spec] of Object.entries(VARIANTS)) {
        it(`${name}: every object is valid against the Kubernetes schemas, and the selector matches the pods`, async () => {
            const resolved = resolveService(spec, "lab");
            const service = buildService(resolved, false);
            const deployment = buildDeployment(resolved);
            assert.deepEqual(await schemaErrors(service), []);
            if (deployment) {
                assert.deepEqual(await schemaErrors(deployment), []);
                const podLabels = deployment.spec.template.metadata!.labels!;
                for (const [key, value] of Object.entries(service.spec.selector!)) {
                    assert.equal(podLabels[key], value, `pod label ${key}`);
                }
                assert.deepEqual(deployment.spec.selector.matchLabels, service.spec.selector);
            } else {
                assert.equal(spec.app, undefined);
            }
            assert.equal(service.metadata.name, spec.name);
            assert.equal(service.metadata.namespace, spec.namespace ?? "default");
        });
    }

    it("builds the seed's Service: NodePort, 8080 -> http (node port 30808) and 443 -> https", () => {
        const service = buildService(resolveService(web(), "lab"), false);
        assert.deepEqual(service.spec, {
            type: "NodePort",
            selector: { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "lab" },
            ports: [
                { name: "http", protocol: "TCP", port: 8080, targetPort: "http", nodePort: 30808 },
                { name: "https", protocol: "TCP", port: 443, targetPort: "https" },
            ],
        });
        assert.equal(service.metadata.annotations, undefined);
    });

    it("builds the seed's Deployment with named container ports and a TCP readiness probe on the first port", () => {
        const deployment = buildDeployment(resolveService(web(), "lab"))!;
        assert.equal(deployment.spec.replicas, 2);
        assert.deepEqual(deployment.spec.template.spec!.containers, [
            {
                name: "web",
                image: "nginx:1.27.5",
                ports: [
                    { name: "http", containerPort: 80, protocol: "TCP" },
                    { name: "https", containerPort: 443, protocol: "TCP" },
                ],
                readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5 },
            },
        ]);
        assert.equal(deployment.metadata.annotations, undefined);
    });

    it("uses an HTTP probe when a path is given, and passes resources and env", () => {
        const container = buildDeployment(resolveService(VARIANTS["httpProbe"]!))!.spec.template.spec!.containers[0]!;
        assert.deepEqual(container.readinessProbe, { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 5 });
        assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128" } });
        assert.deepEqual(container.env, [{ name: "LOG_LEVEL", value: "debug" }]);
    });

    it("probes nothing when the app has only UDP ports", () => {
        const container = buildDeployment(resolveService(VARIANTS["udp"]!))!.spec.template.spec!.containers[0]!;
        assert.equal(container.readinessProbe, undefined);
    });

    it("writes headless and pinned cluster IPs, and drops node ports from ClusterIP Services", () => {
        assert.equal(buildService(resolveService(VARIANTS["headless"]!), false).spec.clusterIP, "None");
        assert.equal(buildService(resolveService(VARIANTS["clusterIp"]!), false).spec.clusterIP, "10.96.0.50");
        assert.equal(buildService(resolveService(web()), false).spec.clusterIP, undefined);
    });

    it("builds a labelled Namespace", async () => {
        const namespace = buildNamespace("demo");
        assert.deepEqual(namespace, {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
                name: "demo",
                labels: { "app.kubernetes.io/part-of": "clusternet", "app.kubernetes.io/managed-by": "pulumi" },
            },
        });
        assert.deepEqual(await schemaErrors(namespace), []);
    });
});

describe("awaitPlan", () => {
    it("skips waiting for a LoadBalancer's address unless the cluster has a load-balancer provider", () => {
        const lb = resolveService(web({ type: "LoadBalancer" }));
        assert.equal(buildService(lb, false).metadata.annotations?.[SKIP_AWAIT_ANNOTATION], "true");
        assert.equal(buildService(lb, true).metadata.annotations, undefined);
        assert.match(awaitPlan(lb, false).serviceSkipReason!, /no load-balancer provider/);
    });

    it("waits for NodePort and ClusterIP Services, at most readyTimeoutSeconds", () => {
        assert.deepEqual(awaitPlan(resolveService(web()), false), {
            serviceSkipReason: undefined,
            deploymentSkipReason: undefined,
            timeoutSeconds: 300,
        });
        assert.equal(
            awaitPlan(resolveService(web({ app: { ...web().app!, readyTimeoutSeconds: 120 } })), false).timeoutSeconds,
            120,
        );
    });

    it("skips the Service's wait for endpoints when the app has 0 replicas, and everything when waitForReady is false", () => {
        const none = resolveService(web({ app: { ...web().app!, replicas: 0 } }));
        assert.equal(awaitPlan(none, false).serviceSkipReason, "with 0 replicas the Service never has endpoints");
        assert.equal(awaitPlan(none, false).deploymentSkipReason, undefined);
        const eager = resolveService(VARIANTS["httpProbe"]!);
        assert.equal(buildService(eager, false).metadata.annotations?.[SKIP_AWAIT_ANNOTATION], "true");
        assert.equal(buildDeployment(eager)!.metadata.annotations?.[SKIP_AWAIT_ANNOTATION], "true");
    });
});
