/**
 * Ingress end to end through the `clusternet` command: the dev stack's plan and render, switching the controller
 * to ingress-nginx on a temporary stack file, the retirement warning, and bad input refused before anything is written.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CliResult, runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { summaryGraph, waitsFor } from "./helpers/graph";
import { schemaErrors } from "./helpers/kubernetes-schema";

type Json = Record<string, any>;

const RETIRED =
    /ingress-nginx was retired in March 2026: v1\.15\.1 is its final release and it gets no further security fixes/;

function ok(result: CliResult): CliResult {
    assert.equal(result.code, 0, `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    return result;
}

/** Renders a stack file into a fresh folder; returns the manifests by file name, and the run's output. */
async function render(stackFile: string): Promise<{ result: CliResult; manifests: Map<string, Json>; summary: Json }> {
    const out = path.join(temporaryDirectory(), "out");
    const result = ok(await runCli(["render", "--config-file", stackFile, "--no-save", "--no-previous", "--out", out]));
    const manifests = new Map(
        fs
            .readdirSync(out)
            .filter((file) => file.endsWith(".yaml"))
            .map((file) => [file, parse(fs.readFileSync(path.join(out, file), "utf8")) as Json]),
    );
    return {
        result,
        manifests,
        summary: parse(fs.readFileSync(path.join(out, "summary", "resources.yaml"), "utf8")) as Json,
    };
}

function withIngress(controller: Json, routes?: Json[]): string {
    const config = devConfig();
    config["ingress"] = {
        ...config["ingress"],
        controller: { ...config["ingress"].controller, ...controller },
        ...(routes ? { routes } : {}),
    };
    return writeStackFile(temporaryDirectory(), "ingresstest", config);
}

async function assertValidManifests(manifests: Map<string, Json>): Promise<void> {
    for (const [file, object] of manifests) {
        assert.deepEqual(await schemaErrors(object), [], file);
    }
}

