import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { portMapJson } from "../cli/plan-format";
import { STACK_KEYS } from "../components/common";
import { planNetwork } from "../components/plan";
import {
    AppServiceSpec,
    PortMapCluster,
    findServiceBackend,
    portMapOf,
    resolveService,
    serviceClusterOf,
    servicePortMaps,
} from "../components/services";
import { web } from "./helpers/services";

const NODES: PortMapCluster = {
    nodes: [
        { name: "cp-1", ip: "192.168.56.10" },
        { name: "worker-1", ip: "192.168.56.11" },
    ],
    loadBalancer: false,
};

describe("portMapOf", () => {
    it("maps a NodePort Service once through its first node, counting the nodes, resolving named targetPorts and leaving unknowns as placeholders (keys left out)", () => {
        assert.deepEqual(portMapOf(resolveService(web()), NODES), [
            {
                service: "web",
                namespace: "demo",
                type: "NodePort",
                headless: false,
                portName: "http",
                protocol: "TCP",
                nodePort: 30808,
                port: 8080,
                targetPort: 80,
                targetPortName: "http",
                nodeCount: 2,
                chains: ["client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80"],
            },
            {
                service: "web",
                namespace: "demo",
                type: "NodePort",
                headless: false,
                portName: "https",
                protocol: "TCP",
                port: 443,
                targetPort: 443,
                targetPortName: "https",
                nodeCount: 2,
                chains: ["client -> 192.168.56.10:<nodePort> -> <clusterIP>:443 -> <podIP>:443"],
            },
        ]);
    });

    it("fills in what the cluster picked after deployment", () => {
        const live = {
            clusterIP: "10.100.12.7",
            ports: [
                { port: 8080, protocol: "TCP", nodePort: 30808 },
                { port: 443, protocol: "TCP", nodePort: 31443 },
            ],
        };
        const entries = portMapOf(resolveService(web()), NODES, live);
        assert.deepEqual(
            entries.map((entry) => [entry.clusterIP, entry.nodePort, entry.chains[0]]),
            [
                ["10.100.12.7", 30808, "client -> 192.168.56.10:30808 -> 10.100.12.7:8080 -> <podIP>:80"],
                ["10.100.12.7", 31443, "client -> 192.168.56.10:31443 -> 10.100.12.7:443 -> <podIP>:443"],
            ],
        );
    });

    it("maps a ClusterIP Service from inside the cluster, with a pinned IP and numeric targetPorts", () => {
        const spec = web({
            type: "ClusterIP",
            clusterIP: "10.96.0.50",
            ports: [
                { name: "http", port: 80, targetPort: 80 },
                { name: "alt", port: 8443, targetPort: 443 },
            ],
        });
        const entries = portMapOf(resolveService(spec), NODES, { clusterIP: "10.96.0.99" });
        assert.ok(
            entries.every((entry) => !("nodePort" in entry) && !("targetPortName" in entry) && !("nodeCount" in entry)),
            "no node port, no port name, no nodes: the keys are left out",
        );
        assert.deepEqual(
            entries.map((entry) => ({
                clusterIP: entry.clusterIP,
                nodePort: entry.nodePort,
                targetPort: entry.targetPort,
                targetPortName: entry.targetPortName,
                chains: entry.chains,
            })),
            [
                {
                    clusterIP: "10.96.0.50",
                    nodePort: undefined,
                    targetPort: 80,
                    targetPortName: undefined,
                    chains: ["pod -> 10.96.0.50:80 -> <podIP>:80"],
                },
                {
                    clusterIP: "10.96.0.50",
                    nodePort: undefined,
                    targetPort: 443,
                    targetPortName: undefined,
                    chains: ["pod -> 10.96.0.50:8443 -> <podIP>:443"],
                },
            ],
        );
    });

    it("defaults targetPort to port, keeps a name when no app declares it, and handles headless Services", () => {
        const selectorOnly: AppServiceSpec = {
            name: "legacy",
            selector: { app: "legacy" },
            ports: [
                { name: "http", port: 80, targetPortName: "http" },
                { name: "raw", port: 9000 },
            ],
        };
        assert.deepEqual(
            portMapOf(resolveService(selectorOnly), NODES).map((entry) => [
                entry.targetPort,
                entry.targetPortName,
                entry.chains,
            ]),
            [
                [undefined, "http", ["pod -> <clusterIP>:80 -> <podIP>:http"]],
                [9000, undefined, ["pod -> <clusterIP>:9000 -> <podIP>:9000"]],
            ],
        );
        const headless = web({
            type: "ClusterIP",
            headless: true,
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        });
        const [entry] = portMapOf(resolveService(headless), NODES);
        assert.equal(entry!.clusterIP, "None");
        assert.deepEqual(entry!.chains, ["pod -> <podIP>:80"]);
    });

    it("is written into the plan's JSON as it always was: every key in order, null where left out, a name-only targetPort as its name", () => {
        const selectorOnly: AppServiceSpec = {
            name: "legacy",
            selector: { app: "legacy" },
            ports: [{ name: "http", port: 80, targetPortName: "http" }, { port: 9000 }],
        };
        const [named, bare] = portMapOf(resolveService(selectorOnly), NODES).map(portMapJson);
        assert.deepEqual(Object.keys(named!), [
            "service",
            "namespace",
            "type",
            "headless",
            "portName",
            "protocol",
            "clusterIP",
            "nodePort",
            "port",
            "targetPort",
            "targetPortName",
            "nodeCount",
            "chains",
        ]);
        assert.deepEqual(
            [named!.portName, named!.clusterIP, named!.nodePort, named!.targetPort, named!.targetPortName],
            ["http", null, null, "http", "http"],
        );
        assert.deepEqual([bare!.portName, bare!.targetPort, bare!.targetPortName], [null, 9000, null]);
    });

    it("adds the load balancer's chain only when the cluster has a provider, and brackets IPv6", () => {
        const lb = resolveService(
            web({
                type: "LoadBalancer",
                ports: [{ name: "http", port: 8080, targetPortName: "http", nodePort: 30808 }],
            }),
        );
        assert.deepEqual(portMapOf(lb, NODES)[0]!.chains, [
            "client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80",
        ]);
        assert.deepEqual(
            portMapOf(
                lb,
                { nodes: [{ name: "v6", ip: "fd00::10" }], loadBalancer: true },
                { loadBalancerAddress: "192.168.56.200", clusterIP: "fd00:10:96::7" },
            )[0]!.chains,
            [
                "client -> 192.168.56.200:8080 -> [fd00:10:96::7]:8080 -> <podIP>:80",
                "client -> [fd00::10]:30808 -> [fd00:10:96::7]:8080 -> <podIP>:80",
            ],
        );
        const unknownNodes = portMapOf(lb, { nodes: [], loadBalancer: true })[0]!;
        assert.deepEqual(unknownNodes.chains, [
            "client -> <loadBalancerIP>:8080 -> <clusterIP>:8080 -> <podIP>:80",
            "client -> <nodeIP>:30808 -> <clusterIP>:8080 -> <podIP>:80",
        ]);
        assert.equal(unknownNodes.nodeCount, 0);
    });

    it("maps a stack's Services with the node IPs of its address plan", () => {
        const planned = planNetwork(
            {
                cluster: { podCidr: "10.244.0.0/16" },
                nodes: [
                    { name: "a", ip: "192.168.56.10" },
                    { name: "b", ip: "192.168.56.11" },
                    { name: "c", ip: "192.168.56.12" },
                ],
            },
            STACK_KEYS,
        );
        assert.ok(planned.ok);
        const maps = servicePortMaps([web()], serviceClusterOf(planned.value, {}));
        assert.deepEqual(maps[0]!.chains, ["client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80"]);
        assert.equal(maps[0]!.nodeCount, 3);
    });

    it("grows with nodes + ports, not nodes x ports: one chain per way in, whatever the number of nodes", () => {
        const service = resolveService(web());
        const many = (count: number): PortMapCluster => ({
            nodes: Array.from({ length: count }, (_, i) => ({ name: `n${i}`, ip: `10.0.${i >> 8}.${i & 255}` })),
            loadBalancer: true,
        });
        const small = portMapOf(service, many(1));
        const large = portMapOf(service, many(5000));
        assert.deepEqual(
            large.map((entry) => entry.chains),
            small.map((entry) => entry.chains),
        );
        assert.deepEqual(
            large.map((entry) => entry.nodeCount),
            [5000, 5000],
        );
    });
});

