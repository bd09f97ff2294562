/** Bad pod network and node preparation settings: one problem each, naming the config key and the fix. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../components/common";
import { knownValue } from "../components/common/known";
import { validateClusterNetwork } from "../components/cluster-network";
import { ConfigSource, SECRET_PLACEHOLDER, loadStack } from "../components/config";
import { POD_NETWORK_ARGS_KEYS, resolveFlannelSpec, validatePodNetwork } from "../components/pod-network";
import { parseQuantity } from "../components/pod-network/validate";
import { nodePrepArgsProblems } from "../components/node-prep";
import { devConfig } from "./helpers/cli";
import { DUAL_STACK, planFor } from "./helpers/pod-network";

const PSK = "p0kM8eYnA2dY5y3Ys4HkJ8pVd4m7Yc9Qe1Fz6bTq2Ws=";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMy3dHvbYm0sOJ7KD8Hd2e8ZQ2dPzGQ6cHfN0u9zAiXm";
const PRIVATE_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";

/** The dev stack with some keys replaced. */
function stack(overrides: Record<string, unknown>): Record<string, unknown> {
    return { ...devConfig(), ...overrides };
}

/** The problems of a stack file's values, one formatted line each (secrets as `{ secure: ... }`). */
function problems(config: Record<string, unknown>): string[] {
    const source: ConfigSource = {
        label: "test",
        kind: "stack-file",
        values: new Map(Object.entries(config)),
        secretKeys: new Set(),
    };
    const loaded = loadStack(source);
    return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

/** The problems of the same values as `pulumi up` sees them: secrets decrypted to plain text. */
function runtimeProblems(config: Record<string, unknown>, secretKeys: string[]): string[] {
    const source: ConfigSource = {
        label: "Pulumi config",
        kind: "pulumi",
        values: new Map(Object.entries(config)),
        secretKeys: new Set(secretKeys),
    };
    const loaded = loadStack(source);
    return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

const DUAL = {
    name: "lab",
    podCidr: "10.244.0.0/16",
    podCidrV6: "fd00:10:244::/56",
    serviceCidrV6: "fd00:10:96::/112",
    nodeNetwork: "192.168.56.0/24",
};

void describe("pod network settings that cannot work", () => {
    void it("accepts the dev stack and a full valid configuration", () => {
        assert.deepEqual(problems(devConfig()), []);
        assert.deepEqual(
            problems(
                stack({
                    cluster: DUAL,
                    podNetwork: {
                        backend: "wireguard",
                        mtu: 1500,
                        iface: "eth1",
                        wireguard: {
                            listenPort: 51820,
                            listenPortV6: 51821,
                            psk: { secure: "v1:abc" },
                            persistentKeepaliveInterval: 25,
                            mode: "separate",
                        },
                        images: {
                            flannel: "ghcr.io/flannel-io/flannel:v0.28.9",
                            cniPlugin: "ghcr.io/flannel-io/flannel-cni-plugin@sha256:" + "0".repeat(64),
                        },
                        resources: { requests: { cpu: "100m", memory: "50Mi" }, limits: { memory: "128Mi" } },
                        nodeSelector: { "kubernetes.io/os": "linux" },
                    },
                    nodePrep: {
                        enabled: true,
                        user: "vagrant",
                        port: 2222,
                        privateKey: { secure: "v1:def" },
                        hostKeys: { "cp-1": HOST_KEY },
                    },
                }),
            ),
            [],
        );
    });

    void it("refuses udp with IPv6 pods", () => {
        assert.deepEqual(problems(stack({ cluster: DUAL, podNetwork: { backend: "udp" } })), [
            "clusternet:podNetwork.backend: flannel's udp backend carries IPv4 only, but the cluster has the IPv6 pod CIDR fd00:10:244::/56; use vxlan, host-gw or wireguard, or remove clusternet:cluster.podCidrV6",
        ]);
    });

    void it("refuses host-gw when the nodes' shared network is unknown, and accepts it when it is", () => {
        const { nodeNetwork: _nodeNetwork, ...withoutNodeNetwork } = devConfig()["cluster"] as Record<string, unknown>;
        assert.deepEqual(problems(stack({ cluster: withoutNodeNetwork, podNetwork: { backend: "host-gw" } })), [
            "clusternet:podNetwork.backend: host-gw routes each node's pod subnet via that node's IP, so all nodes must share one layer-2 network, and without a node network that cannot be checked; set clusternet:cluster.nodeNetwork to the subnet the nodes share (e.g. 192.168.56.0/24), or use vxlan",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { backend: "host-gw" } })), []);
    });

    void it("refuses options of a backend that is not selected", () => {
        assert.deepEqual(
            problems(
                stack({ podNetwork: { backend: "vxlan", wireguard: { listenPort: 51820 }, udp: { port: 8285 } } }),
            ),
            [
                "clusternet:podNetwork.wireguard: sets wireguard options, but the backend is vxlan, which would ignore them; remove clusternet:podNetwork.wireguard, or set clusternet:podNetwork.backend: wireguard",
                "clusternet:podNetwork.udp: sets udp options, but the backend is vxlan, which would ignore them; remove clusternet:podNetwork.udp, or set clusternet:podNetwork.backend: udp",
            ],
        );
    });

    void it("refuses unknown keys and backends, suggesting the right one", () => {
        assert.deepEqual(problems(stack({ podNetwork: { backnd: "vxlan", vxlan: { vnid: 2 } } })), [
            "clusternet:podNetwork.vxlan.vnid: is not a known key here; did you mean vni?",
            "clusternet:podNetwork.backnd: is not a known key here; did you mean backend?",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { backend: "geneve" } })), [
            'clusternet:podNetwork.backend: "geneve" is not allowed; use one of "vxlan", "host-gw", "wireguard", "udp"',
        ]);
    });

    void it("refuses out-of-range backend options", () => {
        assert.deepEqual(problems(stack({ podNetwork: { vxlan: { vni: 16777216, port: 0 } } })), [
            "clusternet:podNetwork.vxlan.port: 0 is too small; use at least 1",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { vxlan: { vni: 16777216 } } })), [
            "clusternet:podNetwork.vxlan.vni: 16777216 is out of range; use a VXLAN network identifier (24 bits) from 0 to 16777215",
        ]);
        assert.deepEqual(
            problems(
                stack({ podNetwork: { backend: "wireguard", wireguard: { persistentKeepaliveInterval: 70000 } } }),
            ),
            [
                "clusternet:podNetwork.wireguard.persistentKeepaliveInterval: 70000 is out of range; use a number of seconds from 0 to 65535",
            ],
        );
    });

    void it("refuses MTUs that leave the pods too little, per family, or that Linux refuses", () => {
        assert.deepEqual(problems(stack({ podNetwork: { mtu: 500 } })), [
            "clusternet:podNetwork.mtu: leaves the pods an MTU of 450 (500 minus 50 for vxlan), below the 576 IPv4 requires; use an underlay MTU of at least 626",
        ]);
        assert.deepEqual(problems(stack({ cluster: DUAL, podNetwork: { mtu: 1300 } })), [
            "clusternet:podNetwork.mtu: leaves the pods an MTU of 1250 (1300 minus 50 for vxlan), below the 1280 IPv6 requires; use an underlay MTU of at least 1330",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { mtu: 70000 } })), [
            "clusternet:podNetwork.mtu: 70000 is more than Linux allows on an interface; use at most 65535",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { backend: "host-gw", mtu: 576 } })), []);
    });

    void it("refuses an --iface that is no interface name, or one node's address", () => {
        assert.deepEqual(problems(stack({ podNetwork: { iface: "eth 1" } })), [
            "clusternet:podNetwork.iface: \"eth 1\" is not a network interface name: \" \" is not a letter, digit, '_', '.' or '-'; use the interface's name as `ip link` shows it, e.g. eth1 (1 to 15 letters, digits, '_', '.' and '-')",
        ]);
        assert.deepEqual(problems(stack({ podNetwork: { iface: "192.168.56.10" } })), [
            "clusternet:podNetwork.iface: 192.168.56.10 is one node's address, but every node's flanneld gets the same --iface; name the interface instead (e.g. eth1), which every node has",
        ]);
    });

    void it("refuses images that are not pinned or not image references", () => {
        assert.deepEqual(
            problems(
                stack({
                    podNetwork: {
                        images: {
                            flannel: "ghcr.io/flannel-io/flannel",
                            cniPlugin: "ghcr.io/flannel-io/flannel-cni-plugin:latest",
                        },
                    },
                }),
            ),
            [
                'clusternet:podNetwork.images.flannel: "ghcr.io/flannel-io/flannel" is not pinned, so nodes could run different flannel versions; add a version tag or @sha256 digest, e.g. ghcr.io/flannel-io/flannel:v0.28.9',
                'clusternet:podNetwork.images.cniPlugin: "ghcr.io/flannel-io/flannel-cni-plugin:latest" is not pinned, so nodes could run different flannel versions; add a version tag or @sha256 digest, e.g. ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3',
            ],
        );
        assert.deepEqual(problems(stack({ podNetwork: { images: { flannel: "Flannel IO/flannel:v1" } } })), [
            'clusternet:podNetwork.images.flannel: "Flannel IO/flannel:v1" is not an image reference; write registry/repository:tag, e.g. ghcr.io/flannel-io/flannel:v0.28.9',
        ]);
    });

    void it("refuses resources Kubernetes would refuse", () => {
        assert.deepEqual(
            problems(
                stack({
                    podNetwork: {
                        resources: { requests: { cpu: "lots", memory: "256Mi", gpu: 1 }, limits: { memory: "128Mi" } },
                    },
                }),
            ),
            [
                'clusternet:podNetwork.resources.requests.cpu: "lots" is not a Kubernetes quantity; write e.g. 100m or 0.5',
                'clusternet:podNetwork.resources.requests.gpu: "gpu" is not a resource flanneld uses; use cpu, memory, ephemeral-storage',
                'clusternet:podNetwork.resources.requests.memory: "256Mi" is more than the limit "128Mi", which Kubernetes refuses; lower the request or raise the limit',
            ],
        );
        assert.equal(parseQuantity("100m"), 0.1);
        assert.equal(parseQuantity("50Mi"), 50 * 2 ** 20);
        assert.equal(parseQuantity("1e3"), 1000);
        assert.equal(parseQuantity("1.5G"), 1.5e9);
        assert.equal(parseQuantity("-1"), undefined);
    });

    void it("refuses node selectors that are not labels", () => {
        assert.deepEqual(
            problems(stack({ podNetwork: { nodeSelector: { "bad key!": "yes", "lab.example/role": "a b" } } })),
            [
                "clusternet:podNetwork.nodeSelector.bad key!: \"bad key!\" is not a label key; write an optional DNS prefix and a name of letters, digits, '-', '_' and '.', e.g. node-role.kubernetes.io/worker",
                "clusternet:podNetwork.nodeSelector.lab.example/role: \"a b\" is not a label value; use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
            ],
        );
    });

    void it("refuses wireguard settings that clash with the cluster's families", () => {
        assert.deepEqual(
            problems(stack({ cluster: DUAL, podNetwork: { backend: "wireguard", wireguard: { listenPort: 51821 } } })),
            [
                "clusternet:podNetwork.wireguard.listenPortV6: 51821 is also the IPv4 tunnel's port, but a dual-stack cluster runs two tunnels that cannot share a port; use another port, e.g. 51820",
            ],
        );
        assert.deepEqual(
            problems(
                stack({
                    cluster: DUAL,
                    podNetwork: { backend: "wireguard", wireguard: { listenPort: 51821, mode: "auto" } },
                }),
            ),
            [],
            "one tunnel in auto mode",
        );
        assert.deepEqual(problems(stack({ podNetwork: { backend: "wireguard", wireguard: { mode: "ipv6" } } })), [
            "clusternet:podNetwork.wireguard.mode: tunnels between the nodes' IPv6 addresses, but the cluster has no IPv6 pod CIDR, so flannel knows no IPv6 node addresses; use separate (the default) or ipv4",
        ]);
    });

    void it("takes the WireGuard PSK only from a secret, and checks it where it is plain text", () => {
        assert.deepEqual(problems(stack({ podNetwork: { backend: "wireguard", wireguard: { psk: PSK } } })), [
            "clusternet:podNetwork.wireguard.psk: holds a secret in plain text; set it with: pulumi config set --secret --path 'clusternet:podNetwork.wireguard.psk' <value>",
        ]);
        assert.deepEqual(
            runtimeProblems(stack({ podNetwork: { backend: "wireguard", wireguard: { psk: PSK } } }), ["podNetwork"]),
            [],
        );
        assert.deepEqual(
            runtimeProblems(stack({ podNetwork: { backend: "wireguard", wireguard: { psk: SECRET_PLACEHOLDER } } }), [
                "podNetwork",
            ]),
            [],
            "offline placeholder",
        );
        assert.deepEqual(
            runtimeProblems(stack({ podNetwork: { backend: "wireguard", wireguard: { psk: "hunter2" } } }), [
                "podNetwork",
            ]),
            [
                "clusternet:podNetwork.wireguard.psk: is not a WireGuard key (32 bytes in base64, 44 characters ending in '='), so flanneld would fail with \"could not parse psk\"; generate one with `wg genpsk` and set it with pulumi config set --secret",
            ],
        );
    });

    void it("refuses pinned node subnets when kube-controller-manager assigns them", () => {
        assert.deepEqual(problems(stack({ podNetwork: { assignNodeCidrs: false } })), [
            "clusternet:nodes[0].podCidr: pins node \"cp-1\"'s subnet, but clusternet:podNetwork.assignNodeCidrs is false, so kube-controller-manager picks each node's subnet and ignores the pin; remove the pin, or set clusternet:podNetwork.assignNodeCidrs: true",
        ]);
    });

    void it("reports every problem of a run at once", () => {
        const found = problems(stack({ podNetwork: { backend: "udp", mtu: 100, iface: "a/b", vxlan: { vni: 1 } } }));
        assert.deepEqual(
            found.map((line) => line.split(":").slice(0, 2).join(":")),
            ["clusternet:podNetwork.vxlan", "clusternet:podNetwork.mtu", "clusternet:podNetwork.iface"],
        );
    });
});

