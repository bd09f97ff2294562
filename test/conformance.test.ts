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
import { ingressArgs, serviceArgs } from "../components/config/args";
import { configSchemas } from "../components/config/schema";
import { ARGS_KEYS, STACK_KEYS, isDns1035Label, isDns1123Label, isLabelValue } from "../components/common";
import { hostFindings } from "../components/ingress/routes";
import { ingressBackendPortNameFindings, parseNodePortRange } from "../components/rules";
import { AppServiceSpec, ServiceClusterSpec, servicesKeys, validateServices } from "../components/services";
import { SERVICE_PORTS, servicePorts, servicePortsConfig } from "../policies/service-ports";
import { serviceClusterIpInRange, serviceIpFamilies } from "../policies/service-cluster-ip";
import { serviceNoExternalIps } from "../policies/service-external-ips";
import { validateIngress } from "../components/ingress/validate";
import { ingressClassNameFindings } from "../components/ingress/ingress-routes";
import { validateRoutes } from "../components/ingress/routes";
import type { IngressRouteSpec } from "../components/ingress/types";
import { SPLIT_PORT_FIELDS } from "../components/common";
import type { EngineResource } from "../cli/policy-harness";
import { ingressHost, ingressPaths } from "../policies/ingress-rules";
import { ingressClass } from "../policies/ingress-stack";
import { ingressTlsHosts } from "../policies/ingress-tls";
import { REPO } from "./helpers/cli";
import { STACK_URN, devPlan, messages, service, stackResource, urnOf, violationsOf } from "./helpers/policy-fixtures";

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
        citations: Array<{ values: string[]; at: string; says: string }>;
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
    void it("every table pins its upstream test file and commit", () => {
        for (const [name, entry] of Object.entries(tables)) {
            if (name !== "about" && name !== "emptyIsUnset") {
                assert.match(
                    (entry as Table<unknown>).source,
                    /^kubernetes\/kubernetes@[0-9a-f]{40} \S+_test\.go Test\w+/,
                    name,
                );
            }
        }
    });

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

    void it("every value cites the upstream file, function and commit that makes it unset", () => {
        const groups = [
            ["service", cases.service],
            ["port", cases.port],
            ["route", cases.ingressRoute],
        ] as const;
        for (const [group, entries] of groups) {
            for (const entry of entries) {
                for (const [key, value] of Object.entries(entry)) {
                    const label = `${group} ${key} ${JSON.stringify(value)}`;
                    const citation = cases.citations.find((candidate) => candidate.values.includes(label));
                    assert.ok(citation, `no citation for ${label}`);
                    assert.match(citation.at, /^kubernetes\/kubernetes@[0-9a-f]{40} \S+\.go \w+/, label);
                }
            }
        }
    });

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

/*
 * Whole objects from the networking and core validation tests: each case tweaks the upstream test's base object,
 * and every layer that can express it must give the API server's verdict. Where a layer refuses what the API server
 * accepts, the case must be a documented exception of its fixture (docs/configuration.md, "Deliberately stricter");
 * where a layer accepts what the API server refuses, the test fails, whatever the fixture says.
 */

type Layer = "stack config" | "component args" | "policy pack";
/** A layer's verdict on a case: accepted, refused, or cannot be written in that layer at all. */
type Verdict = "accepted" | "refused" | "not expressible";

interface Exception {
    readonly case: string;
    readonly layers: readonly Layer[];
    readonly rule: string;
    readonly reason: string;
}

interface ObjectTable<C> {
    readonly source: string;
    readonly cases: readonly C[];
    readonly exceptions: readonly Exception[];
}

function loadTable<T>(file: string): T {
    return JSON.parse(fs.readFileSync(path.join(REPO, "test", "fixtures", "conformance", file), "utf8")) as T;
}

/** A copy of `base` with `tweak` applied: null removes a field, as the upstream tweak functions set it to nil. */
function tweaked<T extends Record<string, unknown>>(base: T, tweak: Record<string, unknown> = {}): T {
    const result: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(tweak)) {
        if (value === null) {
            delete result[key];
        } else {
            result[key] = value;
        }
    }
    return result as T;
}

interface Outcome {
    readonly case: string;
    readonly layer: Layer;
    readonly verdict: Verdict;
    readonly detail: string;
}

/**
 * Judges every outcome against the cases' verdicts and the documented exceptions: no layer may accept what the API
 * server refuses; a layer may refuse what it accepts only as a listed exception; every listed exception still
 * happens (a stale one is removed, not kept). Returns the counts per layer for the report.
 */
