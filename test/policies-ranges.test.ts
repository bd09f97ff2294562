import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PolicyFailure } from "../cli/policy-harness";
import { NO_OVERLAPPING_RANGES, noOverlappingRanges } from "../policies/no-overlapping-ranges";
import { SERVICE_CLUSTER_IP_IN_RANGE, serviceClusterIpInRange } from "../policies/service-cluster-ip";
import {
    NET_CONF,
    devPlan,
    flannelConfigMap,
    lab,
    messages,
    mutate,
    nodePatch,
    service,
    stackResource,
    urnOf,
    violationsOf,
} from "./helpers/policy-fixtures";

const NODE_PATCH = "kubernetes:core/v1:NodePatch";

void describe("no-overlapping-ranges", () => {
    void it("passes the dev lab: pod, Service, node and reserved ranges apart, node podCIDRs inside and disjoint", async () => {
        assert.deepEqual(await violationsOf(noOverlappingRanges, lab()), []);
    });

    void it("passes a dual-stack lab", async () => {
        const plan = devPlan({
            families: ["IPv4", "IPv6"],
            podCidrV6: "fd00:10:244::/56",
            serviceCidrV6: "fd00:10:96::/112",
        });
        const resources = [
            stackResource(plan),
            flannelConfigMap({ ...NET_CONF, EnableIPv6: true, IPv6Network: "fd00:10:244::/56" }),
            nodePatch("cp-1", ["10.244.0.0/24", "fd00:10:244::/64"]),
            nodePatch("worker-1", ["10.244.1.0/24", "fd00:10:244:1::/64"]),
            service({ name: "dual", ports: [{ port: 80 }], clusterIPs: ["10.96.0.20", "fd00:10:96::20"] }),
        ];
        assert.deepEqual(messages(await violationsOf(noOverlappingRanges, resources)), []);
    });

    void it("refuses two nodes with the same podCIDR, on the later NodePatch, suggesting a free /24", async () => {
        const resources = mutate(lab(), "NodePatch", "lab-node-worker-2", (props) => {
            props.spec.podCIDR = "10.244.1.0/24";
            props.spec.podCIDRs = ["10.244.1.0/24"];
        });
        const violations = await violationsOf(noOverlappingRanges, resources);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        const [violation] = violations;
        assert.equal(violation!.policyName, NO_OVERLAPPING_RANGES);
        assert.equal(violation!.enforcementLevel, "mandatory");
        assert.equal(violation!.urn, urnOf(NODE_PATCH, "lab-node-worker-2"));
        assert.match(
            violation!.message,
            /podCIDR 10\.244\.1\.0\/24 of NodePatch worker-2 overlaps the podCIDR 10\.244\.1\.0\/24 of NodePatch worker-1/,
        );
        assert.match(violation!.message, /; give each node its own \/24, e\.g\. 10\.244\.2\.0\/24/);
    });

    void it("refuses a node podCIDR outside the pod CIDR, with host bits set, of the wrong mask, or of a family the cluster lacks", async () => {
        const cases: Array<[string[], RegExp]> = [
            [
                ["10.245.1.0/24"],
                /lies outside the IPv4 pod CIDR 10\.244\.0\.0\/16 \(net-conf\.json of ConfigMap kube-flannel\/kube-flannel-cfg Network\)/,
            ],
            [
                ["10.244.1.5/24"],
                /"10\.244\.1\.5\/24" has host bits set beyond the \/24 prefix; write 10\.244\.1\.0\/24/,
            ],
            [
                ["10.244.1.0/25"],
                /is a \/25, but node podCIDRs are \/24 \(clusternet:cluster\.nodeMaskSize \(stack output plan\)\)/,
            ],
            [["10.244.1.0/24", "fd00:10:244:1::/64"], /is IPv6, but the cluster has no IPv6 pod CIDR/],
            [["10.244.1.0/24", "10.244.9.0/24"], /has two IPv4 podCIDRs/],
            [["not-a-cidr"], /"not-a-cidr" is not a CIDR/],
        ];
        for (const [cidrs, expected] of cases) {
            const resources = mutate(lab(), "NodePatch", "lab-node-worker-1", (props) => {
                props.spec.podCIDR = cidrs[0];
                props.spec.podCIDRs = cidrs;
            });
            const found = messages(await violationsOf(noOverlappingRanges, resources));
            assert.ok(
                found.some((message) => expected.test(message)),
                `${cidrs.join(",")}: expected ${expected}, got:\n${found.join("\n")}`,
            );
        }
    });

    void it("refuses spec.podCIDRs[0] that differs from spec.podCIDR", async () => {
        const resources = mutate(lab(), "NodePatch", "lab-node-worker-1", (props) => {
            props.spec.podCIDRs = ["10.244.3.0/24"];
        });
        const found = messages(await violationsOf(noOverlappingRanges, resources));
        assert.ok(
            found.some((message) =>
                /spec\.podCIDR "10\.244\.1\.0\/24" but spec\.podCIDRs\[0\] "10\.244\.3\.0\/24"/.test(message),
            ),
            found.join("\n"),
        );
    });

    void it("refuses flannel's Network when it differs from the stack's pod CIDR, on the ConfigMap", async () => {
        const resources = lab().map((entry) =>
            entry.name === "lab-flannel-cfg" ? flannelConfigMap({ ...NET_CONF, Network: "10.245.0.0/16" }) : entry,
        );
        const violations = await violationsOf(noOverlappingRanges, resources);
        const mismatch = violations.find((violation) =>
            /net-conf\.json Network is 10\.245\.0\.0\/16, but the cluster's IPv4 pod CIDR is 10\.244\.0\.0\/16/.test(
                violation.message,
            ),
        );
        assert.ok(mismatch, messages(violations).join("\n"));
        assert.equal(mismatch.urn, urnOf("kubernetes:core/v1:ConfigMap", "lab-flannel-cfg"));
        // The nodes are checked against flannel's Network, which is what flanneld enforces.
        assert.ok(
            violations.some((violation) =>
                /podCIDR 10\.244\.0\.0\/24 of NodePatch cp-1 lies outside the IPv4 pod CIDR 10\.245\.0\.0\/16/.test(
                    violation.message,
                ),
            ),
        );
    });

    void it("refuses a reserved range from the policy config that overlaps the pod CIDR, naming the node podCIDRs inside", async () => {
        const settings = {
            [NO_OVERLAPPING_RANGES]: { properties: { reserved: [{ name: "peer-cluster", cidr: "10.244.1.0/24" }] } },
        };
        const violations = await violationsOf(noOverlappingRanges, lab(), settings);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.match(
            violations[0]!.message,
            /^The IPv4 pod CIDR 10\.244\.0\.0\/16 \(net-conf\.json of ConfigMap kube-flannel\/kube-flannel-cfg Network\) overlaps the reserved range peer-cluster 10\.244\.1\.0\/24 \(policy config no-overlapping-ranges\.reserved\[0\]\)/,
        );
        assert.match(violations[0]!.message, /inside the overlap: the podCIDR 10\.244\.1\.0\/24 of NodePatch worker-1/);
        assert.equal(violations[0]!.urn, urnOf("kubernetes:core/v1:ConfigMap", "lab-flannel-cfg"));
    });

    void it("falls back on kubeadm's Service CIDR when the stack exports no plan, and reports the pod CIDR overlapping it once", async () => {
        const resources = [
            stackResource(null),
            flannelConfigMap({ ...NET_CONF, Network: "10.96.0.0/16" }),
            nodePatch("a", ["10.96.0.0/24"]),
            nodePatch("b", ["10.96.1.0/24"]),
        ];
        const violations = await violationsOf(noOverlappingRanges, resources);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.match(
            violations[0]!.message,
            /the IPv4 Service CIDR 10\.96\.0\.0\/12 \(kubeadm's default Service CIDR\) overlaps the IPv4 pod CIDR 10\.96\.0\.0\/16/i,
        );
        assert.match(violations[0]!.message, /NodePatch a and the podCIDR 10\.96\.1\.0\/24 of NodePatch b/);
    });

    void it("refuses a Service clusterIP or externalIP inside the pod CIDR or a reserved range, but allows an externalIP on the node network", async () => {
        const resources = [
            ...lab(),
            service({ name: "in-pods", ports: [{ port: 80 }], clusterIP: "10.244.5.5" }),
            service({ name: "vpn-grabber", ports: [{ port: 80 }], externalIPs: ["10.8.1.1"] }),
            service({ name: "on-node", ports: [{ port: 80 }], externalIPs: ["192.168.56.10"] }),
        ];
        const violations = await violationsOf(noOverlappingRanges, resources);
        const found = messages(violations);
        assert.equal(violations.length, 2, found.join("\n"));
        assert.ok(
            found.some((message) =>
                /^The clusterIP 10\.244\.5\.5 of Service demo\/in-pods overlaps the IPv4 pod CIDR/.test(message),
            ),
        );
        assert.ok(
            found.some((message) =>
                /^The externalIP 10\.8\.1\.1 of Service demo\/vpn-grabber overlaps the reserved range office-vpn 10\.8\.0\.0\/16/.test(
                    message,
                ),
            ),
        );
        assert.equal(
            violations.find((violation) => /in-pods/.test(violation.message))!.urn,
            urnOf("kubernetes:core/v1:Service", "demo-in-pods"),
        );
    });

    void it("refuses a reserved range over the node network, naming the node IPs it covers", async () => {
        const settings = {
            [NO_OVERLAPPING_RANGES]: { properties: { reserved: [{ name: "lan", cidr: "192.168.56.0/28" }] } },
        };
        const found = messages(await violationsOf(noOverlappingRanges, lab(), settings));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /^The node network 192\.168\.56\.0\/24 .* overlaps the reserved range lan 192\.168\.56\.0\/28 .*; inside the overlap: node cp-1's IP 192\.168\.56\.10 .*, node worker-1's IP 192\.168\.56\.11 .* and node worker-2's IP 192\.168\.56\.12/,
        );
    });

    void it("reports a range overlapping thousands of others once, listing the first and counting the rest", async () => {
        const nodes = Array.from({ length: 2000 }, (_, index) => ({
            name: `n${index}`,
            ip: `10.${96 + (index >> 16)}.${(index >> 8) & 255}.${index & 255 || 1}`,
        }));
        const plan = { ...devPlan({ nodeNetwork: null }), nodes };
        const found = messages(await violationsOf(noOverlappingRanges, [stackResource(plan), flannelConfigMap()], {}));
        assert.equal(found.length, 1, found.slice(0, 3).join("\n"));
        assert.match(
            found[0]!,
            /^The IPv4 Service CIDR 10\.96\.0\.0\/12 .* overlaps 2000 node IPs: node n0's IP 10\.96\.0\.1 .* and 1995 more; /,
        );
    });

    void it("takes pod and Service CIDR overrides from its config", async () => {
        const settings = { [NO_OVERLAPPING_RANGES]: { properties: { serviceCidr: "10.244.128.0/20" } } };
        const found = messages(await violationsOf(noOverlappingRanges, lab(), settings));
        assert.ok(
            found.some((message) =>
                /Service CIDR 10\.244\.128\.0\/20 \(policy config no-overlapping-ranges\.serviceCidr\) overlaps the IPv4 pod CIDR 10\.244\.0\.0\/16/.test(
                    message,
                ),
            ),
            found.join("\n"),
        );
    });

    void it("reports one collision among 5,000 nodes once, quickly", async () => {
        const nodes = Array.from({ length: 5000 }, (_, index) =>
            nodePatch(`n${index}`, [`10.${128 + (index >> 8)}.${index & 255}.0/24`]),
        );
        nodes[4999] = nodePatch("n4999", ["10.128.7.0/24"]);
        const resources = [
            stackResource(devPlan({ podCidr: "10.128.0.0/9", reserved: [] })),
            flannelConfigMap({ ...NET_CONF, Network: "10.128.0.0/9" }),
            ...nodes,
        ];
        const started = performance.now();
        const violations = await violationsOf(noOverlappingRanges, resources);
        const elapsed = performance.now() - started;
        assert.equal(violations.length, 1, messages(violations).slice(0, 3).join("\n"));
        assert.match(violations[0]!.message, /NodePatch n4999 overlaps the podCIDR 10\.128\.7\.0\/24 of NodePatch n7/);
        assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    });

    void it("fails loudly, naming the key, on invalid policy config", async () => {
        const settings = { [NO_OVERLAPPING_RANGES]: { properties: { reserved: [{ name: "x", cidr: "10.0.0.1/8" }] } } };
        await assert.rejects(
            violationsOf(noOverlappingRanges, lab(), settings),
            (error: unknown) =>
                error instanceof PolicyFailure &&
                /no-overlapping-ranges\.reserved\[0\]\.cidr: "10\.0\.0\.1\/8" has host bits set/.test(error.message),
        );
    });
});

