/**
 * Reading the planned Nodes straight from the API server (`readNodesFromApiServer`), against a fake API server over
 * TLS: existing Nodes give their podCIDRs, a missing one is one problem at `nodes[i].name`, and a kubeconfig that
 * cannot be used (unreadable, unknown context, refused, forbidden, unreachable, untrusted, silent) is one line that
 * never quotes the kubeconfig.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { formatProblem } from "../components/common/problems";
import { ApiServerReadArgs, readNodesFromApiServer } from "../components/pod-network/live-nodes";
import { temporaryDirectory } from "./helpers/cli";
import { FAKE_TOKEN, FakeApiServer, startFakeApiServer } from "./helpers/fake-api-server";

const KEYS = { kubeconfig: "clusternet:kubeconfig", context: "clusternet:context", nodes: "clusternet:nodes" };
const NAMES = ["cp-1", "worker-1", "worker-2"];

function read(kubeconfig: string, extra: Partial<ApiServerReadArgs> = {}) {
    return readNodesFromApiServer({ kubeconfig, names: NAMES, keys: KEYS, ...extra });
}

/** A port nothing listens on: one the OS just gave out and took back. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

describe("reading the planned Nodes from the API server", () => {
    let cluster: FakeApiServer;
    before(async () => {
        cluster = await startFakeApiServer({
            nodes: { "cp-1": { podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"] }, "worker-1": {} },
        });
    });
    after(() => cluster.close());

    it("gives each existing Node's podCIDRs and one problem per missing Node, at its name's key", async () => {
        const result = await read(cluster.kubeconfig(), { names: ["cp-1", "worker-3", "worker-1", "worker-4"] });
        assert.deepEqual(result.live, {
            "cp-1": { podCIDR: "10.244.0.0/24", podCIDRs: ["10.244.0.0/24"] },
            "worker-1": {},
        });
        assert.deepEqual(
            result.problems.map((problem) => [problem.key, problem.message]),
            [
                ["clusternet:nodes[1].name", "node worker-3 is not in the cluster"],
                ["clusternet:nodes[3].name", "node worker-4 is not in the cluster"],
            ],
        );
        assert.match(result.problems[0]!.fix!, /join it first \(e\.g\. kubeadm join on worker-3\), then run again/);
    });

    it("only reads: one GET per planned Node", async () => {
        const before = cluster.requests.length;
        await read(cluster.kubeconfig());
        assert.deepEqual(cluster.requests.slice(before).sort(), NAMES.map((name) => `/api/v1/nodes/${name}`).sort());
    });

    it("reads a kubeconfig from a file when the value names one, as the Kubernetes provider does", async () => {
        const file = path.join(temporaryDirectory(), "kubeconfig");
        fs.writeFileSync(file, cluster.kubeconfig());
        const result = await read(file);
        assert.deepEqual(Object.keys(result.live).sort(), ["cp-1", "worker-1"]);
        assert.deepEqual(
            result.problems.map((problem) => problem.key),
            ["clusternet:nodes[2].name"],
        );
    });

    it("uses clusternet:context over the kubeconfig's current-context, and names an unknown one", async () => {
        const kubeconfig = cluster.kubeconfig({ context: "lab" }).replace("current-context: lab", "current-context: x");
        assert.deepEqual((await read(kubeconfig, { context: "lab" })).problems.length, 1);
        const unknown = await read(kubeconfig, { context: "prod" });
        assert.deepEqual(
            unknown.problems.map((problem) => [problem.key, problem.message]),
            [["clusternet:context", 'the kubeconfig has no context "prod"']],
        );
        const none = await read(kubeconfig);
        assert.deepEqual(
            none.problems.map((problem) => problem.key),
            ["clusternet:kubeconfig"],
        );
    });

    it("says refused credentials once, never quoting the kubeconfig", async () => {
        const result = await read(cluster.kubeconfig({ token: "expired-token" }));
        assert.equal(result.problems.length, 1);
        assert.equal(result.problems[0]!.key, "clusternet:kubeconfig");
        assert.match(result.problems[0]!.message, /refused the kubeconfig's credentials \(401 Unauthorized\)/);
        assert.doesNotMatch(formatProblem(result.problems[0]!), /expired-token/);
    });

    it("says missing rights once, with the API server's reason", async () => {
        const forbidden = await startFakeApiServer({ nodes: {}, status: 403 });
        try {
            const result = await read(forbidden.kubeconfig());
            assert.equal(result.problems.length, 1);
            assert.match(
                result.problems[0]!.message,
                /may not read Nodes \(403 Forbidden: .*cannot get resource "nodes"/,
            );
        } finally {
            await forbidden.close();
        }
    });

    it("says an unreachable server once, by its address only", async () => {
        const port = await closedPort();
        const result = await read(cluster.kubeconfig({ server: `https://admin:hunter2@127.0.0.1:${port}/prefix` }));
        assert.deepEqual(
            result.problems.map(formatProblem).map((line) => line.split(";")[0]),
            [`clusternet:kubeconfig: cannot reach the API server https://127.0.0.1:${port} (ECONNREFUSED)`],
        );
        assert.doesNotMatch(formatProblem(result.problems[0]!), /hunter2/);
    });

    it("says a server whose certificate the kubeconfig does not trust", async () => {
        const kubeconfig = cluster.kubeconfig().replace(/^ {6}certificate-authority-data: .*\n/m, "");
        const result = await read(kubeconfig);
        assert.equal(result.problems.length, 1);
        assert.match(result.problems[0]!.message, /has a certificate the kubeconfig does not trust/);
    });

    it("gives up on a server that never answers after the timeout", async () => {
        const silent = await startFakeApiServer({ nodes: {}, silent: true });
        try {
            const result = await read(silent.kubeconfig(), { timeoutMs: 50 });
            assert.deepEqual(
                result.problems.map((problem) => problem.key),
                ["clusternet:kubeconfig"],
            );
            assert.match(result.problems[0]!.message, /did not answer within/);
        } finally {
            await silent.close();
        }
    });

    it("refuses a kubeconfig that is not YAML with its reason and line, not its text", async () => {
        const secret = `apiVersion: v1\nusers:\n  - name: a\n    user: { token: ${FAKE_TOKEN} \n  bad: [\n`;
        const result = await read(secret);
        assert.equal(result.problems.length, 1);
        assert.match(result.problems[0]!.message, /^is not valid YAML \(.* at line \d+\)$/);
        assert.doesNotMatch(formatProblem(result.problems[0]!), new RegExp(FAKE_TOKEN));
    });

    it("says when the value is neither a kubeconfig nor an existing file", async () => {
        const result = await read("/no/such/kubeconfig");
        assert.deepEqual(
            result.problems.map((problem) => [problem.key, problem.message]),
            [["clusternet:kubeconfig", "is neither a kubeconfig nor the path of a file that exists"]],
        );
    });
});