function judge(
    table: ObjectTable<{ case: string; valid: boolean }>,
    outcomes: readonly Outcome[],
): Record<Layer, { expressed: number; agreed: number; stricter: number }> {
    assert.match(
        table.source,
        /^kubernetes\/kubernetes@[0-9a-f]{40} \S+_test\.go /,
        "the fixture pins its upstream file",
    );
    const valid = new Map(table.cases.map((entry) => [entry.case, entry.valid]));
    const documented = new Set(
        table.exceptions.flatMap((entry) => entry.layers.map((layer) => `${layer}: ${entry.case}`)),
    );
    const seen = new Set<string>();
    const failures: string[] = [];
    const counts = {
        "stack config": { expressed: 0, agreed: 0, stricter: 0 },
        "component args": { expressed: 0, agreed: 0, stricter: 0 },
        "policy pack": { expressed: 0, agreed: 0, stricter: 0 },
    };
    for (const outcome of outcomes) {
        if (outcome.verdict === "not expressible") {
            continue;
        }
        const count = counts[outcome.layer];
        count.expressed += 1;
        const accepted = outcome.verdict === "accepted";
        const id = `${outcome.layer}: ${outcome.case}`;
        if (accepted === valid.get(outcome.case)) {
            count.agreed += 1;
            if (documented.has(id)) {
                failures.push(`${id}: listed as an exception, but the layer agrees with the API server now`);
            }
        } else if (accepted) {
            failures.push(`${id}: accepted, but the API server refuses it`);
        } else if (documented.has(id)) {
            count.stricter += 1;
            seen.add(id);
        } else {
            failures.push(
                `${id}: refused (${outcome.detail}), but the API server accepts it and no exception says why`,
            );
        }
    }
    for (const id of documented) {
        if (!seen.has(id) && !failures.some((failure) => failure.startsWith(id))) {
            failures.push(`${id}: listed as an exception, but no such outcome happened`);
        }
    }
    assert.deepEqual(failures, [], table.source);
    // Each exception is a rule of the configuration reference, which names the upstream case it departs from.
    const stricter = STRICTER_SECTION();
    for (const entry of table.exceptions) {
        const name = entry.case.slice(entry.case.indexOf("/") + 1);
        assert.ok(stricter.includes(`"${name}"`), `docs/configuration.md (Deliberately stricter) names ${entry.case}`);
    }
    return counts;
}

/** The "Deliberately stricter than Kubernetes" section of the configuration reference. */
const STRICTER_SECTION = (): string => {
    const text = fs.readFileSync(path.join(REPO, "docs", "configuration.md"), "utf8");
    const start = text.indexOf("### Deliberately stricter than Kubernetes");
    assert.ok(start >= 0, "docs/configuration.md has a Deliberately stricter section");
    const end = text.indexOf("\n#", start + 4);
    return text.slice(start, end < 0 ? undefined : end);
};

function engineResource(type: string, name: string, props: Record<string, unknown>): EngineResource {
    return { type, name, urn: urnOf(type, name), props, parent: STACK_URN };
}

const summary = (found: readonly { key: string; message: string }[]): string =>
    found.map((problem) => `${problem.key}: ${problem.message}`).join("; ");

