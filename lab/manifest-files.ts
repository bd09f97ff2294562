import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { RENDERED_PATCH_ANNOTATION } from "../components/pod-network/constants";
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

/** The header `clusternet render` writes above a Patch resource (cli/manifests.ts patchHeader). */
const PATCH_HEADER = /^#\s*NOT an? \S+ to create: a patch \(kubernetes:[^\s)]+Patch\)/;

/** The comment lines at the top of a document (before its first key), from `start` in `text`. */
function leadingComments(text: string, start: number, end: number): string[] {
    const comments: string[] = [];
    for (const line of text.slice(start, end).split("\n")) {
        const trimmed = line.trim();
        if (trimmed.startsWith("#")) {
            comments.push(trimmed);
        } else if (trimmed !== "" && trimmed !== "---") {
            break;
        }
    }
    return comments;
}

/**
 * Whether a document is a Patch resource (NodePatch, ConfigMapPatch, DaemonSetPatch): a partial object applied onto
 * one the cluster already has, not an object to create. Its body is a plain `kind: Node`, so what says so is the
 * header `clusternet render` writes above it, the rendered-patch annotation (NodePatches also carry it when Pulumi
 * renders them to a folder), or render's file name (`003-node-patch-cp-1.yaml`: the object's own kind, then
 * `-patch-`, so a Service named `web-patch-api` is not one).
 */
export function isPatchDocument(file: string, comments: readonly string[], object: Record<string, unknown>): boolean {
    if (comments.some((line) => PATCH_HEADER.test(line))) {
        return true;
    }
    const annotations = (object["metadata"] as { annotations?: Record<string, unknown> } | undefined)?.annotations;
    if (annotations?.[RENDERED_PATCH_ANNOTATION] !== undefined) {
        return true;
    }
    const kind = String(object["kind"]).toLowerCase();
    return new RegExp(`^\\d+-${kind.replace(/[^a-z0-9]/g, "")}-patch-`).test(path.basename(file));
}

/**
 * Reads Kubernetes manifests from YAML: one file (multi-document allowed) or the top level of a folder such as
 * `clusternet render`'s output (its summary/ subfolder is not read). Documents without apiVersion/kind are skipped.
 * Patch resources keep their flag (isPatchDocument).
 */
export function readManifestFiles(target: string): LabManifest[] {
    const manifests: LabManifest[] = [];
    for (const file of filesOf(target)) {
        const text = fs.readFileSync(file, "utf8");
        let previousEnd = 0;
        for (const document of parseAllDocuments(text)) {
            if (document.errors.length > 0) {
                throw new Error(`${file}: ${document.errors[0]!.message}`);
            }
            const comments = leadingComments(text, previousEnd, document.range[1]);
            previousEnd = document.range[2];
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
                patch: isPatchDocument(file, comments, object),
                object,
            });
        }
    }
    return manifests;
}
