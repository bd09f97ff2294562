/** `clusternet render` end to end: the dev stack's flannel objects and NodePatches, and bad input refused. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

void describe("clusternet render with the pod network", () => {
    void it("writes the flannel objects and one NodePatch per node whose podCIDRs are the plan's", async () => {
        const dir = temporaryDirectory();
        const stackFile = writeStackFile(dir, "lab", devConfig());
        const out = path.join(dir, "rendered");
        const planned = await runCli([
            "plan",
            "--config-file",
            stackFile,
            "--format",
            "json",
            "--no-save",
            "--no-previous",
        ]);
        assert.equal(planned.code, 0, planned.stderr);
        const plan = JSON.parse(planned.stdout) as { nodes: Array<{ name: string; podCidr: string }> };

        const rendered = await runCli([
            "render",
            "--config-file",
            stackFile,
            "--out",
            out,
            "--no-save",
            "--no-previous",
        ]);
        assert.equal(rendered.code, 0, rendered.stderr);
        const files = fs.readdirSync(out).filter((file) => file.endsWith(".yaml"));
        const flannelFiles = files
            .filter((file) => /kube-flannel|flannel\.yaml$|node-patch/.test(file))
            .map((file) => file.slice(4));
        assert.deepEqual(flannelFiles, [
            "namespace-kube-flannel.yaml",
            "node-patch-cp-1.yaml",
            "node-patch-worker-1.yaml",
            "node-patch-worker-2.yaml",
            "serviceaccount-kube-flannel-flannel.yaml",
            "configmap-kube-flannel-kube-flannel-cfg.yaml",
            "clusterrole-flannel.yaml",
            "clusterrolebinding-flannel.yaml",
            "daemonset-kube-flannel-kube-flannel-ds.yaml",
        ]);
        const fileOf = (suffix: string): string =>
            path.join(
                out,
                files.find((file) => file.endsWith(suffix))!,
            );
        for (const node of plan.nodes) {
            const patch = parse(fs.readFileSync(fileOf(`-node-patch-${node.name}.yaml`), "utf8")) as {
                kind: string;
                metadata: { name: string };
                spec: { podCIDR: string; podCIDRs: string[] };
            };
            assert.deepEqual(
                [patch.kind, patch.metadata.name, patch.spec.podCIDR, patch.spec.podCIDRs],
                ["Node", node.name, node.podCidr, [node.podCidr]],
            );
        }
        const configMap = parse(fs.readFileSync(fileOf("-configmap-kube-flannel-kube-flannel-cfg.yaml"), "utf8")) as {
            data: Record<string, string>;
        };
        assert.equal(JSON.parse(configMap.data["net-conf.json"]!).Network, "10.244.0.0/16");
    });

    void it("refuses bad pod network settings with one line per problem, and writes nothing", async () => {
        const dir = temporaryDirectory();
        const cluster = {
            ...(devConfig()["cluster"] as object),
            podCidrV6: "fd00:10:244::/56",
            serviceCidrV6: "fd00:10:96::/112",
        };
        const stackFile = writeStackFile(dir, "bad", {
            ...devConfig(),
            cluster,
            podNetwork: { backend: "udp", mtu: 9999999 },
        });
        const out = path.join(dir, "rendered");
        const result = await runCli(["render", "--config-file", stackFile, "--out", out, "--no-save", "--no-previous"]);
        assert.equal(result.code, 2);
        assert.deepEqual(result.stderr.trim().split("\n"), [
            "clusternet:podNetwork.backend: flannel's udp backend carries IPv4 only, but the cluster has the IPv6 pod CIDR fd00:10:244::/56; use vxlan, host-gw or wireguard, or remove clusternet:cluster.podCidrV6",
            "clusternet:podNetwork.mtu: 9999999 is more than Linux allows on an interface; use at most 65535",
            "clusternet: 2 problem(s) in the input; nothing was written",
        ]);
        assert.ok(!fs.existsSync(out));
    });
});