void describe("conformance: Ingress (networking/validation validation_test.go)", () => {
    interface IngressTweak {
        host?: string;
        path?: string | null;
        pathType?: string;
        paths?: unknown[];
        port?: number;
        backend?: Record<string, unknown>;
        tlsSecret?: string;
        tlsHosts?: string[];
        tls?: Array<Record<string, unknown>>;
        ingressClassName?: string;
    }
    interface IngressCase {
        readonly case: string;
        readonly tweak: IngressTweak;
        readonly valid: boolean;
    }
    const table = loadTable<
        ObjectTable<IngressCase> & {
            base: { host: string; path: string; pathType: string; service: string; port: number };
            backendService: AppServiceSpec;
        }
    >("networking-validation.json");
    const services = [table.backendService];
    const base: Record<string, unknown> = { ...table.base };

    /** The case as a clusternet route, when a route can say it: one host, its paths, TLS for that host only. */
    function routeOf(entry: IngressCase): Record<string, unknown> | undefined {
        const spec = tweaked(base, entry.tweak as Record<string, unknown>) as unknown as IngressTweak & {
            service: string;
        };
        const tlsForHost =
            spec.tlsHosts === undefined || (spec.tlsHosts.length === 1 && spec.tlsHosts[0] === spec.host);
        if (
            spec.backend !== undefined ||
            spec.tls !== undefined ||
            !tlsForHost ||
            spec.ingressClassName !== undefined
        ) {
            return undefined;
        }
        if (spec.tlsHosts !== undefined && spec.tlsSecret === undefined) {
            return undefined;
        }
        return {
            host: spec.host,
            paths: spec.paths ?? [
                { path: spec.path ?? "", pathType: spec.pathType, service: spec.service, port: spec.port },
            ],
            ...(spec.tlsSecret !== undefined ? { tlsSecret: spec.tlsSecret } : {}),
        };
    }

    function ingressResource(entry: IngressCase): EngineResource[] {
        const spec = tweaked(base, entry.tweak as Record<string, unknown>) as unknown as IngressTweak & {
            service: string;
        };
        const className = spec.ingressClassName ?? "traefik";
        const paths = spec.paths ?? [
            {
                ...(spec.path !== undefined ? { path: spec.path } : {}),
                pathType: spec.pathType,
                backend: spec.backend ?? { service: { name: spec.service, port: { number: spec.port } } },
            },
        ];
        const tls =
            spec.tls ??
            (spec.tlsHosts !== undefined || spec.tlsSecret !== undefined
                ? [
                      {
                          ...(spec.tlsHosts !== undefined ? { hosts: spec.tlsHosts } : {}),
                          ...(spec.tlsSecret !== undefined ? { secretName: spec.tlsSecret } : {}),
                      },
                  ]
                : undefined);
        return [
            // The class the Ingress names exists, so ingress-class judges only what the API server judges: the name.
            engineResource("kubernetes:networking.k8s.io/v1:IngressClass", "class", {
                apiVersion: "networking.k8s.io/v1",
                kind: "IngressClass",
                metadata: { name: className },
                spec: { controller: "traefik.io/ingress-controller" },
            }),
            engineResource("kubernetes:networking.k8s.io/v1:Ingress", "default-foo", {
                apiVersion: "networking.k8s.io/v1",
                kind: "Ingress",
                metadata: { name: "foo", namespace: "default" },
                spec: {
                    ingressClassName: className,
                    ...(tls ? { tls } : {}),
                    rules: [{ host: spec.host, http: { paths } }],
                },
            }),
        ];
    }

    async function outcomesOf(entry: IngressCase): Promise<Outcome[]> {
        const outcomes: Outcome[] = [];
        const route = routeOf(entry);
        const verdict = (found: readonly { key: string; message: string }[]): Verdict =>
            found.length === 0 ? "accepted" : "refused";
        if (route === undefined) {
            outcomes.push({ case: entry.case, layer: "stack config", verdict: "not expressible", detail: "" });
        } else {
            const parsed = configSchemas.ingress.safeParse({ routes: [route] });
            const found = parsed.success
                ? validateIngress(ingressArgs(parsed.data!), { services }, STACK_KEYS)
                : parsed.error.issues.map((issue) => ({ key: issue.path.join("."), message: issue.message }));
            outcomes.push({ case: entry.case, layer: "stack config", verdict: verdict(found), detail: summary(found) });
        }
        const className = entry.tweak.ingressClassName;
        if (route === undefined && className === undefined) {
            outcomes.push({ case: entry.case, layer: "component args", verdict: "not expressible", detail: "" });
        } else {
            const routes = route === undefined ? [] : [route as unknown as IngressRouteSpec];
            const validated = validateRoutes(routes, services, "args.routes", SPLIT_PORT_FIELDS);
            const found = [
                ...(validated.ok ? [] : validated.problems),
                ...ingressClassNameFindings(className ?? "traefik", "args.ingressClassName"),
            ];
            outcomes.push({
                case: entry.case,
                layer: "component args",
                verdict: verdict(found),
                detail: summary(found),
            });
        }
        const violations = await violationsOf(
            [ingressHost, ingressPaths, ingressTlsHosts, ingressClass],
            ingressResource(entry),
        );
        outcomes.push({
            case: entry.case,
            layer: "policy pack",
            verdict: violations.length === 0 ? "accepted" : "refused",
            detail: messages(violations).join("; "),
        });
        return outcomes;
    }

    void it("every layer gives the API server's verdict, or a documented stricter one", async (t) => {
        const outcomes = (await Promise.all(table.cases.map(outcomesOf))).flat();
        const counts = judge(table, outcomes);
        t.diagnostic(`${table.cases.length} cases; per layer: ${JSON.stringify(counts)}`);
        // Every case reaches the policy pack, and most reach the config and the args too.
        assert.equal(counts["policy pack"].expressed, table.cases.length);
        assert.ok(counts["stack config"].expressed >= table.cases.length * 0.75, JSON.stringify(counts));
    });
});

