/**
 * The stack's own settings that the policies need, as policy settings, so `clusternet check` and `clusternet pulumi
 * preview|up` judge a stack by its own config without the user repeating it in a policy config. Policies that read
 * the stack's `plan` output need nothing here; a resource policy cannot see that output, so its settings come from
 * the stack file: today the Service port checks' node port range.
 */
import { DEFAULT_NODE_PORT_RANGE, SERVICE_PORTS } from "../policies/service-ports";
import type { PackSettings, PolicySettings } from "./policy-harness";

/** The parts of a stack's config the policies need. */
export interface StackPolicyInputs {
    readonly cluster?: { readonly nodePortRange?: string };
}

/** Policy settings taken from the stack's config; none where the stack keeps the policies' own defaults. */
export function stackPolicySettings(config: StackPolicyInputs): PackSettings {
    const nodePortRange = config.cluster?.nodePortRange;
    return nodePortRange === undefined || nodePortRange === DEFAULT_NODE_PORT_RANGE
        ? {}
        : { [SERVICE_PORTS]: { properties: { nodePortRange } } };
}

/** The stack's settings under the user's: a setting the user gives wins, the rest comes from the stack. */
export function withStackSettings(stack: PackSettings, user: PackSettings): PackSettings {
    const merged: Record<string, PolicySettings> = { ...stack };
    for (const [name, settings] of Object.entries(user)) {
        const base = stack[name];
        merged[name] = {
            ...(settings.enforcementLevel !== undefined || base?.enforcementLevel !== undefined
                ? { enforcementLevel: settings.enforcementLevel ?? base?.enforcementLevel }
                : {}),
            ...(base?.properties !== undefined || settings.properties !== undefined
                ? { properties: { ...base?.properties, ...settings.properties } }
                : {}),
        };
    }
    return merged;
}

/**
 * Joins the stack's settings with a `--policy-pack-config` file's JSON (policy name to a level or an object of
 * settings, as Pulumi reads it): the file's values win.
 */
export function policyPackConfigJson(
    stack: PackSettings,
    user: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const [name, settings] of Object.entries(stack)) {
        json[name] = {
            ...(settings.enforcementLevel !== undefined ? { enforcementLevel: settings.enforcementLevel } : {}),
            ...settings.properties,
        };
    }
    for (const [name, value] of Object.entries(user)) {
        const base = (json[name] ?? {}) as Record<string, unknown>;
        json[name] =
            typeof value === "string"
                ? { ...base, enforcementLevel: value }
                : typeof value === "object" && value !== null && !Array.isArray(value)
                  ? { ...base, ...value }
                  : value;
    }
    return json;
}
