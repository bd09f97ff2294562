import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { OfflineRun } from "../cli/offline";

// The components under Pulumi's mocks: registered as a reusing stack would register them.
let run: OfflineRun;
let invalidArgsError: Error | undefined;
let isRunError = false;

before(async () => {
    const { runOffline } = await import("../cli/offline.js");
    run = await runOffline({
        program: async () => {
            const { ClusterNetwork } = await import("../components/index.js");
            const { RunError } = await import("@pulumi/pulumi");
            const network = new ClusterNetwork("lab", {
                cluster: { podCidr: "10.244.0.0/16", nodeNetwork: "192.168.56.0/24" },
                nodes: [
                    { name: "cp-1", ip: "192.168.56.10" },
                    { name: "worker-1", ip: "192.168.56.11" },
                ],
            });
            try {
                new ClusterNetwork("broken", {
                    cluster: { podCidr: "10.244.0.1/16" },
                    nodes: [{ name: "a", ip: "nope" }],
                });
            } catch (error) {
                invalidArgsError = error as Error;
                isRunError = RunError.isInstance(error);
            }
            return { nodeSubnets: network.nodeSubnets, capacity: network.capacity };
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
});

describe("ClusterNetwork", () => {
    it("registers its NetworkPlan as a child named after it", () => {
        const network = run.resources.find((resource) => resource.type === "clusternet:index:ClusterNetwork");
        const plan = run.resources.find((resource) => resource.type === "clusternet:index:NetworkPlan");
        assert.equal(network?.name, "lab");
        assert.equal(plan?.name, "lab-plan");
        assert.equal(plan?.parent, network?.urn);
        assert.equal(
            plan?.urn,
            "urn:pulumi:test::clusternet::clusternet:index:ClusterNetwork$clusternet:index:NetworkPlan::lab-plan",
        );
    });

    it("exposes the plan's outputs", () => {
        assert.deepEqual(run.outputs["nodeSubnets"], {
            "cp-1": { podCidr: "10.244.0.0/24" },
            "worker-1": { podCidr: "10.244.1.0/24" },
        });
        assert.equal((run.outputs["capacity"] as { ipv4: { used: number } }).ipv4.used, 2);
    });

    it("refuses invalid args before registering anything, naming each arg", () => {
        assert.ok(invalidArgsError, "expected an error");
        assert.ok(isRunError, "a RunError, which Pulumi prints without a stack trace");
        assert.equal(
            invalidArgsError.message,
            [
                'ClusterNetwork "broken" has invalid args:',
                'args.cluster.podCidr: "10.244.0.1/16" has host bits set beyond the /16 prefix; write 10.244.0.0/16',
                'args.nodes[0].ip: "nope" is not an IPv4 or IPv6 address; write the node\'s address, e.g. 192.168.56.11',
            ].join("\n"),
        );
        assert.ok(
            !run.resources.some((resource) => resource.name.startsWith("broken")),
            "nothing of the broken network was registered",
        );
    });
});
