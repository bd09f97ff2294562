/**
 * The stack program (index.ts) under mocks, configured as `pulumi up` would see it: secrets in plain text,
 * podCIDRs left to kube-controller-manager, nodes prepared over SSH.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { OfflineRun, runOffline } from "../cli/offline";
import { devConfig } from "./helpers/cli";
import { runGraph, waitsFor } from "./helpers/graph";

const PRIVATE_KEY =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n";

let run: OfflineRun;

void describe("the stack with assignNodeCidrs false and node preparation (mocks)", () => {
    before(async () => {
        const dev = devConfig();
        const nodes = (dev["nodes"] as Array<Record<string, unknown>>).map(({ podCidr: _pin, ...node }) => node);
        const values: Record<string, unknown> = {
            ...dev,
            nodes,
            podNetwork: { assignNodeCidrs: false, mtu: 1400 },
            nodePrep: { enabled: true, user: "vagrant", privateKey: PRIVATE_KEY, disableVxlanChecksumOffload: true },
        };
        run = await runOffline({
            program: path.join(__dirname, "..", "index.ts"),
            project: "clusternet",
            stack: "test",
            config: Object.fromEntries(
                Object.entries(values).map(([key, value]) => [`clusternet:${key}`, JSON.stringify(value)]),
            ),
            secretKeys: ["clusternet:nodePrep"],
        });
    });

    void it("exports the pod MTU and the kube-controller-manager flags matching the plan", () => {
        assert.equal(run.outputs["podMtu"], 1350);
        assert.deepEqual(run.outputs["controllerManagerFlags"], [
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.244.0.0/16",
            "--node-cidr-mask-size=24",
            "--service-cluster-ip-range=10.96.0.0/12",
        ]);
    });

    void it("patches no Node, and still waits for every node's preparation", () => {
        assert.equal(run.resources.filter((resource) => resource.type === "kubernetes:core/v1:NodePatch").length, 0);
        const commands = run.resources.filter((resource) => resource.type === "command:remote:Command");
        assert.equal(commands.length, 3);
        const daemonSet = run.resources.find((resource) => resource.type === "kubernetes:apps/v1:DaemonSet")!;
        const waits = waitsFor(runGraph(run), daemonSet.urn);
        for (const command of commands) {
            assert.ok(waits.includes(command.urn), command.name);
        }
    });

    void it("connects with the configured key, held as a secret, and sends Kubernetes objects only to the Kubernetes provider", () => {
        for (const command of run.resources.filter((resource) => resource.type === "command:remote:Command")) {
            assert.equal((command.props["connection"] as Record<string, unknown>)["privateKey"], PRIVATE_KEY);
            assert.ok(command.secretPaths.some((at) => at[0] === "connection"));
            assert.equal(command.provider, undefined);
            assert.match(command.props["stdin"] as string, /\nOFFLOAD_DEVICES=\('flannel\.1'\)\n/);
        }
        for (const resource of run.resources.filter((candidate) => candidate.type.startsWith("kubernetes:"))) {
            assert.equal(
                resource.provider,
                "urn:pulumi:test::clusternet::pulumi:providers:kubernetes::kubernetes",
                resource.name,
            );
        }
    });
});
