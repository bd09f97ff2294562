import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { LabManifest } from "./model";

function filesOf(target: string): string[] {
    if (!fs.statSync(target).isDirectory()) {
        return [target];
    }
    return fs
        .readdirSync(target, { withFileTypes: true })
        .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
        .map((entry) => path.join(target, entry.name))
        .sort();
}

/**
 * Reads Kubernetes manifests from YAML: one file (multi-document allowed) or the top level of a folder such as
 * `clusternet render`'s output (its summary/ subfolder is not read). Documents without apiVersion/kind are skipped.
 */
export function readManifestFiles(target: string): LabManifest[] {
    const manifests: LabManifest[] = [];
    for (const file of filesOf(target)) {
        for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
            if (document.errors.length > 0) {
                throw new Error(`${file}: ${document.errors[0]!.message}`);
            }
            const object = document.toJS() as Record<string, unknown> | null;
            if (!object || typeof object["apiVersion"] !== "string" || typeof object["kind"] !== "string") {
                continue;
            }
            const metadata = (object["metadata"] ?? {}) as { name?: string; namespace?: string };
            manifests.push({
                apiVersion: object["apiVersion"],
                kind: object["kind"],
                name: metadata.name ?? "",
                namespace: metadata.namespace,
                patch: path.basename(file).includes("-patch-"),
                object,
            });
        }
    }
    return manifests;
}
