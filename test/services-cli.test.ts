/**
 * End to end: what `npm start` does (plan, then render, of the dev stack), run in a scratch copy of the project so
 * the repository's plans/ and rendered/ stay untouched.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { CliResult, REPO, runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";

// Each chain once, through the first node, with how many other nodes hold it.
const SEED_CHAINS = [
    "demo/web http/TCP:",
    "  client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80 (and on the other 2 nodes)",
    "demo/web https/TCP:",
    "  client -> 192.168.56.10:<nodePort> -> <clusterIP>:443 -> <podIP>:443 (and on the other 2 nodes)",
];

let project: string;
let plan: CliResult;
let render: CliResult;

before(async () => {
    project = temporaryDirectory();
    for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml"]) {
        fs.copyFileSync(path.join(REPO, file), path.join(project, file));
    }
    // The same two commands as `npm start`.
    plan = await runCli(["plan", "--stack", "dev"], project);
    render = await runCli(["render", "--stack", "dev"], project);
});

describe("npm start on the dev stack", () => {
    it("plan prints the web Service's port map", () => {
        assert.equal(plan.code, 0, plan.stderr);
        const lines = plan.stdout.split("\n");
        assert.ok(lines.includes("Service port map (client -> node -> Service -> pod):"), plan.stdout);
        assert.ok(
            lines.some((line) =>
                /^demo\/web\s+NodePort\s+http\s+TCP\s+30808\s+<clusterIP>\s+8080\s+80 \(http\)$/.test(line),
            ),
            plan.stdout,
        );
        assert.ok(
            lines.some((line) =>
                /^demo\/web\s+NodePort\s+https\s+TCP\s+<nodePort>\s+<clusterIP>\s+443\s+443 \(https\)$/.test(line),
            ),
            plan.stdout,
        );
        const start = lines.indexOf(SEED_CHAINS[0]!);
        assert.deepEqual(lines.slice(start, start + SEED_CHAINS.length), SEED_CHAINS);
    });

    it("plan records the port map in the plan JSON", () => {
        const record = JSON.parse(fs.readFileSync(path.join(project, "plans", "dev.json"), "utf8"));
        assert.deepEqual(
            record.portMaps.map((entry: any) => [
                entry.service,
                entry.portName,
                entry.nodePort,
                entry.port,
                entry.targetPort,
            ]),
            [
                ["web", "http", 30808, 8080, 80],
                ["web", "https", null, 443, 443],
            ],
        );
    });

    it("render writes the web Service and Deployment with the seed's port mappings", () => {
        assert.equal(render.code, 0, render.stderr);
        const dir = path.join(project, "rendered");
        const files = fs.readdirSync(dir).filter((file) => file.endsWith(".yaml"));
        const fileOf = (suffix: string): string => files.find((file) => file.endsWith(suffix))!;
        assert.ok(
            fileOf("-namespace-demo.yaml") < fileOf("-service-demo-web.yaml"),
            "the namespace is applied before its Service",
        );
        const service = parse(fs.readFileSync(path.join(dir, fileOf("-service-demo-web.yaml")), "utf8"));
        assert.equal(service.spec.type, "NodePort");
        assert.deepEqual(service.spec.ports, [
            { name: "http", nodePort: 30808, port: 8080, protocol: "TCP", targetPort: "http" },
            { name: "https", port: 443, protocol: "TCP", targetPort: "https" },
        ]);
        const deployment = parse(fs.readFileSync(path.join(dir, fileOf("-deployment-demo-web.yaml")), "utf8"));
        const container = deployment.spec.template.spec.containers[0];
        assert.equal(container.image, "nginx:1.27.5");
        assert.deepEqual(container.ports, [
            { containerPort: 80, name: "http", protocol: "TCP" },
            { containerPort: 443, name: "https", protocol: "TCP" },
        ]);
        for (const [key, value] of Object.entries(service.spec.selector)) {
            assert.equal(deployment.spec.template.metadata.labels[key], value);
        }
    });
});

describe("clusternet plan formats", () => {
    it("json carries the structured port map", async () => {
        const result = await runCli(["plan", "--stack", "dev", "--format", "json", "--no-save"], project);
        assert.equal(result.code, 0, result.stderr);
        const [http] = JSON.parse(result.stdout).portMaps;
        assert.deepEqual(http, {
            service: "web",
            namespace: "demo",
            type: "NodePort",
            headless: false,
            portName: "http",
            protocol: "TCP",
            clusterIP: null,
            nodePort: 30808,
            port: 8080,
            targetPort: 80,
            targetPortName: "http",
            nodeCount: 3,
            chains: ["client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80"],
        });
    });

    it("markdown has a port table and the chains", async () => {
        const result = await runCli(["plan", "--stack", "dev", "--format", "markdown", "--no-save"], project);
        assert.equal(result.code, 0, result.stderr);
        assert.ok(result.stdout.includes("#### Service port map"), result.stdout);
        assert.ok(
            result.stdout.includes(
                "| demo/web | NodePort | http | TCP | 30808 | &lt;clusterIP&gt; | 8080 | 80 (http) |",
            ),
            result.stdout,
        );
        assert.ok(result.stdout.includes(["```text", ...SEED_CHAINS, "```"].join("\n")), result.stdout);
    });
});

describe("bad services config on the command line", () => {
    it("exits 2 naming each problem by its key, and writes nothing", async () => {
        const dir = temporaryDirectory();
        const config = devConfig();
        config["services"][0].ports[0].nodePort = 30080;
        config["services"][0].ports[1].targetPort = "tls";
        config["services"].push({
            name: "api",
            namespace: "demo",
            type: "NodePort",
            selector: { app: "api" },
            ports: [{ port: 80, nodePort: 30080 }],
        });
        const file = writeStackFile(dir, "broken", config);
        const result = await runCli(["render", "--config-file", file, "--out", path.join(dir, "out")], dir);
        assert.equal(result.code, 2, result.stdout);
        assert.deepEqual(result.stderr.trim().split("\n"), [
            'clusternet:services[0].ports[1].targetPort: "tls" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
            "clusternet:services[1].ports[0].nodePort: 30080 is already the node port of Service demo/web (clusternet:services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 32767 that nothing else uses, or leave it out to let the cluster choose",
            "clusternet:ingress.controller.httpNodePort: 30080 is already the node port of Service demo/web (clusternet:services[0].ports[0].nodePort); node ports are unique across the cluster; pick a port from 30000 to 32767 that nothing else uses",
            "clusternet: 3 problem(s) in the input; nothing was written",
        ]);
        assert.equal(fs.existsSync(path.join(dir, "out")), false);
        assert.equal(fs.existsSync(path.join(dir, "plans")), false);
    });
});
