/** The pure flannel builders: upstream parity, net-conf per family and backend, MTU, node patches, schemas. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    BACKEND_OVERHEAD,
    DEFAULT_FLANNEL_IMAGE,
    FLANNEL_BACKENDS,
    FlannelBackend,
    FlannelSpec,
    PodNetworkSettings,
    controllerManagerFlags,
    flannelDaemonSet,
    flannelManifests,
    netConf,
    nodeCidrPatches,
    podMtu,
    resolveFlannelSpec,
} from "../components/pod-network";
import { jsonText } from "../components/pod-network/net-conf";
import { AddressPlan } from "../components/plan";
import { schemaErrors } from "./helpers/kubernetes-schema";
import {
    DUAL_STACK,
    IPV4,
    IPV6_NODES,
    IPV6_ONLY,
    diffPaths,
    planFor,
    upstreamObjects,
    wire,
} from "./helpers/pod-network";

const TEST_PSK = "p0kM8eYnA2dY5y3Ys4HkJ8pVd4m7Yc9Qe1Fz6bTq2Ws=";

function spec(settings: PodNetworkSettings = {}, plan: AddressPlan = planFor(IPV4), hasPsk = false): FlannelSpec {
    return resolveFlannelSpec(settings as never, plan, hasPsk);
}

/** Our objects by `Kind/name`, as they go over the wire. */
function ours(flannel: FlannelSpec, psk?: string): Map<string, Record<string, any>> {
    return new Map(
        flannelManifests(flannel, psk).map((object) => [
            `${object.kind}/${object.metadata!.name}`,
            wire(object) as Record<string, any>,
        ]),
    );
}

/** What differs from upstream, object by object, as `Kind/name: path` lines. */
function differencesFromUpstream(objects: Map<string, Record<string, any>>): string[] {
    const upstream = upstreamObjects();
    const lines: string[] = [];
    for (const [id, object] of objects) {
        const theirs = upstream.get(id);
        lines.push(...(theirs ? diffPaths(theirs, object).map((at) => `${id}: ${at}`) : [`${id}: not upstream`]));
    }
    for (const id of upstream.keys()) {
        if (!objects.has(id)) {
            lines.push(`${id}: missing`);
        }
    }
    return lines.sort();
}

const DS = "DaemonSet/kube-flannel-ds";
const CONTAINER = "spec.template.spec.containers[0]";

