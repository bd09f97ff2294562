/**
 * IngressController and IngressRoutes under Pulumi's mocks: what they register, under which names and parents,
 * in which order (dependsOn), with which options, and the ingress-nginx retirement warning. One offline run
 * for the whole file (the SDK's runtime state is global), several components in it.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { runGraph, waitsFor } from "./helpers/graph";

let run: OfflineRun;
const warnings: string[] = [];
const errors: Record<string, string> = {};

before(async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
    try {
        run = await runOffline({
            program: async () => {
                // Imported only now, after runOffline has installed the mocks.
                const m = await import("../components/ingress/index.js");
                const services = [
                    {
                        name: "web",
                        namespace: "demo",
                        ports: [
                            { name: "http", port: 8080 },
                            { name: "https", port: 443 },
                        ],
                    },
                    { name: "api", namespace: "shop", ports: [{ name: "http", port: 80 }] },
                ];
                const routes = [
                    {
                        host: "web.lab.example",
                        paths: [{ path: "/", service: "web", portName: "http" }],
                        tlsSecret: "web-tls",
                    },
                    {
                        host: "*.shop.example",
                        paths: [{ path: "/api", pathType: m.PathType.Exact, service: "api", port: 80 }],
                    },
                ];
                // IngressRoutes takes the controller's plain values (from the same settings) and waits for it through dependsOn.
                const traefikSettings = { httpNodePort: 31080, httpsNodePort: 31443 };
                const traefik = new m.IngressController("t", traefikSettings);
                const traefikRoutes = new m.IngressRoutes(
                    "t-routes",
                    {
                        routes,
                        services,
                        ...m.routeControllerInfo(m.resolveController(traefikSettings)),
                        nodeAddresses: ["192.168.56.11"],
                    },
                    { dependsOn: [traefik] },
                );
                const webhookSettings = {
                    implementation: m.IngressImplementation.IngressNginx,
                    admissionWebhook: true,
                };
                const webhook = new m.IngressController("n", webhookSettings);
                new m.IngressRoutes(
                    "n-routes",
                    {
                        routes: routes.slice(0, 1),
                        services,
                        ...m.routeControllerInfo(m.resolveController(webhookSettings)),
                    },
                    { dependsOn: webhook },
                );
                new m.IngressController("p", {
                    implementation: m.IngressImplementation.IngressNginx,
                    mode: m.IngressMode.HostPort,
                });
                // Standalone, without a controller: the try commands use ports 80/443.
                const bare = new m.IngressRoutes("b-routes", {
                    routes: routes.slice(1),
                    services,
                    ingressClassName: "traefik",
                });
                // Bad args stop a component before it registers any child.
                try {
                    new m.IngressController("bad", {
                        mode: m.IngressMode.HostPort,
                        httpNodePort: 30080,
                        image: "traefik",
                    });
                } catch (error) {
                    errors["controller"] = String(error);
                }
                try {
                    new m.IngressRoutes("bad-routes", {
                        routes: [{ host: "10.0.0.1", paths: [{ service: "nope", port: 80 }] }],
                        services,
                        ingressClassName: "Traefik!",
                        httpPort: 0,
                    });
                } catch (error) {
                    errors["routes"] = String(error);
                }
                return {
                    traefikRoutes: traefikRoutes.routes,
                    bareRoutes: bare.routes,
                    ingressClassName: traefik.ingressClassName,
                    httpPort: traefik.httpPort,
                    publishesStatus: traefik.publishesStatus,
                    webhookHttpsPort: webhook.httpsPort,
                    webhookPublishesStatus: webhook.publishesStatus,
                };
            },
            project: "clusternet",
            stack: "test",
            config: {},
            secretKeys: [],
        });
    } finally {
        console.warn = warn;
    }
});

const named = (name: string): RecordedResource => {
    const found = run.resources.find((resource) => resource.name === name);
    assert.ok(found, `no resource named ${name}; have ${run.resources.map((resource) => resource.name).join(", ")}`);
    return found;
};
const urn = (name: string): string => named(name).urn;
const props = (name: string): Record<string, any> => named(name).props as Record<string, any>;

void describe("IngressController", () => {
    void it("registers its objects as typed Kubernetes resources, children named after it", () => {
        const children = run.resources.filter((resource) => resource.parent === urn("t"));
        assert.deepEqual(children.map((resource) => `${resource.type} ${resource.name}`).sort(), [
            "kubernetes:apps/v1:Deployment t-deployment",
            "kubernetes:core/v1:Namespace t-namespace",
            "kubernetes:core/v1:Service t-service",
            "kubernetes:core/v1:ServiceAccount t-service-account",
            "kubernetes:networking.k8s.io/v1:IngressClass t-ingress-class",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole t-cluster-role",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding t-cluster-role-binding",
        ]);
        assert.equal(named("t").type, "clusternet:index:IngressController");
        for (const child of children) {
            assert.ok(
                typeof (child.props.metadata as { name?: unknown }).name === "string",
                `${child.name} has an explicit metadata.name`,
            );
        }
        assert.deepEqual(
            (props("t-service").spec.ports as Array<{ nodePort: number }>).map((port) => port.nodePort),
            [31080, 31443],
        );
    });

    void it("makes namespaced objects wait for their namespace, and the workload for its RBAC", () => {
        assert.deepEqual(named("t-service").dependsOn, [urn("t-namespace")]);
        assert.deepEqual(named("t-deployment").dependsOn, [
            urn("t-namespace"),
            urn("t-service-account"),
            urn("t-cluster-role-binding"),
        ]);
        assert.deepEqual(named("t-cluster-role").dependsOn, []);
    });

    void it("replaces what holds fixed ports by deleting it first: the Service's node ports, a DaemonSet's hostPorts", () => {
        assert.equal(named("t-service").options.deleteBeforeReplace, true);
        assert.equal(named("p-service").options.deleteBeforeReplace, true);
        assert.equal(named("p-daemon-set").options.deleteBeforeReplace, true);
        assert.equal(
            named("t-deployment").options.deleteBeforeReplace,
            undefined,
            "a Deployment without hostPorts rolls over",
        );
    });

    void it("with the webhook: certificate Job, then the controller (awaited Ready), then the webhook, then the CA patch", () => {
        assert.ok(named("n-deployment").dependsOn.includes(urn("n-admission-create-job")));
        assert.ok(named("n-validating-webhook-configuration").dependsOn.includes(urn("n-deployment")));
        assert.ok(named("n-admission-patch-job").dependsOn.includes(urn("n-validating-webhook-configuration")));
        assert.ok(named("n-admission-patch-job").dependsOn.includes(urn("n-admission-create-job")));
        for (const job of ["n-admission-create-job", "n-admission-patch-job"]) {
            assert.equal(props(job).spec.ttlSecondsAfterFinished, undefined, `${job} stays after it finishes`);
            assert.equal(named(job).options.deleteBeforeReplace, true);
            assert.equal(props(job).metadata.annotations, undefined, `${job} is awaited to completion`);
        }
        assert.equal(props("n-deployment").metadata.annotations, undefined, "the controller is awaited Ready");
    });

    void it("without the webhook: no Jobs, no webhook configuration, no webhook flags; hostPort mode runs a DaemonSet", () => {
        const children = run.resources.filter((resource) => resource.parent === urn("p"));
        assert.ok(
            !children.some((resource) => /Job|ValidatingWebhookConfiguration|Deployment/.test(resource.type)),
            children.map((resource) => resource.type).join(),
        );
        const container = props("p-daemon-set").spec.template.spec.containers[0];
        assert.ok(!(container.args as string[]).some((arg) => arg.startsWith("--validating-webhook")));
        assert.equal(props("p-service").spec.type, "ClusterIP");
    });

    void it("warns at preview that ingress-nginx is retired, once per ingress-nginx controller", () => {
        const retired = warnings.filter(
            (line) =>
                line.includes("ingress-nginx was retired in March 2026") && line.includes("no further security fixes"),
        );
        assert.equal(retired.length, 2, warnings.join("\n"));
    });

    void it("refuses bad args with every problem, before registering anything, itself included", () => {
        assert.match(
            errors["controller"]!,
            /IngressController "bad" has invalid args:\nargs\.httpNodePort: has no effect in hostPort mode.*\nargs\.image: "traefik" is not pinned/s,
        );
        assert.ok(!run.resources.some((resource) => resource.name === "bad" || resource.name.startsWith("bad-")));
        assert.match(
            errors["routes"]!,
            /IngressRoutes "bad-routes" has invalid args:\nargs\.routes\[0\]\.host: "10\.0\.0\.1" must be a DNS name, not an IP address.*\nargs\.routes\[0\]\.paths\[0\]\.service: there is no Service "nope".*\nargs\.ingressClassName: "Traefik!" is not an IngressClass name.*\nargs\.httpPort: 0 is not a port number/s,
        );
        assert.ok(!run.resources.some((resource) => resource.name.startsWith("bad-routes")));
    });

    void it("exposes its class, ports and whether it writes Ingress status as outputs", () => {
        assert.equal(run.outputs["ingressClassName"], "traefik");
        assert.equal(run.outputs["httpPort"], 31080);
        assert.equal(run.outputs["webhookHttpsPort"], 30443);
        assert.equal(run.outputs["publishesStatus"], false);
        assert.equal(run.outputs["webhookPublishesStatus"], true);
    });
});

void describe("IngressRoutes", () => {
    void it("registers one Ingress per host, named after the host, with the controller's class", () => {
        const ingresses = run.resources.filter((resource) => resource.parent === urn("t-routes"));
        assert.deepEqual(
            ingresses.map((resource) => resource.name),
            ["t-routes-web.lab.example", "t-routes-wildcard.shop.example"],
        );
        assert.equal(named("t-routes").type, "clusternet:index:IngressRoutes");
        for (const ingress of ingresses) {
            assert.equal(ingress.type, "kubernetes:networking.k8s.io/v1:Ingress");
            assert.equal((ingress.props.spec as { ingressClassName: string }).ingressClassName, "traefik");
        }
        assert.equal(props("t-routes-wildcard.shop.example").metadata.namespace, "shop");
        assert.deepEqual(props("t-routes-web.lab.example").spec.tls, [
            { hosts: ["web.lab.example"], secretName: "web-tls" },
        ]);
    });

    void it("makes every Ingress wait for the controller: its IngressClass and its workload", () => {
        for (const name of ["t-routes-web.lab.example", "t-routes-wildcard.shop.example"]) {
            assert.deepEqual(named(name).dependsOn, [urn("t")], "the component's dependsOn, handed on");
            const waits = waitsFor(runGraph(run), urn(name));
            assert.ok(waits.includes(urn("t-ingress-class")) && waits.includes(urn("t-deployment")), waits.join("\n"));
        }
    });

    void it("with the ingress-nginx webhook, makes every Ingress wait for the certgen Jobs and the controller too", () => {
        const waits = waitsFor(runGraph(run), urn("n-routes-web.lab.example"));
        for (const name of ["n-admission-create-job", "n-admission-patch-job", "n-deployment", "n-ingress-class"]) {
            assert.ok(waits.includes(urn(name)), name);
        }
    });

    void it("without dependsOn, makes its Ingresses wait for nothing", () => {
        assert.deepEqual(named("b-routes-wildcard.shop.example").dependsOn, []);
    });

    void it("replaces an Ingress by deleting it first, so host+path never exists twice", () => {
        for (const name of ["t-routes-web.lab.example", "n-routes-web.lab.example"]) {
            assert.equal(named(name).options.deleteBeforeReplace, true);
        }
    });

    void it("skips the await where nobody writes Ingress status (Traefik), and awaits it where ingress-nginx does", () => {
        assert.deepEqual(props("t-routes-web.lab.example").metadata.annotations, { "pulumi.com/skipAwait": "true" });
        assert.equal(props("n-routes-web.lab.example").metadata.annotations, undefined);
    });

    void it("outputs what to try for each route", () => {
        assert.deepEqual(
            (run.outputs["traefikRoutes"] as Array<{ host: string; try: string[] }>).map((route) => [
                route.host,
                route.try,
            ]),
            [
                [
                    "web.lab.example",
                    [
                        "curl -H 'Host: web.lab.example' http://192.168.56.11:31080/",
                        "curl -k --resolve web.lab.example:31443:192.168.56.11 https://web.lab.example:31443/",
                    ],
                ],
                ["*.shop.example", ["curl -H 'Host: wildcard-test.shop.example' http://192.168.56.11:31080/api"]],
            ],
        );
        assert.deepEqual(run.outputs["bareRoutes"], [
            {
                host: "*.shop.example",
                namespace: "shop",
                ingressName: "wildcard.shop.example",
                paths: [{ path: "/api", pathType: "Exact", service: "api", port: 80 }],
                try: ["curl -H 'Host: wildcard-test.shop.example' 'http://<node-ip>/api'"],
            },
        ]);
        assert.deepEqual((run.outputs["traefikRoutes"] as Array<{ tlsSecret?: string; paths: unknown[] }>)[0]!.paths, [
            { path: "/", pathType: "Prefix", service: "web", portName: "http" },
        ]);
        assert.equal((run.outputs["traefikRoutes"] as Array<{ tlsSecret?: string }>)[0]!.tlsSecret, "web-tls");
    });
});
