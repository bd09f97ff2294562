/**
 * kube-proxy's modes in the lab (root only): the dev stack with kubeProxy.mode nftables passes the whole matrix
 * with kube-proxy's and flannel's rules in nftables and none in iptables; then the same running lab is switched
 * to iptables and back, as a restarted kube-proxy does, and every path keeps working.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { labDown, LabContext } from "../lab/lab";
import { devConfig, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { labSkipReason, uniquePrefix } from "./helpers/lab";

const skip =
    labSkipReason() ??
    (spawnSync("sh", ["-c", "command -v nft"]).status !== 0
        ? "nft is missing (apt-get install -y nftables)"
        : undefined);
const work = temporaryDirectory("clusternet-lab-mode-");

function inNode(context: LabContext, node: string, ...command: string[]): string {
    return spawnSync("ip", ["netns", "exec", `${context.prefix}node-${node}`, ...command], { encoding: "utf8" }).stdout;
}

/** kube-proxy's own iptables chains (and jumps to them); kubelet's KUBE-FIREWALL, canary and hint are not. */
const KUBE_PROXY_CHAINS =
    /KUBE-(SERVICES|NODEPORTS|SVC-|SEP-|EXT-|POSTROUTING|MARK-MASQ|FORWARD|PROXY-FIREWALL|EXTERNAL-SERVICES)/;

/** kubelet's chains, each once, whatever kube-proxy's mode: what a switch must leave alone. */
function assertKubeletChains(saved: string, node: string): void {
    const lines = saved.split("\n");
    const count = (line: string): number => lines.filter((item) => item === line).length;
    for (const line of [
        ":KUBE-IPTABLES-HINT - [0:0]",
        ":KUBE-FIREWALL - [0:0]",
        "-A INPUT -j KUBE-FIREWALL",
        "-A OUTPUT -j KUBE-FIREWALL",
    ]) {
        assert.equal(count(line), 1, `${node}: ${line}`);
    }
    assert.equal(lines.filter((line) => line === ":KUBE-KUBELET-CANARY - [0:0]").length, 3, `${node}: canaries`);
    assert.equal(
        lines.filter((line) => line.startsWith("-A KUBE-FIREWALL ") && line.includes("block incoming localnet")).length,
        1,
        `${node}: KUBE-FIREWALL's rule`,
    );
}

async function check(options: string[]): Promise<string> {
    const result = await runCli(["lab", "check", ...options]);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.match(result.stdout, /lab check: (\d+) of \1 paths work, 0 fail/);
    return result.stdout;
}

void describe("kube-proxy's mode in the lab (root)", { skip: skip ?? false }, () => {
    const context: LabContext = {
        prefix: uniquePrefix("kpm"),
        stateDir: path.join(work, "state"),
        log: () => undefined,
    };
    const options = ["--prefix", context.prefix, "--state-dir", context.stateDir];
    after(async () => {
        await labDown(context).catch(() => undefined);
    });

    void it("nftables mode passes the whole matrix, and one stack switches to iptables and back", async () => {
        const stackFile = writeStackFile(work, "nft", { ...devConfig(), kubeProxy: { mode: "nftables" } });
        const up = await runCli(["lab", "up", "--config-file", stackFile, "--no-save", ...options]);
        assert.equal(up.code, 0, up.stderr + up.stdout);
        assert.match(up.stdout, /kube-proxy \(nftables mode\) on every node/);
        await check(options);
        // Beside kubelet's iptables-nft tables (ip filter, nat, mangle).
        const tables = inNode(context, "cp-1", "nft", "list", "tables");
        assert.match(tables, /^table ip kube-proxy$/m);
        assert.match(tables, /^table ip flannel-ipv4$/m);
        assert.match(
            inNode(context, "cp-1", "nft", "list", "map", "ip", "kube-proxy", "service-ips"),
            /tcp \. 8080 : goto service-/,
        );
        const nftNode = inNode(context, "worker-1", "iptables-save");
        assert.doesNotMatch(nftNode, KUBE_PROXY_CHAINS, "no kube-proxy iptables rules in nftables mode");
        assert.doesNotMatch(nftNode, /FLANNEL-/, "no flannel iptables rules with EnableNFTables");
        assertKubeletChains(nftNode, "worker-1");

        const toIptables = await runCli(["lab", "proxy-mode", "iptables", ...options]);
        assert.equal(toIptables.code, 0, toIptables.stderr);
        assert.match(toIptables.stdout, /kube-proxy nftables → iptables/);
        await check(options);
        assert.doesNotMatch(
            inNode(context, "cp-1", "nft", "list", "tables"),
            /kube-proxy/,
            "the old mode's table is gone",
        );
        assert.match(
            inNode(context, "cp-1", "iptables-save", "-t", "nat"),
            /-A KUBE-SERVICES -d \S+ .*demo\/web:http cluster IP/,
        );
        const iptablesNode = inNode(context, "cp-1", "iptables-save");
        assertKubeletChains(iptablesNode, "cp-1");
        // kube-proxy's jumps go above kubelet's, as on a node where kubelet started first.
        assert.deepEqual(
            iptablesNode
                .split("\n")
                .filter((line) => line.startsWith("-A INPUT "))
                .map((line) => line.split(" -j ")[1]),
            ["KUBE-PROXY-FIREWALL", "KUBE-NODEPORTS", "KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL"],
        );

        // Re-applying a mode is idempotent: the same rules, not twice as many.
        const rulesBefore = inNode(context, "cp-1", "iptables-save", "-t", "nat")
            .split("\n")
            .filter((line) => line.startsWith("-A")).length;
        assert.equal((await runCli(["lab", "proxy-mode", "iptables", ...options])).code, 0);
        const rulesAfter = inNode(context, "cp-1", "iptables-save", "-t", "nat")
            .split("\n")
            .filter((line) => line.startsWith("-A")).length;
        assert.equal(rulesAfter, rulesBefore);

        assert.equal((await runCli(["lab", "proxy-mode", "nftables", ...options])).code, 0);
        await check(options);
        const back = inNode(context, "cp-1", "iptables-save");
        assert.doesNotMatch(back, KUBE_PROXY_CHAINS, "kube-proxy's iptables chains are gone again");
        assertKubeletChains(back, "cp-1");
        assert.equal((await runCli(["lab", "proxy-mode", "ipvs", ...options])).code, 2, "ipvs is not a lab mode");
    });
});
