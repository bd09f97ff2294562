/**
 * A PodNetwork built directly, with a WireGuard PSK and without NodePatches (mocks): the PSK reaches only the
 * Secret, as a secret; kube-controller-manager's flags are exported instead of patching the Nodes. Also: its own
 * dependsOn reaches the DaemonSet, and bad args (its own or NodePrep's) register nothing.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { manifestsOf } from "../cli/manifests";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { SECRET_PLACEHOLDER } from "../components/config";
import { schemaErrors } from "./helpers/kubernetes-schema";
import { DUAL_STACK, THREE_NODES } from "./helpers/pod-network";

const PSK = "p0kM8eYnA2dY5y3Ys4HkJ8pVd4m7Yc9Qe1Fz6bTq2Ws=";

let run: OfflineRun;
const errors: Record<string, string> = {};
const byName = (name: string): RecordedResource => {
    const resource = run.resources.find((candidate) => candidate.name === name);
    assert.ok(resource, `${name} was registered`);
    return resource;
};

void describe("PodNetwork with a WireGuard PSK, leaving podCIDRs to kube-controller-manager (mocks)", () => {
    before(async () => {
        run = await runOffline({
            program: async () => {
                const { PodNetwork } = await import("../components/pod-network/index.js");
                const { NodePrep } = await import("../components/node-prep/index.js");
                const k8s = await import("@pulumi/kubernetes");
                const before = new k8s.core.v1.ConfigMap("before", {
                    metadata: { name: "before", namespace: "default" },
                    data: {},
                });
                new PodNetwork("waiting", { cluster: DUAL_STACK, nodes: THREE_NODES }, { dependsOn: [before] });
                try {
                    new PodNetwork("bad", {
                        cluster: { ...DUAL_STACK, podCidr: "10.244.0.0/33" },
                        nodes: THREE_NODES,
                        mtu: 100,
                    });
                } catch (error) {
                    errors["plan"] = String(error);
                }
                try {
                    new PodNetwork("bad-mtu", { cluster: DUAL_STACK, nodes: THREE_NODES, mtu: 100 });
                } catch (error) {
                    errors["settings"] = String(error);
                }
                try {
                    new NodePrep("bad-prep", { nodes: [], user: "root user" });
                } catch (error) {
                    errors["nodePrep"] = String(error);
                }
                const network = new PodNetwork("net", {
                    cluster: DUAL_STACK,
                    nodes: THREE_NODES,
                    backend: "wireguard",
                    // Inputs that resolve later are fine: they are checked once they do.
                    iface: pulumi.output("eth1"),
                    wireguard: { psk: pulumi.secret(PSK), listenPort: pulumi.output(51000) },
                    assignNodeCidrs: false,
                });
                return {
                    podMtu: network.podMtu,
                    controllerManagerFlags: network.controllerManagerFlags,
                    netConf: network.netConf,
                };
            },
            project: "clusternet",
            stack: "test",
            config: {},
            secretKeys: [],
        });
    });

    void it("patches no Node", () => {
        assert.deepEqual(
            run.resources.filter(
                (resource) => resource.type === "kubernetes:core/v1:NodePatch" && resource.parent === byName("net").urn,
            ),
            [],
        );
    });

    void it("hands its own dependsOn to the DaemonSet (after the NodePatches), not to the other objects", () => {
        const before = byName("before").urn;
        assert.deepEqual(byName("waiting").dependsOn, [before]);
        const dependsOn = byName("waiting-daemon-set").dependsOn;
        assert.equal(dependsOn.at(-1), before);
        assert.ok(dependsOn.includes(byName("waiting-node-cp-1").urn));
        for (const name of ["waiting-namespace", "waiting-config", "waiting-node-cp-1"]) {
            assert.ok(!byName(name).dependsOn.includes(before), name);
        }
    });

    void it("refuses bad args before registering anything, naming the args' keys: the plan's, then the settings'", () => {
        assert.match(errors["plan"]!, /PodNetwork "bad" has invalid args:\nargs\.cluster\.podCidr: /);
        assert.match(
            errors["settings"]!,
            /PodNetwork "bad-mtu" has invalid args:\nargs\.mtu: leaves the pods an MTU of 50/,
        );
        assert.match(errors["nodePrep"]!, /NodePrep "bad-prep" has invalid args:\nargs\.nodes: is empty/);
        assert.deepEqual(
            run.resources.filter((resource) => resource.name.startsWith("bad")).map((resource) => resource.name),
            [],
        );
    });

    void it("puts net-conf.json with the PSK into a Secret, held as a secret", () => {
        const secret = byName("net-net-conf");
        assert.equal(secret.type, "kubernetes:core/v1:Secret");
        assert.ok(secret.dependsOn.includes(byName("net-namespace").urn));
        assert.ok(
            secret.secretPaths.length > 0 && secret.secretPaths.every((at) => at[0] === "stringData"),
            "the net-conf.json is a secret",
        );
        const conf = JSON.parse((secret.props["stringData"] as Record<string, string>)["net-conf.json"]!);
        assert.deepEqual(conf.Backend, { Type: "wireguard", ListenPort: 51000, PSK });
        assert.equal(conf.IPv6Network, "fd00:10:244::/56");
    });

    void it("keeps the PSK out of everything else: the ConfigMap and the DaemonSet are not secrets", () => {
        for (const resource of run.resources.filter(
            (candidate) => candidate.name !== "net-net-conf" && candidate.custom,
        )) {
            assert.ok(!JSON.stringify(resource.props).includes(PSK), `${resource.name} does not hold the PSK`);
            assert.deepEqual(resource.secretPaths, [], `${resource.name} has no secret`);
        }
        assert.deepEqual(Object.keys(byName("net-config").props["data"] as object), ["cni-conf.json"]);
    });

    void it("points flanneld at the Secret's net-conf.json, and waits for the Secret", () => {
        const daemonSet = byName("net-daemon-set");
        const pod = (daemonSet.props["spec"] as any).template.spec;
        assert.deepEqual(pod.containers[0].args, [
            "--ip-masq",
            "--kube-subnet-mgr",
            "--healthz-port=8081",
            "--iface=eth1",
            "--net-config-path=/etc/kube-flannel-net-conf/net-conf.json",
        ]);
        assert.ok(daemonSet.dependsOn.includes(byName("net-net-conf").urn));
    });

    void it("renders the Secret with a placeholder instead of the PSK, and every object valid", async () => {
        const manifests = manifestsOf(run.resources);
        const secret = manifests.find((manifest) => manifest.kind === "Secret")!;
        assert.deepEqual((secret.object["stringData"] as Record<string, string>)["net-conf.json"], SECRET_PLACEHOLDER);
        for (const manifest of manifests) {
            assert.deepEqual(await schemaErrors(manifest.object), [], `${manifest.kind} ${manifest.name}`);
        }
    });

    void it("exports the pod MTU and the kube-controller-manager flags matching the plan", () => {
        assert.equal(run.outputs["podMtu"], 1420);
        assert.deepEqual(run.outputs["controllerManagerFlags"], [
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.244.0.0/16,fd00:10:244::/56",
            "--node-cidr-mask-size-ipv4=24",
            "--node-cidr-mask-size-ipv6=64",
            "--service-cluster-ip-range=10.96.0.0/12,fd00:10:96::/112",
        ]);
    });
});
