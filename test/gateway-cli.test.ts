/**
 * The dev stack with `clusternet:ingress.api: gateway` and `both`, end to end through the `clusternet` command:
 * rendered objects valid (core kinds against Kubernetes' schemas, Gateway API kinds against the vendored CRDs'),
 * the CRDs installed before what uses them, `clusternet check` passing, and the same routes through both APIs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { CliResult, devConfig, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { crdSchemaErrors } from "./helpers/crd-schema";
import { summaryGraph, waitsFor } from "./helpers/graph";
import { schemaErrors } from "./helpers/kubernetes-schema";

type Json = Record<string, any>;

function ok(result: CliResult): CliResult {
    assert.equal(result.code, 0, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    return result;
}

/** The dev stack with this api, a TLS host and an Exact path besides its `/` route. */
function gatewayStack(api: string): string {
    const config = devConfig();
    config["ingress"] = {
        ...config["ingress"],
        api,
        routes: [
            {
                host: "web.lab.example",
                tlsSecret: "web-tls",
                paths: [
                    { path: "/", service: "web", port: "http" },
                    { path: "/health", pathType: "Exact", service: "web", port: 8080 },
                ],
            },
            { host: "*.apps.lab.example", paths: [{ path: "/", service: "web", port: "http" }] },
        ],
    };
    return writeStackFile(temporaryDirectory(), `gw-${api}`, config);
}

async function render(stackFile: string): Promise<{ manifests: Map<string, Json>; summary: Json[] }> {
    const out = path.join(temporaryDirectory(), "out");
    ok(await runCli(["render", "--config-file", stackFile, "--no-save", "--no-previous", "--out", out]));
    const manifests = new Map(
        fs
            .readdirSync(out)
            .filter((file) => file.endsWith(".yaml"))
            .map((file) => [file, parse(fs.readFileSync(path.join(out, file), "utf8")) as Json]),
    );
    const summary = parse(fs.readFileSync(path.join(out, "summary", "resources.yaml"), "utf8")) as Json;
    return { manifests, summary: summary["resources"] as Json[] };
}

const GATEWAY_KINDS = ["GatewayClass", "Gateway", "ReferenceGrant", "HTTPRoute"];

async function errorsOf(object: Json): Promise<string[]> {
    return GATEWAY_KINDS.includes(object["kind"] as string) ? crdSchemaErrors(object) : await schemaErrors(object);
}

