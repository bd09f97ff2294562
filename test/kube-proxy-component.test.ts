/** KubeProxy under Pulumi's mocks, alone and inside ClusterNetwork: what it registers and with which options. */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import type { OfflineRun, RecordedResource } from "../cli/offline";
import { schemaErrors } from "./helpers/kubernetes-schema";

let run: OfflineRun;
let invalid = "";

before(async () => {
    const { runOffline } = await import("../cli/offline.js");
    run = await runOffline({
        program: async () => {
            const { ClusterNetwork, KubeProxy } = await import("../components/index.js");
            const network = new ClusterNetwork("lab", {
                cluster: { podCidr: "10.244.0.0/16", podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
                nodes: [
                    { name: "cp-1", ip: "192.168.56.10" },
                    { name: "worker-1", ip: "192.168.56.11" },
                ],
                kubeProxy: { mode: "nftables" },
                nodePrep: { user: "root" },
            });
            new KubeProxy("full", {
                manage: "full",
                mode: "ipvs",
                ipvs: { strictARP: true },
                clusterCidrs: ["10.244.0.0/16"],
                kubernetesVersion: "1.34.2",
                apiServer: "https://192.168.56.10:6443",
            });
            try {
                new KubeProxy("bad", { clusterCidrs: [], mode: "userspace" as never });
            } catch (error) {
                invalid = (error as Error).message;
            }
            return { kubeProxyMode: network.kubeProxyMode };
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

function resource(name: string): RecordedResource {
    const found = run.resources.find((candidate) => candidate.name === name);
    assert.ok(found, `no resource ${name}; registered: ${run.resources.map((r) => r.name).join(", ")}`);
    return found;
}
const props = (name: string): any => resource(name).props;

describe("KubeProxy in ClusterNetwork (manage config, nftables)", () => {
    it("patches kubeadm's ConfigMap and DaemonSet as children, kept on delete, the rollout after the config", () => {
        const component = resource("lab-kube-proxy");
        assert.equal(component.type, "clusternet:index:KubeProxy");
        assert.equal(component.parent, resource("lab").urn);
        const config = resource("lab-kube-proxy-config");
        const rollout = resource("lab-kube-proxy-rollout");
        assert.equal(config.type, "kubernetes:core/v1:ConfigMapPatch");
        assert.equal(rollout.type, "kubernetes:apps/v1:DaemonSetPatch");
        assert.equal(config.options.retainOnDelete, true);
        assert.equal(rollout.options.retainOnDelete, true);
        assert.ok(rollout.dependsOn.includes(config.urn));
    });

    it("writes the mode and both pod CIDRs as clusterCIDR, and puts their hash on the pod template", () => {
        const text = props("lab-kube-proxy-config").data["config.conf"] as string;
        const config = parse(text);
        assert.equal(config.mode, "nftables");
        assert.equal(config.clusterCIDR, "10.244.0.0/16,fd00:10:244::/56");
        const annotations = props("lab-kube-proxy-rollout").spec.template.metadata.annotations;
        assert.match(annotations["clusternet.dev/kube-proxy-config-hash"], /^[0-9a-f]{16}$/);
        assert.equal(run.outputs["kubeProxyMode"], "nftables");
    });

    it("turns flannel's EnableNFTables on with nftables mode", () => {
        const configMap = run.resources.find(
            (r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.startsWith("lab-"),
        );
        const netConf = JSON.parse((configMap!.props as any).data["net-conf.json"]);
        assert.equal(netConf.EnableNFTables, true);
    });

    it("prepares the nodes for nftables first: the script checks versions, kube-proxy waits for it", () => {
        const nodePrep = resource("lab-node-prep");
        assert.match(props("lab-node-prep-cp-1").stdin as string, /^PROXY_MODE='nftables'$/m);
        assert.match(props("lab-node-prep-cp-1").create as string, /prepare 'cp-1'/);
        assert.ok(resource("lab-kube-proxy").dependsOn.includes(nodePrep.urn));
    });
});

describe("KubeProxy with manage full", () => {
    it("deploys kubeadm's addon objects, each valid", async () => {
        const names = [
            "full-service-account",
            "full-cluster-role-binding",
            "full-config-reader",
            "full-config",
            "full-daemon-set",
        ];
        for (const name of names) {
            const recorded = resource(name);
            const [, group, kind] = /^kubernetes:([^:]+):(\w+)$/.exec(recorded.type)!;
            const apiVersion = group!.startsWith("core/")
                ? group!.slice(5)
                : group!.replace(/^rbac\//, "rbac.authorization.k8s.io/");
            assert.deepEqual(await schemaErrors({ apiVersion, kind, ...recorded.props }), [], name);
        }
        assert.equal(
            props("full-daemon-set").spec.template.spec.containers[0].image,
            "registry.k8s.io/kube-proxy:v1.34.2",
        );
        const config = parse(props("full-config").data["config.conf"]);
        assert.deepEqual([config.mode, config.ipvs.strictARP], ["ipvs", true]);
    });

    it("refuses bad args before registering anything, naming each", () => {
        assert.match(invalid, /args\.mode: "userspace" is not a kube-proxy mode/);
        assert.match(invalid, /args\.clusterCidrs: has 0 entries/);
        assert.ok(!run.resources.some((r) => r.name.startsWith("bad")));
    });
});
