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

function lines(
    services: readonly AppServiceSpec[],
    cluster: ServiceClusterSpec = CLUSTER,
    extra: readonly NodePortClaim[] = [],
): string[] {
    return validateServices(services, cluster, KEYS, { extraNodePortClaims: extra }).map(formatProblem);
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
        assert.deepEqual(lines([web({ name: "1web" })]), [
            "clusternet:services[0].name: \"1web\" is not a valid Service name (a DNS-1035 label); use lowercase letters, digits and '-', starting with a letter, at most 63 characters, e.g. web",
        ]);
    });

    it("rejects a namespace that is not a DNS-1123 label", () => {
        assert.deepEqual(lines([web({ namespace: "Demo" })]), [
            "clusternet:services[0].namespace: \"Demo\" is not a valid namespace name (a DNS-1123 label); use lowercase letters, digits and '-', at most 63 characters, e.g. demo",
        ]);
    });

    it("rejects the same Service twice in one namespace, but not in two", () => {
        const other = web({ ports: [{ name: "http", port: 8080, targetPortName: "http" }] });
        assert.deepEqual(lines([web(), other]), [
            "clusternet:services[1].name: Service demo/web is also defined at clusternet:services[0]; rename one of them, or move it to another namespace",
        ]);
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
            "clusternet:services[0].ports[0].name: is required because the Service has 4 ports (the API server needs a name per port to tell them apart); name every port with a DNS-1123 label, e.g. port-8080",
            "clusternet:services[0].ports[1].name: \"HTTPS\" is not a valid port name (a DNS-1123 label); use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters, e.g. http",
            'clusternet:services[0].ports[3].name: "web" is also the name of ports[2]; the API server refuses duplicate port names; give every port its own name',
        ]);
    });

    it("rejects a (protocol, port) pair used twice, but allows the same number on TCP and UDP", () => {
        const ports = [
            { name: "a", port: 8080, targetPort: 80 },
            { name: "b", port: 8080, targetPort: 443 },
        ];
        assert.deepEqual(lines([web({ type: "ClusterIP", ports })]), [
            "clusternet:services[0].ports[1].port: TCP/8080 is also ports[0]; the API server refuses a duplicate (protocol, port); use another port number, or remove one of them",
        ]);
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
        const rule =
            "an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row";
        assert.deepEqual(lines([web({ type: "ClusterIP", ports })]), [
            // targetPort 0 is unset to Kubernetes (it defaults to the port), so port 8080 must be a container port
            "clusternet:services[0].ports[0].targetPort: is not set, so it is the port 8080, which is not a TCP container port of the app (its TCP ports: http (80), https (443)); target one of http (80), https (443), or add 8080/TCP to app.containerPorts",
            "clusternet:services[0].ports[1].targetPort: 65536 is not a port number; use a whole number from 1 to 65535, or a container port's name",
            `clusternet:services[0].ports[2].targetPort: "Http" is not a valid port name (${rule}); use a container port's name, such as http, or its number`,
            `clusternet:services[0].ports[3].targetPort: "a-very-long-port-name" is not a valid port name (${rule}); use a container port's name, such as http, or its number`,
            `clusternet:services[0].ports[4].targetPort: "8080" is not a valid port name (${rule}); a number written as a string is read as a port name: write 8080 without quotes; use a container port's name, such as http, or its number`,
        ]);
    });

    it("requires a named targetPort to exist among the app's container ports, with the same protocol", () => {
        const ports = [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
            { name: "https", port: 443, targetPortName: "htps" },
            { name: "quic", port: 443, protocol: "UDP" as const, targetPortName: "https" },
        ];
        assert.deepEqual(lines([web({ ports })]), [
            'clusternet:services[0].ports[1].targetPort: "htps" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
            'clusternet:services[0].ports[2].targetPort: "https" names a TCP container port, but this port is UDP; Kubernetes matches named ports by name and protocol; set this port\'s protocol to TCP, or target a UDP container port',
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
            [
                "clusternet:services[0].ports[0].targetPort: 81 is not a TCP container port of the app (its TCP ports: http (80)); target one of http (80), or add 81/TCP to app.containerPorts",
                "clusternet:services[0].ports[1].targetPort: is not set, so it is the port 443, which is not a TCP container port of the app (its TCP ports: http (80)); target one of http (80), or add 443/TCP to app.containerPorts",
            ],
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
        assert.deepEqual(validateServices([spec], CLUSTER, args).map(formatProblem), [
            "args.app.readinessPortName: is set together with readinessPort, but a port is given by number or by name, not both; remove one of them",
            "args.ports[0].targetPortName: is set together with targetPort, but a port is given by number or by name, not both; remove one of them",
            'args.ports[1].targetPortName: "htps" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
            "args.ports[2].targetPort: 70000 is not a port number; use a whole number from 1 to 65535, or a container port's name as targetPortName",
        ]);
    });

    it("does not look up targetPorts of a Service without an app", () => {
        assert.deepEqual(lines([web({ app: undefined, selector: { app: "legacy" } })]), []);
    });

    it("allows nodePort only on NodePort and LoadBalancer Services", () => {
        assert.deepEqual(lines([web({ type: "ClusterIP" })]), [
            "clusternet:services[0].ports[0].nodePort: is set, but a ClusterIP Service has no node ports; the API server refuses it; remove nodePort, or make the Service type NodePort",
        ]);
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
            "clusternet:services[0].ports[0].nodePort: 29999 is outside the node port range 30000-32767 (clusternet:cluster.nodePortRange); pick a port from 30000 to 32767, or leave it out to let the cluster choose",
            "clusternet:services[0].ports[1].nodePort: 32768 is outside the node port range 30000-32767 (clusternet:cluster.nodePortRange); pick a port from 30000 to 32767, or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "31000-31999" }), [
            "clusternet:services[0].ports[0].nodePort: 30808 is outside the node port range 31000-31999 (clusternet:cluster.nodePortRange); pick a port from 31000 to 31999, or leave it out to let the cluster choose",
        ]);
    });

    it("rejects a node port used twice across the stack, and twice on one protocol of one Service", () => {
        const api = web({ name: "api", ports: [{ name: "http", port: 80, targetPortName: "http", nodePort: 30808 }] });
        assert.deepEqual(lines([web(), api]), [
            "clusternet:services[1].ports[0].nodePort: 30808 is already the node port of Service demo/web (clusternet:services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 32767 that nothing else uses, or leave it out to let the cluster choose",
        ]);
        const twice = web({
            ports: [
                { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
                { name: "https", port: 443, targetPortName: "https", nodePort: 30808 },
            ],
        });
        assert.deepEqual(lines([twice]), [
            "clusternet:services[0].ports[1].nodePort: TCP node port 30808 is also clusternet:services[0].ports[0].nodePort; pick a port from 30000 to 32767 that nothing else uses, or leave it out to let the cluster choose",
        ]);
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
        assert.deepEqual(lines([web()], CLUSTER, ingress), [
            "clusternet:ingress.controller.httpsNodePort: 30808 is already the node port of Service demo/web (clusternet:services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 32767 that nothing else uses, or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(
            lines([], CLUSTER, [
                {
                    nodePort: 80,
                    protocol: "TCP",
                    owner: "the ingress controller",
                    key: "clusternet:ingress.controller.httpNodePort",
                },
            ]),
            [
                "clusternet:ingress.controller.httpNodePort: 80 is outside the node port range 30000-32767 (clusternet:cluster.nodePortRange); pick a port from 30000 to 32767, or leave it out to let the cluster choose",
            ],
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
            message: '"30000+2767" is not a port range (the API server takes FIRST-LAST or one port)',
            fix: "write FIRST-LAST, e.g. 30000-32767",
        });
        // Go's strconv.Atoi takes leading zeros; spaces only around the whole range; one port is a range of one.
        assert.deepEqual(parseNodePortRange("030000-32767"), { ok: true, value: { first: 30000, last: 32767 } });
        assert.deepEqual(parseNodePortRange(" 30000-32767 "), { ok: true, value: { first: 30000, last: 32767 } });
        assert.deepEqual(parseNodePortRange("30100"), { ok: true, value: { first: 30100, last: 30100 } });
        assert.deepEqual(parseNodePortRange("30000 - 32767").ok, false);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "32767-30000" }), [
            'clusternet:cluster.nodePortRange: "32767-30000" starts after it ends; write 30000-32767',
        ]);
        assert.deepEqual(lines([web()], { ...CLUSTER, nodePortRange: "30000-70000" }), [
            'clusternet:cluster.nodePortRange: "30000-70000" goes beyond port 65535; keep both ends within 1-65535, e.g. 30000-32767',
        ]);
    });
});

