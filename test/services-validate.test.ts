import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COMBINED_PORT_FIELDS, SPLIT_PORT_FIELDS, formatProblem } from "../components/common";
import {
    AppServiceSpec,
    NodePortClaim,
    ServiceClusterSpec,
    ServicesKeys,
    checkNodePortClaims,
    namespacesToCreate,
    parseNodePortRange,
    serviceNodePortClaims,
    validateServices,
} from "../components/services";
import { web } from "./helpers/services";

// The stack's keys: one config key (`targetPort`) for a port by number or by name, as the user wrote it.
const KEYS: ServicesKeys = {
    service: (index) => `clusternet:services[${index}]`,
    cluster: "clusternet:cluster",
    portNameField: COMBINED_PORT_FIELDS,
};
const CLUSTER: ServiceClusterSpec = {
    serviceCidr: "10.96.0.0/12",
    nodes: [
        { name: "cp-1", ip: "192.168.56.10" },
        { name: "worker-1", ip: "192.168.56.11" },
    ],
    nodePortRange: "30000-32767",
};

/**
 * The keys of the problems found: what these tests assert. The prose is asserted on purpose in a few golden tests
 * (the "messages" suite below), so rewording a message does not break every test.
 */
function lines(
    services: readonly AppServiceSpec[],
    cluster: ServiceClusterSpec = CLUSTER,
    extra: readonly NodePortClaim[] = [],
): string[] {
    return validateServices(services, cluster, KEYS, { extraNodePortClaims: extra }).map((problem) => problem.key);
}

describe("validateServices: valid input", () => {
    it("accepts the seed's web Service", () => {
        assert.deepEqual(lines([web()]), []);
    });

    it("accepts a single unnamed port, UDP and TCP sharing a node port in one Service, and a selector instead of an app", () => {
        const dns: AppServiceSpec = {
            name: "dns",
            namespace: "kube-system",
            type: "NodePort",
            selector: { "k8s-app": "kube-dns" },
            ports: [
                { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 },
                { name: "dns-tcp", port: 53, protocol: "TCP", nodePort: 30053 },
            ],
        };
        const single: AppServiceSpec = {
            name: "api",
            app: { image: "ghcr.io/example/api@sha256:abc", containerPorts: [{ port: 9000 }] },
            ports: [{ port: 9000 }],
        };
        assert.deepEqual(lines([dns, single]), []);
    });

    it("accepts a pinned cluster IP and headless Services", () => {
        assert.deepEqual(
            lines([
                web({
                    type: "ClusterIP",
                    clusterIP: "10.96.0.50",
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                }),
            ]),
            [],
        );
        assert.deepEqual(
            lines([
                web({
                    name: "db",
                    type: "ClusterIP",
                    headless: true,
                    ports: [{ name: "http", port: 80, targetPort: 80 }],
                }),
            ]),
            [],
        );
    });
});

describe("validateServices: names", () => {
    it("rejects a Service name that is not a DNS-1035 label", () => {
        assert.deepEqual(lines([web({ name: "1web" })]), ["clusternet:services[0].name"]);
    });

    it("rejects a namespace that is not a DNS-1123 label", () => {
        assert.deepEqual(lines([web({ namespace: "Demo" })]), ["clusternet:services[0].namespace"]);
    });

    it("rejects the same Service twice in one namespace, but not in two", () => {
        const other = web({ ports: [{ name: "http", port: 8080, targetPortName: "http" }] });
        assert.deepEqual(lines([web(), other]), ["clusternet:services[1].name"]);
        assert.deepEqual(lines([web(), { ...other, namespace: "prod" }]), []);
    });
});