void describe("flannel objects against upstream v0.28.9", () => {
    void it("are upstream's, field by field, with default settings (the JSON files byte for byte)", () => {
        assert.deepEqual(differencesFromUpstream(ours(spec())), []);
        const upstream = upstreamObjects();
        const configMap = ours(spec()).get("ConfigMap/kube-flannel-cfg")!;
        assert.equal(
            configMap["data"]["cni-conf.json"],
            upstream.get("ConfigMap/kube-flannel-cfg")!["data"]["cni-conf.json"],
        );
        assert.equal(
            configMap["data"]["net-conf.json"],
            upstream.get("ConfigMap/kube-flannel-cfg")!["data"]["net-conf.json"],
        );
    });

    void it("has upstream's RBAC rules exactly, and nothing more", () => {
        const role = ours(spec()).get("ClusterRole/flannel")!;
        assert.deepEqual(role["rules"], [
            { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
            { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
            { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
        ]);
        assert.equal(
            ours(spec()).get("Namespace/kube-flannel")!["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "privileged",
        );
    });

    // Each documented difference ("Differences from upstream flannel" in docs/pod-network.md) changes only its own fields.
    void it("differs only in the images when images are overridden", () => {
        const flannel = "registry.lab.example/flannel:v0.28.9";
        const cniPlugin = "registry.lab.example/flannel-cni-plugin@sha256:" + "a".repeat(64);
        const objects = ours(spec({ images: { flannel, cniPlugin } }));
        assert.deepEqual(differencesFromUpstream(objects), [
            `${DS}: ${CONTAINER}.image`,
            `${DS}: spec.template.spec.initContainers[0].image`,
            `${DS}: spec.template.spec.initContainers[1].image`,
        ]);
        const pod = objects.get(DS)!["spec"]["template"]["spec"];
        assert.equal(pod.containers[0].image, flannel);
        assert.equal(pod.initContainers[1].image, flannel);
        assert.equal(pod.initContainers[0].image, cniPlugin);
    });

    void it("differs only in flanneld's args with --iface", () => {
        const objects = ours(spec({ iface: "eth1" }));
        assert.deepEqual(differencesFromUpstream(objects), [`${DS}: ${CONTAINER}.args`]);
        assert.deepEqual(objects.get(DS)!["spec"]["template"]["spec"]["containers"][0]["args"], [
            "--ip-masq",
            "--kube-subnet-mgr",
            "--healthz-port=8081",
            "--iface=eth1",
        ]);
    });

    void it("differs only in the resources when they are set, and keeps the default requests when only limits are", () => {
        const limitsOnly = ours(spec({ resources: { limits: { memory: "128Mi" } } }));
        assert.deepEqual(differencesFromUpstream(limitsOnly), [`${DS}: ${CONTAINER}.resources.limits`]);
        assert.deepEqual(limitsOnly.get(DS)!["spec"]["template"]["spec"]["containers"][0]["resources"], {
            requests: { cpu: "100m", memory: "50Mi" },
            limits: { memory: "128Mi" },
        });
        const requests = ours(spec({ resources: { requests: { cpu: "200m", memory: "100000000" } } }));
        assert.deepEqual(requests.get(DS)!["spec"]["template"]["spec"]["containers"][0]["resources"], {
            requests: { cpu: "200m", memory: "100000000" },
        });
    });

    void it("differs only by a node selector when one is set", () => {
        const objects = ours(spec({ nodeSelector: { "node-role.lab/flannel": "yes" } }));
        assert.deepEqual(differencesFromUpstream(objects), [`${DS}: spec.template.spec.nodeSelector`]);
    });

    void it("moves net-conf.json into a Secret mounted for --net-config-path when a WireGuard PSK is set", () => {
        const objects = ours(spec({ backend: FlannelBackend.WireGuard, wireguard: {} }, planFor(IPV4), true), TEST_PSK);
        assert.deepEqual(differencesFromUpstream(objects), [
            "ConfigMap/kube-flannel-cfg: data.net-conf.json",
            `${DS}: ${CONTAINER}.args`,
            `${DS}: ${CONTAINER}.volumeMounts`,
            `${DS}: spec.template.spec.volumes`,
            "Secret/kube-flannel-net-conf: not upstream",
        ]);
        const configMap = objects.get("ConfigMap/kube-flannel-cfg")!;
        assert.deepEqual(
            Object.keys(configMap["data"]),
            ["cni-conf.json"],
            "the ConfigMap holds no net-conf.json, so no PSK",
        );
        assert.ok(!JSON.stringify(configMap).includes(TEST_PSK));
        const secret = objects.get("Secret/kube-flannel-net-conf")!;
        assert.deepEqual(JSON.parse(secret["stringData"]["net-conf.json"]), {
            Network: "10.244.0.0/16",
            EnableNFTables: false,
            Backend: { Type: "wireguard", PSK: TEST_PSK },
        });
        const pod = objects.get(DS)!["spec"]["template"]["spec"];
        assert.ok(pod.containers[0].args.includes("--net-config-path=/etc/kube-flannel-net-conf/net-conf.json"));
        assert.deepEqual(pod.containers[0].volumeMounts.at(-1), {
            name: "flannel-net-conf",
            mountPath: "/etc/kube-flannel-net-conf/",
            readOnly: true,
        });
        assert.deepEqual(pod.volumes.at(-1), {
            name: "flannel-net-conf",
            secret: { secretName: "kube-flannel-net-conf", defaultMode: 0o400 },
        });
        // The init container still installs cni-conf.json from the ConfigMap.
        assert.deepEqual(pod.initContainers[1].args, [
            "/etc/kube-flannel/cni-conf.json",
            "/etc/cni/net.d/10-flannel.conflist",
        ]);
    });

    void it("refuses to build the Secret without the PSK it needs", () => {
        assert.throws(
            () => flannelManifests(spec({ backend: FlannelBackend.WireGuard, wireguard: {} }, planFor(IPV4), true)),
            /pass it/,
        );
    });
});

void describe("net-conf.json", () => {
    void it("is IPv4 by default: Network is the plan's pod CIDR", () => {
        assert.deepEqual(netConf(spec({}, planFor({ podCidr: "10.20.0.0/16" }))), {
            Network: "10.20.0.0/16",
            EnableNFTables: false,
            Backend: { Type: "vxlan" },
        });
    });

    void it("adds EnableIPv6 and IPv6Network for dual-stack", () => {
        assert.deepEqual(netConf(spec({}, planFor(DUAL_STACK))), {
            Network: "10.244.0.0/16",
            EnableIPv6: true,
            IPv6Network: "fd00:10:244::/56",
            EnableNFTables: false,
            Backend: { Type: "vxlan" },
        });
    });

    void it("turns IPv4 off for an IPv6-only cluster, with no Network", () => {
        assert.deepEqual(netConf(spec({}, planFor(IPV6_ONLY, IPV6_NODES))), {
            EnableIPv4: false,
            EnableIPv6: true,
            IPv6Network: "fd00:10:244::/56",
            EnableNFTables: false,
            Backend: { Type: "vxlan" },
        });
    });

    void it("always writes Backend.Type, for every backend", () => {
        for (const backend of FLANNEL_BACKENDS) {
            const cluster = backend === FlannelBackend.HostGw ? IPV4 : { podCidr: "10.244.0.0/16" };
            assert.deepEqual(netConf(spec({ backend }, planFor(cluster))).Backend, { Type: backend }, backend);
        }
    });

    void it("writes the vxlan options under flannel's names, and the MTU", () => {
        const conf = netConf(spec({ mtu: 9000, vxlan: { vni: 4096, port: 4789, directRouting: true, gbp: true } }));
        assert.deepEqual(conf.Backend, {
            Type: "vxlan",
            VNI: 4096,
            Port: 4789,
            GBP: true,
            DirectRouting: true,
            MTU: 9000,
        });
        // false is written too: it was set.
        assert.deepEqual(netConf(spec({ vxlan: { directRouting: false } })).Backend, {
            Type: "vxlan",
            DirectRouting: false,
        });
    });

    void it("writes the wireguard options, the PSK only into the copy that asks for it", () => {
        const wireguard = spec(
            {
                backend: FlannelBackend.WireGuard,
                mtu: 1420,
                wireguard: {
                    listenPort: 51000,
                    listenPortV6: 51001,
                    persistentKeepaliveInterval: 25,
                    mode: "separate",
                },
            },
            planFor(DUAL_STACK),
            true,
        );
        assert.deepEqual(netConf(wireguard).Backend, {
            Type: "wireguard",
            ListenPort: 51000,
            ListenPortV6: 51001,
            PersistentKeepaliveInterval: 25,
            Mode: "separate",
            MTU: 1420,
        });
        assert.equal(netConf(wireguard, TEST_PSK).Backend["PSK"], TEST_PSK);
    });

    void it("writes the udp port, and no MTU for host-gw or udp (flannel reads theirs from the interface)", () => {
        assert.deepEqual(netConf(spec({ backend: FlannelBackend.Udp, mtu: 9000, udp: { port: 8300 } })).Backend, {
            Type: "udp",
            Port: 8300,
        });
        assert.deepEqual(netConf(spec({ backend: FlannelBackend.HostGw, mtu: 9000 })).Backend, { Type: "host-gw" });
    });

    void it("runs flanneld privileged only for the udp backend, which opens /dev/net/tun", () => {
        const contextOf = (backend: FlannelBackend) =>
            flannelDaemonSet(spec({ backend })).spec.template.spec!.containers[0]!.securityContext;
        assert.equal(contextOf(FlannelBackend.Udp)!.privileged, true);
        for (const backend of [FlannelBackend.Vxlan, FlannelBackend.HostGw, FlannelBackend.WireGuard]) {
            assert.equal(contextOf(backend)!.privileged, false, backend);
            assert.deepEqual(contextOf(backend)!.capabilities, { add: ["NET_ADMIN", "NET_RAW"] });
        }
    });

    void it("is written as upstream formats its JSON", () => {
        assert.equal(jsonText({ a: 1 }), '{\n  "a": 1\n}\n');
    });
});

void describe("pod MTU", () => {
    void it("is the underlay MTU minus the backend's overhead (1500 by default)", () => {
        assert.equal(podMtu(FlannelBackend.Vxlan), 1450);
        assert.equal(podMtu(FlannelBackend.HostGw), 1500);
        assert.equal(podMtu(FlannelBackend.WireGuard), 1420);
        assert.equal(podMtu(FlannelBackend.Udp), 1472);
        assert.equal(podMtu(FlannelBackend.Vxlan, 9000), 8950);
        assert.equal(podMtu(FlannelBackend.WireGuard, 1400), 1320);
        assert.deepEqual(BACKEND_OVERHEAD, { vxlan: 50, "host-gw": 0, wireguard: 80, udp: 28 });
    });
});

void describe("node subnets", () => {
    void it("patches one Node per planned node with the plan's podCIDR, owned by clusternet's field manager", () => {
        const plan = planFor(IPV4);
        const patches = nodeCidrPatches(plan);
        assert.deepEqual(
            patches.map((patch) => [patch.metadata!.name, patch.spec!.podCIDR, patch.spec!.podCIDRs]),
            plan.nodes.map((node) => [node.name, node.podCidr, [node.podCidr]]),
        );
        assert.deepEqual(patches[0]!.metadata!.annotations, { "pulumi.com/patchFieldManager": "clusternet-pod-cidr" });
        assert.deepEqual(
            Object.keys(patches[0]!.spec!),
            ["podCIDR", "podCIDRs"],
            "nothing else of the Node is touched",
        );
    });

    void it("lists IPv4 first for dual-stack (podCIDR is podCIDRs[0]), and IPv6 alone for IPv6-only", () => {
        const dual = nodeCidrPatches(planFor(DUAL_STACK));
        assert.deepEqual(dual[1]!.spec, {
            podCIDR: "10.244.1.0/24",
            podCIDRs: ["10.244.1.0/24", "fd00:10:244:1::/64"],
        });
        const v6 = nodeCidrPatches(planFor(IPV6_ONLY, IPV6_NODES));
        assert.deepEqual(v6[0]!.spec, { podCIDR: "fd00:10:244::/64", podCIDRs: ["fd00:10:244::/64"] });
    });
});

void describe("kube-controller-manager flags", () => {
    void it("match the plan for IPv4, IPv6-only and dual-stack (per-family masks only for dual-stack)", () => {
        assert.deepEqual(controllerManagerFlags(planFor({ podCidr: "10.244.0.0/16", nodeMaskSize: 25 })), [
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.244.0.0/16",
            "--node-cidr-mask-size=25",
            "--service-cluster-ip-range=10.96.0.0/12",
        ]);
        assert.deepEqual(controllerManagerFlags(planFor(IPV6_ONLY, IPV6_NODES)), [
            "--allocate-node-cidrs=true",
            "--cluster-cidr=fd00:10:244::/56",
            "--node-cidr-mask-size=64",
            "--service-cluster-ip-range=fd00:10:96::/112",
        ]);
        assert.deepEqual(controllerManagerFlags(planFor(DUAL_STACK)), [
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.244.0.0/16,fd00:10:244::/56",
            "--node-cidr-mask-size-ipv4=24",
            "--node-cidr-mask-size-ipv6=64",
            "--service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112",
        ]);
    });
});

void describe("Kubernetes schemas", () => {
    void it("accept every object built, for every family and backend and the optional fields", async () => {
        const cases: Array<[string, FlannelSpec, string | undefined]> = [];
        for (const backend of FLANNEL_BACKENDS) {
            for (const [label, plan] of [
                ["IPv4", planFor(IPV4)],
                ["dual-stack", planFor(DUAL_STACK)],
                ["IPv6-only", planFor({ ...IPV6_ONLY, nodeNetwork: "fd00:56::/64" }, IPV6_NODES)],
            ] as const) {
                if (backend === FlannelBackend.Udp && label !== "IPv4") {
                    continue; // refused by validation
                }
                cases.push([`${backend} ${label}`, spec({ backend }, plan), undefined]);
            }
        }
        cases.push([
            "everything set",
            spec(
                {
                    backend: FlannelBackend.WireGuard,
                    iface: "eth1",
                    mtu: 1500,
                    wireguard: { mode: "auto" },
                    images: { flannel: DEFAULT_FLANNEL_IMAGE },
                    resources: { requests: { cpu: "0.2" }, limits: { memory: "1Gi" } },
                    nodeSelector: { "kubernetes.io/hostname": "cp-1" },
                },
                planFor(DUAL_STACK),
                true,
            ),
            TEST_PSK,
        ]);
        for (const [label, flannel, psk] of cases) {
            for (const object of [...flannelManifests(flannel, psk), ...nodeCidrPatches(planFor(DUAL_STACK))]) {
                assert.deepEqual(await schemaErrors(wire(object)), [], `${label}: ${object.kind}`);
            }
        }
    });

    void it("would catch a broken object (the check itself works)", async () => {
        const broken = wire(flannelDaemonSet(spec())) as any;
        broken.spec.template.spec.containers[0].ports[0].containerPort = "eighty-eighty";
        assert.notDeepEqual(await schemaErrors(broken), []);
    });
});
