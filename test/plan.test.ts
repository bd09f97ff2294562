import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../components/common";
import {
    ClusterSpec,
    IpFamily,
    NodeSpec,
    PlanInput,
    formatAddress,
    lowestFreeBlock,
    nodeSubnetsOf,
    parseAddress,
    parseCidr,
    planNetwork,
    sweepOverlaps,
} from "../components/plan";

const DEV: PlanInput = {
    cluster: {
        name: "lab",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.96.0.0/12",
        nodeNetwork: "192.168.56.0/24",
        reserved: [{ name: "office-vpn", cidr: "10.8.0.0/16" }],
    },
    nodes: [
        { name: "cp-1", ip: "192.168.56.10", podCidr: "10.244.0.0/24" },
        { name: "worker-1", ip: "192.168.56.11" },
        { name: "worker-2", ip: "192.168.56.12" },
    ],
};

function plan(input: PlanInput) {
    const result = planNetwork(input);
    if (!result.ok) {
        assert.fail(`expected a plan, got:\n${result.problems.map(formatProblem).join("\n")}`);
    }
    return result.value;
}

function problemLines(input: PlanInput): string[] {
    const result = planNetwork(input);
    assert.equal(result.ok, false, "expected problems");
    return result.ok ? [] : result.problems.map(formatProblem);
}

function withCluster(cluster: Partial<ClusterSpec>, nodes: NodeSpec[] = [...DEV.nodes]): PlanInput {
    return { cluster: { ...DEV.cluster, ...cluster }, nodes };
}

describe("parseCidr", () => {
    it("accepts canonical IPv4 and IPv6 CIDRs", () => {
        for (const text of [
            "10.244.0.0/16",
            "0.0.0.0/0",
            "192.168.56.10/32",
            "fd00:10:244::/56",
            "::/0",
            "2001:db8::1:0:0:1/128",
            "fd00:0:0:1::/64",
        ]) {
            const parsed = parseCidr(text);
            assert.ok(parsed.ok, `${text}: ${parsed.ok ? "" : formatProblem(parsed.problems[0]!)}`);
        }
    });

    const rejected: Array<[string, RegExp]> = [
        ["10.244.0.0", /is not a CIDR; write an address and a prefix length/],
        ["10.244.0.0/16/2", /is not a CIDR/],
        ["10.244.0.1/16", /has host bits set beyond the \/16 prefix; write 10\.244\.0\.0\/16/],
        ["10.244.0.0/08", /invalid prefix length "08"; write 10\.244\.0\.0\/8$/],
        ["10.244.0.0/33", /invalid prefix length "33"/],
        ["10.244.0.0/-1", /invalid prefix length/],
        ["10.244.0.0/", /invalid prefix length ""/],
        [
            "010.244.0.0/16",
            /has leading zeros, which Kubernetes refuses \(some tools read them as octal\); write 10\.244\.0\.0\/16$/,
        ],
        ["10.244.0/16", /is not an IPv4 or IPv6 address/],
        ["256.0.0.0/8", /is not an IPv4 or IPv6 address/],
        [" 10.244.0.0/16", /is not an IPv4 or IPv6 address/],
        ["FD00:10:244::/56", /is not in canonical form; write fd00:10:244::\/56/],
        ["fd00:10:244:0::/56", /is not in canonical form; write fd00:10:244::\/56/],
        ["fd00:0010:244::/56", /is not in canonical form; write fd00:10:244::\/56/],
        ["fd00:10:244::/129", /invalid prefix length "129"/],
        ["::ffff:a00:0/104", /IPv4-mapped IPv6 address, which Kubernetes rejects/],
        ["fd00::1/56", /has host bits set beyond the \/56 prefix; write fd00::\/56/],
        ["zz::/8", /is not an IPv6 address/],
    ];
    for (const [text, expected] of rejected) {
        it(`rejects ${JSON.stringify(text)}`, () => {
            const parsed = parseCidr(text);
            assert.equal(parsed.ok, false);
            if (!parsed.ok) {
                assert.match(formatProblem(parsed.problems[0]!), expected);
            }
        });
    }
});

