import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { KubeProxyMode, kubeProxyConfigMapPatch, resolveKubeProxySpec } from "../components/kube-proxy";
import {
    KUBE_PROXY_CONFIG,
    KUBE_PROXY_IPVS_DEPRECATED,
    kubeProxyConfig,
    kubeProxyIpvsDeprecated,
} from "../policies/kube-proxy";
import { devPlan, flannelConfigMap, messages, stackResource, urnOf, violationsOf } from "./helpers/policy-fixtures";
import type { EngineResource } from "../cli/policy-harness";

const PATCH_TYPE = "kubernetes:core/v1:ConfigMapPatch";

/** kubeadm's ConfigMap taken over by the stack: the patch KubeProxy registers, built by its own builder. */
function kubeProxyPatch(clusterCidrs: string[], mode: KubeProxyMode = KubeProxyMode.Iptables): EngineResource {
    return {
        type: PATCH_TYPE,
        name: "lab-kube-proxy-config",
        urn: urnOf(PATCH_TYPE, "lab-kube-proxy-config"),
        props: kubeProxyConfigMapPatch(resolveKubeProxySpec({ clusterCidrs, mode })),
    };
}

function withConfig(text: string): EngineResource {
    const resource = kubeProxyPatch(["10.244.0.0/16"]);
    return { ...resource, props: { ...resource.props, data: { "config.conf": text } } };
}

describe(KUBE_PROXY_CONFIG, () => {
    it("passes the stack's own config: clusterCIDR from the plan, any mode", async () => {
        for (const mode of [KubeProxyMode.Iptables, KubeProxyMode.Nftables, KubeProxyMode.Ipvs]) {
            const found = await violationsOf(kubeProxyConfig, [
                stackResource(),
                kubeProxyPatch(["10.244.0.0/16"], mode),
            ]);
            assert.deepEqual(messages(found), [], mode);
        }
    });

    it("refuses a clusterCIDR other than the plan's pod CIDR, naming both", async () => {
        const found = await violationsOf(kubeProxyConfig, [stackResource(), kubeProxyPatch(["10.245.0.0/16"])]);
        assert.equal(found.length, 1);
        assert.equal(found[0]!.urn, urnOf(PATCH_TYPE, "lab-kube-proxy-config"));
        assert.match(
            found[0]!.message,
            /clusterCIDR is "10\.245\.0\.0\/16", but the pod CIDR\(s\) are 10\.244\.0\.0\/16/,
        );
    });

    it("needs both families in a dual-stack cluster, in either order", async () => {
        const plan = stackResource(devPlan({ podCidrV6: "fd00:10:244::/56" }));
        assert.equal((await violationsOf(kubeProxyConfig, [plan, kubeProxyPatch(["10.244.0.0/16"])])).length, 1);
        assert.deepEqual(
            messages(
                await violationsOf(kubeProxyConfig, [plan, kubeProxyPatch(["fd00:10:244::/56", "10.244.0.0/16"])]),
            ),
            [],
        );
    });

    it("falls back on flannel's Network without a plan", async () => {
        const found = await violationsOf(kubeProxyConfig, [
            stackResource(null),
            flannelConfigMap(),
            kubeProxyPatch(["10.0.0.0/16"]),
        ]);
        assert.match(messages(found)[0]!, /flannel's Network/);
    });

    it("refuses a mode the nodes do not support, and one kube-proxy does not know", async () => {
        const nftables = kubeProxyPatch(["10.244.0.0/16"], KubeProxyMode.Nftables);
        const found = await violationsOf(kubeProxyConfig, [stackResource(), nftables], {
            [KUBE_PROXY_CONFIG]: { properties: { modes: ["iptables"] } },
        });
        assert.match(messages(found)[0]!, /mode nftables is not one the nodes support/);
        const userspace = withConfig(
            stringify({ kind: "KubeProxyConfiguration", mode: "userspace", clusterCIDR: "10.244.0.0/16" }),
        );
        assert.match(
            messages(await violationsOf(kubeProxyConfig, [stackResource(), userspace]))[0]!,
            /"userspace" is not a kube-proxy mode/,
        );
        // An empty mode is kube-proxy's default, iptables.
        const empty = withConfig(stringify({ mode: "", clusterCIDR: "10.244.0.0/16" }));
        assert.deepEqual(messages(await violationsOf(kubeProxyConfig, [stackResource(), empty])), []);
    });
});

describe(KUBE_PROXY_IPVS_DEPRECATED, () => {
    it("notes ipvs with its removal target and the way out, and nothing else", async () => {
        const ipvs = await violationsOf(kubeProxyIpvsDeprecated, [
            kubeProxyPatch(["10.244.0.0/16"], KubeProxyMode.Ipvs),
        ]);
        assert.equal(ipvs.length, 1);
        assert.match(ipvs[0]!.message, /1\.38.*nftables/);
        assert.deepEqual(await violationsOf(kubeProxyIpvsDeprecated, [kubeProxyPatch(["10.244.0.0/16"])]), []);
    });
});