void describe("node preparation settings that cannot work", () => {
    const enabled = (settings: Record<string, unknown>) => ({
        enabled: true,
        privateKey: { secure: "v1:abc" },
        ...settings,
    });

    void it("refuses checksum offload without a VXLAN device", () => {
        assert.deepEqual(
            problems(
                stack({ podNetwork: { backend: "host-gw" }, nodePrep: enabled({ disableVxlanChecksumOffload: true }) }),
            ),
            [
                "clusternet:nodePrep.disableVxlanChecksumOffload: works around a VXLAN bug, but the backend is host-gw, which creates no VXLAN device; remove it, or set clusternet:podNetwork.backend: vxlan",
            ],
        );
    });

    void it("refuses host keys of unknown nodes or in the wrong format", () => {
        assert.deepEqual(
            problems(
                stack({
                    nodePrep: enabled({
                        hostKeys: { cp1: HOST_KEY, "worker-1": `192.168.56.11 ${HOST_KEY}`, "worker-2": "AAAA" },
                    }),
                }),
            ),
            [
                "clusternet:nodePrep.hostKeys.cp1: names no node of this cluster; did you mean cp-1?",
                `clusternet:nodePrep.hostKeys.worker-1: starts with the host name "192.168.56.11", as ssh-keyscan prints it; remove the host name: ${HOST_KEY}`,
                'clusternet:nodePrep.hostKeys.worker-2: "AAAA" is not an SSH host key; write it as ssh-keyscan prints it without the host name, e.g. ssh-ed25519 AAAAC3Nza...',
            ],
        );
    });

    void it("refuses user names that are not user names", () => {
        assert.deepEqual(problems(stack({ nodePrep: enabled({ user: "root; reboot" }) })), [
            "clusternet:nodePrep.user: \"root; reboot\" is not a user name; use lowercase letters, digits, '_' and '-', starting with a letter or '_', e.g. root",
        ]);
    });

    void it("takes the private key only from a secret, and checks its contents where they are plain", () => {
        assert.deepEqual(problems(stack({ nodePrep: { enabled: true, privateKey: PRIVATE_KEY } })), [
            "clusternet:nodePrep.privateKey: holds a secret in plain text; set it with: pulumi config set --secret --path 'clusternet:nodePrep.privateKey' <value>",
        ]);
        assert.deepEqual(
            runtimeProblems(stack({ nodePrep: { enabled: true, privateKey: PRIVATE_KEY } }), ["nodePrep"]),
            [],
        );
        assert.deepEqual(
            runtimeProblems(stack({ nodePrep: { enabled: true, privateKey: "~/.ssh/id_ed25519" } }), ["nodePrep"]),
            [
                "clusternet:nodePrep.privateKey: looks like a file path; the key's contents are needed; cat ~/.ssh/id_ed25519 | pulumi config set --secret --path 'clusternet:nodePrep.privateKey'",
            ],
        );
        assert.deepEqual(runtimeProblems(stack({ nodePrep: { enabled: true, privateKey: HOST_KEY } }), ["nodePrep"]), [
            "clusternet:nodePrep.privateKey: holds a public key; set the private key instead: cat ~/.ssh/id_ed25519 | pulumi config set --secret --path 'clusternet:nodePrep.privateKey'",
        ]);
        assert.deepEqual(
            runtimeProblems(stack({ nodePrep: { enabled: false, privateKey: "~/.ssh/id_ed25519" } }), ["nodePrep"]),
            [],
            "unused while disabled",
        );
        // An OpenSSH key body names its cipher: "none" unless a passphrase protects it.
        const encrypted = `-----BEGIN OPENSSH PRIVATE KEY-----\n${Buffer.from("openssh-key-v1\0\0\0\0\naes256-ctr\0\0\0\x06bcrypt").toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
        assert.deepEqual(runtimeProblems(stack({ nodePrep: { enabled: true, privateKey: encrypted } }), ["nodePrep"]), [
            "clusternet:nodePrep.privateKey: is encrypted with a passphrase, which clusternet cannot pass on; use an unencrypted key (ssh-keygen -p -N '' -f KEY on a copy), or an ssh-agent",
        ]);
    });

    void it("checks a NodePrep's own args when it is built directly", () => {
        assert.deepEqual(
            nodePrepArgsProblems({
                nodes: [
                    { name: "a", host: "10.0.0.1", hostKey: "nope" },
                    { name: "a", host: "10.0.0.2" },
                ],
                user: "Bad User",
                checksumOffloadDevices: ["flannel.1 up"],
            }).map((problem) => problem.key),
            ["args.nodes[0].hostKey", "args.nodes[1].name", "args.user", "args.checksumOffloadDevices[0]"],
        );
        assert.deepEqual(nodePrepArgsProblems({ nodes: [] }).map(formatProblem), [
            "args.nodes: is empty; list at least one node",
        ]);
    });
});

void describe("validation of component args", () => {
    void it("names args keys when ClusterNetwork or PodNetwork are built directly", () => {
        const plan = planFor(DUAL_STACK);
        const clusterArgs = {
            cluster: DUAL_STACK,
            nodes: plan.nodes.map(({ name, ip }) => ({ name, ip })),
            podNetwork: { backend: "udp" as const },
        };
        const result = validateClusterNetwork(clusterArgs, ARGS_KEYS);
        assert.equal(result.ok, false);
        assert.deepEqual(!result.ok && result.problems.map((problem) => problem.key), ["args.podNetwork.backend"]);
        assert.deepEqual(
            validatePodNetwork({ vxlan: { vni: -1 } }, plan, POD_NETWORK_ARGS_KEYS).map((problem) => problem.key),
            ["args.vxlan.vni"],
        );
    });

    void it("leaves Outputs for when they resolve, and checks them then", () => {
        const plan = planFor(DUAL_STACK);
        assert.equal(knownValue(pulumi.output(1)).known, false);
        assert.deepEqual(knownValue(3), { known: true, value: 3 });
        assert.deepEqual(
            validatePodNetwork({ mtu: pulumi.output(100), iface: pulumi.output("a b") }, plan, POD_NETWORK_ARGS_KEYS),
            [],
        );
        assert.throws(
            () => resolveFlannelSpec({ mtu: 100, iface: "a b" }, plan, false),
            (error: Error) => {
                assert.match(
                    error.message,
                    /^args\.mtu: leaves the pods an MTU of 50 .*\nargs\.iface: "a b" is not a network interface name/,
                );
                return true;
            },
        );
    });
});
