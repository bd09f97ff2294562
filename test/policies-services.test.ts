import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    SERVICE_BACKENDS_READY,
    SERVICE_SELECTS_PODS,
    SERVICE_TARGET_PORT_EXISTS,
    serviceBackendsReady,
    serviceSelectsPods,
    serviceTargetPortExists,
} from "../policies/service-backends";
import { SERVICE_NO_EXTERNAL_IPS, serviceNoExternalIps } from "../policies/service-external-ips";
import {
    SERVICE_NODE_PORTS_UNIQUE,
    SERVICE_PORTS,
    serviceNodePortsUnique,
    servicePorts,
} from "../policies/service-ports";
import {
    ServicePortSpec,
    lab,
    messages,
    mutate,
    service,
    traefik,
    urnOf,
    violationsOf,
    webApp,
    workload,
} from "./helpers/policy-fixtures";

const SERVICE = "kubernetes:core/v1:Service";

void describe("service-ports", () => {
    void it("passes the lab's Services, a single unnamed port, ExternalName and headless Services", async () => {
        const resources = [
            ...lab(),
            service({ name: "single", ports: [{ port: 80, targetPort: 8080 }] }),
            service({ name: "external", type: "ExternalName", externalName: "db.example.com", ports: [] }),
            service({ name: "headless", clusterIP: "None", ports: [] }),
            service({
                name: "udp-and-tcp",
                type: "NodePort",
                ports: [
                    { name: "dns-udp", port: 53, protocol: "UDP", nodePort: 30053 },
                    { name: "dns-tcp", port: 53, protocol: "TCP", nodePort: 30053 },
                ],
            }),
        ];
        assert.deepEqual(messages(await violationsOf(servicePorts, resources)), []);
    });

    const refusals: Array<[string, { type?: string; clusterIP?: string; ports: ServicePortSpec[] }, RegExp]> = [
        [
            "an unnamed port among several",
            { ports: [{ name: "http", port: 80 }, { port: 81 }] },
            /spec\.ports\[1\]\.name: is required because the Service has 2 ports/,
        ],
        [
            "a name that is no DNS-1123 label",
            { ports: [{ name: "Http_Port", port: 80 }] },
            /spec\.ports\[0\]\.name: "Http_Port" is not a valid port name \(a DNS-1123 label\)/,
        ],
        [
            "a duplicate name",
            {
                ports: [
                    { name: "http", port: 80 },
                    { name: "http", port: 81 },
                ],
            },
            /spec\.ports\[1\]\.name: "http" is also the name of ports\[0\]/,
        ],
        [
            "a duplicate (protocol, port)",
            {
                ports: [
                    { name: "a", port: 80 },
                    { name: "b", port: 80, protocol: "TCP" },
                ],
            },
            /spec\.ports\[1\]\.port: TCP\/80 is also ports\[0\]; the API server refuses a duplicate \(protocol, port\)/,
        ],
        [
            "an unknown protocol",
            { ports: [{ port: 80, protocol: "tcp" }] },
            /spec\.ports\[0\]\.protocol: "tcp" is not a protocol; the API server takes only TCP, UDP, SCTP/,
        ],
        ["a port out of range", { ports: [{ port: 70000 }] }, /spec\.ports\[0\]\.port: 70000 is not a port number/],
        [
            "a targetPort out of range",
            { ports: [{ port: 80, targetPort: 0.5 }] },
            /spec\.ports\[0\]\.targetPort: 0\.5 is not a port number/,
        ],
        [
            "a targetPort name that is no IANA service name",
            { ports: [{ port: 80, targetPort: "web-http-port-name" }] },
            /spec\.ports\[0\]\.targetPort: "web-http-port-name" is not a valid port name \(an IANA service name/,
        ],
        [
            "a quoted numeric targetPort",
            { ports: [{ port: 80, targetPort: "8080" }] },
            /a number written as a string is read as a port name: write 8080 without quotes/,
        ],
        [
            "a nodePort outside the range",
            { type: "NodePort", ports: [{ port: 80, nodePort: 8080 }] },
            /spec\.ports\[0\]\.nodePort: 8080 is outside the node port range 30000-32767 \(service-ports\.nodePortRange\); the API server refuses it/,
        ],
        [
            "a nodePort on a ClusterIP Service",
            { ports: [{ port: 80, nodePort: 30001 }] },
            /spec\.ports\[0\]\.nodePort: is set, but a ClusterIP Service has no node ports/,
        ],
        [
            "one nodePort twice for one protocol",
            {
                type: "NodePort",
                ports: [
                    { name: "a", port: 80, nodePort: 30001 },
                    { name: "b", port: 81, nodePort: 30001 },
                ],
            },
            /spec\.ports\[1\]\.nodePort: TCP\/30001 is also the node port of ports\[0\]/,
        ],
        [
            "a headless NodePort",
            { type: "NodePort", clusterIP: "None", ports: [{ port: 80 }] },
            /spec\.clusterIP: a headless Service \(clusterIP None\) cannot be of type NodePort/,
        ],
        ["no ports", { ports: [] }, /has no ports/],
        [
            "an unknown type",
            { type: "Nodeport", ports: [{ port: 80 }] },
            /spec\.type: "Nodeport" is not a Service type; the API server refuses it \("Unsupported value"\); use one of ClusterIP, NodePort, LoadBalancer, ExternalName/,
        ],
    ];
    for (const [what, spec, expected] of refusals) {
        void it(`refuses ${what}`, async () => {
            const violations = await violationsOf(servicePorts, [service({ name: "svc", ...spec })]);
            assert.ok(
                violations.some(
                    (violation) =>
                        expected.test(violation.message) &&
                        violation.message.startsWith("Service demo/svc") &&
                        violation.urn === urnOf(SERVICE, "demo-svc") &&
                        violation.policyName === SERVICE_PORTS,
                ),
                messages(violations).join("\n"),
            );
        });
    }

    void it("takes the node port range from its config", async () => {
        const settings = { [SERVICE_PORTS]: { properties: { nodePortRange: "20000-22767" } } };
        const found = messages(await violationsOf(servicePorts, webApp(), settings));
        assert.ok(
            found.some((message) => /nodePort: 30808 is outside the node port range 20000-22767/.test(message)),
            found.join("\n"),
        );
    });
});

void describe("service-node-ports-unique", () => {
    void it("passes the lab (web 30808, traefik 30080/30443)", async () => {
        assert.deepEqual(await violationsOf(serviceNodePortsUnique, lab()), []);
    });

    void it("refuses a Service taking the Ingress controller's nodePort, naming both Services", async () => {
        const resources = mutate(lab(), "Service", "demo-web", (props) => {
            props.spec.ports[0].nodePort = 30080;
        });
        const violations = await violationsOf(serviceNodePortsUnique, resources);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.equal(violations[0]!.policyName, SERVICE_NODE_PORTS_UNIQUE);
        // Reported on the later of the two, in registration order.
        assert.match(
            violations[0]!.message,
            /Service traefik\/traefik port web \(80\/TCP\) claims nodePort 30080, already taken by Service demo\/web port http \(8080\/TCP\)/,
        );
        assert.equal(violations[0]!.urn, urnOf(SERVICE, "traefik-traefik"));
    });

    void it("refuses one nodePort in two Services even for different protocols", async () => {
        const resources = [
            service({ name: "a", type: "NodePort", ports: [{ port: 53, protocol: "UDP", nodePort: 30053 }] }),
            service({ name: "b", type: "NodePort", ports: [{ port: 53, protocol: "TCP", nodePort: 30053 }] }),
        ];
        assert.equal((await violationsOf(serviceNodePortsUnique, resources)).length, 1);
    });
});

void describe("service-no-external-ips", () => {
    void it("passes Services without externalIPs", async () => {
        assert.deepEqual(await violationsOf(serviceNoExternalIps, lab()), []);
    });

    void it("refuses externalIPs (CVE-2020-8554) unless the Service is allowed by config", async () => {
        const grabber = service({ name: "grabber", ports: [{ port: 443 }], externalIPs: ["8.8.8.8"] });
        const violations = await violationsOf(serviceNoExternalIps, [grabber]);
        assert.equal(violations.length, 1);
        assert.equal(violations[0]!.policyName, SERVICE_NO_EXTERNAL_IPS);
        assert.match(
            violations[0]!.message,
            /Service demo\/grabber sets spec\.externalIPs \["8\.8\.8\.8"\].*CVE-2020-8554.*; expose it with type NodePort or an Ingress/,
        );
        const settings = { [SERVICE_NO_EXTERNAL_IPS]: { properties: { allowedServices: ["demo/grabber"] } } };
        assert.deepEqual(await violationsOf(serviceNoExternalIps, [grabber], settings), []);
    });
});

void describe("service-selects-pods (advisory)", () => {
    void it("passes when each selector matches a pod template in the Service's namespace; ignores selector-less Services", async () => {
        assert.deepEqual(
            await violationsOf(serviceSelectsPods, [...lab(), service({ name: "manual", ports: [{ port: 80 }] })]),
            [],
        );
    });

    void it("reports a selector matching no pod template, or only one in another namespace, as advisory", async () => {
        const resources = [
            ...lab(),
            service({ name: "typo", selector: { "app.kubernetes.io/name": "wbe" }, ports: [{ port: 80 }] }),
            service({
                name: "web",
                namespace: "other",
                selector: { "app.kubernetes.io/name": "web" },
                ports: [{ port: 80 }],
            }),
        ];
        const violations = await violationsOf(serviceSelectsPods, resources);
        assert.deepEqual(
            violations.map((violation) => [violation.policyName, violation.enforcementLevel, violation.urn]),
            [
                [SERVICE_SELECTS_PODS, "advisory", urnOf(SERVICE, "demo-typo")],
                [SERVICE_SELECTS_PODS, "advisory", urnOf(SERVICE, "other-web")],
            ],
        );
        assert.match(
            violations[0]!.message,
            /selects pods labelled app\.kubernetes\.io\/name=wbe, but no pod template in namespace demo .* "Service has no endpoints"/,
        );
    });

    void it("matches a selector that is a subset of the pod labels, but not a superset", async () => {
        const pods = workload({
            name: "api",
            labels: { app: "api", tier: "backend" },
            containers: [{ name: "api", readinessProbe: {} }],
        });
        const subset = service({ name: "subset", selector: { app: "api" }, ports: [{ port: 80 }] });
        const superset = service({
            name: "superset",
            selector: { app: "api", tier: "backend", track: "canary" },
            ports: [{ port: 80 }],
        });
        const violations = await violationsOf(serviceSelectsPods, [pods, subset, superset]);
        assert.deepEqual(
            violations.map((violation) => violation.urn),
            [urnOf(SERVICE, "demo-superset")],
        );
    });
});

void describe("service-target-port-exists", () => {
    void it("passes when every named targetPort is a container port of the selected pods, with the Service port's protocol", async () => {
        assert.deepEqual(await violationsOf(serviceTargetPortExists, lab()), []);
    });

    void it("refuses a named targetPort the pod template lacks, listing the names it has", async () => {
        const resources = mutate(lab(), "Service", "demo-web", (props) => {
            props.spec.ports[0].targetPort = "htpp";
        });
        const violations = await violationsOf(serviceTargetPortExists, resources);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.equal(violations[0]!.policyName, SERVICE_TARGET_PORT_EXISTS);
        assert.equal(violations[0]!.enforcementLevel, "mandatory");
        assert.match(
            violations[0]!.message,
            /Service demo\/web port http \(8080\/TCP\) targets the container port named "htpp", but Deployment demo\/web's pod template has no TCP port of that name \(it names http \(80\/TCP\) and https \(443\/TCP\)\)/,
        );
    });

    void it("refuses a named targetPort whose container port has another protocol", async () => {
        const resources = mutate(lab(), "Service", "demo-web", (props) => {
            props.spec.ports[0].protocol = "UDP";
        });
        const found = messages(await violationsOf(serviceTargetPortExists, resources));
        assert.ok(
            found.some((message) => /its container port http is TCP, not UDP/.test(message)),
            found.join("\n"),
        );
    });

    void it("checks every selected workload, and counts sidecar init containers", async () => {
        const labels = { app: "api" };
        const withPort = workload({
            name: "api-v1",
            labels,
            containers: [{ name: "api", ports: [{ name: "http", containerPort: 80 }] }],
        });
        const without = workload({
            name: "api-v2",
            labels,
            containers: [{ name: "api", ports: [{ name: "web", containerPort: 80 }] }],
        });
        const api = service({ name: "api", selector: labels, ports: [{ port: 80, targetPort: "http" }] });
        const found = messages(await violationsOf(serviceTargetPortExists, [withPort, without, api]));
        assert.equal(found.length, 1);
        assert.match(found[0]!, /Deployment demo\/api-v2's pod template has no TCP port/);

        const sidecar = structuredClone(without);
        const spec = (sidecar.props as any).spec.template.spec;
        spec.initContainers = [
            { name: "proxy", image: "envoy", restartPolicy: "Always", ports: [{ name: "http", containerPort: 15001 }] },
        ];
        assert.deepEqual(await violationsOf(serviceTargetPortExists, [withPort, sidecar, api]), []);
    });
});

void describe("service-backends-ready (advisory)", () => {
    void it("passes workloads with readiness probes", async () => {
        assert.deepEqual(await violationsOf(serviceBackendsReady, lab()), []);
    });

    void it("reports a selected workload without readiness probe, or scaled to zero, once, as advisory", async () => {
        const resources = mutate(
            [
                ...lab(),
                service({ name: "web-alt", selector: { "app.kubernetes.io/name": "web" }, ports: [{ port: 80 }] }),
            ],
            "Deployment",
            "demo-web",
            (props) => {
                delete props.spec.template.spec.containers[0].readinessProbe;
                props.spec.replicas = 0;
            },
        );
        const violations = await violationsOf(serviceBackendsReady, resources);
        assert.equal(violations.length, 2, messages(violations).join("\n"));
        assert.ok(
            violations.every(
                (violation) =>
                    violation.policyName === SERVICE_BACKENDS_READY &&
                    violation.enforcementLevel === "advisory" &&
                    violation.urn === urnOf("kubernetes:apps/v1:Deployment", "demo-web"),
            ),
        );
        assert.match(
            violations[0]!.message,
            /Deployment demo\/web \(behind Service demo\/web\) has no readinessProbe on container web/,
        );
        assert.match(violations[1]!.message, /has replicas: 0/);
    });

    void it("ignores workloads no Service selects", async () => {
        assert.deepEqual(
            await violationsOf(serviceBackendsReady, [
                workload({ name: "batch", containers: [{ name: "job" }] }),
                ...traefik(),
            ]),
            [],
        );
    });
});
