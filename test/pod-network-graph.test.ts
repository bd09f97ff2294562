/**
 * ClusterNetwork with the pod network and node preparation, under Pulumi's mocks: what is registered, under which
 * parent and name, in which order, and what waits for what.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { manifestsOf } from "../cli/manifests";
import { OfflineRun, RecordedResource, runOffline } from "../cli/offline";
import { NodePrepAction, remoteInvocation } from "../components/node-prep";
import { scriptHash } from "../components/node-prep/script";
import { flannelDaemonSet, resolveFlannelSpec } from "../components/pod-network";
import { runGraph, waitsFor } from "./helpers/graph";
import { schemaErrors } from "./helpers/kubernetes-schema";
import { DUAL_STACK, THREE_NODES, planFor, wire } from "./helpers/pod-network";

const PRIVATE_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMy3dHvbYm0sOJ7KD8Hd2e8ZQ2dPzGQ6cHfN0u9zAiXm";

let run: OfflineRun;
const byName = (name: string): RecordedResource => {
    const resource = run.resources.find((candidate) => candidate.name === name);
    assert.ok(resource, `${name} was registered`);
    return resource;
};
const urn = (name: string): string => byName(name).urn;
const ofType = (type: string): RecordedResource[] => run.resources.filter((resource) => resource.type === type);

void describe("ClusterNetwork with the pod network and node preparation (mocks)", () => {
    before(async () => {
        run = await runOffline({
            program: async () => {
                const { ClusterNetwork } = await import("../components/cluster-network/index.js");
                const network = new ClusterNetwork("lab", {
                    cluster: DUAL_STACK,
                    nodes: THREE_NODES,
                    podNetwork: { mtu: 9000 },
                    nodePrep: {
                        user: "vagrant",
                        privateKey: pulumi.secret(PRIVATE_KEY),
                        hostKeys: { "cp-1": HOST_KEY },
                        disableVxlanChecksumOffload: true,
                    },
                });
                return { podMtu: network.podMtu, controllerManagerFlags: network.controllerManagerFlags ?? "none" };
            },
            project: "clusternet",
            stack: "test",
            config: {},
            secretKeys: [],
        });
    });

    void it("registers the components under ClusterNetwork, and their children under them, each named after its parent", () => {
        const parents = Object.fromEntries(
            run.resources.map((resource) => [resource.name, resource.parent?.split("::").pop()]),
        );
        assert.equal(parents["lab-pod-network"], "lab");
        assert.equal(parents["lab-node-prep"], "lab");
        assert.equal(byName("lab-pod-network").type, "clusternet:index:PodNetwork");
        assert.equal(byName("lab-node-prep").type, "clusternet:index:NodePrep");
        for (const resource of run.resources) {
            const parent = parents[resource.name];
            if (parent && parent !== "lab") {
                assert.ok(resource.name.startsWith(`${parent}-`), `${resource.name} is named after ${parent}`);
            }
        }
        assert.deepEqual(
            run.resources
                .filter((resource) => parents[resource.name] === "lab-pod-network")
                .map((resource) => `${resource.type.split(":").pop()} ${resource.name}`),
            [
                "Namespace lab-pod-network-namespace",
                "ServiceAccount lab-pod-network-service-account",
                "ClusterRole lab-pod-network-cluster-role",
                "ClusterRoleBinding lab-pod-network-cluster-role-binding",
                "ConfigMap lab-pod-network-config",
                "NodePatch lab-pod-network-node-cp-1",
                "NodePatch lab-pod-network-node-worker-1",
                "NodePatch lab-pod-network-node-worker-2",
                "DaemonSet lab-pod-network-daemon-set",
            ],
        );
        assert.deepEqual(
            ofType("command:remote:Command").map((resource) => [resource.name, resource.parent]),
            THREE_NODES.map((node) => [`lab-node-prep-${node.name}`, urn("lab-node-prep")]),
        );
    });

    void it("creates the Namespace first and makes every namespaced object wait for it", () => {
        const order = run.resources.map((resource) => resource.name);
        for (const name of [
            "lab-pod-network-service-account",
            "lab-pod-network-config",
            "lab-pod-network-daemon-set",
        ]) {
            assert.ok(
                byName(name).dependsOn.includes(urn("lab-pod-network-namespace")),
                `${name} waits for the Namespace`,
            );
            assert.ok(order.indexOf("lab-pod-network-namespace") < order.indexOf(name));
        }
    });

    void it("starts the DaemonSet only after every NodePatch, every node's preparation, the RBAC and the ConfigMap", () => {
        // ClusterNetwork makes the pod network depend on NodePrep, and the pod network hands that on to the DaemonSet.
        assert.deepEqual(byName("lab-pod-network").dependsOn, [urn("lab-node-prep")]);
        const waits = waitsFor(runGraph(run), urn("lab-pod-network-daemon-set"));
        for (const node of THREE_NODES) {
            assert.ok(waits.includes(urn(`lab-pod-network-node-${node.name}`)), `waits for ${node.name}'s podCIDR`);
            assert.ok(waits.includes(urn(`lab-node-prep-${node.name}`)), `waits for ${node.name}'s preparation`);
        }
        for (const name of [
            "lab-pod-network-service-account",
            "lab-pod-network-cluster-role-binding",
            "lab-pod-network-config",
        ]) {
            assert.ok(waits.includes(urn(name)), name);
        }
        assert.deepEqual(byName("lab-pod-network-cluster-role-binding").dependsOn, [
            urn("lab-pod-network-cluster-role"),
            urn("lab-pod-network-service-account"),
        ]);
    });

    void it("patches each Node with the plan's podCIDRs, retained on delete", () => {
        const plan = planFor(DUAL_STACK);
        for (const node of plan.nodes) {
            const patch = byName(`lab-pod-network-node-${node.name}`);
            assert.deepEqual(patch.props["metadata"], {
                name: node.name,
                annotations: { "pulumi.com/patchFieldManager": "clusternet-pod-cidr" },
            });
            assert.deepEqual(patch.props["spec"], { podCIDR: node.podCidr, podCIDRs: [node.podCidr, node.podCidrV6] });
            assert.equal(patch.options.retainOnDelete, true);
        }
    });

    void it("registers the DaemonSet the builder describes", () => {
        const spec = resolveFlannelSpec({ mtu: 9000 }, planFor(DUAL_STACK), false);
        assert.deepEqual(byName("lab-pod-network-daemon-set").props["spec"], wire(flannelDaemonSet(spec).spec));
        assert.deepEqual(
            JSON.parse((byName("lab-pod-network-config").props["data"] as Record<string, string>)["net-conf.json"]!),
            {
                Network: "10.244.0.0/16",
                EnableIPv6: true,
                IPv6Network: "fd00:10:244::/56",
                EnableNFTables: false,
                Backend: { Type: "vxlan", MTU: 9000 },
            },
        );
    });

    void it("runs one script per node over SSH: as the configured user, with the key as a secret and the host key when given", () => {
        for (const [index, node] of THREE_NODES.entries()) {
            const command = byName(`lab-node-prep-${node.name}`);
            const connection = command.props["connection"] as Record<string, unknown>;
            // The SDK adds its own dial defaults (dialErrorLimit, perDialTimeout); these are ours.
            const { dialErrorLimit: _limit, perDialTimeout: _timeout, ...ours } = connection;
            assert.deepEqual(ours, {
                host: node.ip,
                port: 22,
                user: "vagrant",
                privateKey: PRIVATE_KEY,
                ...(index === 0 ? { hostKey: HOST_KEY } : {}),
            });
            assert.ok(
                command.secretPaths.some((at) => at[0] === "connection"),
                "the connection (holding the private key) is a secret",
            );
            // The node's name goes along, so a refusal (kube-proxy's mode prerequisites) names the node.
            assert.equal(command.props["create"], remoteInvocation(NodePrepAction.Prepare, node.name));
            assert.equal(command.props["delete"], remoteInvocation(NodePrepAction.Undo, node.name));
        }
    });

    void it("re-runs when the script changes: triggers are its hash, and undo runs before the new prepare", () => {
        const scripts = new Set(ofType("command:remote:Command").map((command) => command.props["stdin"]));
        assert.equal(scripts.size, 1, "every node runs the same script");
        for (const command of ofType("command:remote:Command")) {
            const script = command.props["stdin"] as string;
            assert.deepEqual(command.props["triggers"], [scriptHash(script)]);
            assert.equal(command.options.deleteBeforeReplace, true);
            assert.match(script, /\nIPV6_FORWARDING=1\n/, "dual-stack forwards IPv6");
            assert.match(
                script,
                /\nOFFLOAD_DEVICES=\('flannel\.1' 'flannel-v6\.1'\)\n/,
                "both of flanneld's VXLAN devices",
            );
        }
    });

    void it("exports the pod MTU, and no controller-manager flags while it patches the Nodes", () => {
        assert.equal(run.outputs["podMtu"], 8950);
        assert.equal(run.outputs["controllerManagerFlags"], "none");
    });

    void it("renders only objects the Kubernetes schemas accept", async () => {
        const manifests = manifestsOf(run.resources);
        assert.equal(manifests.length, 9);
        for (const manifest of manifests) {
            assert.deepEqual(await schemaErrors(manifest.object), [], `${manifest.kind} ${manifest.name}`);
        }
    });
});
