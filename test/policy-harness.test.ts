import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import fc from "fast-check";
import { EngineResource, PolicyFailure, engineResourcesOf, runPolicies } from "../cli/policy-harness";
import { policies } from "../policies/guardrails";
import { noOverlappingRanges } from "../policies/no-overlapping-ranges";
import { servicePorts } from "../policies/service-ports";
import { STACK_URN, lab, mutate, service, urnOf } from "./helpers/policy-fixtures";

// The engine's sentinels for values unknown at preview (internal to @pulumi/policy, but they are what it receives).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sentinels = require("@pulumi/policy/proxy") as Record<string, string>;
const UNKNOWNS = [
    "unknownStringValue",
    "unknownNumberValue",
    "unknownBooleanValue",
    "unknownArrayValue",
    "unknownObjectValue",
].map((key) => sentinels[key]!);

void describe("the engine-free policy harness", () => {
    void it("skips a resource policy that reads an unknown value, with an advisory note, and still checks other resources", async () => {
        const unknownPorts = service({ name: "pending", type: "NodePort", ports: [] });
        (unknownPorts.props["spec"] as Record<string, unknown>)["ports"] = UNKNOWNS[3];
        const bad = service({ name: "bad", type: "NodePort", ports: [{ port: 80, nodePort: 99 }] });
        const result = await runPolicies([servicePorts], [unknownPorts, bad]);
        assert.deepEqual(
            result.violations.map((violation) => [violation.enforcementLevel, violation.urn]),
            [
                ["advisory", urnOf("kubernetes:core/v1:Service", "demo-pending")],
                ["mandatory", urnOf("kubernetes:core/v1:Service", "demo-bad")],
            ],
        );
        assert.match(
            result.violations[0]!.message,
            /^can't run policy 'service-ports' during preview: Array value at \.spec\.ports can't be known during preview/,
        );
    });

    void it("skips a stack policy that reads an unknown value anywhere, with one advisory note", async () => {
        const resources = mutate(lab(), "NodePatch", "lab-node-worker-1", (props) => {
            props.spec.podCIDR = UNKNOWNS[0];
        });
        const result = await runPolicies([noOverlappingRanges], resources);
        assert.equal(result.violations.length, 1);
        assert.equal(result.violations[0]!.enforcementLevel, "advisory");
        assert.equal(result.violations[0]!.urn, undefined);
        assert.match(
            result.violations[0]!.message,
            /can't run policy 'no-overlapping-ranges' during preview: string value at \.spec\.podCIDR/,
        );
    });

    void it("gives each policy its schema defaults overlaid with its settings, and applies enforcement levels as the engine does", async () => {
        const seen: Record<string, unknown> = {};
        const recorder = (name: string, level: "advisory" | "mandatory"): StackValidationPolicy => ({
            name,
            description: name,
            enforcementLevel: level,
            configSchema: {
                properties: { limit: { type: "integer", default: 3 }, names: { type: "array", default: ["a"] } },
            },
            validateStack: (args, report) => {
                seen[name] = args.getConfig();
                report(`${name} reports`);
            },
        });
        const result = await runPolicies(
            [
                recorder("plain", "advisory"),
                recorder("tuned", "advisory"),
                recorder("off", "mandatory"),
                recorder("fixing", "advisory"),
            ],
            [],
            {
                tuned: { enforcementLevel: "mandatory", properties: { limit: 7 } },
                off: { enforcementLevel: "disabled" },
                fixing: { enforcementLevel: "remediate" },
            },
        );
        assert.deepEqual(seen, {
            plain: { limit: 3, names: ["a"] },
            tuned: { limit: 7, names: ["a"] },
            fixing: { limit: 3, names: ["a"] },
        });
        assert.deepEqual(
            result.violations.map((violation) => [violation.policyName, violation.enforcementLevel]),
            [
                ["plain", "advisory"],
                ["tuned", "mandatory"],
                ["fixing", "mandatory"],
            ],
        );
        const all = await runPolicies([recorder("plain", "advisory")], [], { all: { enforcementLevel: "mandatory" } });
        assert.equal(all.violations[0]!.enforcementLevel, "mandatory");
    });

    void it("records notApplicable, ignores the urn a resource policy passes, and fails loudly on a crash", async () => {
        const picky: ResourceValidationPolicy = {
            name: "picky",
            description: "picky",
            validateResource: (args, report) => {
                if (args.type !== "kubernetes:core/v1:Service") {
                    args.notApplicable("services only");
                }
                report("always", "urn:pulumi:dev::clusternet::other::thing");
            },
        };
        const result = await runPolicies(
            [picky],
            [{ type: "x:y:Z", name: "z", urn: "urn:z", props: {} }, service({ name: "web", ports: [{ port: 80 }] })],
        );
        assert.deepEqual(result.notApplicable, [{ policyName: "picky", urn: "urn:z", reason: "services only" }]);
        assert.deepEqual(
            result.violations.map((violation) => violation.urn),
            [urnOf("kubernetes:core/v1:Service", "demo-web")],
        );
        const crashing: StackValidationPolicy = {
            name: "crashing",
            description: "crashing",
            validateStack: () => {
                throw new TypeError("boom");
            },
        };
        await assert.rejects(
            runPolicies([crashing], []),
            (error: unknown) =>
                error instanceof PolicyFailure &&
                /policy crashing failed on the stack: TypeError: boom/.test(error.message),
        );
    });

    void it("shapes an offline run as the engine holds a stack: the root Stack with the outputs, parents, and providers with their props", async () => {
        const providerUrn = urnOf("pulumi:providers:kubernetes", "kubernetes");
        const run = {
            outputs: { plan: { cluster: { podCidr: "10.244.0.0/16" } } },
            resources: [
                {
                    urn: providerUrn,
                    type: "pulumi:providers:kubernetes",
                    name: "kubernetes",
                    custom: true,
                    props: { namespace: "apps" },
                    secretPaths: [],
                    dependsOn: [],
                    options: {},
                },
                {
                    urn: urnOf("kubernetes:core/v1:Service", "web"),
                    type: "kubernetes:core/v1:Service",
                    name: "web",
                    custom: true,
                    props: { metadata: { name: "web" }, spec: { externalIPs: ["1.2.3.4"], ports: [{ port: 80 }] } },
                    secretPaths: [],
                    dependsOn: [],
                    provider: providerUrn,
                    options: { customTimeouts: { create: "1h2m" } },
                },
            ],
        };
        const resources: EngineResource[] = engineResourcesOf(run, "clusternet", "dev");
        assert.equal(resources[0]!.urn, STACK_URN);
        assert.deepEqual(resources[0]!.props, run.outputs);
        assert.equal(resources[2]!.parent, STACK_URN);
        assert.equal(resources[2]!.opts!.customTimeouts!.createSeconds, 3720);
        // The Service has no metadata.namespace: the provider's namespace applies, as the Kubernetes provider does.
        const result = await runPolicies([...policies], resources);
        const external = result.violations.find((violation) => violation.policyName === "service-no-external-ips");
        assert.match(external!.message, /^Service apps\/web sets spec\.externalIPs/);
    });
});

