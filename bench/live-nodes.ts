import { readNodesFromApiServer } from "../components/pod-network/live-nodes";
import { startFakeApiServer } from "../test/helpers/fake-api-server";
import { BenchResult } from "./plan";

const KEYS = { kubeconfig: "clusternet:kubeconfig", context: "clusternet:context", nodes: "clusternet:nodes" };

/**
 * What reading the planned Nodes from the API server adds to `pulumi preview`/`up`: one GET per Node, 16 in flight,
 * against a local fake API server over TLS (a reference figure: a real API server adds its own latency).
 */
export async function benchLiveNodes(): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    for (const count of [3, 1000]) {
        const names = Array.from({ length: count }, (_, index) => `node-${index}`);
        const cluster = await startFakeApiServer({
            nodes: Object.fromEntries(
                names.map((name, index) => [name, { podCIDR: `10.${index >> 8}.${index & 255}.0/24` }]),
            ),
        });
        try {
            // The first run loads @kubernetes/client-node: measured apart.
            const first = performance.now();
            await readNodesFromApiServer({ kubeconfig: cluster.kubeconfig(), names: names.slice(0, 1), keys: KEYS });
            if (count === 3) {
                results.push({ name: "live-nodes: load the client and read 1 Node", ms: performance.now() - first });
            }
            const start = performance.now();
            const read = await readNodesFromApiServer({ kubeconfig: cluster.kubeconfig(), names, keys: KEYS });
            if (read.problems.length > 0 || Object.keys(read.live).length !== count) {
                throw new Error(`live-nodes bench: expected ${count} Nodes, got problems ${read.problems.length}`);
            }
            results.push({
                name: `live-nodes: read ${count} Nodes from the API server`,
                ms: performance.now() - start,
            });
        } finally {
            await cluster.close();
        }
    }
    return results;
}
