/**
 * Kubernetes' own validation test tables (test/fixtures/conformance, each table citing its upstream test and commit)
 * as the judge of clusternet's rules, run against the three layers that must agree: the stack config validator
 * (`clusternet:*` keys), the component args (`args.*`) and the policy pack. Where clusternet is deliberately
 * stricter, the test names the rule (docs/configuration.md, "Deliberately stricter").
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { configSchemas } from "../components/config/schema";
import { ARGS_KEYS, STACK_KEYS, isDns1035Label, isDns1123Label, isLabelValue } from "../components/common";
import { hostFindings } from "../components/ingress/routes";
import { ingressBackendPortNameFindings, parseNodePortRange } from "../components/rules";
import { AppServiceSpec, ServiceClusterSpec, servicesKeys, validateServices } from "../components/services";
import { servicePorts, servicePortsConfig } from "../policies/service-ports";
import { REPO } from "./helpers/cli";
import { messages, service, violationsOf } from "./helpers/policy-fixtures";

interface Table<T> {
    readonly source: string;
    readonly valid: readonly T[];
    readonly invalid: readonly T[];
}
const tables = JSON.parse(
    fs.readFileSync(path.join(REPO, "test", "fixtures", "conformance", "apimachinery-validation.json"), "utf8"),
) as Record<string, Table<unknown>> & {
    portRange: { source: string; valid: Array<[string, number, number]>; emptyIsDefault: string[]; invalid: string[] };
    emptyIsUnset: {
        source: string;
        service: Array<Record<string, unknown>>;
        port: Array<Record<string, unknown>>;
        ingressRoute: Array<Record<string, unknown>>;
    };
};
const table = <T>(name: string): Table<T> => tables[name] as Table<T>;

const CLUSTER: ServiceClusterSpec = { serviceCidr: "10.96.0.0/12", nodePortRange: "30000-32767" };
const LAYERS = [
    ["stack config", servicesKeys(STACK_KEYS)],
    ["component args", servicesKeys(ARGS_KEYS)],
] as const;

function selectorService(overrides: Partial<AppServiceSpec>): AppServiceSpec {
    return { name: "api", namespace: "demo", selector: { app: "api" }, ports: [{ port: 80 }], ...overrides };
}

void describe("conformance: names (apimachinery validation_test.go)", () => {
    void it("DNS-1123 labels, DNS-1035 labels and label values: one rule for every layer", () => {
        for (const [name, check] of [
            ["dns1123Label", isDns1123Label],
            ["dns1035Label", isDns1035Label],
            ["labelValue", isLabelValue],
        ] as const) {
            const cases = table<string>(name);
            for (const value of cases.valid) assert.ok(check(value), `${cases.source}: ${JSON.stringify(value)}`);
            for (const value of cases.invalid) assert.ok(!check(value), `${cases.source}: ${JSON.stringify(value)}`);
        }
    });

    void it("Service names (DNS-1035 labels) in the stack config and in component args", () => {
        const cases = table<string>("dns1035Label");
        for (const [layer, keys] of LAYERS) {
            for (const name of cases.valid) {
                const found = validateServices([selectorService({ name })], CLUSTER, keys);
                assert.deepEqual(found, [], `${layer} ${cases.source}: ${JSON.stringify(name)}`);
            }
            for (const name of cases.invalid) {
                const found = validateServices([selectorService({ name })], CLUSTER, keys);
                assert.ok(
                    found.some((problem) => problem.key.endsWith(".name")),
                    `${layer} ${cases.source}: ${JSON.stringify(name)}`,
                );
            }
        }
    });

    void it("Ingress hosts: the policy takes every DNS-1123 subdomain and wildcard the API server takes", () => {
        for (const name of ["dns1123Subdomain", "wildcardHost"]) {
            const cases = table<string>(name);
            for (const host of cases.valid) {
                assert.deepEqual(hostFindings(host, { fullyQualified: false }), [], `${cases.source}: ${host}`);
                // The stack config is stricter on purpose: single-label hosts are refused (docs/configuration.md, "Deliberately stricter").
                const config = hostFindings(host);
                assert.ok(
                    config.every((finding) => /is not a fully qualified domain name/.test(finding.message)) &&
                        (config.length === 0) === host.replace(/^\*\./, "").includes("."),
                    `${cases.source}: ${host}: ${config.map((finding) => finding.message).join("; ")}`,
                );
            }
            for (const host of cases.invalid) {
                assert.notDeepEqual(hostFindings(host, { fullyQualified: false }), [], `${cases.source}: ${host}`);
                assert.notDeepEqual(hostFindings(host), [], `${cases.source}: ${host}`);
            }
        }
    });
});

void describe("conformance: port names and numbers", () => {
    const names = table<string>("portName");
    const numbers = table<number>("portNumber");

    void it("named targetPorts in the stack config and component args", () => {
        for (const [layer, keys] of LAYERS) {
            for (const targetPortName of names.valid) {
                const found = validateServices(
                    [selectorService({ ports: [{ port: 80, targetPortName }] })],
                    CLUSTER,
                    keys,
                );
                assert.deepEqual(found, [], `${layer} ${names.source}: ${targetPortName}`);
            }
            for (const targetPortName of names.invalid.filter((name) => name !== "")) {
                const found = validateServices(
                    [selectorService({ ports: [{ port: 80, targetPortName }] })],
                    CLUSTER,
                    keys,
                );
                assert.ok(found.length > 0, `${layer} ${names.source}: ${targetPortName}`);
            }
        }
    });

    void it("named targetPorts and Service port numbers in the policy pack", async () => {
        for (const targetPort of names.valid) {
            const found = await violationsOf(servicePorts, [
                service({ name: "api", ports: [{ port: 80, targetPort }] }),
            ]);
            assert.deepEqual(messages(found), [], `${names.source}: ${targetPort}`);
        }
        // "" is an unset targetPort to Kubernetes (it defaults to the port): not a name to judge.
        for (const targetPort of names.invalid.filter((name) => name !== "")) {
            const found = await violationsOf(servicePorts, [
                service({ name: "api", ports: [{ port: 80, targetPort }] }),
            ]);
            assert.equal(found.length, 1, `${names.source}: ${targetPort}`);
        }
        for (const port of numbers.valid) {
            const found = await violationsOf(servicePorts, [service({ name: "api", ports: [{ port }] })]);
            assert.deepEqual(messages(found), [], `${numbers.source}: ${port}`);
        }
        for (const port of numbers.invalid) {
            const found = await violationsOf(servicePorts, [service({ name: "api", ports: [{ port }] })]);
            assert.equal(found.length, 1, `${numbers.source}: ${port}`);
        }
    });

    void it("Service port numbers in the stack config and component args", () => {
        for (const [layer, keys] of LAYERS) {
            for (const port of numbers.valid) {
                const found = validateServices([selectorService({ ports: [{ port }] })], CLUSTER, keys);
                assert.deepEqual(found, [], `${layer} ${numbers.source}: ${port}`);
            }
            for (const port of numbers.invalid) {
                const found = validateServices([selectorService({ ports: [{ port }] })], CLUSTER, keys);
                assert.ok(
                    found.some((problem) => problem.key.endsWith(".port")),
                    `${layer} ${numbers.source}: ${port}`,
                );
            }
        }
    });

    void it("Ingress backend port names: the route and the policy use one IANA rule", () => {
        for (const name of names.valid) {
            assert.deepEqual(ingressBackendPortNameFindings(name, "port"), [], `${names.source}: ${name}`);
        }
        for (const name of names.invalid) {
            assert.equal(ingressBackendPortNameFindings(name, "port").length, 1, `${names.source}: ${name}`);
        }
    });
});

void describe("conformance: node port ranges (kube-apiserver --service-node-port-range)", () => {
    const cases = tables.portRange;

    void it("parses what the API server parses, in the config, the args and the policy settings", () => {
        for (const [text, first, last] of cases.valid) {
            assert.deepEqual(
                parseNodePortRange(text),
                { ok: true, value: { first, last } },
                `${cases.source}: ${text}`,
            );
            assert.ok(servicePortsConfig.safeParse({ nodePortRange: text }).success, `${cases.source}: ${text}`);
            for (const [layer, keys] of LAYERS) {
                const found = validateServices([], { ...CLUSTER, nodePortRange: text }, keys);
                assert.deepEqual(found, [], `${layer} ${cases.source}: ${JSON.stringify(text)}`);
            }
        }
        for (const text of cases.emptyIsDefault) {
            // An empty flag leaves the API server's default range.
            assert.deepEqual(parseNodePortRange(text), { ok: true, value: { first: 30000, last: 32767 } });
        }
        for (const text of cases.invalid) {
            assert.equal(parseNodePortRange(text).ok, false, `${cases.source}: ${text}`);
            assert.ok(!servicePortsConfig.safeParse({ nodePortRange: text }).success, `${cases.source}: ${text}`);
            for (const [layer, keys] of LAYERS) {
                const found = validateServices([], { ...CLUSTER, nodePortRange: text }, keys);
                assert.ok(
                    found.some((problem) => problem.key.endsWith("nodePortRange")),
                    `${layer} ${cases.source}: ${text}`,
                );
            }
        }
    });
});

void describe("conformance: explicit empty values are unset (core/v1 defaults.go)", () => {
    const cases = tables.emptyIsUnset;
    const route = { host: "api.lab.example", paths: [{ service: "api", port: 80 }] };

    void it("the stack config parses them as the keys left out", () => {
        const parse = (service: Record<string, unknown>, port: Record<string, unknown>): unknown =>
            configSchemas.services.parse([{ ...selectorService({}), ...service, ports: [{ port: 80, ...port }] }]);
        for (const fields of cases.service)
            assert.deepEqual(parse(fields, {}), parse({}, {}), `${cases.source}: ${JSON.stringify(fields)}`);
        for (const fields of cases.port)
            assert.deepEqual(parse({}, fields), parse({}, {}), `${cases.source}: ${JSON.stringify(fields)}`);
        for (const fields of cases.ingressRoute) {
            const parsed = configSchemas.ingress.parse({ routes: [{ ...route, ...fields }] });
            assert.deepEqual(
                parsed,
                configSchemas.ingress.parse({ routes: [route] }),
                `${cases.source}: ${JSON.stringify(fields)}`,
            );
        }
    });

    void it("the component args accept them", () => {
        const [, keys] = LAYERS[1];
        for (const fields of cases.service) {
            const found = validateServices([selectorService(fields)], CLUSTER, keys);
            assert.deepEqual(found, [], `${cases.source}: ${JSON.stringify(fields)}`);
        }
        for (const fields of cases.port) {
            const found = validateServices([selectorService({ ports: [{ port: 80, ...fields }] })], CLUSTER, keys);
            assert.deepEqual(found, [], `${cases.source}: ${JSON.stringify(fields)}`);
        }
    });
});