/** Every path into the props of every resource, for the fuzz tests below. */
function pathsOf(resources: readonly EngineResource[]): Array<{ index: number; path: Array<string | number> }> {
    const paths: Array<{ index: number; path: Array<string | number> }> = [];
    const walk = (value: unknown, index: number, path: Array<string | number>): void => {
        if (path.length > 0) {
            paths.push({ index, path });
        }
        if (Array.isArray(value)) {
            value.forEach((item, position) => walk(item, index, [...path, position]));
        } else if (typeof value === "object" && value !== null) {
            for (const [key, item] of Object.entries(value)) {
                walk(item, index, [...path, key]);
            }
        }
    };
    resources.forEach((resource, index) => walk(resource.props, index, []));
    return paths;
}

function replaced(
    resources: readonly EngineResource[],
    index: number,
    path: ReadonlyArray<string | number>,
    value: unknown,
): EngineResource[] {
    const copy = resources.map((resource) => ({ ...resource, props: structuredClone(resource.props) }));
    let node: any = copy[index]!.props;
    for (const segment of path.slice(0, -1)) {
        node = node[segment];
    }
    node[path[path.length - 1]!] = value;
    return copy;
}

void describe("every policy, on values unknown at preview or of unexpected types", () => {
    const base = lab();
    const paths = pathsOf(base);

    void it("never crashes: an unknown value anywhere ends in a violation or an advisory skip", async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.integer({ min: 0, max: paths.length - 1 }),
                fc.constantFrom(...UNKNOWNS),
                async (pick, unknown) => {
                    const { index, path } = paths[pick]!;
                    const result = await runPolicies(
                        [...policies],
                        replaced(base, index, path, unknown),
                        {},
                        "mandatory",
                    );
                    // An unknown is never mistaken for a real value: it either went unread or skipped the policy.
                    for (const violation of result.violations) {
                        assert.ok(
                            !UNKNOWNS.some((sentinel) => violation.message.includes(sentinel)),
                            violation.message,
                        );
                    }
                },
            ),
            { numRuns: 150 },
        );
    });

    void it("never crashes on a value of the wrong type anywhere", async () => {
        const garbage = [null, 0, -1, 1.5, "", "x", true, [], {}, ["x"], { a: 1 }, "10.0.0.1/8", 99999];
        await fc.assert(
            fc.asyncProperty(
                fc.integer({ min: 0, max: paths.length - 1 }),
                fc.constantFrom(...garbage),
                async (pick, value) => {
                    const { index, path } = paths[pick]!;
                    await runPolicies([...policies], replaced(base, index, path, value), {}, "mandatory");
                },
            ),
            { numRuns: 300 },
        );
    });

    void it("passes the unaltered lab with every policy on its default settings", async () => {
        const result = await runPolicies([...policies], base, {}, "mandatory");
        assert.deepEqual(result.violations, []);
    });
});
