/** `clusternet:services` in a stack file: shapes, semantic checks with config key paths, and the mapping to args. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../components/common";
import { ConfigSource, loadStack } from "../components/config";
import { devConfig } from "./helpers/cli";

function source(values: Record<string, unknown>): ConfigSource {
    return { label: "test", kind: "stack-file", values: new Map(Object.entries(values)), secretKeys: new Set() };
}

function problems(values: Record<string, unknown>): string[] {
    const loaded = loadStack(source(values));
    return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

describe("clusternet:services in the stack config", () => {
    it("loads the dev stack's web Service with every default applied", () => {
        const loaded = loadStack(source(devConfig()));
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        assert.deepEqual(loaded.value.args.services, [
            {
                name: "web",
                namespace: "demo",
                createNamespace: true,
                type: "NodePort",
                headless: false,
                app: {
                    image: "nginx:1.27.5",
                    replicas: 2,
                    containerPorts: [
                        { name: "http", port: 80, protocol: "TCP" },
                        { name: "https", port: 443, protocol: "TCP" },
                    ],
                    waitForReady: true,
                    readyTimeoutSeconds: 300,
                },
                ports: [
                    { name: "http", port: 8080, protocol: "TCP", nodePort: 30808, targetPortName: "http" },
                    { name: "https", port: 443, protocol: "TCP", targetPortName: "https" },
                ],
            },
        ]);
        assert.equal(loaded.value.args.cluster.nodePortRange, "30000-32767");
    });

    it("maps a port given by number or by name onto the args' two fields, and quantities onto strings", () => {
        const config = devConfig();
        config["services"][0].ports[1].targetPort = 443;
        config["services"][0].app.readinessPort = "http";
        config["services"][0].app.resources = { requests: { cpu: 0.5, memory: "64Mi" }, limits: { memory: 134217728 } };
        const loaded = loadStack(source(config));
        assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
        const [web] = loaded.value.args.services!;
        assert.deepEqual(
            web!.ports.map((port) => [port.targetPort, port.targetPortName]),
            [
                [undefined, "http"],
                [443, undefined],
            ],
        );
        assert.equal(web!.app!.readinessPortName, "http");
        assert.equal(web!.app!.readinessPort, undefined);
        assert.deepEqual(web!.app!.resources, {
            requests: { cpu: "0.5", memory: "64Mi" },
            limits: { memory: "134217728" },
        });
        config["services"][0].app.readinessPort = 80;
        const numbered = loadStack(source(config));
        assert.ok(numbered.ok);
        assert.deepEqual(
            [
                numbered.value.args.services![0]!.app!.readinessPort,
                numbered.value.args.services![0]!.app!.readinessPortName,
            ],
            [80, undefined],
        );
    });

    it("names a port given by name by the config key the user wrote", () => {
        const config = devConfig();
        config["services"][0].app.readinessPort = "health";
        delete config["ingress"];
        assert.deepEqual(problems(config), [
            'clusternet:services[0].app.readinessPort: "health" is not the name of a container port of the app; use one of http, https, or a port number',
        ]);
    });

    it("names semantic problems by their config key", () => {
        const config = devConfig();
        config["services"][0].ports[1].targetPort = "htps";
        config["services"][0].ports[0].nodePort = 30080;
        config["cluster"].nodePortRange = "30000-30079";
        delete config["ingress"];
        assert.deepEqual(problems(config), [
            'clusternet:services[0].ports[1].targetPort: "htps" is not the name of a TCP container port of the app (its TCP ports: http (80), https (443)); use one of http, https, or a port number',
            "clusternet:services[0].ports[0].nodePort: 30080 is outside the node port range 30000-30079 (clusternet:cluster.nodePortRange); pick a port from 30000 to 30079, or leave it out to let the cluster choose",
        ]);
    });

    it("reports a bad node port range under clusternet:cluster", () => {
        const config = devConfig();
        config["cluster"].nodePortRange = "30000:32767";
        assert.deepEqual(problems(config), [
            'clusternet:cluster.nodePortRange: "30000:32767" is not a port range (the API server takes FIRST-LAST or one port); write FIRST-LAST, e.g. 30000-32767',
        ]);
    });

    it("reports shape problems first, and skips the semantic checks of a broken section", () => {
        const config = devConfig();
        config["services"][0].type = "Nodeport";
        config["services"][0].ports[0].targetport = 80;
        config["services"][0].ports[1].port = 0;
        assert.deepEqual(problems(config), [
            'clusternet:services[0].type: "Nodeport" is not allowed; use one of "ClusterIP", "NodePort", "LoadBalancer"',
            "clusternet:services[0].ports[0].targetport: is not a known key here; did you mean targetPort?",
            "clusternet:services[0].ports[1].port: 0 is too small; use at least 1",
        ]);
    });

    it("accepts a stack without services", () => {
        const config = devConfig();
        delete config["services"];
        delete config["ingress"];
        const loaded = loadStack(source(config));
        assert.ok(loaded.ok);
        assert.deepEqual(loaded.value.args.services, []);
    });
});