void describe("conformance: Services (core/validation validation_test.go)", () => {
    interface ServiceCase {
        readonly case: string;
        readonly spec?: Record<string, unknown>;
        readonly port0?: Record<string, unknown>;
        readonly ports?: Array<Record<string, unknown>>;
        readonly appendPorts?: Array<Record<string, unknown>>;
        readonly valid: boolean;
    }
    const table = loadTable<
        ObjectTable<ServiceCase> & {
            base: { metadata: { name: string; namespace: string }; spec: Record<string, unknown> };
            cluster: { serviceCidr: string; serviceCidrV6: string; nodePortRange: string };
        }
    >("core-validation.json");
    const { serviceCidr, serviceCidrV6, nodePortRange } = table.cluster;
    const cluster: ServiceClusterSpec = { serviceCidr, serviceCidrV6, nodePortRange };

    function specOf(entry: ServiceCase): Record<string, unknown> {
        const spec = tweaked(table.base.spec, entry.spec);
        const basePorts = spec["ports"] as Array<Record<string, unknown>>;
        const ports = entry.ports ?? [
            { ...basePorts[0], ...entry.port0 },
            ...basePorts.slice(1),
            ...(entry.appendPorts ?? []),
        ];
        return { ...spec, ports };
    }

    /** Spec fields a clusternet Service can say; `clusterIPs` only as the one-entry copy of clusterIP. */
    const EXPRESSIBLE = new Set(["selector", "type", "ports", "clusterIP", "clusterIPs"]);

    /** The case as a `clusternet:services` entry (or AppService args with split port fields), when one can say it. */
    function serviceOf(spec: Record<string, unknown>, split: boolean): Record<string, unknown> | undefined {
        const clusterIP = spec["clusterIP"];
        const clusterIPs = spec["clusterIPs"] as unknown[] | undefined;
        if (
            !Object.keys(spec).every((key) => EXPRESSIBLE.has(key)) ||
            (clusterIPs !== undefined && !(clusterIPs.length === 1 && clusterIPs[0] === clusterIP))
        ) {
            return undefined;
        }
        const ports = (spec["ports"] as Array<Record<string, unknown>>).map((port) => {
            const { targetPort, ...rest } = port;
            return split && typeof targetPort === "string" && targetPort !== ""
                ? { ...rest, targetPortName: targetPort }
                : port;
        });
        return {
            ...table.base.metadata,
            ...(spec["type"] !== undefined ? { type: spec["type"] } : {}),
            ...(spec["selector"] !== undefined ? { selector: spec["selector"] } : {}),
            ...(clusterIP === "None" ? { headless: true } : clusterIP !== undefined ? { clusterIP } : {}),
            ports,
        };
    }

    async function outcomesOf(entry: ServiceCase): Promise<Outcome[]> {
        const spec = specOf(entry);
        const outcomes: Outcome[] = [];
        const verdict = (found: readonly { key: string; message: string }[]): Verdict =>
            found.length === 0 ? "accepted" : "refused";
        const stackService = serviceOf(spec, false);
        if (stackService === undefined) {
            outcomes.push({ case: entry.case, layer: "stack config", verdict: "not expressible", detail: "" });
        } else {
            const parsed = configSchemas.services.safeParse([stackService]);
            const found = parsed.success
                ? validateServices(parsed.data.map(serviceArgs), cluster, servicesKeys(STACK_KEYS))
                : parsed.error.issues.map((issue) => ({ key: issue.path.join("."), message: issue.message }));
            outcomes.push({ case: entry.case, layer: "stack config", verdict: verdict(found), detail: summary(found) });
        }
        const argsService = serviceOf(spec, true);
        if (argsService === undefined) {
            outcomes.push({ case: entry.case, layer: "component args", verdict: "not expressible", detail: "" });
        } else {
            const found = validateServices(
                [argsService as unknown as AppServiceSpec],
                cluster,
                servicesKeys(ARGS_KEYS),
            );
            outcomes.push({
                case: entry.case,
                layer: "component args",
                verdict: verdict(found),
                detail: summary(found),
            });
        }
        const { name, namespace } = table.base.metadata;
        const resources = [
            stackResource(devPlan({ families: ["IPv4", "IPv6"], serviceCidr, serviceCidrV6 })),
            engineResource("kubernetes:core/v1:Service", `${namespace}-${name}`, {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name, namespace },
                spec,
            }),
        ];
        const violations = await violationsOf(
            [servicePorts, serviceClusterIpInRange, serviceIpFamilies, serviceNoExternalIps],
            resources,
            { [SERVICE_PORTS]: { properties: { nodePortRange } } },
        );
        outcomes.push({
            case: entry.case,
            layer: "policy pack",
            verdict: violations.length === 0 ? "accepted" : "refused",
            detail: messages(violations).join("; "),
        });
        return outcomes;
    }

    void it("every layer gives the API server's verdict, or a documented stricter one", async (t) => {
        const outcomes = (await Promise.all(table.cases.map(outcomesOf))).flat();
        const counts = judge(table, outcomes);
        t.diagnostic(`${table.cases.length} cases; per layer: ${JSON.stringify(counts)}`);
        assert.equal(counts["policy pack"].expressed, table.cases.length);
        assert.ok(counts["stack config"].expressed >= table.cases.length * 0.4, JSON.stringify(counts));
    });
});
