/**
 * Validates Kubernetes objects against the official OpenAPI schemas (kubernetes-models, Kubernetes 1.34), the way
 * the API server would check their shape.
 */
interface Model {
    validate(): void;
}
type ModelClass = new (data: unknown) => Model;

const modules = new Map<string, Promise<Record<string, unknown>>>();

function modulePath(apiVersion: string): string {
    return apiVersion === "v1" ? "kubernetes-models/v1" : `kubernetes-models/${apiVersion}`;
}

/** The schema errors of one object (empty when valid). Unknown kinds are an error too. */
export async function schemaErrors(object: { apiVersion?: unknown; kind?: unknown }): Promise<string[]> {
    const { apiVersion, kind } = object;
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
        return ["apiVersion and kind are required"];
    }
    const path = modulePath(apiVersion);
    if (!modules.has(path)) {
        modules.set(path, import(path) as Promise<Record<string, unknown>>);
    }
    let exports: Record<string, unknown>;
    try {
        exports = await modules.get(path)!;
    } catch {
        return [`no schema for apiVersion ${apiVersion}`];
    }
    const Class = exports[kind] as ModelClass | undefined;
    if (!Class) {
        return [`no schema for ${apiVersion} ${kind}`];
    }
    try {
        new Class(object).validate();
        return [];
    } catch (error) {
        return [(error as Error).message];
    }
}