describe("findServiceBackend", () => {
    const services = [
        web(),
        web({ namespace: "prod" }),
        web({
            name: "api",
            namespace: "prod",
            type: "ClusterIP",
            ports: [{ name: "http", port: 80, targetPortName: "http" }],
        }),
    ];

    it("finds a port by name or number, with the numbers resolved", () => {
        assert.deepEqual(findServiceBackend(services, { service: "api", port: "http" }), {
            ok: true,
            value: {
                serviceIndex: 2,
                portIndex: 0,
                service: "api",
                namespace: "prod",
                type: "ClusterIP",
                headless: false,
                portName: "http",
                protocol: "TCP",
                port: 80,
                targetPort: 80,
                nodePort: null,
            },
        });
        const byNumber = findServiceBackend(services, { service: "web", namespace: "demo", port: 8080 });
        assert.ok(byNumber.ok);
        assert.deepEqual(
            [byNumber.value.serviceIndex, byNumber.value.portName, byNumber.value.targetPort, byNumber.value.nodePort],
            [0, "http", 80, 30808],
        );
    });

    it("explains what is missing or ambiguous", () => {
        assert.deepEqual(findServiceBackend(services, { service: "web", port: "http" }), {
            ok: false,
            problems: [
                {
                    key: "service",
                    message: '"web" names Services in several namespaces (demo/web, prod/web)',
                    fix: "add namespace to say which one",
                },
            ],
        });
        assert.deepEqual(findServiceBackend(services, { service: "shop", port: 80 }), {
            ok: false,
            problems: [
                {
                    key: "service",
                    message: 'there is no Service "shop" in the stack\'s Services',
                    fix: "name one of demo/web, prod/web, prod/api, or add it to clusternet:services",
                },
            ],
        });
        assert.deepEqual(findServiceBackend(services, { service: "api", port: 8080 }), {
            ok: false,
            problems: [
                {
                    key: "port",
                    message: "Service prod/api has no port 8080",
                    fix: "use one of its ports: http (80)",
                },
            ],
        });
    });
});
