/**
 * The lab's fault table as a suite (root only): each of `faults`, injected into a running dev-shaped lab of its own,
 * fails its row of lab check and is named by lab diagnose at its hop, with a fix; a full sync repairs the lab
 * between faults. Several test files share DEV_FAULTS between them (test/lab-faults*.test.ts), each on a lab of its
 * own, so that the lab suite's workers run them side by side: a check under a fault mostly waits (on its failing
 * probes' timeouts), it does not compute. Each fault is a test of its own, so the reporter times it; its phases'
 * times (inject, check, diagnose, repair) are the test's diagnostics.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { formatDiagnosis, labDiagnose } from "../../lab/diagnose";
import { labCheck, labDown, labSync, loadState, LabContext, prepareAgent, probeFrom } from "../../lab/lab";
import { REPO, runCli, temporaryDirectory } from "./cli";
import { labSkipReason, uniquePrefix } from "./lab";
import { Fault } from "./lab-faults";

export function faultTable(faults: readonly Fault[], tag: string): void {
    const skip = labSkipReason();
    const work = temporaryDirectory(`clusternet-lab-faults-${tag}-`);
    const context: LabContext = {
        prefix: uniquePrefix(tag),
        stateDir: path.join(work, `state-${tag}`),
        log: () => undefined,
    };
    // A fault whose repair failed leaves the lab broken: the faults after it would fail for its sake.
    let broken: string | undefined;

    void describe(
        `the lab's fault table on this kernel (root), ${faults.length} faults`,
        { skip: skip ?? false },
        () => {
            before(async () => {
                // web as an image the lab runs as a stand-in on every declared port: nginx's default config has no
                // 443, and a fault makes 443 deaf on one pod only.
                const stackFile = path.join(work, "Pulumi.faults.yaml");
                const dev = fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8");
                assert.match(dev, /image: nginx:1\.27\.5/);
                fs.writeFileSync(stackFile, dev.replace("image: nginx:1.27.5", "image: registry.lab.example/web:1"));
                const up = await runCli([
                    "lab",
                    "up",
                    "--config-file",
                    stackFile,
                    "--no-save",
                    ...["--prefix", context.prefix, "--state-dir", context.stateDir],
                ]);
                assert.equal(up.code, 0, up.stderr + up.stdout);
            });

            after(async () => {
                await labDown(context).catch(() => undefined);
            });

            void it("the lab works before any fault", async () => {
                const clean = await labCheck(context);
                assert.deepEqual(clean.failed, [], "the lab works before any fault");
            });

            void it("a probe's name goes through the pod's resolv.conf: a Service's short name resolves, an unknown name does not", async () => {
                const web0 = loadState(context).plan.pods.find((pod) => pod.key === "demo/web-0")!;
                const http = (id: string, name: string) => ({
                    id,
                    probe: { kind: "http" as const, ip: name, port: 8080, path: "/" },
                    timeoutMs: 2500,
                    attempts: 1,
                });
                const [short, unknown] = await probeFrom(prepareAgent(context.stateDir), web0.netns, [
                    http("short", "web"),
                    http("unknown", "no-such-service"),
                ]);
                assert.equal(short?.ok, true, short?.error);
                assert.equal(unknown?.ok, false);
                assert.match(unknown?.error ?? "", /the name no-such-service did not resolve: ENOTFOUND \(DNS\)/);
            });

            for (const fault of faults) {
                void it(`${fault.name}: found by lab check, named by lab diagnose at its hop`, async (t) => {
                    assert.equal(broken, undefined, `the lab stayed broken after: ${broken}`);
                    const times: string[] = [];
                    const timed = async <T>(phase: string, work: () => T | Promise<T>): Promise<T> => {
                        const start = performance.now();
                        try {
                            return await work();
                        } finally {
                            times.push(`${phase} ${((performance.now() - start) / 1000).toFixed(1)} s`);
                        }
                    };
                    const repair = await timed("inject", () => fault.inject(loadState(context)));
                    try {
                        const result = await timed("check", () => labCheck(context));
                        assert.ok(
                            result.failed.some((row) => fault.failingRow.test(row.path)),
                            `${fault.name}: check must fail a row like ${fault.failingRow}; failed: ${result.failed.map((row) => row.path).join(" | ")}`,
                        );
                        const diagnosis = await timed("diagnose", () =>
                            labDiagnose(context, fault.diagnose.from, fault.diagnose.to),
                        );
                        assert.equal(diagnosis.broken?.hop, fault.hop, `${fault.name}:\n${formatDiagnosis(diagnosis)}`);
                        assert.ok(diagnosis.broken?.fix, "the broken hop comes with a fix");
                    } finally {
                        broken = fault.name;
                        await timed("repair", async () => {
                            repair?.();
                            await labSync(context, { full: true });
                        });
                        broken = undefined;
                        t.diagnostic(times.join(", "));
                    }
                });
            }

            void it("lab down removes the lab", async () => {
                await labDown(context);
            });
        },
    );
}