describe("validateServices: ports", () => {
    it("requires a unique DNS-1123 name on every port when there are several", () => {
        const ports = [
            { port: 8080, targetPortName: "http" },
            { name: "HTTPS", port: 443, targetPortName: "https" },
            { name: "web", port: 8081, targetPort: 80 },
            { name: "web", port: 8082, targetPort: 80 },
        ];
        assert.deepEqual(lines([web({ type: "ClusterIP", ports })]), [
            "clusternet:services[0].ports[0].name",
            "clusternet:services[0].ports[1].name",
            "clusternet:services[0].ports[3].name",
        ]);
    });

    it("rejects a (protocol, port) pair used twice, but allows the same number on TCP and UDP", () => {
        const ports = [
            { name: "a", port: 8080, targetPort: 80 },
            { name: "b", port: 8080, targetPort: 443 },
        ];
        assert.deepEqual(lines([web({ type: "ClusterIP", ports })]), ["clusternet:services[0].ports[1].port"]);
        const app = {
            image: "coredns/coredns:1.12.0",
            containerPorts: [
                { name: "dns", port: 53, protocol: "UDP" as const },
                { name: "dns-tcp", port: 53 },
            ],
        };
        assert.deepEqual(
            lines([
                {
                    name: "dns",
                    app,
                    ports: [
                        { name: "dns", port: 53, protocol: "UDP", targetPortName: "dns" },
                        { name: "dns-tcp", port: 53, targetPortName: "dns-tcp" },
                    ],
                },
            ]),
            [],
        );
    });

    it("rejects numeric targetPorts outside 1-65535 and names that are not IANA service names", () => {
        const ports = [
            { name: "a", port: 8080, targetPort: 0 },
            { name: "b", port: 8081, targetPort: 65536 },
            { name: "c", port: 8082, targetPortName: "Http" },
            { name: "d", port: 8083, targetPortName: "a-very-long-port-name" },
            { name: "e", port: 8084, targetPortName: "8080" },
        ];
        assert.deepEqual(lines([web({ type: "ClusterIP", ports })]), [
            "clusternet:services[0].ports[0].targetPort",
            "clusternet:services[0].ports[1].targetPort",
            "clusternet:services[0].ports[2].targetPort",
            "clusternet:services[0].ports[3].targetPort",
            "clusternet:services[0].ports[4].targetPort",
        ]);
    });

    it("requires a named targetPort to exist among the app's container ports, with the same protocol", () => {
        const ports = [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
            { name: "https", port: 443, targetPortName: "htps" },
            { name: "quic", port: 443, protocol: "UDP" as const, targetPortName: "https" },
        ];
        assert.deepEqual(lines([web({ ports })]), [
            "clusternet:services[0].ports[1].targetPort",
            "clusternet:services[0].ports[2].targetPort",
        ]);
    });

    it("requires a numeric (or defaulted) targetPort to be one of the app's container ports", () => {
        const ports = [
            { name: "http", port: 8080, targetPort: 81 },
            { name: "https", port: 443 },
            { name: "ok", port: 80 },
        ];
        assert.deepEqual(
            lines([
                web({
                    type: "ClusterIP",
                    ports,
                    app: { image: "nginx:1.27.5", containerPorts: [{ name: "http", port: 80 }] },
                }),
            ]),
            ["clusternet:services[0].ports[0].targetPort", "clusternet:services[0].ports[1].targetPort"],
        );
    });

    it("in args, names a port given by name by its own field, and refuses a number and a name at once", () => {
        const args: ServicesKeys = { service: () => "args", cluster: "args.cluster", portNameField: SPLIT_PORT_FIELDS };
        const spec = web({
            app: { ...web().app!, readinessPort: 80, readinessPortName: "http" },
            ports: [
                { name: "http", port: 8080, targetPort: 80, targetPortName: "http", nodePort: 30808 },
                { name: "https", port: 443, targetPortName: "htps" },
                { name: "alt", port: 8443, targetPort: 70000 },
            ],
        });
        assert.deepEqual(
            validateServices([spec], CLUSTER, args).map((problem) => problem.key),
            [
                "args.app.readinessPortName",
                "args.ports[0].targetPortName",
                "args.ports[1].targetPortName",
                "args.ports[2].targetPort",
            ],
        );
    });

    it("does not look up targetPorts of a Service without an app", () => {
        assert.deepEqual(lines([web({ app: undefined, selector: { app: "legacy" } })]), []);
    });

    it("allows nodePort only on NodePort and LoadBalancer Services", () => {
        assert.deepEqual(lines([web({ type: "ClusterIP" })]), ["clusternet:services[0].ports[0].nodePort"]);
        assert.deepEqual(lines([web({ type: "LoadBalancer" })]), []);
    });
});

