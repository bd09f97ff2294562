import { z } from "zod";
import { CONFIG_KEYS, CONFIG_NAMESPACE, REQUIRED_KEYS, configSchemas } from "./schema";

/**
 * A JSON Schema for `Pulumi.<stack>.yaml` files, made from the zod schema, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=./schema/clusternet-stack.schema.json`). Other packages' keys stay free.
 */
export function stackFileJsonSchema(): Record<string, unknown> {
    const properties = Object.fromEntries(
        CONFIG_KEYS.map((key) => {
            const { $schema: _ignored, ...schema } = z.toJSONSchema(configSchemas[key], {
                io: "input",
                unrepresentable: "any",
            }) as Record<string, unknown>;
            return [`${CONFIG_NAMESPACE}:${key}`, schema];
        }),
    );
    return {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        title: "clusternet stack file (Pulumi.<stack>.yaml)",
        type: "object",
        properties: {
            config: {
                type: "object",
                properties,
                // Any other clusternet:* key is a typo.
                patternProperties: { [`^${CONFIG_NAMESPACE}:(?!(${CONFIG_KEYS.join("|")})$)`]: false },
                required: REQUIRED_KEYS.map((key) => `${CONFIG_NAMESPACE}:${key}`),
            },
        },
        required: ["config"],
    };
}

interface JsonSchemaNode {
    type?: string;
    description?: string;
    properties?: Record<string, JsonSchemaNode>;
    items?: JsonSchemaNode;
    additionalProperties?: JsonSchemaNode | boolean;
    anyOf?: JsonSchemaNode[];
    enum?: unknown[];
}

function typeName(node: JsonSchemaNode): string {
    if (node.enum) {
        // "" (an empty value the API server defaults) as `""`: an empty code span would unbalance the backticks.
        return node.enum.map((value) => (value === "" ? '`""`' : `\`${String(value)}\``)).join(" \\| ");
    }
    if (node.anyOf) {
        if (node.anyOf.some((option) => option.properties?.["secure"])) {
            return "secret";
        }
        return node.anyOf.map(typeName).join(" or ");
    }
    if (node.type === "array") {
        return `list of ${node.items ? typeName(node.items) : "values"}`;
    }
    if (node.type === "object" && !node.properties) {
        return "map";
    }
    return node.type === "integer" ? "integer" : (node.type ?? "any");
}

/** One row per key, depth first: `| key | type | what it does and its default |`. */
function referenceRows(path: string, node: JsonSchemaNode, rows: string[]): void {
    const escape = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
    rows.push(`| \`${path}\` | ${typeName(node)} | ${escape(node.description ?? "")} |`);
    const object = node.type === "array" ? node.items : node;
    for (const [name, child] of Object.entries(object?.properties ?? {})) {
        referenceRows(`${path}${node.type === "array" ? "[]" : ""}.${name}`, child, rows);
    }
}

/** The configuration reference as a markdown table, generated from the one schema (docs/configuration.md embeds it). */
export function configReferenceMarkdown(): string {
    const rows = ["| key | type | what it does, and its default |", "|---|---|---|"];
    for (const key of CONFIG_KEYS) {
        referenceRows(
            `${CONFIG_NAMESPACE}:${key}`,
            z.toJSONSchema(configSchemas[key], { io: "input", unrepresentable: "any" }) as JsonSchemaNode,
            rows,
        );
    }
    return `${rows.join("\n")}\n`;
}
