/** kube-proxy's pure builders and checks: the KubeProxyConfiguration as kubeadm writes it, the objects, the problems. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { STACK_KEYS, formatProblem } from "../components/common";
import { ConfigSource, loadStack, readStackFile } from "../components/config";
import {
    CONFIG_HASH_ANNOTATION,
    KubeProxyArgs,
    KubeProxyManage,
    KubeProxyMode,
    kubeProxyArgsProblems,
    kubeProxyClusterRoleBinding,
    kubeProxyConfigMap,
    kubeProxyConfigMapPatch,
    kubeProxyConfigReaderRole,
    kubeProxyConfigReaderRoleBinding,
    kubeProxyConfiguration,
    kubeProxyDaemonSet,
    kubeProxyDaemonSetPatch,
    kubeProxyServiceAccount,
    kubeProxyWarnings,
    resolveKubeProxySpec,
    validateKubeProxy,
} from "../components/kube-proxy";
import { clusternet, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { schemaErrors } from "./helpers/kubernetes-schema";

const KUBEADM_KEYS = JSON.parse(
    fs.readFileSync(path.join(__dirname, "fixtures", "kubeadm-kube-proxy-config-keys.json"), "utf8"),
) as Record<string, string[]>;

function spec(args: Partial<KubeProxyArgs> = {}) {
    return resolveKubeProxySpec({ clusterCidrs: ["10.244.0.0/16"], ...args });
}

describe("KubeProxyConfiguration", () => {
    it("has every field kubeadm writes, zero values included, and no other", () => {
        const config = kubeProxyConfiguration(spec());
        assert.deepEqual(Object.keys(config).sort(), [...KUBEADM_KEYS["top"]!].sort());
        for (const section of ["conntrack", "ipvs", "iptables", "nftables"]) {
            assert.deepEqual(
                Object.keys(config[section] as object).sort(),
                [...KUBEADM_KEYS[section]!].sort(),
                section,
            );
        }
        assert.equal(config["apiVersion"], "kubeproxy.config.k8s.io/v1alpha1");
        assert.equal(config["kind"], "KubeProxyConfiguration");
        assert.deepEqual(config["clientConnection"], {
            acceptContentTypes: "",
            burst: 0,
            contentType: "",
            kubeconfig: "/var/lib/kube-proxy/kubeconfig.conf",
            qps: 0,
        });
        assert.equal(config["bindAddress"], "0.0.0.0");
    });

    it("takes clusterCIDR from the plan, both families comma-separated, IPv4 first", () => {
        assert.equal(kubeProxyConfiguration(spec())["clusterCIDR"], "10.244.0.0/16");
        const dual = spec({ clusterCidrs: ["10.244.0.0/16", "fd00:10:244::/56"] });
        assert.equal(kubeProxyConfiguration(dual)["clusterCIDR"], "10.244.0.0/16,fd00:10:244::/56");
        const v6 = kubeProxyConfiguration(spec({ clusterCidrs: ["fd00:10:244::/56"] }));
        assert.equal(v6["bindAddress"], "::");
    });

    it("writes the mode explicitly, iptables by default", () => {
        assert.equal(kubeProxyConfiguration(spec())["mode"], "iptables");
        assert.equal(kubeProxyConfiguration(spec({ mode: KubeProxyMode.Nftables }))["mode"], "nftables");
    });

    it("writes ipvs.strictARP and the scheduler only in ipvs mode", () => {
        const ipvs = kubeProxyConfiguration(
            spec({ mode: KubeProxyMode.Ipvs, ipvs: { strictARP: true, scheduler: "wrr" } }),
        );
        assert.deepEqual([(ipvs["ipvs"] as any).strictARP, (ipvs["ipvs"] as any).scheduler], [true, "wrr"]);
        const iptables = kubeProxyConfiguration(spec({ ipvs: { strictARP: true } }));
        assert.deepEqual([(iptables["ipvs"] as any).strictARP, (iptables["ipvs"] as any).scheduler], [false, ""]);
    });

    it("writes node port addresses and conntrack settings, null where unset as kubeadm does", () => {
        const config = kubeProxyConfiguration(
            spec({ nodePortAddresses: ["192.168.56.0/24"], conntrack: { maxPerCore: 0, tcpEstablishedTimeout: "2h" } }),
        );
        assert.deepEqual(config["nodePortAddresses"], ["192.168.56.0/24"]);
        assert.deepEqual(config["conntrack"], {
            maxPerCore: 0,
            min: null,
            tcpBeLiberal: false,
            tcpCloseWaitTimeout: null,
            tcpEstablishedTimeout: "2h",
            udpStreamTimeout: "0s",
            udpTimeout: "0s",
        });
        assert.equal(kubeProxyConfiguration(spec())["nodePortAddresses"], null);
    });

    it("is written as YAML that reads back to the same object, keys sorted", () => {
        const patch = kubeProxyConfigMapPatch(spec({ mode: KubeProxyMode.Nftables }));
        const text = patch.data!["config.conf"]!;
        assert.deepEqual(parse(text), kubeProxyConfiguration(spec({ mode: KubeProxyMode.Nftables })));
        assert.ok(text.startsWith("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\n"));
    });
});

describe("kube-proxy's objects", () => {
    const full = spec({
        manage: KubeProxyManage.Full,
        kubernetesVersion: "1.34.2",
        apiServer: "https://192.168.56.10:6443",
    });

    it("deploys kubeadm's addon with manage full: every object valid, image pinned to the cluster's version", async () => {
        const objects = [
            kubeProxyServiceAccount(),
            kubeProxyClusterRoleBinding(),
            kubeProxyConfigReaderRole(),
            kubeProxyConfigReaderRoleBinding(),
            kubeProxyConfigMap(full),
            kubeProxyDaemonSet(full),
        ];
        for (const object of objects) {
            assert.deepEqual(await schemaErrors(object), [], `${object.kind}`);
        }
        const daemonSet = kubeProxyDaemonSet(full);
        const container = daemonSet.spec.template.spec!.containers[0]!;
        assert.equal(container.image, "registry.k8s.io/kube-proxy:v1.34.2");
        assert.deepEqual(container.command, [
            "/usr/local/bin/kube-proxy",
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=$(NODE_NAME)",
        ]);
        assert.equal(kubeProxyClusterRoleBinding().roleRef.name, "system:node-proxier");
        const kubeconfig = parse(kubeProxyConfigMap(full).data!["kubeconfig.conf"]!);
        assert.equal(kubeconfig.clusters[0].cluster.server, "https://192.168.56.10:6443");
    });

    it("patches only config.conf of kubeadm's ConfigMap, taking the field over", async () => {
        const patch = kubeProxyConfigMapPatch(spec());
        assert.deepEqual(Object.keys(patch.data!), ["config.conf"]);
        assert.equal(patch.metadata!.annotations!["pulumi.com/patchForce"], "true");
        assert.deepEqual([patch.metadata!.namespace, patch.metadata!.name], ["kube-system", "kube-proxy"]);
        assert.deepEqual(await schemaErrors(patch), []);
    });

    it("rolls the DaemonSet exactly when config.conf changes", () => {
        const hash = (args: Partial<KubeProxyArgs>): string =>
            kubeProxyDaemonSetPatch(spec(args)).spec.template.metadata!.annotations![CONFIG_HASH_ANNOTATION]!;
        assert.equal(hash({}), hash({}));
        assert.notEqual(hash({}), hash({ mode: KubeProxyMode.Nftables }));
        assert.notEqual(hash({}), hash({ clusterCidrs: ["10.245.0.0/16"] }));
        // manage config: the patch carries nothing but the annotation.
        assert.deepEqual(Object.keys(kubeProxyDaemonSetPatch(spec()).spec.template), ["metadata"]);
    });
});

describe("kube-proxy's checks", () => {
    const keys = STACK_KEYS;
    const keysOf = (problems: readonly { key: string }[]): string[] => problems.map((problem) => problem.key);

    it("warns about ipvs, naming the removal target and suggesting nftables", () => {
        const [warning] = kubeProxyWarnings({ mode: KubeProxyMode.Ipvs }, keys);
        assert.equal(warning?.key, "clusternet:kubeProxy.mode");
        assert.match(formatProblem(warning), /1\.38.*nftables/);
        assert.deepEqual(kubeProxyWarnings({ mode: KubeProxyMode.Nftables }, keys), []);
    });

    it("accepts the three modes and refuses IPVS settings outside ipvs mode", () => {
        for (const mode of [KubeProxyMode.Iptables, KubeProxyMode.Nftables, KubeProxyMode.Ipvs]) {
            assert.deepEqual(validateKubeProxy({ mode }, {}, keys), [], mode);
        }
        assert.deepEqual(
            keysOf(validateKubeProxy({ mode: KubeProxyMode.Nftables, ipvs: { strictARP: true } }, {}, keys)),
            ["clusternet:kubeProxy.ipvs"],
        );
    });

    it("refuses nftables on a cluster older than 1.31, and a version that does not parse", () => {
        const old = validateKubeProxy({ mode: KubeProxyMode.Nftables }, { kubernetesVersion: "1.30.4" }, keys);
        assert.deepEqual(keysOf(old), ["clusternet:kubeProxy.mode"]);
        assert.deepEqual(
            validateKubeProxy({ mode: KubeProxyMode.Nftables }, { kubernetesVersion: "1.33.0" }, keys),
            [],
        );
        assert.deepEqual(keysOf(validateKubeProxy({}, { kubernetesVersion: "latest" }, keys)), [
            "clusternet:cluster.kubernetesVersion",
        ]);
    });

    it("needs the cluster's version (or an image) for manage full, and https for its API server", () => {
        assert.deepEqual(keysOf(validateKubeProxy({ manage: KubeProxyManage.Full }, {}, keys)), [
            "clusternet:cluster.kubernetesVersion",
        ]);
        assert.deepEqual(
            keysOf(
                validateKubeProxy(
                    {
                        manage: KubeProxyManage.Full,
                        image: "registry.k8s.io/kube-proxy:latest",
                        apiServer: "http://x:6443",
                    },
                    {},
                    keys,
                ),
            ),
            ["clusternet:kubeProxy.image", "clusternet:kubeProxy.apiServer"],
        );
        assert.deepEqual(keysOf(validateKubeProxy({ image: "registry.k8s.io/kube-proxy:v1.34.2" }, {}, keys)), [
            "clusternet:kubeProxy.image",
        ]);
    });

    it("checks node port addresses and conntrack durations", () => {
        const problems = validateKubeProxy(
            {
                nodePortAddresses: ["primary", "192.168.56.0/24", "192.168.56.1/24"],
                conntrack: { tcpCloseWaitTimeout: "1 hour" },
            },
            {},
            keys,
        );
        assert.deepEqual(keysOf(problems), [
            "clusternet:kubeProxy.nodePortAddresses[2]",
            "clusternet:kubeProxy.conntrack.tcpCloseWaitTimeout",
        ]);
    });

    it("checks the component's own args: one or two cluster CIDRs, an API server with manage full", () => {
        assert.deepEqual(keysOf(kubeProxyArgsProblems({ clusterCidrs: [] })), ["args.clusterCidrs"]);
        assert.deepEqual(
            keysOf(
                kubeProxyArgsProblems({
                    clusterCidrs: ["10.244.0.0/16"],
                    manage: KubeProxyManage.Full,
                    kubernetesVersion: "1.34.2",
                }),
            ),
            ["args.apiServer"],
        );
    });
});

describe("clusternet:kubeProxy in a stack file", () => {
    const dir = temporaryDirectory();
    function source(config: Record<string, unknown>): ConfigSource {
        const read = readStackFile(writeStackFile(dir, "kp", config));
        assert.ok(read.ok);
        return read.value;
    }

    it("loads with defaults applied and hands ClusterNetwork the settings", () => {
        const loaded = loadStack(source({ ...devConfig(), kubeProxy: { mode: "nftables" } }));
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        assert.deepEqual(loaded.value.args.kubeProxy, { mode: "nftables", manage: "config" });
    });

    it("names each problem by its key: unknown mode, typo, manage full without a version", () => {
        const loaded = loadStack(source({ ...devConfig(), kubeProxy: { mode: "userspace", strictArp: true } }));
        assert.ok(!loaded.ok);
        assert.deepEqual(loaded.problems.map((problem) => problem.key).sort(), [
            "clusternet:kubeProxy.mode",
            "clusternet:kubeProxy.strictArp",
        ]);
        const full = loadStack(source({ ...devConfig(), kubeProxy: { manage: "full" } }));
        assert.ok(!full.ok);
        assert.deepEqual(
            full.problems.map((problem) => problem.key),
            ["clusternet:cluster.kubernetesVersion"],
        );
    });
});

describe("clusternet plan with kube-proxy in ipvs mode", () => {
    it("warns, naming the removal target and nftables, and still plans (exit 0)", () => {
        const dir = temporaryDirectory();
        const file = writeStackFile(dir, "ipvs", { ...devConfig(), kubeProxy: { mode: "ipvs" } });
        const result = clusternet(["plan", "--config-file", file, "--no-save"]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(
            result.stdout + result.stderr,
            /warning: clusternet:kubeProxy\.mode: ipvs is deprecated .* 1\.38; use mode: nftables/,
        );
    });
});
