import { z } from "zod";
import { CONFIG_KEYS, CONFIG_NAMESPACE, REQUIRED_KEYS, configSchemas } from "./schema";

/**
 * A JSON Schema for `Pulumi.<stack>.yaml` files, made from the zod schema, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=./schema/clusternet-stack.schema.json`). Other packages' keys stay free.
 */
export function stackFileJsonSchema(): Record<string, unknown> {
    const properties = Object.fromEntries(
        CONFIG_KEYS.map((key) => {
            const { $schema: _ignored, ...schema } = z.toJSONSchema(configSchemas[key], { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
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