void describe("clusternet plan: the dev stack's Ingress", () => {
    void it("prints the controller, the route and the curl to try it (table)", async () => {
        const { stdout } = ok(await runCli(["plan", "--stack", "dev", "--no-save"]));
        assert.match(
            stdout,
            /^Ingress: traefik \(IngressClass traefik, namespace traefik\), NodePort: HTTP 30080, HTTPS 30443 on every node$/m,
        );
        assert.match(stdout, /^web\.lab\.example\s+demo\s+\/ \(Prefix\)\s+web:http\s+-$/m);
        assert.match(stdout, /^ {2}curl -H 'Host: web\.lab\.example' http:\/\/192\.168\.56\.10:30080\/$/m);
        assert.doesNotMatch(stdout, /warning/);
    });

    void it("records the routes in the JSON plan", async () => {
        const document = JSON.parse(
            ok(await runCli(["plan", "--stack", "dev", "--no-save", "--format", "json"])).stdout,
        ) as Json;
        assert.equal(document.ingress.implementation, "traefik");
        assert.deepEqual(document.ingress.routes, [
            {
                host: "web.lab.example",
                namespace: "demo",
                ingressName: "web.lab.example",
                tlsSecret: null,
                paths: [{ path: "/", pathType: "Prefix", service: "web", port: "http" }],
                try: ["curl -H 'Host: web.lab.example' http://192.168.56.10:30080/"],
            },
        ]);
    });

    void it("shows them in the markdown plan, commands in a shell block", async () => {
        const { stdout } = ok(await runCli(["plan", "--stack", "dev", "--no-save", "--format", "markdown"]));
        assert.match(stdout, /^#### Ingress: traefik/m);
        assert.match(stdout, /^\| web\.lab\.example \| demo \| \/ \(Prefix\) \| web:http \| - \|$/m);
        assert.match(stdout, /```sh\ncurl -H 'Host: web\.lab\.example' http:\/\/192\.168\.56\.10:30080\/\n```/);
    });
});

void describe("clusternet render: the controller and its Ingress", () => {
    void it("renders Traefik and the web.lab.example Ingress for the dev stack, all valid, and exports the try commands", async () => {
        const { manifests, summary } = await render(path.join(__dirname, "..", "Pulumi.dev.yaml"));
        const kinds = [...manifests.values()].map((object) => `${object.kind}/${object.metadata.name}`);
        for (const expected of [
            "Namespace/traefik",
            "ClusterRole/traefik",
            "IngressClass/traefik",
            "Deployment/traefik",
            "Service/traefik",
            "Ingress/web.lab.example",
        ]) {
            assert.ok(kinds.includes(expected), `${expected} in ${kinds.join(", ")}`);
        }
        const ingress = [...manifests.values()].find((object) => object.kind === "Ingress")!;
        assert.equal(ingress.spec.ingressClassName, "traefik");
        assert.equal(ingress.metadata.namespace, "demo");
        const entry = (summary.resources as Json[]).find(
            (resource) => resource.type === "kubernetes:networking.k8s.io/v1:Ingress",
        )!;
        assert.deepEqual(
            entry.dependsOn,
            ["lab-ingress", "lab-namespace-demo", "lab-demo.web"],
            "the controller, and the backend's namespace and AppService",
        );
        const waits = waitsFor(summaryGraph(summary.resources as Json[]), entry.name as string);
        for (const name of [
            "lab-ingress-ingress-class",
            "lab-ingress-deployment",
            "lab-namespace-demo",
            "lab-demo.web-service",
            "lab-demo.web-deployment",
        ]) {
            assert.ok(waits.includes(name), `the Ingress waits for ${name}: ${waits.join(", ")}`);
        }
        await assertValidManifests(manifests);
    });

    void it("renders ingress-nginx instead when the stack chooses it, and warns that it is retired", async () => {
        const stackFile = withIngress({ implementation: "ingress-nginx" });
        const plan = ok(await runCli(["plan", "--config-file", stackFile, "--no-save", "--no-previous"]));
        assert.match(plan.stdout, /^Ingress: ingress-nginx \(IngressClass nginx, namespace ingress-nginx\)/m);
        assert.match(plan.stderr, new RegExp(`^warning: ${RETIRED.source}`, "m"));
        assert.doesNotMatch(plan.stdout, RETIRED, "warnings go to stderr in every format");
        const json = ok(
            await runCli(["plan", "--config-file", stackFile, "--no-save", "--no-previous", "--format", "json"]),
        );
        assert.match(json.stderr, RETIRED);

        const { result, manifests } = await render(stackFile);
        assert.match(result.stderr, RETIRED);
        const objects = [...manifests.values()];
        const ids = objects.map((object) => `${object.kind}/${object.metadata.name}`);
        for (const expected of [
            "Namespace/ingress-nginx",
            "Deployment/ingress-nginx-controller",
            "IngressClass/nginx",
            "ConfigMap/ingress-nginx-controller",
        ]) {
            assert.ok(ids.includes(expected), `${expected} in ${ids.join(", ")}`);
        }
        assert.ok(!ids.some((objectId) => /traefik/i.test(objectId)), ids.join(", "));
        assert.ok(
            !objects.some((object) => object.kind === "Job" || object.kind === "ValidatingWebhookConfiguration"),
            "webhook off by default",
        );
        const service = objects.find(
            (object) => object.kind === "Service" && object.metadata.name === "ingress-nginx-controller",
        )!;
        assert.deepEqual(
            (service.spec.ports as Json[]).map((port) => port.nodePort as unknown),
            [30080, 30443],
        );
        const ingress = objects.find((object) => object.kind === "Ingress")!;
        assert.equal(ingress.spec.ingressClassName, "nginx");
        assert.equal(
            ingress.metadata.annotations,
            undefined,
            "awaited: ingress-nginx writes the node IPs into its status",
        );
        await assertValidManifests(manifests);
    });

    void it("with the ingress-nginx webhook on, renders the certgen Jobs and makes the Ingress wait for them", async () => {
        const { manifests, summary } = await render(
            withIngress({ implementation: "ingress-nginx", admissionWebhook: true }),
        );
        const jobs = [...manifests.values()].filter((object) => object.kind === "Job");
        assert.deepEqual(jobs.map((job) => job.metadata.name as unknown).sort(), [
            "ingress-nginx-admission-create",
            "ingress-nginx-admission-patch",
        ]);
        assert.ok(jobs.every((job) => job.spec.ttlSecondsAfterFinished === undefined));
        const entry = (summary.resources as Json[]).find(
            (resource) => resource.type === "kubernetes:networking.k8s.io/v1:Ingress",
        )!;
        const waits = waitsFor(summaryGraph(summary.resources as Json[]), entry.name as string);
        for (const name of [
            "lab-ingress-admission-create-job",
            "lab-ingress-admission-patch-job",
            "lab-ingress-deployment",
            "lab-ingress-ingress-class",
            "lab-namespace-demo",
            "lab-demo.web-service",
        ]) {
            assert.ok(waits.includes(name), `the Ingress waits for ${name}: ${waits.join(", ")}`);
        }
        await assertValidManifests(manifests);
    });

    void it("in hostPort mode, tries the routes on ports 80/443", async () => {
        const stackFile = withIngress({ mode: "hostPort", httpNodePort: undefined, httpsNodePort: undefined }, [
            { host: "web.lab.example", paths: [{ path: "/", service: "web", port: "http" }], tlsSecret: "web-tls" },
        ]);
        const { stdout } = ok(await runCli(["plan", "--config-file", stackFile, "--no-save", "--no-previous"]));
        assert.match(stdout, /hostPort: HTTP 80, HTTPS 443 on every node/);
        assert.match(stdout, /curl -H 'Host: web\.lab\.example' http:\/\/192\.168\.56\.10\/$/m);
        assert.match(
            stdout,
            /curl -k --resolve web\.lab\.example:443:192\.168\.56\.10 https:\/\/web\.lab\.example\/$/m,
        );
    });
});

void describe("bad Ingress input", () => {
    void it("stops plan and render with one line per problem, naming the keys, and writes nothing", async () => {
        const stackFile = withIngress({ httpNodePort: 30808 }, [
            { host: "192.168.56.11", paths: [{ path: "/", service: "web", port: "http" }] },
            { host: "shop.lab.example", paths: [{ path: "api", service: "shop", port: 80 }] },
        ]);
        const out = path.join(temporaryDirectory(), "out");
        for (const args of [["plan"], ["render", "--out", out]]) {
            const result = await runCli([...args, "--config-file", stackFile, "--no-save", "--no-previous"]);
            assert.equal(result.code, 2, result.stderr);
            assert.equal(result.stdout, "");
            const lines = result.stderr.trim().split("\n");
            assert.deepEqual(
                lines.slice(0, -1).map((line) => line.slice(0, line.indexOf(": "))),
                [
                    "clusternet:ingress.routes[0].host",
                    "clusternet:ingress.routes[1].paths[0].path",
                    "clusternet:ingress.routes[1].paths[0].service",
                    "clusternet:ingress.controller.httpNodePort",
                ],
            );
            assert.match(
                lines[3]!,
                /30808 is already the node port of Service demo\/web \(clusternet:services\[0\]\.ports\[0\]\.nodePort\)/,
            );
            assert.match(lines[0]!, /must be a DNS name, not an IP address/);
            assert.match(lines.at(-1)!, /4 problem\(s\) in the input; nothing was written/);
        }
        assert.ok(!fs.existsSync(out), "render wrote nothing");
    });
});
