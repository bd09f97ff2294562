/**
 * `lab up --manifests`: manifests read back from what `clusternet render` wrote keep the Patch flag of Patch
 * resources (the NodePatches, kube-proxy's ConfigMapPatch and DaemonSetPatch), whether read as a folder, as one YAML
 * file, or renamed; and the lab planned from them is the lab planned from the stack.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { formatProblem } from "../components/common";
import { loadStack, readStackFile } from "../components/config";
import { readManifestFiles } from "../lab/manifest-files";
import { LabManifest } from "../lab/model";
import { planLab } from "../lab/plan";
import { devConfig, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";

const work = temporaryDirectory("clusternet-lab-manifests-");
const rendered = path.join(work, "rendered");
const single = path.join(work, "all.yaml");
const stackFile = writeStackFile(work, "kp", { ...devConfig(), kubeProxy: { mode: "nftables" } });

/** The Patch resources the stack renders: one per node, and kube-proxy's two. */
const PATCHES = [
    "ConfigMap kube-system/kube-proxy",
    "DaemonSet kube-system/kube-proxy",
    "Node cp-1",
    "Node worker-1",
    "Node worker-2",
];

function patchesOf(manifests: readonly LabManifest[]): string[] {
    return manifests
        .filter((manifest) => manifest.patch)
        .map((manifest) => `${manifest.kind} ${manifest.namespace ? `${manifest.namespace}/` : ""}${manifest.name}`)
        .sort();
}

function labOf(manifests: readonly LabManifest[]) {
    const source = readStackFile(stackFile);
    const loaded = source.ok ? loadStack(source.value) : source;
    assert.ok(loaded.ok);
    const result = planLab(
        { stack: "kp", plan: loaded.value.plan, manifests },
        { prefix: "cnlunit-", stateDir: path.join(work, "state") },
    );
    assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("; "));
    return result.value;
}

void describe("lab up --manifests: Patch resources", () => {
    before(async () => {
        const render = await runCli(["render", "--config-file", stackFile, "--out", rendered, "--no-save"]);
        assert.equal(render.code, 0, render.stderr);
        const files = fs.readdirSync(rendered).filter((name) => name.endsWith(".yaml"));
        fs.writeFileSync(single, files.map((name) => fs.readFileSync(path.join(rendered, name), "utf8")).join("---\n"));
    });

    void it("keeps the Patch flag of every rendered patch, and of nothing else", () => {
        const manifests = readManifestFiles(rendered);
        assert.deepEqual(patchesOf(manifests), PATCHES);
        assert.ok(manifests.some((manifest) => manifest.kind === "Service" && !manifest.patch));
    });

    void it("keeps it in one multi-document file and in files renamed by hand", () => {
        assert.deepEqual(patchesOf(readManifestFiles(single)), PATCHES);

        const files = fs.readdirSync(rendered).filter((name) => name.endsWith(".yaml"));
        // Renamed (the header comment stays): still patches. Without the header, a NodePatch keeps its annotation.
        const renamed = path.join(work, "renamed");
        fs.mkdirSync(renamed);
        files.forEach((name, index) => {
            const text = fs.readFileSync(path.join(rendered, name), "utf8");
            fs.writeFileSync(path.join(renamed, `m${index}.yaml`), text);
            fs.writeFileSync(path.join(renamed, `bare${index}.yaml`), text.replace(/^#.*\n/gm, ""));
        });
        const read = readManifestFiles(renamed);
        assert.deepEqual(patchesOf(read.slice(read.length / 2)), PATCHES, "with the header");
        assert.deepEqual(
            patchesOf(read.slice(0, read.length / 2)),
            ["Node cp-1", "Node worker-1", "Node worker-2"],
            "without it, by the rendered-patch annotation",
        );
    });

    void it("does not take an object whose name contains -patch- for a patch", () => {
        const dir = path.join(work, "named");
        fs.mkdirSync(dir);
        const service = fs.readFileSync(
            path.join(
                rendered,
                fs.readdirSync(rendered).find((name) => name.includes("-service-demo-web"))!,
            ),
            "utf8",
        );
        fs.writeFileSync(
            path.join(dir, "014-service-demo-web-patch-api.yaml"),
            service.replace(/^ {2}name: web$/m, "  name: web-patch-api"),
        );
        const [manifest] = readManifestFiles(dir);
        assert.equal(manifest?.name, "web-patch-api");
        assert.equal(manifest?.patch, false);
    });

    void it("plans the same lab from the folder and from one file: kube-proxy's DaemonSetPatch runs no pod", () => {
        const fromFolder = labOf(readManifestFiles(rendered));
        const fromFile = labOf(readManifestFiles(single));
        assert.deepEqual(fromFile, { ...fromFolder, stateDir: fromFile.stateDir });
        assert.equal(fromFolder.kubeProxyMode, "nftables");
        assert.ok(!fromFolder.pods.some((pod) => pod.namespace === "kube-system" && pod.name.startsWith("kube-proxy")));
    });
});