void describe("service-cluster-ip-in-range", () => {
    const withService = (spec: Parameters<typeof service>[0]) => [...lab(), service(spec)];

    void it("passes Services without a clusterIP, headless ones, fixed ones inside the range and the kubernetes Service's own", async () => {
        const resources = [
            ...lab(),
            service({ name: "fixed", ports: [{ port: 80 }], clusterIP: "10.96.0.50" }),
            service({ name: "headless", ports: [{ port: 80 }], clusterIP: "None" }),
            service({
                name: "kubernetes",
                namespace: "default",
                ports: [{ name: "https", port: 443 }],
                clusterIP: "10.96.0.1",
            }),
            service({
                name: "kube-dns",
                namespace: "kube-system",
                ports: [{ name: "dns", port: 53, protocol: "UDP" }],
                clusterIP: "10.96.0.10",
            }),
        ];
        assert.deepEqual(messages(await violationsOf(serviceClusterIpInRange, resources)), []);
    });

    const refusals: Array<[string, Parameters<typeof service>[0], RegExp]> = [
        [
            "outside the range",
            { name: "out", ports: [{ port: 80 }], clusterIP: "172.16.0.1" },
            /Service demo\/out spec\.clusterIP: 172\.16\.0\.1 is outside the Service CIDR 10\.96\.0\.0\/12; the API server refuses it .*inside 10\.96\.0\.0\/12 \(clusternet:cluster\.serviceCidr \(stack output plan\)\)/,
        ],
        [
            "the network address",
            { name: "net", ports: [{ port: 80 }], clusterIP: "10.96.0.0" },
            /the network address of the Service CIDR 10\.96\.0\.0\/12/,
        ],
        [
            "the broadcast address",
            { name: "bcast", ports: [{ port: 80 }], clusterIP: "10.111.255.255" },
            /the broadcast address/,
        ],
        [
            "the kubernetes Service's address",
            { name: "api", ports: [{ port: 80 }], clusterIP: "10.96.0.1" },
            /is the kubernetes Service's IP/,
        ],
        [
            "the cluster DNS address",
            { name: "dns", ports: [{ port: 80 }], clusterIP: "10.96.0.10" },
            /is the cluster DNS Service's IP \(the 10th address of 10\.96\.0\.0\/12, where kubeadm puts kube-dns\)/,
        ],
        [
            "a non-canonical address",
            { name: "zeros", ports: [{ port: 80 }], clusterIP: "10.096.0.5" },
            /clusterIP: "10\.096\.0\.5" has leading zeros|not in canonical form/,
        ],
        [
            "an IPv6 address in an IPv4 cluster",
            { name: "v6", ports: [{ port: 80 }], clusterIP: "fd00::5" },
            /the cluster has no IPv6 Service CIDR/,
        ],
        [
            "clusterIPs[0] unlike clusterIP",
            { name: "mixed", ports: [{ port: 80 }], clusterIP: "10.96.0.5", clusterIPs: ["10.96.0.6"] },
            /clusterIPs\[0\] "10\.96\.0\.6"; Kubernetes requires them equal/,
        ],
    ];
    for (const [what, spec, expected] of refusals) {
        void it(`refuses ${what}`, async () => {
            const violations = await violationsOf(serviceClusterIpInRange, withService(spec));
            assert.ok(
                violations.some(
                    (violation) =>
                        expected.test(violation.message) &&
                        violation.urn === urnOf("kubernetes:core/v1:Service", `demo-${spec.name}`) &&
                        violation.policyName === SERVICE_CLUSTER_IP_IN_RANGE,
                ),
                messages(violations).join("\n"),
            );
        });
    }

    void it("refuses two Services asking for one clusterIP", async () => {
        const resources = [
            ...lab(),
            service({ name: "a", ports: [{ port: 80 }], clusterIP: "10.96.0.50" }),
            service({ name: "b", ports: [{ port: 80 }], clusterIP: "10.96.0.50" }),
        ];
        const found = messages(await violationsOf(serviceClusterIpInRange, resources));
        assert.deepEqual(found.length, 1);
        assert.match(
            found[0]!,
            /Service demo\/b spec\.clusterIP: 10\.96\.0\.50 is also the clusterIP of Service demo\/a; .*"provided IP is already allocated"/,
        );
    });

    void it("uses its serviceCidr setting, and kubeadm's default without a plan", async () => {
        const settings = { [SERVICE_CLUSTER_IP_IN_RANGE]: { properties: { serviceCidr: "10.100.0.0/16" } } };
        const configured = messages(
            await violationsOf(
                serviceClusterIpInRange,
                withService({ name: "x", ports: [{ port: 80 }], clusterIP: "10.96.0.50" }),
                settings,
            ),
        );
        assert.ok(
            configured.some((message) =>
                /outside the Service CIDR 10\.100\.0\.0\/16; .*inside 10\.100\.0\.0\/16 \(policy config service-cluster-ip-in-range\.serviceCidr\)/.test(
                    message,
                ),
            ),
            configured.join("\n"),
        );
        const planless = messages(
            await violationsOf(serviceClusterIpInRange, [
                stackResource(null),
                service({ name: "x", ports: [{ port: 80 }], clusterIP: "10.200.0.5" }),
            ]),
        );
        assert.ok(
            planless.some((message) =>
                /outside the Service CIDR 10\.96\.0\.0\/12; .*\(kubeadm's default Service CIDR\)/.test(message),
            ),
            planless.join("\n"),
        );
    });
});
