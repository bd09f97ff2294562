import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { parseAddress, parseCidr } from "../components/plan";
import { configSchemas, policies } from "../policies/guardrails";
import { parseAddressFast, parseCidrFast } from "../policies/lib/addresses";
import { parsePolicyConfig } from "../policies/lib/config";
import { goField, parseNetConf } from "../policies/lib/flannel";
import { describe as describeResource, namespaceOf } from "../policies/lib/kubernetes";
import { WorkloadIndex, selects, workloadOf } from "../policies/lib/workloads";
import { service, workload } from "./helpers/policy-fixtures";

void describe("the policies' address parsing", () => {
    void it("accepts and refuses exactly what components/plan does, with the same messages", () => {
        const octet = fc.oneof(
            fc.integer({ min: 0, max: 300 }).map(String),
            fc.constantFrom("00", "01", "010", "255", "256", "-1", " 1"),
        );
        const prefix = fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.constantFrom("08", "", "x", "033"));
        fc.assert(
            fc.property(octet, octet, octet, octet, prefix, (a, b, c, d, length) => {
                const address = `${a}.${b}.${c}.${d}`;
                assert.deepEqual(parseAddressFast(address), parseAddress(address), address);
                assert.deepEqual(
                    parseCidrFast(`${address}/${length}`),
                    parseCidr(`${address}/${length}`),
                    `${address}/${length}`,
                );
            }),
            { numRuns: 3000 },
        );
        for (const text of ["fd00::/56", "fd00::1", "::ffff:10.0.0.1", "10.0.0.0/8/8"]) {
            assert.deepEqual(parseCidrFast(text), parseCidr(text));
            assert.deepEqual(parseAddressFast(text), parseAddress(text));
        }
    });
});

void describe("policy settings", () => {
    void it("give the engine a configSchema it accepts: properties only, no enforcementLevel, JSON Schema draft 7 keywords", () => {
        for (const policy of policies) {
            const schema = policy.configSchema;
            if (!schema) {
                assert.equal(configSchemas[policy.name], undefined, policy.name);
                continue;
            }
            assert.ok(configSchemas[policy.name], `${policy.name} has a zod schema`);
            assert.ok(!("enforcementLevel" in schema.properties), policy.name);
            assert.ok(!(schema.required ?? []).includes("enforcementLevel"), policy.name);
            const text = JSON.stringify(schema);
            assert.ok(
                !text.includes("$schema") && !text.includes("$defs") && !text.includes('"$ref"'),
                `${policy.name}: ${text}`,
            );
        }
    });

    void it("have defaults that their own schema accepts, equal to what the policy uses without config", () => {
        for (const [name, schema] of Object.entries(configSchemas)) {
            const policy = policies.find((candidate) => candidate.name === name)!;
            const engineDefaults = Object.fromEntries(
                Object.entries(policy.configSchema!.properties).flatMap(([key, property]) =>
                    typeof property === "object" && "default" in property ? [[key, property.default]] : [],
                ),
            );
            assert.deepEqual(
                parsePolicyConfig(name, schema, engineDefaults),
                parsePolicyConfig(name, schema, {}),
                name,
            );
        }
    });

    void it("refuse unknown keys and bad values, naming the key path", () => {
        const schema = configSchemas["no-overlapping-ranges"]!;
        assert.throws(
            () =>
                parsePolicyConfig("no-overlapping-ranges", schema, {
                    reserved: [
                        { name: "x", cidr: "fd00::/8" },
                        { name: "y", cidr: "300.0.0.0/8" },
                    ],
                }),
            /no-overlapping-ranges\.reserved\[1\]\.cidr: /,
        );
        assert.throws(
            () => parsePolicyConfig("no-overlapping-ranges", schema, { podCidr: "fd00::/56" }),
            /podCidr: fd00::\/56 is IPv6, but this setting takes IPv4/,
        );
        assert.throws(
            () => parsePolicyConfig("no-overlapping-ranges", schema, { reserverd: [] }),
            /Unrecognized key: "reserverd"/,
        );
        assert.ok(z.toJSONSchema(schema));
    });
});

void describe("reading objects", () => {
    void it("finds net-conf.json keys as Go's encoding/json does: exact name first, else any case", () => {
        assert.deepEqual(goField({ network: "a", Network: "b" }, "Network"), { key: "Network", value: "b" });
        assert.deepEqual(goField({ NETWORK: "a" }, "Network"), { key: "NETWORK", value: "a" });
        assert.equal(goField({ Net: "a" }, "Network"), undefined);
        const parsed = parseNetConf('{"network": "10.244.0.0/16", "enableipv6": true, "Backend": {"Type": "vxlan"}}');
        assert.ok(
            parsed.ok &&
                parsed.value.network === "10.244.0.0/16" &&
                parsed.value.enableIPv6 &&
                parsed.value.unknownKeys.length === 0,
        );
    });

    void it("names objects by namespace and name, defaulting the namespace as the Kubernetes provider does", () => {
        const web = service({ name: "web", ports: [] });
        assert.equal(describeResource(web), "Service demo/web");
        const bare = { ...web, props: { metadata: { name: "web" } } };
        assert.equal(namespaceOf(bare), "default");
        assert.equal(namespaceOf({ ...bare, provider: { props: { namespace: "apps" } } }), "apps");
        assert.equal(
            describeResource({
                type: "kubernetes:core/v1:NodePatch",
                name: "p",
                urn: "u",
                props: { metadata: { name: "worker-1" } },
            }),
            "NodePatch worker-1",
        );
    });

    void it("matches selectors through the label index exactly as a scan of every workload does", () => {
        const label = fc.record(
            { app: fc.constantFrom("a", "b", "c"), tier: fc.constantFrom("web", "db") },
            { requiredKeys: [] },
        );
        fc.assert(
            fc.property(
                fc.array(fc.tuple(label, fc.constantFrom("x", "y")), { maxLength: 30 }),
                fc.array(fc.tuple(label, fc.constantFrom("x", "y")), { maxLength: 10 }),
                (pods, selectors) => {
                    const workloads = pods.map(([labels, namespace], index) =>
                        workloadOf(workload({ name: `w${index}`, namespace, labels, containers: [{ name: "c" }] }))!,
                    );
                    const index = new WorkloadIndex(workloads);
                    for (const [selector, namespace] of selectors) {
                        if (Object.keys(selector).length === 0) {
                            continue;
                        }
                        const expected = workloads
                            .filter(
                                (candidate) => candidate.namespace === namespace && selects(selector, candidate.labels),
                            )
                            .map((found) => found.name);
                        assert.deepEqual(
                            index.matching(namespace, selector).map((found) => found.name),
                            expected,
                        );
                    }
                },
            ),
            { numRuns: 300 },
        );
    });
});
