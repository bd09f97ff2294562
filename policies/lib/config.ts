import type { PolicyConfigSchema } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { z } from "zod";
import { Problem, formatProblem } from "../../components/common";
import { IpFamily, parseCidr } from "../../components/plan";

/**
 * Policy settings are declared once, as a zod schema: the engine gets it as the policy's JSON `configSchema`
 * (it fills in the defaults and validates `--policy-pack-config` against it), and the policy parses what
 * `getConfig()` returns with the same schema, so defaults hold even where the engine did not apply them.
 */
export function configSchemaOf(schema: z.ZodType): PolicyConfigSchema {
    // Draft 7: the engine validates with gojsonschema, which knows drafts 4 to 7. Input shape: a key with a
    // default is optional to write.
    const json = z.toJSONSchema(schema, { target: "draft-7", io: "input" }) as {
        properties?: Record<string, PolicyConfigJSONSchema>;
        required?: string[];
    };
    return {
        properties: json.properties ?? {},
        ...(json.required && json.required.length > 0 ? { required: json.required } : {}),
    };
}

/** Policy config that does not fit the policy's schema: one problem per bad key. */
export class PolicyConfigError extends Error {
    public readonly problems: readonly Problem[];

    constructor(problems: readonly Problem[]) {
        super(`invalid policy config:\n${problems.map(formatProblem).join("\n")}`);
        this.name = "PolicyConfigError";
        this.problems = problems;
    }
}

function keyOf(policyName: string, path: ReadonlyArray<PropertyKey>): string {
    return path.reduce<string>(
        (key, segment) => (typeof segment === "number" ? `${key}[${segment}]` : `${key}.${String(segment)}`),
        policyName,
    );
}

/** Parses one policy's settings; throws a PolicyConfigError naming every bad key. */
export function parsePolicyConfig<T>(policyName: string, schema: z.ZodType<T>, raw: unknown): T {
    const result = schema.safeParse(raw ?? {});
    if (!result.success) {
        throw new PolicyConfigError(
            result.error.issues.map((issue) => ({ key: keyOf(policyName, issue.path), message: issue.message })),
        );
    }
    return result.data;
}

/** The policy's settings from the engine (or the offline harness), parsed and with defaults. */
export function configOf<T>(policyName: string, schema: z.ZodType<T>, args: { getConfig<C extends object>(): C }): T {
    return parsePolicyConfig(policyName, schema, args.getConfig<object>());
}

/** A CIDR string, checked as strictly as Kubernetes checks one (and of one family, when given). */
export function cidrSetting(family?: IpFamily) {
    return z.string().superRefine((text, context) => {
        const parsed = parseCidr(text);
        if (!parsed.ok) {
            context.addIssue({
                code: "custom",
                message: formatProblem(parsed.problems[0]!),
            });
        } else if (family !== undefined && parsed.value.family !== family) {
            context.addIssue({
                code: "custom",
                message: `${text} is ${parsed.value.family}, but this setting takes ${family}`,
            });
        }
    });
}

export const reservedRangeSetting = z.strictObject({
    name: z.string().min(1).describe("A short name shown in messages, e.g. office-vpn."),
    cidr: cidrSetting().describe("The range, e.g. 10.8.0.0/16."),
});