describe("parseAddress and formatAddress", () => {
    it("prints IPv6 in RFC 5952 form", () => {
        const cases: Array<[bigint, string]> = [
            [0n, "::"],
            [1n, "::1"],
            [0x2001_0db8_0000_0000_0001_0000_0000_0001n, "2001:db8::1:0:0:1"],
            [0x2001_0db8_0000_0001_0001_0001_0001_0001n, "2001:db8:0:1:1:1:1:1"],
            [0xfd00_0000_0000_0000_0000_0000_0000_0000n, "fd00::"],
            [0x0000_0000_0000_0000_0000_0000_0001_0000n, "::1:0"],
        ];
        for (const [value, text] of cases) {
            assert.equal(formatAddress(IpFamily.IPv6, value), text);
        }
    });

    it("accepts only canonical addresses", () => {
        assert.ok(parseAddress("192.168.56.11").ok);
        assert.ok(parseAddress("fd00::1").ok);
        const upper = parseAddress("FD00::1");
        assert.equal(upper.ok, false);
        assert.match(upper.ok ? "" : formatProblem(upper.problems[0]!), /not in canonical form; write fd00::1/);
        assert.equal(parseAddress("192.168.056.1").ok, false);
        assert.equal(parseAddress("192.168.56").ok, false);
        assert.equal(parseAddress("").ok, false);
    });
});

describe("planNetwork on the dev lab", () => {
    const dev = plan(DEV);

    it("keeps the pin and gives the others the lowest free /24s", () => {
        assert.deepEqual(
            dev.nodes.map((node) => [node.name, node.podCidr, node.podCidrSource]),
            [
                ["cp-1", "10.244.0.0/24", "pinned"],
                ["worker-1", "10.244.1.0/24", "allocated"],
                ["worker-2", "10.244.2.0/24", "allocated"],
            ],
        );
    });

    it("derives cni0's gateway and flannel.1's VTEP address per node", () => {
        assert.deepEqual(
            dev.nodes.map((node) => [node.gateway, node.vtep]),
            [
                ["10.244.0.1", "10.244.0.0"],
                ["10.244.1.1", "10.244.1.0"],
                ["10.244.2.1", "10.244.2.0"],
            ],
        );
        assert.ok(dev.nodes.every((node) => node.podCidrV6 === null && node.gatewayV6 === null));
    });

    it("places the kubernetes Service on the first and DNS on the 10th Service address", () => {
        assert.equal(dev.kubernetesServiceIp, "10.96.0.1");
        assert.equal(dev.dnsServiceIp, "10.96.0.10");
        assert.equal(dev.kubernetesServiceIpV6, null);
    });

    it("reports capacity", () => {
        assert.deepEqual(dev.capacity.ipv4, {
            podCidr: "10.244.0.0/16",
            nodeMaskSize: 24,
            maxNodes: 256,
            podsPerNode: 253,
            used: 3,
            free: 253,
            usedPercent: 1.2,
            retired: 0,
        });
        assert.equal(dev.capacity.ipv6, null);
        assert.deepEqual(dev.warnings, []);
    });

    it("defaults the Service CIDR to 10.96.0.0/12 and the node mask to /24", () => {
        const defaults = plan({ cluster: { podCidr: "10.244.0.0/16" }, nodes: [{ name: "a", ip: "192.168.1.1" }] });
        assert.equal(defaults.cluster.serviceCidr, "10.96.0.0/12");
        assert.equal(defaults.cluster.nodeMaskSize, 24);
        assert.equal(defaults.cluster.name, "lab");
    });
});

