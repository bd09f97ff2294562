/** The upstream manifests clusternet builds after (flannel v0.28.9, ingress-nginx v1.15.1 bare metal) pass the pack. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runPolicies } from "../cli/policy-harness";
import { policies } from "../policies/guardrails";
import { REPO } from "./helpers/cli";
import { manifestResources, messages, nodePatch, stackResource } from "./helpers/policy-fixtures";

const fixture = (name: string): string => fs.readFileSync(path.join(REPO, "test", "fixtures", name), "utf8");

void describe("upstream manifests under the pack", () => {
    const flannel = manifestResources(fixture("kube-flannel-v0.28.9.yml"), "flannel");
    const ingressNginx = manifestResources(fixture("ingress-nginx-baremetal-v1.15.1.yaml"), "ingress-nginx");
    const nodes = [
        nodePatch("cp-1", ["10.244.0.0/24"]),
        nodePatch("worker-1", ["10.244.1.0/24"]),
        nodePatch("worker-2", ["10.244.2.0/24"]),
    ];

    void it("reads them as the engine would: every kind typed", () => {
        assert.deepEqual([...new Set(flannel.map((resource) => resource.type))].sort(), [
            "kubernetes:apps/v1:DaemonSet",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:ServiceAccount",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ]);
        assert.ok(ingressNginx.some((resource) => resource.type === "kubernetes:networking.k8s.io/v1:IngressClass"));
        assert.ok(ingressNginx.some((resource) => resource.type === "kubernetes:batch/v1:Job"));
    });

    void it("find no violation in flannel and ingress-nginx on the dev plan", async () => {
        const result = await runPolicies(
            [...policies],
            [stackResource(), ...nodes, ...flannel, ...ingressNginx],
            {},
            "mandatory",
        );
        assert.deepEqual(messages(result.violations), []);
    });

    void it("refuse flannel moved to a namespace not allowed host networking", async () => {
        const moved = flannel.map((resource) => {
            const props = structuredClone(resource.props) as any;
            if (props.metadata?.namespace === "kube-flannel") {
                props.metadata.namespace = "network";
            }
            return { ...resource, props };
        });
        const result = await runPolicies([...policies], [stackResource(), ...nodes, ...moved], {}, "mandatory");
        const restricted = result.violations
            .filter((violation) => violation.policyName === "host-network-restricted")
            .map((violation) => violation.message);
        assert.ok(
            restricted.some((message) =>
                /DaemonSet network\/kube-flannel-ds sets hostNetwork: true in namespace network/.test(message),
            ),
            restricted.join("\n"),
        );
        assert.ok(
            restricted.some((message) => /container kube-flannel adds capability NET_ADMIN/.test(message)),
            restricted.join("\n"),
        );
    });
});
