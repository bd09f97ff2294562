/**
 * What the stack program registers grows linearly with Services and never with nodes x Services: one offline run
 * builds ClusterNetworks of several sizes, and every added Service must add exactly what the first ones added
 * (resources, input bytes, port map bytes). A Service whose inputs or outputs carried every node, or every other
 * Service, breaks the equalities long before a render is slow enough to notice (issue 14: 5,000 Services).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { labServicesStack } from "../bench/stacks";
import { ConfigSource, loadStack } from "../components/config";
import { OfflineRun, runOffline } from "../cli/offline";
import { AppServiceSpec, findServiceBackend } from "../components/services";

/** Network name -> [nodes, Services]; names of one width, so only the sizes differ. */
const SIZES: Readonly<Record<string, readonly [number, number]>> = {
    n3s20: [3, 20],
    n3s40: [3, 40],
    n3s60: [3, 60],
    n6s20: [6, 20],
    n6s40: [6, 40],
};

function argsOf(nodes: number, services: number) {
    const config = labServicesStack(services, nodes);
    const source: ConfigSource = {
        label: "test",
        kind: "stack-file",
        values: new Map(Object.entries(config).map(([key, value]) => [key.replace(/^clusternet:/, ""), value])),
        secretKeys: new Set(),
    };
    const loaded = loadStack(source);
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map((problem) => problem.message).join("; "));
    return loaded.value.args;
}

interface Measure {
    readonly resources: number;
    readonly inputBytes: number;
    readonly portMapBytes: number;
}

let run: OfflineRun;
const measures = new Map<string, Measure>();

before(async () => {
    run = await runOffline({
        program: async () => {
            // Imported only now: setMocks must come first.
            const k8s = await import("@pulumi/kubernetes");
            const { ClusterNetwork } = await import("../components/index.js");
            const provider = new k8s.Provider("kubernetes", { renderYamlToDirectory: "rendered" });
            return Object.fromEntries(
                Object.entries(SIZES).map(([name, [nodes, services]]) => [
                    name,
                    new ClusterNetwork(name, argsOf(nodes, services), { providers: { kubernetes: provider } }).portMaps,
                ]),
            );
        },
        project: "clusternet",
        stack: "test",
        config: {},
        secretKeys: [],
    });
    const byUrn = new Map(run.resources.map((resource) => [resource.urn, resource]));
    const networkOf = (urn: string | undefined): string | undefined => {
        for (let at = urn ? byUrn.get(urn) : undefined; at; at = at.parent ? byUrn.get(at.parent) : undefined) {
            if (at.type === "clusternet:index:ClusterNetwork") {
                return at.name;
            }
        }
        return undefined;
    };
    for (const name of Object.keys(SIZES)) {
        const own = run.resources.filter((resource) => networkOf(resource.urn) === name);
        measures.set(name, {
            resources: own.length,
            inputBytes: own.reduce((sum, resource) => sum + JSON.stringify(resource.props).length, 0),
            portMapBytes: JSON.stringify(run.outputs[name]).length,
        });
    }
});

describe("the stack program at 20 to 60 Services on 3 and 6 nodes", () => {
    it("builds every network with its Services' port maps", () => {
        for (const [name, [, services]] of Object.entries(SIZES)) {
            assert.equal((run.outputs[name] as unknown[]).length, services, name);
            assert.ok(measures.get(name)!.resources > 2 * services, name);
        }
    });

    for (const key of ["resources", "inputBytes", "portMapBytes"] as const) {
        it(`adds the same ${key} for every 20 Services, on any number of nodes`, () => {
            const at = (name: string): number => measures.get(name)![key];
            const perTwenty = at("n3s40") - at("n3s20");
            assert.ok(perTwenty > 0);
            assert.equal(at("n3s60") - at("n3s40"), perTwenty, "no Services x Services term");
            assert.equal(at("n6s40") - at("n6s20"), perTwenty, "no nodes x Services term");
        });
    }
});

describe("findServiceBackend over 2,000 Services", () => {
    it("reads each Service once for any number of lookups (each looked through every Service: routes x Services)", () => {
        const specs: AppServiceSpec[] = Array.from({ length: 2000 }, (_, index) => ({
            name: `svc-${index}`,
            namespace: `ns-${index % 10}`,
            selector: { app: `svc-${index}` },
            ports: [{ name: "http", port: 8080, targetPort: 80 }],
        }));
        let reads = 0;
        const services = new Proxy(specs, {
            get(target, key, receiver) {
                reads += typeof key === "string" && /^\d+$/.test(key) ? 1 : 0;
                return Reflect.get(target, key, receiver) as unknown;
            },
        });
        for (let index = 0; index < 2000; index += 1) {
            const found = findServiceBackend(services, { service: `svc-${index}`, port: "http" });
            assert.ok(found.ok && found.value.serviceIndex === index && found.value.namespace === `ns-${index % 10}`);
        }
        assert.ok(reads <= 2 * specs.length, `${reads} reads of 2,000 Services for 2,000 lookups`);
    });
});