describe("planNetwork across families", () => {
    it("plans an IPv6-only cluster", () => {
        const v6 = plan({
            cluster: { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
            nodes: [
                { name: "a", ip: "fd00::1" },
                { name: "b", ip: "fd00::2" },
            ],
        });
        assert.deepEqual(v6.cluster.families, ["IPv6"]);
        assert.equal(v6.cluster.serviceCidr, null, "no IPv4 default in an IPv6-only cluster");
        assert.deepEqual(
            v6.nodes.map((node) => [node.podCidrV6, node.gatewayV6, node.vtep]),
            [
                ["fd00:10:244::/64", "fd00:10:244::1", null],
                ["fd00:10:244:1::/64", "fd00:10:244:1::1", null],
            ],
        );
        assert.equal(v6.kubernetesServiceIpV6, "fd00:10:96::1");
        assert.equal(v6.dnsServiceIpV6, "fd00:10:96::a");
        assert.equal(v6.capacity.ipv6?.podsPerNode, "18446744073709551614", "counts past 2^53 are strings");
    });

    it("plans a dual-stack cluster, one subnet per family per node", () => {
        const dual = plan({
            cluster: { podCidr: "10.244.0.0/16", podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
            nodes: [
                { name: "a", ip: "192.168.1.1", podCidrV6: "fd00:10:244:7::/64" },
                { name: "b", ip: "192.168.1.2" },
            ],
        });
        assert.deepEqual(dual.cluster.families, ["IPv4", "IPv6"]);
        assert.deepEqual(
            dual.nodes.map((node) => [node.podCidr, node.podCidrV6, node.podCidrV6Source]),
            [
                ["10.244.0.0/24", "fd00:10:244:7::/64", "pinned"],
                ["10.244.1.0/24", "fd00:10:244::/64", "allocated"],
            ],
        );
        assert.deepEqual(dual.warnings, []);
    });

    it("warns when a dual-stack cluster has no IPv6 Service CIDR", () => {
        const dual = plan({
            cluster: { podCidr: "10.244.0.0/16", podCidrV6: "fd00:10:244::/56" },
            nodes: [{ name: "a", ip: "192.168.1.1" }],
        });
        assert.deepEqual(dual.warnings, [
            "clusternet:cluster.serviceCidrV6: the cluster is dual-stack but has no IPv6 Service CIDR, so Services stay IPv4-only; set serviceCidrV6, e.g. fd00:10:96::/112",
        ]);
    });
});

describe("planNetwork stability", () => {
    it("keeps every node's previous subnet when nodes are added, removed or reordered", () => {
        const first = plan(DEV);
        const previous = nodeSubnetsOf(first);
        const next = plan({
            cluster: DEV.cluster,
            nodes: [
                { name: "worker-2", ip: "192.168.56.12" },
                { name: "a-new", ip: "192.168.56.20" },
                { name: "cp-1", ip: "192.168.56.10", podCidr: "10.244.0.0/24" },
            ],
            previous,
        });
        assert.deepEqual(
            next.nodes.map((node) => [node.name, node.podCidr, node.podCidrSource]),
            [
                ["worker-2", "10.244.2.0/24", "previous"],
                // worker-1 was removed but its Node may still hold 10.244.1.0/24: retired, not handed out again.
                ["a-new", "10.244.3.0/24", "allocated"],
                ["cp-1", "10.244.0.0/24", "pinned"],
            ],
        );
        assert.deepEqual(next.retired, [{ name: "worker-1", podCidr: "10.244.1.0/24", podCidrV6: null }]);
    });

    it("refuses a pin that would move an existing node, naming the node and both subnets", () => {
        const lines = problemLines({
            cluster: DEV.cluster,
            nodes: [{ name: "worker-1", ip: "192.168.56.11", podCidr: "10.244.9.0/24" }],
            previous: { "worker-1": { podCidr: "10.244.1.0/24" } },
        });
        assert.deepEqual(lines, [
            'clusternet:nodes[0].podCidr: node "worker-1" already has 10.244.1.0/24; pinning 10.244.9.0/24 would move it, and Node.spec.podCIDR is immutable; pin 10.244.1.0/24 or remove the pin (to move it, drain, delete and re-join the node, then plan again)',
        ]);
    });

    it("refuses a new pod CIDR that would move existing nodes", () => {
        const lines = problemLines({
            cluster: { ...DEV.cluster, podCidr: "10.245.0.0/16" },
            nodes: [{ name: "worker-1", ip: "192.168.56.11" }],
            previous: { "worker-1": { podCidr: "10.244.1.0/24" } },
        });
        assert.equal(lines.length, 1);
        assert.match(
            lines[0]!,
            /^clusternet:cluster\.podCidr: node "worker-1" already has 10\.244\.1\.0\/24 \(previous allocation\["worker-1"\]\.podCidr\), which is not a \/24 inside 10\.245\.0\.0\/16/,
        );
    });

    it("refuses a pin that takes another node's remembered subnet", () => {
        const lines = problemLines({
            cluster: DEV.cluster,
            nodes: [
                { name: "a", ip: "192.168.56.20", podCidr: "10.244.1.0/24" },
                { name: "worker-1", ip: "192.168.56.11" },
            ],
            previous: { "worker-1": { podCidr: "10.244.1.0/24" } },
        });
        assert.deepEqual(lines, [
            'clusternet:nodes[0].podCidr: 10.244.1.0/24 already belongs to node "worker-1"; pinning it here would move that node\'s subnet; pin a free /24 instead',
        ]);
    });

    it("reports a corrupt previous allocation by its source", () => {
        const lines = problemLines({
            cluster: DEV.cluster,
            nodes: [{ name: "a", ip: "192.168.56.20" }],
            previous: { a: { podCidr: "10.244.1.1/24" } },
        });
        assert.match(lines[0]!, /^previous allocation\["a"\]\.podCidr: "10\.244\.1\.1\/24" has host bits set/);
    });
});

describe("planNetwork refuses bad input, one line per problem", () => {
    const cases: Array<[string, PlanInput, string[]]> = [
        [
            "no pod CIDR",
            { cluster: { serviceCidr: "10.96.0.0/12" }, nodes: [{ name: "a", ip: "192.168.1.1" }] },
            [
                "clusternet:cluster.podCidr: no pod CIDR is set; set podCidr (IPv4, e.g. 10.244.0.0/16) and/or podCidrV6 (IPv6, e.g. fd00:10:244::/56)",
            ],
        ],
        [
            "an IPv6 range as podCidr",
            withCluster({ podCidr: "fd00:10:244::/56" }),
            ["clusternet:cluster.podCidr: fd00:10:244::/56 is IPv6, but this key takes IPv4; move it to podCidrV6"],
        ],
        [
            "an IPv4 range as podCidrV6",
            withCluster({ podCidrV6: "10.245.0.0/16" }),
            ["clusternet:cluster.podCidrV6: 10.245.0.0/16 is IPv4, but this key takes IPv6; move it to podCidr"],
        ],
        [
            "a node mask shorter than the pod CIDR",
            withCluster({ nodeMaskSize: 12 }),
            [
                "clusternet:cluster.nodeMaskSize: /12 node subnets do not fit in the /16 pod CIDR 10.244.0.0/16; use a node mask of at least 18",
            ],
        ],
        [
            "a node mask over 16 bits longer",
            withCluster({ podCidr: "172.16.0.0/12", nodeMaskSize: 30 }),
            [
                "clusternet:cluster.nodeMaskSize: /30 is 18 bits longer than the pod CIDR's /12; Kubernetes allows at most 16; use a node mask of at most 28, or a smaller pod CIDR",
            ],
        ],
        [
            "a node mask with no room for pods",
            withCluster({ podCidr: "10.244.0.0/24", nodeMaskSize: 31 }),
            [
                "clusternet:cluster.nodeMaskSize: a /31 node subnet leaves no address for a pod after the network address and cni0's gateway; use a node mask of at most 30",
            ],
        ],
        [
            "a node mask that is not a prefix",
            withCluster({ nodeMaskSize: 40 }),
            ["clusternet:cluster.nodeMaskSize: 40 is not a prefix length; use a whole number up to 32"],
        ],
        [
            "a Service CIDR too large",
            withCluster({ serviceCidr: "10.0.0.0/8", reserved: [] }),
            [
                "clusternet:cluster.serviceCidr: 10.0.0.0/8 has 24 host bits; Kubernetes allows at most 20; use a /12 or smaller range",
            ],
        ],
        [
            "a Service CIDR with no room for DNS",
            withCluster({ serviceCidr: "10.96.0.0/29" }),
            [
                "clusternet:cluster.serviceCidr: 10.96.0.0/29 has no room for the cluster DNS IP (its 10th address); use a /28 or larger range",
            ],
        ],
        [
            "an IPv6 Service CIDR too large",
            {
                cluster: { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/64" },
                nodes: [{ name: "a", ip: "fd00::1" }],
            },
            [
                "clusternet:cluster.serviceCidrV6: fd00:10:96::/64 has 64 host bits; Kubernetes allows at most 20; use a /108 or smaller range",
            ],
        ],
        [
            "an IPv6 Service CIDR in an IPv4 cluster",
            withCluster({ serviceCidrV6: "fd00:10:96::/112" }),
            [
                "clusternet:cluster.serviceCidrV6: the cluster has no IPv6 pod CIDR, so IPv6 Services could not reach pods; remove serviceCidrV6, or set podCidrV6",
            ],
        ],
        [
            "an IPv6-only cluster without IPv6 Services",
            { cluster: { podCidrV6: "fd00:10:244::/56" }, nodes: [{ name: "a", ip: "fd00::1" }] },
            [
                "clusternet:cluster.serviceCidrV6: an IPv6-only cluster needs an IPv6 Service CIDR; set serviceCidrV6, e.g. fd00:10:96::/112",
            ],
        ],
        [
            "a bad cluster name",
            withCluster({ name: "Lab_1" }),
            [
                "clusternet:cluster.name: \"Lab_1\" is not a DNS-1123 label; use lowercase letters, digits and '-', at most 63 characters, e.g. lab",
            ],
        ],
        [
            "the Service CIDR overlapping the pod CIDR",
            withCluster({ serviceCidr: "10.244.0.0/16" }),
            [
                "clusternet:cluster.serviceCidr: the Service CIDR 10.244.0.0/16 overlaps the pod CIDR 10.244.0.0/16 (clusternet:cluster.podCidr); choose a range that overlaps nothing else, e.g. write 10.0.0.0/16",
            ],
        ],
        [
            "a reserved range overlapping the pod CIDR",
            withCluster({ reserved: [{ name: "vpn", cidr: "10.244.128.0/17" }] }),
            [
                "clusternet:cluster.podCidr: the pod CIDR 10.244.0.0/16 overlaps the reserved range vpn 10.244.128.0/17 (clusternet:cluster.reserved[0].cidr); choose a range that overlaps nothing else, e.g. write 10.0.0.0/16",
            ],
        ],
        [
            "the node network overlapping the pod CIDR",
            withCluster({ nodeNetwork: "10.244.56.0/24" }, [{ name: "a", ip: "10.244.56.10" }]),
            [
                "clusternet:cluster.podCidr: the pod CIDR 10.244.0.0/16 overlaps the node network 10.244.56.0/24 (clusternet:cluster.nodeNetwork); choose a range that overlaps nothing else, e.g. write 10.0.0.0/16",
                'clusternet:cluster.podCidr: the pod CIDR 10.244.0.0/16 overlaps node "a"\'s IP 10.244.56.10 (clusternet:nodes[0].ip); choose a range that overlaps nothing else, e.g. write 10.0.0.0/16',
            ],
        ],
        [
            "a node IP in a reserved range",
            withCluster({ nodeNetwork: undefined, reserved: [{ name: "office", cidr: "192.168.56.10/32" }] }),
            [
                'clusternet:nodes[0].ip: node "cp-1"\'s IP 192.168.56.10 overlaps the reserved range office 192.168.56.10/32 (clusternet:cluster.reserved[0].cidr); choose ranges that do not overlap',
            ],
        ],
        [
            "a node outside the node network",
            withCluster({}, [{ name: "a", ip: "192.168.57.1" }]),
            [
                "clusternet:nodes[0].ip: 192.168.57.1 lies outside the node network 192.168.56.0/24; use an address inside 192.168.56.0/24, or correct clusternet:cluster.nodeNetwork",
            ],
        ],
        [
            "a bad node name",
            withCluster({}, [{ name: "Worker_1", ip: "192.168.56.11" }]),
            [
                "clusternet:nodes[0].name: \"Worker_1\" is not a valid Node name (a DNS-1123 subdomain); use lowercase letters, digits, '-' and '.', at most 253 characters and 63 between dots, e.g. worker-1",
            ],
        ],
        [
            "duplicate node names and IPs",
            withCluster({}, [
                { name: "a", ip: "192.168.56.11" },
                { name: "a", ip: "192.168.56.11" },
            ]),
            [
                'clusternet:nodes[1].name: "a" is also the name of clusternet:nodes[0]; give each node its own name',
                'clusternet:nodes[1].ip: 192.168.56.11 is also the IP of node "a"; give each node its own IP',
            ],
        ],
        [
            "a bad node IP",
            withCluster({}, [{ name: "a", ip: "192.168.56.300" }]),
            [
                'clusternet:nodes[0].ip: "192.168.56.300" is not an IPv4 or IPv6 address; write the node\'s address, e.g. 192.168.56.11',
            ],
        ],
        [
            "a pin outside the pod CIDR",
            withCluster({}, [{ name: "a", ip: "192.168.56.11", podCidr: "10.245.0.0/24" }]),
            [
                "clusternet:nodes[0].podCidr: 10.245.0.0/24 lies outside the pod CIDR 10.244.0.0/16 (clusternet:cluster.podCidr); pin a /24 inside 10.244.0.0/16",
            ],
        ],
        [
            "a pin of the wrong size",
            withCluster({}, [{ name: "a", ip: "192.168.56.11", podCidr: "10.244.3.0/25" }]),
            [
                "clusternet:nodes[0].podCidr: 10.244.3.0/25 is a /25, but node subnets are /24 (clusternet:cluster.nodeMaskSize); pin a /24",
            ],
        ],
        [
            "a pin of the wrong family",
            withCluster({}, [{ name: "a", ip: "192.168.56.11", podCidr: "fd00::/64" }]),
            ["clusternet:nodes[0].podCidr: fd00::/64 is IPv6, not IPv4; pin it as podCidrV6 instead"],
        ],
        [
            "a pin with host bits",
            withCluster({}, [{ name: "a", ip: "192.168.56.11", podCidr: "10.244.3.1/24" }]),
            [
                'clusternet:nodes[0].podCidr: "10.244.3.1/24" has host bits set beyond the /24 prefix; write 10.244.3.0/24',
            ],
        ],
        [
            "two nodes pinning one subnet",
            withCluster({}, [
                { name: "a", ip: "192.168.56.11", podCidr: "10.244.3.0/24" },
                { name: "b", ip: "192.168.56.12", podCidr: "10.244.3.0/24" },
            ]),
            [
                'clusternet:nodes[1].podCidr: 10.244.3.0/24 is also pinned by node "a" (clusternet:nodes[0].podCidr); give each node its own subnet',
            ],
        ],
        [
            "more nodes than subnets",
            withCluster(
                { podCidr: "10.244.0.0/23" },
                [1, 2, 3].map((i) => ({ name: `n${i}`, ip: `192.168.56.${i}` })),
            ),
            [
                "clusternet:cluster.podCidr: 10.244.0.0/23 with /24 node subnets holds 2 node subnets, but 3 nodes need one (1 left without); use a node mask of at least 25 (clusternet:cluster.nodeMaskSize; 4 subnets of 128 addresses), or a larger pod CIDR",
            ],
        ],
        [
            "duplicate reserved names",
            withCluster({
                reserved: [
                    { name: "vpn", cidr: "10.8.0.0/16" },
                    { name: "vpn", cidr: "10.9.0.0/16" },
                ],
            }),
            [
                'clusternet:cluster.reserved[1].name: "vpn" is also the name of reserved[0]; give each reserved range its own name',
            ],
        ],
        [
            "a malformed reserved range",
            withCluster({ reserved: [{ name: "vpn", cidr: "10.8.0.0/33" }] }),
            [
                'clusternet:cluster.reserved[0].cidr: "10.8.0.0/33" has an invalid prefix length "33"; use a whole number from 0 to 32 without leading zeros',
            ],
        ],
    ];
    for (const [title, input, expected] of cases) {
        it(title, () => {
            assert.deepEqual(problemLines(input), expected);
        });
    }

    it("reports every problem at once", () => {
        const lines = problemLines({
            cluster: { podCidr: "10.244.0.1/16", serviceCidr: "10.96.0.0/29", nodeNetwork: "192.168.56.0/24" },
            nodes: [
                { name: "A", ip: "192.168.56.10" },
                { name: "b", ip: "10.0.0.1" },
            ],
        });
        assert.deepEqual(
            lines.map((line) => line.slice(0, line.indexOf(":", "clusternet:".length))),
            [
                "clusternet:cluster.podCidr",
                "clusternet:cluster.serviceCidr",
                "clusternet:nodes[0].name",
                "clusternet:nodes[1].ip",
            ],
        );
    });

    it("warns past 80 % capacity", () => {
        const nodes = Array.from({ length: 4 }, (_, i) => ({ name: `n${i}`, ip: `192.168.56.${i + 1}` }));
        const full = plan(withCluster({ podCidr: "10.244.0.0/22" }, nodes));
        assert.deepEqual(full.warnings, [
            "clusternet:cluster.podCidr: 10.244.0.0/22 is 100% used (4 of 4 node subnets); plan a larger pod CIDR or a longer node mask before adding nodes",
        ]);
    });
});

describe("sweepOverlaps", () => {
    const item = (group: string, start: bigint, end: bigint) => ({ family: IpFamily.IPv4, start, end, group });

    it("finds every cross-group overlap and none within a group", () => {
        const items = [
            item("a", 0n, 10n),
            item("a", 5n, 6n),
            item("b", 10n, 20n),
            item("c", 21n, 30n),
            item("b", 25n, 26n),
        ];
        const pairs = sweepOverlaps(items, () => false).map(([x, y]) => `${x.group}${x.start}-${y.group}${y.start}`);
        assert.deepEqual(pairs.sort(), ["a0-b10", "c21-b25"]);
    });

    it("never pairs families", () => {
        const pairs = sweepOverlaps(
            [item("a", 0n, 10n), { ...item("b", 0n, 10n), family: IpFamily.IPv6 }],
            () => false,
        );
        assert.deepEqual(pairs, []);
    });
});

describe("lowestFreeBlock", () => {
    it("skips occupied spans and stays aligned", () => {
        const pool = parseCidr("10.0.0.0/8");
        assert.ok(pool.ok);
        const free = lowestFreeBlock(
            IpFamily.IPv4,
            16,
            [pool.value],
            [
                { start: 0x0a00_0000n, end: 0x0a00_ffffn },
                { start: 0x0a01_0005n, end: 0x0a01_0005n },
            ],
        );
        assert.equal(free && formatAddress(IpFamily.IPv4, free.start), "10.2.0.0");
    });
});
