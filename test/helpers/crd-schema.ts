/**
 * Validates objects against a CustomResourceDefinition's openAPIV3Schema, the structural subset the API server
 * checks: types, required fields, enums, patterns, lengths, item counts, bounds, and unknown fields (which the API
 * server prunes silently; here they are errors, so a misspelled field cannot pass). CEL rules
 * (x-kubernetes-validations) are not evaluated: the builders' own rules stand for them and are tested directly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";

interface Schema {
    type?: string;
    properties?: Record<string, Schema>;
    additionalProperties?: Schema | boolean;
    items?: Schema;
    required?: string[];
    enum?: unknown[];
    pattern?: string;
    maxLength?: number;
    minLength?: number;
    maxItems?: number;
    minItems?: number;
    maximum?: number;
    minimum?: number;
    anyOf?: Schema[];
    oneOf?: Schema[];
    allOf?: Schema[];
    "x-kubernetes-preserve-unknown-fields"?: boolean;
    "x-kubernetes-int-or-string"?: boolean;
}

export const GATEWAY_API_CRDS_FIXTURE = path.join(
    __dirname,
    "..",
    "fixtures",
    "gateway-api-v1.5.1-standard-install.yaml",
);

let cache: Map<string, Schema> | undefined;

/** Every served version's schema in the fixture, by `group/version Kind`. */
function schemas(): Map<string, Schema> {
    if (cache) {
        return cache;
    }
    cache = new Map();
    for (const document of parseAllDocuments(fs.readFileSync(GATEWAY_API_CRDS_FIXTURE, "utf8"))) {
        const crd = document.toJS() as Record<string, any> | null;
        if (crd?.["kind"] !== "CustomResourceDefinition") {
            continue;
        }
        for (const version of crd["spec"]["versions"] as Array<Record<string, any>>) {
            if (version["served"]) {
                cache.set(
                    `${crd["spec"]["group"]}/${version["name"]} ${crd["spec"]["names"]["kind"]}`,
                    version["schema"]["openAPIV3Schema"] as Schema,
                );
            }
        }
    }
    return cache;
}

function typeOf(value: unknown): string {
    if (Array.isArray(value)) {
        return "array";
    }
    if (value === null) {
        return "null";
    }
    if (typeof value === "number") {
        return Number.isInteger(value) ? "integer" : "number";
    }
    return typeof value;
}

function check(schema: Schema, value: unknown, at: string, errors: string[]): void {
    if (schema["x-kubernetes-int-or-string"]) {
        if (typeof value !== "string" && !Number.isInteger(value)) {
            errors.push(`${at}: expected an integer or a string`);
        }
        return;
    }
    for (const part of schema.allOf ?? []) {
        check(part, value, at, errors);
    }
    for (const [keyword, alternatives] of [
        ["anyOf", schema.anyOf],
        ["oneOf", schema.oneOf],
    ] as const) {
        if (alternatives) {
            const passing = alternatives.filter((alternative) => {
                const found: string[] = [];
                check(alternative, value, at, found);
                return found.length === 0;
            }).length;
            if (keyword === "anyOf" ? passing === 0 : passing !== 1) {
                errors.push(`${at}: does not match ${keyword}`);
            }
        }
    }
    const actual = typeOf(value);
    if (schema.type !== undefined && schema.type !== actual && !(schema.type === "number" && actual === "integer")) {
        errors.push(`${at}: expected ${schema.type}, got ${actual}`);
        return;
    }
    if (schema.enum && !schema.enum.includes(value)) {
        errors.push(`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`);
    }
    if (typeof value === "string") {
        if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
            errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
        }
        if (schema.maxLength !== undefined && value.length > schema.maxLength) {
            errors.push(`${at}: longer than ${schema.maxLength}`);
        }
        if (schema.minLength !== undefined && value.length < schema.minLength) {
            errors.push(`${at}: shorter than ${schema.minLength}`);
        }
    }
    if (typeof value === "number") {
        if (schema.maximum !== undefined && value > schema.maximum) {
            errors.push(`${at}: above ${schema.maximum}`);
        }
        if (schema.minimum !== undefined && value < schema.minimum) {
            errors.push(`${at}: below ${schema.minimum}`);
        }
    }
    if (Array.isArray(value)) {
        if (schema.maxItems !== undefined && value.length > schema.maxItems) {
            errors.push(`${at}: more than ${schema.maxItems} items`);
        }
        if (schema.minItems !== undefined && value.length < schema.minItems) {
            errors.push(`${at}: fewer than ${schema.minItems} items`);
        }
        if (schema.items) {
            value.forEach((item, index) => check(schema.items!, item, `${at}[${index}]`, errors));
        }
    }
    if (actual === "object") {
        const object = value as Record<string, unknown>;
        for (const field of schema.required ?? []) {
            if (!(field in object)) {
                errors.push(`${at}: ${field} is required`);
            }
        }
        for (const [field, item] of Object.entries(object)) {
            const property = schema.properties?.[field];
            if (property) {
                check(property, item, `${at}.${field}`, errors);
            } else if (typeof schema.additionalProperties === "object") {
                check(schema.additionalProperties, item, `${at}.${field}`, errors);
            } else if (
                schema.properties !== undefined &&
                !schema["x-kubernetes-preserve-unknown-fields"] &&
                schema.additionalProperties !== true
            ) {
                errors.push(`${at}: unknown field ${field}`);
            }
        }
    }
}

/** The schema errors of a Gateway API object (empty when valid); an apiVersion/kind the CRDs do not serve is one. */
export function crdSchemaErrors(object: { apiVersion?: unknown; kind?: unknown }): string[] {
    const schema = schemas().get(`${String(object.apiVersion)} ${String(object.kind)}`);
    if (!schema) {
        return [`no served CRD version for ${String(object.apiVersion)} ${String(object.kind)}`];
    }
    const errors: string[] = [];
    check(schema, object, "", errors);
    return errors;
}

/** The served versions the fixture defines, as `group/version Kind`. */
export function servedKinds(): string[] {
    return [...schemas().keys()].sort();
}