void describe("the dev stack with api: gateway", () => {
    const stackFile = gatewayStack("gateway");
    let manifests: Map<string, Json>;
    let summary: Json[];
    let kinds: string[];
    before(async () => {
        ({ manifests, summary } = await render(stackFile));
        kinds = [...manifests.values()].map((object) => object["kind"] as string);
    });

    void it("renders valid objects: a GatewayClass, one Gateway, a ReferenceGrant, one HTTPRoute per host, no Ingress", async () => {
        for (const [file, object] of manifests) {
            assert.deepEqual(await errorsOf(object), [], file);
        }
        assert.deepEqual(
            GATEWAY_KINDS.map((kind) => kinds.filter((item) => item === kind).length),
            [1, 1, 1, 2],
        );
        assert.ok(!kinds.includes("Ingress") && !kinds.includes("IngressClass"));
        // Apply order: the class, the Gateway, the grant, then the routes.
        const order = kinds.filter((kind) => GATEWAY_KINDS.includes(kind));
        assert.deepEqual(order, ["GatewayClass", "Gateway", "ReferenceGrant", "HTTPRoute", "HTTPRoute"]);
    });

    void it("installs the CRDs as the vendored upstream file before the GatewayClass and the controller", () => {
        const crds = summary.find((resource) => resource["type"] === "kubernetes:yaml/v2:ConfigFile");
        assert.ok(crds, "a yaml/v2 ConfigFile");
        assert.equal(crds["parent"], "lab-ingress");
        const graph = summaryGraph(summary);
        for (const name of ["lab-ingress-gateway-class", "lab-ingress-deployment"]) {
            assert.ok(waitsFor(graph, name).includes(crds["name"] as string), `${name} waits for the CRDs`);
        }
    });

    void it("registers each HTTPRoute after the controller Deployment, its backends and the Gateway", () => {
        const graph = summaryGraph(summary);
        const routes = summary.filter((resource) => String(resource["type"]).endsWith(":HTTPRoute"));
        assert.equal(routes.length, 2);
        for (const route of routes) {
            const waits = waitsFor(graph, route["name"] as string);
            for (const name of [
                "lab-ingress-deployment",
                "lab-ingress-gateway-class",
                "lab-gateway-routes-gateway",
                "lab-demo.web-service",
            ]) {
                assert.ok(waits.includes(name), `${String(route["name"])} waits for ${name}: ${waits.join(", ")}`);
            }
        }
        // The Gateway's address is never awaited; the controller Deployment is.
        const gateway = [...manifests.values()].find((object) => object["kind"] === "Gateway")!;
        assert.equal(gateway["metadata"]["annotations"]["pulumi.com/skipAwait"], "true");
        const deployment = [...manifests.values()].find(
            (object) => object["kind"] === "Deployment" && object["metadata"]["namespace"] === "traefik",
        )!;
        assert.equal(deployment["metadata"]["annotations"]?.["pulumi.com/skipAwait"], undefined);
    });

    void it("passes clusternet check", async () => {
        const result = ok(await runCli(["check", "--config-file", stackFile, "--no-previous"]));
        assert.match(result.stdout, /passed/);
    });
});

void describe("the dev stack with api: both", () => {
    let objects: Json[];
    before(async () => {
        objects = [...(await render(gatewayStack("both"))).manifests.values()];
    });

    void it("serves every host through both APIs: an Ingress and an HTTPRoute with the same paths and backends", () => {
        const ingresses = objects.filter((object) => object["kind"] === "Ingress");
        const routes = objects.filter((object) => object["kind"] === "HTTPRoute");
        assert.equal(ingresses.length, 2);
        const viaIngress = ingresses.flatMap((ingress) =>
            (ingress["spec"]["rules"] as Json[]).flatMap((rule) =>
                (rule["http"]["paths"] as Json[]).map((item) => [
                    rule["host"],
                    item["path"],
                    item["pathType"] === "Prefix" ? "PathPrefix" : item["pathType"],
                    item["backend"]["service"]["name"],
                ]),
            ),
        );
        const viaGateway = routes.flatMap((route) =>
            (route["spec"]["rules"] as Json[]).map((rule) => [
                route["spec"]["hostnames"][0],
                rule["matches"][0]["path"]["value"],
                rule["matches"][0]["path"]["type"],
                rule["backendRefs"][0]["name"],
            ]),
        );
        assert.deepEqual(viaGateway.sort(), viaIngress.sort());
        assert.ok(objects.some((object) => object["kind"] === "IngressClass"));
        assert.ok(objects.some((object) => object["kind"] === "GatewayClass"));
    });
});

void describe("clusternet plan with api: gateway", () => {
    void it("prints the Gateway and the same try commands as for Ingress", async () => {
        const gateway = ok(
            await runCli(["plan", "--config-file", gatewayStack("gateway"), "--no-save", "--format", "json"]),
        );
        const ingress = ok(
            await runCli(["plan", "--config-file", gatewayStack("ingress"), "--no-save", "--format", "json"]),
        );
        const plan = (result: CliResult): Json => JSON.parse(result.stdout) as Json;
        assert.equal(plan(gateway)["ingress"]["api"], "gateway");
        assert.deepEqual(
            plan(gateway)["ingress"]["routes"].map((route: Json) => route["try"]),
            plan(ingress)["ingress"]["routes"].map((route: Json) => route["try"]),
        );
    });
});
