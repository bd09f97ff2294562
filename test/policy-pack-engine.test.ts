/**
 * The pack as the Pulumi engine runs it: started by @pulumi/pulumi's own policy pack runner (which compiles the
 * TypeScript with ts-node, type checks included) and driven over the engine's Analyzer gRPC protocol. This is what
 * `pulumi preview --policy-pack ./policies` does, minus the CLI.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { configSchemas, PACK_NAME, policies } from "../policies/guardrails";
import { PACK_DIRECTORY, PolicyPackServer, UNKNOWN_STRING } from "./helpers/policy-pack-server";
import { lab, mutate, service } from "./helpers/policy-fixtures";

let server: PolicyPackServer;

const asMessage = (resource: ReturnType<typeof lab>[number]) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.props,
    parent: resource.parent,
});

void describe("the policy pack under the engine's runner and protocol", () => {
    before(async () => {
        server = await PolicyPackServer.start();
    });
    after(() => server?.stop());

    void it("serves every policy with its enforcement level and config schema, at the version of its package.json", async () => {
        const info = await server.info();
        const version = (
            JSON.parse(fs.readFileSync(path.join(PACK_DIRECTORY, "package.json"), "utf8")) as { version: string }
        ).version;
        assert.equal(info.name, PACK_NAME);
        assert.equal(info.version, version);
        assert.deepEqual(
            info.policies.map((policy) => [policy.name, policy.enforcementLevel]),
            policies.map((policy) => [policy.name, policy.enforcementLevel]),
        );
        for (const policy of info.policies) {
            assert.equal(
                policy.configSchema !== undefined && Object.keys(policy.configSchema).length > 0,
                configSchemas[policy.name] !== undefined,
                policy.name,
            );
        }
    });

    void it("analyzes a resource from its inputs: a Service with externalIPs and a nodePort out of range", async () => {
        const bad = service({
            name: "bad",
            type: "NodePort",
            externalIPs: ["203.0.113.9"],
            ports: [{ port: 80, nodePort: 40000 }],
        });
        const diagnostics = await server.analyze(asMessage(bad));
        assert.deepEqual(diagnostics.map((diagnostic) => [diagnostic.policyName, diagnostic.enforcementLevel]).sort(), [
            ["service-no-external-ips", "mandatory"],
            ["service-ports", "mandatory"],
        ]);
        assert.ok(diagnostics.every((diagnostic) => diagnostic.message.includes("Service demo/bad")));
        assert.deepEqual(
            await server.analyze(asMessage(lab().find((resource) => resource.type === "kubernetes:core/v1:Service")!)),
            [],
        );
    });

    void it("turns an unknown value into an advisory note instead of a failure", async () => {
        const pending = service({ name: "pending", ports: [{ port: 80 }] });
        (pending.props["spec"] as Record<string, unknown>)["externalIPs"] = UNKNOWN_STRING;
        const diagnostics = await server.analyze(asMessage(pending));
        assert.ok(diagnostics.length > 0);
        assert.ok(
            diagnostics.every(
                (diagnostic) =>
                    diagnostic.enforcementLevel === "advisory" &&
                    /can't run policy .* during preview/.test(diagnostic.message),
            ),
            JSON.stringify(diagnostics),
        );
    });

    void it("analyzes the stack from every resource's outputs, the Stack's plan output included", async () => {
        assert.deepEqual(await server.analyzeStack(lab().map(asMessage)), []);
        const overlapping = mutate(lab(), "NodePatch", "lab-node-worker-2", (props) => {
            props.spec.podCIDR = "10.244.1.0/24";
            props.spec.podCIDRs = ["10.244.1.0/24"];
        });
        const diagnostics = await server.analyzeStack(overlapping.map(asMessage));
        assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
        assert.equal(diagnostics[0]!.policyName, "no-overlapping-ranges");
        assert.equal(diagnostics[0]!.enforcementLevel, "mandatory");
        assert.match(diagnostics[0]!.urn, /NodePatch::lab-node-worker-2$/);
    });

    void it("takes policy config as --policy-pack-config sends it: extra reserved ranges, enforcement levels", async () => {
        await server.configure({
            "no-overlapping-ranges": {
                enforcementLevel: "advisory",
                properties: { reserved: [{ name: "peer", cidr: "10.244.2.0/24" }] },
            },
        });
        const diagnostics = await server.analyzeStack(lab().map(asMessage));
        assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
        assert.equal(diagnostics[0]!.enforcementLevel, "advisory");
        assert.match(
            diagnostics[0]!.message,
            /overlaps the reserved range peer 10\.244\.2\.0\/24 .*inside the overlap: the podCIDR 10\.244\.2\.0\/24 of NodePatch worker-2/,
        );
    });
});
