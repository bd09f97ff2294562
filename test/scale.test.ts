/**
 * A big stack still plans: what the plan prints and records grows with nodes + Service ports, never nodes x ports,
 * and the table is written for any size (issue 19).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { stringify } from "yaml";
import { generatedStack } from "../bench/stacks";
import { main } from "../cli/main";
import { PlanDocument, PortMapJson, planTable } from "../cli/plan-format";
import { temporaryDirectory } from "./helpers/cli";

const NODES = 2000;
const SERVICES = 100;

async function run(argv: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), cwd });
    return { code, stdout, stderr };
}

describe("a stack of 2,000 nodes and 100 NodePort Services (200,000 node x port chains, were each written)", () => {
    it("plans as a table, each port's chain once, and records nothing of size nodes x ports", async () => {
        const dir = temporaryDirectory();
        const file = path.join(dir, "Pulumi.big.yaml");
        fs.writeFileSync(
            file,
            stringify({ config: generatedStack({ nodes: NODES, services: SERVICES, dualStack: true }) }),
        );
        const result = await run(["plan", "--config-file", file], dir);
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.split("\n");
        const chains = lines.filter((line) => line.startsWith("  client -> "));
        assert.equal(chains.length, SERVICES);
        assert.equal(
            chains[0],
            "  client -> 192.168.0.10:30000 -> <clusterIP>:8080 -> <podIP>:80 (and on the other 1999 nodes)",
        );
        assert.equal(lines.filter((line) => line.startsWith("node-")).length, NODES, "every node in the node table");

        const record = JSON.parse(fs.readFileSync(path.join(dir, "plans", "big.json"), "utf8")) as PlanDocument;
        assert.equal(record.nodes.length, NODES);
        assert.equal(record.portMaps.length, SERVICES);
        assert.ok(record.portMaps.every((entry) => entry.chains.length === 1 && entry.nodeCount === NODES));
    });
});

describe("planTable", () => {
    let small: PlanDocument;
    before(async () => {
        const dir = temporaryDirectory();
        const file = path.join(dir, "Pulumi.small.yaml");
        fs.writeFileSync(file, stringify({ config: generatedStack({ nodes: 3, services: 1, dualStack: false }) }));
        const result = await run(["plan", "--config-file", file, "--format", "json", "--no-save"], dir);
        assert.equal(result.code, 0, result.stderr);
        small = JSON.parse(result.stdout) as PlanDocument;
    });

    it("counts the other nodes on the node chain only, after a load balancer's chain", () => {
        const entry: PortMapJson = {
            service: "web",
            namespace: "demo",
            type: "LoadBalancer",
            headless: false,
            portName: "http",
            protocol: "TCP",
            clusterIP: null,
            nodePort: 30808,
            port: 8080,
            targetPort: 80,
            targetPortName: "http",
            nodeCount: 3,
            chains: [
                "client -> 192.168.56.200:8080 -> <clusterIP>:8080 -> <podIP>:80",
                "client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80",
            ],
        };
        const lines = planTable({ ...small, portMaps: [entry] }).split("\n");
        const start = lines.indexOf("demo/web http/TCP:");
        assert.deepEqual(lines.slice(start + 1, start + 3), [
            "  client -> 192.168.56.200:8080 -> <clusterIP>:8080 -> <podIP>:80",
            "  client -> 192.168.56.10:30808 -> <clusterIP>:8080 -> <podIP>:80 (and on the other 2 nodes)",
        ]);
    });

    it("writes 200,000 port map entries without overflowing the call stack", () => {
        const entry: PortMapJson = small.portMaps[0]!;
        const text = planTable({
            ...small,
            portMaps: Array.from({ length: 200_000 }, (_, index) => ({ ...entry, nodePort: 30000 + (index % 2768) })),
        });
        const chains = text.split("\n").filter((line) => line.startsWith("  client -> "));
        assert.equal(chains.length, 200_000);
        assert.equal(
            chains[1],
            "  client -> 192.168.0.10:30000 -> <clusterIP>:8080 -> <podIP>:80 (and on the other 2 nodes)",
        );
    });
});