describe("validateServices: node ports", () => {
    it("keeps node ports inside the configured range", () => {
        const ports = [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 29999 },
            { name: "https", port: 443, targetPortName: "https", nodePort: 32768 },
        ];
        assert.deepEqual(lines([web({ ports })]), [
            "clusternet:services[0].ports[0].nodePort",
            "clusternet:services[0].ports[1].nodePort",
        ]);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "31000-31999" }), [
            "clusternet:services[0].ports[0].nodePort",
        ]);
    });

    it("rejects a node port used twice across the stack, and twice on one protocol of one Service", () => {
        const api = web({ name: "api", ports: [{ name: "http", port: 80, targetPortName: "http", nodePort: 30808 }] });
        assert.deepEqual(lines([web(), api]), ["clusternet:services[1].ports[0].nodePort"]);
        const twice = web({
            ports: [
                { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
                { name: "https", port: 443, targetPortName: "https", nodePort: 30808 },
            ],
        });
        assert.deepEqual(lines([twice]), ["clusternet:services[0].ports[1].nodePort"]);
    });

    it("counts node ports claimed elsewhere in the stack (the ingress controller's)", () => {
        const ingress: NodePortClaim[] = [
            {
                nodePort: 30080,
                protocol: "TCP",
                owner: "the ingress controller",
                key: "clusternet:ingress.controller.httpNodePort",
            },
            {
                nodePort: 30808,
                protocol: "TCP",
                owner: "the ingress controller",
                key: "clusternet:ingress.controller.httpsNodePort",
            },
        ];
        assert.deepEqual(lines([web()], CLUSTER, ingress), ["clusternet:ingress.controller.httpsNodePort"]);
        assert.deepEqual(
            lines([], CLUSTER, [
                {
                    nodePort: 80,
                    protocol: "TCP",
                    owner: "the ingress controller",
                    key: "clusternet:ingress.controller.httpNodePort",
                },
            ]),
            ["clusternet:ingress.controller.httpNodePort"],
        );
    });

    it("exposes the claims and the check for other capabilities", () => {
        const claims = serviceNodePortClaims(
            [
                web(),
                web({
                    name: "internal",
                    type: "ClusterIP",
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                }),
            ],
            KEYS,
        );
        assert.deepEqual(claims, [
            {
                nodePort: 30808,
                protocol: "TCP",
                owner: "Service demo/web",
                key: "clusternet:services[0].ports[0].nodePort",
            },
        ]);
        assert.deepEqual(
            checkNodePortClaims(claims, {
                range: { first: 30000, last: 32767 },
                text: "30000-32767",
                key: "clusternet:cluster.nodePortRange",
            }),
            [],
        );
    });

    it("parses the node port range as the API server does", () => {
        assert.deepEqual(parseNodePortRange("30000-32767"), { ok: true, value: { first: 30000, last: 32767 } });
        assert.deepEqual(parseNodePortRange("30000+2767"), {
            ok: false,
            problems: [
                {
                    key: "",
                    message: '"30000+2767" is not a port range (the API server takes FIRST-LAST or one port)',
                    fix: "write FIRST-LAST, e.g. 30000-32767",
                },
            ],
        });
        // Go's strconv.Atoi takes leading zeros; spaces only around the whole range; one port is a range of one.
        assert.deepEqual(parseNodePortRange("030000-32767"), { ok: true, value: { first: 30000, last: 32767 } });
        assert.deepEqual(parseNodePortRange(" 30000-32767 "), { ok: true, value: { first: 30000, last: 32767 } });
        assert.deepEqual(parseNodePortRange("30100"), { ok: true, value: { first: 30100, last: 30100 } });
        assert.deepEqual(parseNodePortRange("30000 - 32767").ok, false);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "32767-30000" }), [
            "clusternet:cluster.nodePortRange",
        ]);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "30000-70000" }), [
            "clusternet:cluster.nodePortRange",
        ]);
    });
});

