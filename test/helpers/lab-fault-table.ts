/**
 * The lab's fault table as a suite (root only): each of `faults`, injected into a running dev-shaped lab of its own,
 * fails its row of lab check and is named by lab diagnose at its hop, with a fix; a full sync repairs the lab
 * between faults. Two test files share DEV_FAULTS between them (test/lab-faults.test.ts, lab-faults-2.test.ts), so
 * that the lab suite's two workers each run a half: a check under a fault waits on its failing probes' timeouts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { formatDiagnosis, labDiagnose } from "../../lab/diagnose";
import { labCheck, labDown, labSync, loadState, LabContext } from "../../lab/lab";
import { REPO, runCli, temporaryDirectory } from "./cli";
import { labSkipReason, uniquePrefix } from "./lab";
import { Fault } from "./lab-faults";

export function faultTable(faults: readonly Fault[], tag: string): void {
    const skip = labSkipReason();
    const work = temporaryDirectory(`clusternet-lab-faults-${tag}-`);
    const contexts: LabContext[] = [];

    function contextFor(tag: string): LabContext {
        const context = { prefix: uniquePrefix(tag), stateDir: path.join(work, `state-${tag}`), log: () => undefined };
        contexts.push(context);
        return context;
    }

    /** Lab options for a test's own prefix and state folder. */
    function labOptions(context: LabContext): string[] {
        return ["--prefix", context.prefix, "--state-dir", context.stateDir];
    }

    void describe(
        `the lab's fault table on this kernel (root), ${faults.length} faults`,
        { skip: skip ?? false },
        () => {
            after(async () => {
                for (const context of contexts) {
                    await labDown(context).catch(() => undefined);
                }
            });

            void it("each injected fault is found by lab check and named by lab diagnose (the fault table)", async () => {
                const context = contextFor(tag);
                // web as an image the lab runs as a stand-in on every declared port: nginx's default config has no 443, and
                // a fault below makes 443 deaf on one pod only.
                const stackFile = path.join(work, "Pulumi.faults.yaml");
                const dev = fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8");
                assert.match(dev, /image: nginx:1\.27\.5/);
                fs.writeFileSync(stackFile, dev.replace("image: nginx:1.27.5", "image: registry.lab.example/web:1"));
                const up = await runCli(["lab", "up", "--config-file", stackFile, "--no-save", ...labOptions(context)]);
                assert.equal(up.code, 0, up.stderr + up.stdout);
                const clean = await labCheck(context);
                assert.deepEqual(clean.failed, [], "the lab works before any fault");
                for (const fault of faults) {
                    const repair = await fault.inject(loadState(context));
                    const result = await labCheck(context);
                    assert.ok(
                        result.failed.some((row) => fault.failingRow.test(row.path)),
                        `${fault.name}: check must fail a row like ${fault.failingRow}; failed: ${result.failed.map((row) => row.path).join(" | ")}`,
                    );
                    const diagnosis = await labDiagnose(context, fault.diagnose.from, fault.diagnose.to);
                    assert.equal(diagnosis.broken?.hop, fault.hop, `${fault.name}:\n${formatDiagnosis(diagnosis)}`);
                    assert.ok(diagnosis.broken?.fix, "the broken hop comes with a fix");
                    repair?.();
                    await labSync(context, { full: true });
                }
                await labDown(context);
            });
        },
    );
}