describe("validateServices: headless and cluster IPs", () => {
    it("rejects headless NodePort and LoadBalancer Services, and a headless Service with a cluster IP", () => {
        assert.deepEqual(lines([web({ headless: true })]), [
            "clusternet:services[0].headless: a headless Service (clusterIP None) cannot be of type NodePort; the API server refuses it; use type ClusterIP for a headless Service, or make it not headless",
        ]);
        assert.deepEqual(
            lines([
                web({
                    type: "ClusterIP",
                    headless: true,
                    clusterIP: "10.96.0.50",
                    ports: [{ name: "http", port: 80, targetPortName: "http" }],
                }),
            ]),
            [
                'clusternet:services[0].clusterIP: is set, but a headless Service has no cluster IP ("None"); remove clusterIP, or drop headless',
            ],
        );
    });

    it("keeps a pinned cluster IP inside the Service CIDR and off the addresses Kubernetes keeps", () => {
        const at = (clusterIP: string): string[] => lines([web({ clusterIP })]);
        assert.deepEqual(at("10.95.255.254"), [
            'clusternet:services[0].clusterIP: 10.95.255.254 is outside the Service CIDR 10.96.0.0/12; the API server refuses it ("provided IP is not in the valid range"); pick an address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or leave it out to let the cluster choose',
        ]);
        assert.deepEqual(at("10.96.0.0"), [
            "clusternet:services[0].clusterIP: 10.96.0.0 is the network address of the Service CIDR 10.96.0.0/12, which the API server never assigns; pick another address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(at("10.111.255.255"), [
            "clusternet:services[0].clusterIP: 10.111.255.255 is the broadcast address of the Service CIDR 10.96.0.0/12, which the API server never assigns; pick another address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(at("10.96.0.1"), [
            "clusternet:services[0].clusterIP: 10.96.0.1 is the kubernetes Service's IP (the first address of 10.96.0.0/12, the API server's own); pick another address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(at("10.96.0.10"), [
            "clusternet:services[0].clusterIP: 10.96.0.10 is the cluster DNS Service's IP (the 10th address of 10.96.0.0/12, where kubeadm puts kube-dns); pick another address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(at("010.96.0.50"), [
            'clusternet:services[0].clusterIP: "010.96.0.50" is not an IPv4 or IPv6 address; write an IP address inside the Service CIDR',
        ]);
        assert.deepEqual(at("None"), [
            'clusternet:services[0].clusterIP: "None" is how Kubernetes spells a headless Service; write headless: true instead',
        ]);
        assert.deepEqual(at("fd00:10:96::50"), [
            "clusternet:services[0].clusterIP: fd00:10:96::50 is IPv6, but the cluster has no IPv6 Service CIDR, so the API server cannot allocate it; pick an address inside 10.96.0.0/12 (clusternet:cluster.serviceCidr), or give the cluster an IPv6 Service CIDR",
        ]);
        assert.deepEqual(at("10.96.0.11"), []);
    });

    it("checks IPv6 cluster IPs against the IPv6 Service CIDR, whose last address is usable", () => {
        const v6: ServiceClusterSpec = { ...CLUSTER, serviceCidr: undefined, serviceCidrV6: "fd00:10:96::/112" };
        assert.deepEqual(lines([web({ clusterIP: "fd00:10:96::ffff" })], v6), []);
        assert.deepEqual(lines([web({ clusterIP: "fd00:10:96::a" })], v6), [
            "clusternet:services[0].clusterIP: fd00:10:96::a is the cluster DNS Service's IP (the 10th address of fd00:10:96::/112, where kubeadm puts kube-dns); pick another address inside fd00:10:96::/112 (clusternet:cluster.serviceCidrV6), or leave it out to let the cluster choose",
        ]);
        assert.deepEqual(lines([web({ clusterIP: "10.96.0.50" })], v6), [
            "clusternet:services[0].clusterIP: 10.96.0.50 is IPv4, but the cluster has no IPv4 Service CIDR, so the API server cannot allocate it; pick an address inside fd00:10:96::/112 (clusternet:cluster.serviceCidrV6), or give the cluster an IPv4 Service CIDR",
        ]);
    });

    it("rejects one pinned cluster IP on two Services", () => {
        const api = web({
            name: "api",
            clusterIP: "10.96.0.50",
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        assert.deepEqual(lines([web({ clusterIP: "10.96.0.50" }), api]), [
            "clusternet:services[1].clusterIP: 10.96.0.50 is also the clusterIP of clusternet:services[0] (Service demo/web); cluster IPs are unique across the cluster; pick another address, or leave clusterIP out to let the cluster choose",
        ]);
    });
});

describe("validateServices: app and selector", () => {
    it("rejects a Service with neither app nor selector: it would never have endpoints", () => {
        assert.deepEqual(lines([web({ app: undefined })]), [
            "clusternet:services[0]: Service demo/web has neither app nor selector, so it selects no pods and never has endpoints; add app (a Deployment made with the Service) or selector (the labels of pods that exist)",
        ]);
    });

    it("rejects a selector beside an app, an empty selector and bad labels", () => {
        assert.deepEqual(lines([web({ selector: { app: "web" } })]), [
            "clusternet:services[0].selector: is set together with app, whose labels are the selector; remove selector (or app, to select pods that exist already)",
        ]);
        assert.deepEqual(lines([web({ app: undefined, selector: {} })]), [
            "clusternet:services[0].selector: is empty, and a Service with an empty selector manages no endpoints; list the labels of the pods to select, e.g. { app: web }",
        ]);
        assert.deepEqual(lines([web({ app: undefined, selector: { "bad key": "x", app: "-web" } })]), [
            'clusternet:services[0].selector: "bad key" is not a valid label key; write NAME or PREFIX/NAME, e.g. app or app.kubernetes.io/name',
            "clusternet:services[0].selector.app: \"-web\" is not a valid label value; use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
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
                'clusternet:services[0].app.containerPorts[1].name: "http" is also the name of containerPorts[0]; give every container port its own name',
                "clusternet:services[0].app.containerPorts[2].name: \"HTTPS\" is not a valid container port name (an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row); use a short name such as http, https or metrics",
                "clusternet:services[0].app.containerPorts[3].port: 0 is not a port number; use a whole number from 1 to 65535",
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
                'clusternet:services[0].app.image: "nginx" is not pinned (no tag, so latest): nodes may run different versions and a restart may upgrade it; pin a version or digest, e.g. nginx:1.2.3 or nginx@sha256:...',
                "clusternet:services[0].app.replicas: -1 is not a replica count; use a whole number, 0 or more",
                "clusternet:services[0].app.readyTimeoutSeconds: 0 is not a timeout; use a whole number of seconds, at least 1",
                'clusternet:services[0].app.readinessPath: "healthz" is not an absolute path; start it with /, e.g. /healthz',
                'clusternet:services[0].app.readinessPort: "health" is not the name of a container port of the app; use one of http, or a port number',
                'clusternet:services[0].app.resources.requests.cpu: "lots" is not a Kubernetes quantity; write e.g. 100m or 0.5 (CPU), 128Mi or 1Gi (memory)',
                'clusternet:services[0].app.resources.limits.memory: "-1" is not a Kubernetes quantity; write e.g. 100m or 0.5 (CPU), 128Mi or 1Gi (memory)',
                "clusternet:services[0].app.env: \"A=B\" is not a valid environment variable name; use printable characters without '=', e.g. LOG_LEVEL",
            ],
        );
        assert.deepEqual(lines([web({ app: { ...web().app!, image: "registry.local:5000/nginx:latest" } })]), [
            'clusternet:services[0].app.image: "registry.local:5000/nginx:latest" is not pinned (the latest tag): nodes may run different versions and a restart may upgrade it; pin a version or digest, e.g. registry.local:5000/nginx:1.2.3 or registry.local:5000/nginx@sha256:...',
        ]);
        assert.deepEqual(lines([web({ app: { ...web().app!, image: " " } })]), [
            "clusternet:services[0].app.image: is empty; set a container image pinned by tag or digest, e.g. nginx:1.27.5",
        ]);
    });

    it("does not probe UDP ports", () => {
        const app = {
            image: "coredns/coredns:1.12.0",
            containerPorts: [{ name: "dns", port: 53, protocol: "UDP" as const }],
            readinessPortName: "dns",
        };
        assert.deepEqual(
            lines([{ name: "dns", app, ports: [{ name: "dns", port: 53, protocol: "UDP", targetPortName: "dns" }] }]),
            [
                'clusternet:services[0].app.readinessPort: "dns" is a UDP port, but readiness probes connect over TCP; probe a TCP port',
            ],
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
            [
                "clusternet:services[0].app.readinessPath: needs a TCP port to probe, and the app has none; set readinessPort, or drop readinessPath",
            ],
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
        assert.deepEqual(lines([web(), api]), [
            "clusternet:services[1].createNamespace: says namespace demo exists already, but clusternet:services[0] asks the stack to create it; set createNamespace the same way on every Service in namespace demo",
        ]);
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
            'clusternet:services[0].type: "External" is not a Service type; the API server refuses it ("Unsupported value"); use one of ClusterIP, NodePort, LoadBalancer',
            'clusternet:services[0].app.containerPorts[0].protocol: "tcp" is not a protocol; use TCP, UDP or SCTP',
            'clusternet:services[0].ports[0].protocol: "HTTP" is not a protocol; the API server takes only TCP, UDP, SCTP (upper case); use TCP, UDP or SCTP',
            "clusternet:services[0].ports[0].port: 70000 is not a port number; use a whole number from 1 to 65535",
            "clusternet:services[0].ports[0].nodePort: 1.5 is not a port number; use a whole number from 1 to 65535, inside the node port range",
        ]);
        assert.deepEqual(lines([{ name: "web", selector: { app: "x" }, ports: [] }]), [
            "clusternet:services[0].ports: has no ports; add at least one port, e.g. { name: http, port: 80 }",
        ]);
    });

    it("reports a bad Service CIDR under the cluster key", () => {
        assert.deepEqual(lines([web()], { ...CLUSTER, serviceCidr: "10.96.0.1/12" }), [
            'clusternet:cluster.serviceCidr: "10.96.0.1/12" has host bits set beyond the /12 prefix; write 10.96.0.0/12',
        ]);
    });
});