describe("validateServices: headless and cluster IPs", () => {
    it("rejects headless NodePort and LoadBalancer Services, and a headless Service with a cluster IP", () => {
        assert.deepEqual(lines([web({ headless: true })]), ["clusternet:services[0].headless"]);
        assert.deepEqual(
            lines([
                web({
                    type: "ClusterIP",
                    headless: true,
                    clusterIP: "10.96.0.50",
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                }),
            ]),
            ["clusternet:services[0].clusterIP"],
        );
    });

    it("keeps a pinned cluster IP inside the Service CIDR and off the addresses Kubernetes keeps", () => {
        const at = (clusterIP: string): string[] => lines([web({ clusterIP })]);
        assert.deepEqual(at("10.95.255.254"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("10.96.0.0"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("10.111.255.255"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("10.96.0.1"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("10.96.0.10"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("010.96.0.50"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("None"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("fd00:10:96::50"), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(at("10.96.0.11"), []);
    });

    it("checks IPv6 cluster IPs against the IPv6 Service CIDR, whose last address is usable", () => {
        const v6: ServiceClusterSpec = { ...CLUSTER, serviceCidr: undefined, serviceCidrV6: "fd00:10:96::/112" };
        assert.deepEqual(lines([web({ clusterIP: "fd00:10:96::ffff" })], v6), []);
        assert.deepEqual(lines([web({ clusterIP: "fd00:10:96::a" })], v6), ["clusternet:services[0].clusterIP"]);
        assert.deepEqual(lines([web({ clusterIP: "10.96.0.50" })], v6), ["clusternet:services[0].clusterIP"]);
    });

    it("rejects one pinned cluster IP on two Services", () => {
        const api = web({
            name: "api",
            clusterIP: "10.96.0.50",
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        assert.deepEqual(lines([web({ clusterIP: "10.96.0.50" }), api]), ["clusternet:services[1].clusterIP"]);
    });
});

describe("validateServices: app and selector", () => {
    it("rejects a Service with neither app nor selector: it would never have endpoints", () => {
        assert.deepEqual(lines([web({ app: undefined })]), ["clusternet:services[0]"]);
    });

    it("rejects a selector beside an app, an empty selector and bad labels", () => {
        assert.deepEqual(lines([web({ selector: { app: "web" } })]), ["clusternet:services[0].selector"]);
        assert.deepEqual(lines([web({ app: undefined, selector: {} })]), ["clusternet:services[0].selector"]);
        assert.deepEqual(lines([web({ app: undefined, selector: { "bad key": "x", app: "-web" } })]), [
            "clusternet:services[0].selector",
            "clusternet:services[0].selector.app",
        ]);
    });

    it("checks container ports: IANA names, unique names, numbers", () => {
        const app = {
            image: "nginx:1.27.5",
            containerPorts: [
                { name: "http", port: 80 },
                { name: "http", port: 81 },
                { name: "HTTPS", port: 443 },
                { name: "x", port: 0 },
            ],
        };
        assert.deepEqual(
            lines([web({ type: "ClusterIP", app, ports: [{ name: "http", port: 80, targetPortName: "http" }] })]),
            [
                "clusternet:services[0].app.containerPorts[1].name",
                "clusternet:services[0].app.containerPorts[2].name",
                "clusternet:services[0].app.containerPorts[3].port",
            ],
        );
    });

    it("checks the image, replicas, probe, resources and timeout", () => {
        const app = {
            image: "nginx",
            replicas: -1,
            containerPorts: [{ name: "http", port: 80 }],
            readinessPath: "healthz",
            readinessPortName: "health",
            resources: { requests: { cpu: "lots", memory: "64Mi" }, limits: { memory: "-1" } },
            env: { "A=B": "x", OK: "y" },
            readyTimeoutSeconds: 0,
        };
        assert.deepEqual(
            lines([web({ type: "ClusterIP", app, ports: [{ name: "http", port: 80, targetPortName: "http" }] })]),
            [
                "clusternet:services[0].app.image",
                "clusternet:services[0].app.replicas",
                "clusternet:services[0].app.readyTimeoutSeconds",
                "clusternet:services[0].app.readinessPath",
                "clusternet:services[0].app.readinessPort",
                "clusternet:services[0].app.resources.requests.cpu",
                "clusternet:services[0].app.resources.limits.memory",
                "clusternet:services[0].app.env",
            ],
        );
        assert.deepEqual(lines([web({ app: { ...web().app!, image: "registry.local:5000/nginx:latest" } })]), [
            "clusternet:services[0].app.image",
        ]);
        assert.deepEqual(lines([web({ app: { ...web().app!, image: " " } })]), ["clusternet:services[0].app.image"]);
    });

    it("does not probe UDP ports", () => {
        const app = {
            image: "coredns/coredns:1.12.0",
            containerPorts: [{ name: "dns", port: 53, protocol: "UDP" as const }],
            readinessPortName: "dns",
        };
        assert.deepEqual(
            lines([{ name: "dns", app, ports: [{ name: "dns", port: 53, protocol: "UDP", targetPortName: "dns" }] }]),
            ["clusternet:services[0].app.readinessPort"],
        );
        const path = {
            image: "coredns/coredns:1.12.0",
            containerPorts: [{ name: "dns", port: 53, protocol: "UDP" as const }],
            readinessPath: "/ready",
        };
        assert.deepEqual(
            lines([
                { name: "dns", app: path, ports: [{ name: "dns", port: 53, protocol: "UDP", targetPortName: "dns" }] },
            ]),
            ["clusternet:services[0].app.readinessPath"],
        );
    });
});

describe("validateServices: namespaces", () => {
    it("rejects Services that disagree on whether their namespace exists", () => {
        const api = web({
            name: "api",
            createNamespace: false,
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        assert.deepEqual(lines([web(), api]), ["clusternet:services[1].createNamespace"]);
    });

    it("creates each namespace once and never a built-in one", () => {
        const api = web({ name: "api", ports: [{ name: "http", port: 80, targetPortName: "http" }] });
        const shop = web({
            name: "shop",
            namespace: "shop",
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        const system = web({
            name: "metrics",
            namespace: "kube-system",
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        const existing = web({
            name: "legacy",
            namespace: "legacy",
            createNamespace: false,
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        assert.deepEqual(
            namespacesToCreate([web(), api, shop, system, existing, web({ name: "x", namespace: undefined })]),
            ["demo", "shop"],
        );
    });
});

describe("validateServices: args that bypass the config schema", () => {
    it("reports wrong types and values as problems, never throws", () => {
        const bad = {
            name: "web",
            type: "External" as never,
            app: { image: "nginx:1.27.5", containerPorts: [{ name: "http", port: 80, protocol: "tcp" as never }] },
            ports: [{ name: "http", port: 70000, protocol: "HTTP" as never, nodePort: 1.5 }],
        };
        assert.deepEqual(lines([bad]), [
            "clusternet:services[0].type",
            "clusternet:services[0].app.containerPorts[0].protocol",
            "clusternet:services[0].ports[0].protocol",
            "clusternet:services[0].ports[0].port",
            "clusternet:services[0].ports[0].nodePort",
        ]);
        assert.deepEqual(lines([{ name: "web", selector: { app: "x" }, ports: [] }]), ["clusternet:services[0].ports"]);
    });

    it("reports a bad Service CIDR under the cluster key", () => {
        assert.deepEqual(lines([web()], { ...CLUSTER, serviceCidr: "10.96.0.1/12" }), [
            "clusternet:cluster.serviceCidr",
        ]);
    });
});

// Golden messages, on purpose: the prose a user reads for a duplicate Service, bad port names and a missing
// targetPort, with its fix. The other tests assert problem keys only.
describe("validateServices: messages", () => {
    function messages(services: readonly AppServiceSpec[]): string[] {
        return validateServices(services, CLUSTER, KEYS).map(formatProblem);
    }

    it("rejects the same Service twice in one namespace, but not in two", () => {
        const other = web({ ports: [{ name: "http", port: 8080, targetPortName: "http" }] });
        assert.deepEqual(messages([web(), other]), [
            "clusternet:services[1].name: Service demo/web is also defined at clusternet:services[0]; rename one of them, or move it to another namespace",
        ]);
        assert.deepEqual(messages([web(), { ...other, namespace: "prod" }]), []);
    });

    it("requires a unique DNS-1123 name on every port when there are several", () => {
        const ports = [
            { port: 8080, targetPortName: "http" },
            { name: "HTTPS", port: 443, targetPortName: "https" },
            { name: "web", port: 8081, targetPort: 80 },
            { name: "web", port: 8082, targetPort: 80 },
        ];
        assert.deepEqual(messages([web({ type: "ClusterIP", ports })]), [
            "clusternet:services[0].ports[0].name: is required because the Service has 4 ports (the API server needs a name per port to tell them apart); name every port with a DNS-1123 label, e.g. port-8080",
            "clusternet:services[0].ports[1].name: \"HTTPS\" is not a valid port name (a DNS-1123 label); use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, e.g. http",
            'clusternet:services[0].ports[3].name: "web" is also the name of ports[2]; the API server refuses duplicate port names; give every port its own name',
        ]);
    });

    it("requires a named targetPort to exist among the app's container ports, with the same protocol", () => {
        const ports = [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
            { name: "https", port: 443, targetPortName: "htps" },
            { name: "quic", port: 443, protocol: "UDP" as const, targetPortName: "https" },
        ];
        assert.deepEqual(messages([web({ ports })]), [
            'clusternet:services[0].ports[1].targetPort: "htps" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
            'clusternet:services[0].ports[2].targetPort: "https" names a TCP container port, but this port is UDP; Kubernetes matches named ports by name and protocol; set this port\'s protocol to TCP, or target a UDP container port',
        ]);
    });
});
