/**
 * `npm run bench`: measures what DESIGN.md promises to keep fast, and prints each figure against its target.
 * A benchmark, not a test: nothing here fails the build. `npm run bench -- NAME...` runs only those (plan, policies,
 * e2e, lab; lab-check runs only when named).
 */
import { benchEndToEnd } from "./e2e";
import { benchLab } from "./lab";
import { benchLiveNodes } from "./live-nodes";
import { benchLabCheck, labCheckSummary } from "./lab-check";
import { benchPolicies } from "./policies";
import { BenchResult, benchPlan } from "./plan";

function report(results: readonly BenchResult[]): void {
    const rows = results.map((result) => [
        result.name,
        `${result.ms.toFixed(1)} ms`,
        result.target ?? "(reference)",
        result.met === undefined ? "" : result.met ? "met" : "MISSED",
    ]);
    const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
    console.log("");
    for (const row of rows) {
        console.log(
            row
                .map((cell, column) => cell.padEnd(widths[column]!))
                .join("  ")
                .trimEnd(),
        );
    }
}

async function main(): Promise<void> {
    const log = (line: string): void => console.log(line);
    const only = process.argv.slice(2);
    const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
    const results: BenchResult[] = [];
    if (wanted("plan")) {
        results.push(...benchPlan(log));
    }
    if (wanted("policies")) {
        log("policies: the stack policies over 5,000 NodePatches and 2,000 Services...");
        for (const result of await benchPolicies()) {
            results.push({ ...result, ...(result.target ? { met: result.ms < 1000 } : {}) });
        }
    }
    if (wanted("live-nodes")) {
        log("live-nodes: the planned Nodes read from a fake API server...");
        results.push(...(await benchLiveNodes()));
    }
    if (wanted("e2e")) {
        log("e2e: plan, render and check as whole processes on generated stacks (one run each; this takes minutes)...");
        results.push(...benchEndToEnd(log));
    }
    if (wanted("lab")) {
        log("lab: timing `lab up` in network namespaces (root only; 5,000 Services: minutes)...");
        for (const result of await benchLab([], log)) {
            results.push({
                name: result.name,
                ms: result.ms,
                ...(result.target === undefined
                    ? {}
                    : { target: `< ${result.target / 1000} s`, met: result.ms < result.target }),
            });
        }
    }
    // Named only: five `lab check` runs per mode at 5,000 Services take about half an hour on a busy 2-core machine.
    if (only.includes("lab-check")) {
        log("lab-check: `lab check` 5 times per kube-proxy mode on one lab of 5,000 Services (root only)...");
        const runs = await benchLabCheck({
            services: 5000,
            nodes: 3,
            runs: 5,
            modes: ["iptables", "nftables"],
            log,
        });
        for (const run of runs) {
            results.push({
                name: `lab check, 5,000 Services, ${run.mode} run ${run.run}: ${run.failed} of ${run.rows} paths failed`,
                ms: run.ms,
                target: "0 false failures",
                met: run.failed === 0,
            });
        }
        if (runs.length > 0) {
            log(labCheckSummary(runs));
        }
    }
    report(results);
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
