/**
 * `clusternet check`: the clusternet-guardrails policies over what the stack program registers under mocks, run
 * through the engine-free harness, with the same settings file format as `pulumi preview --policy-pack-config`.
 */
import * as fs from "node:fs";
import type { EnforcementLevel } from "@pulumi/policy";
import { Problem } from "../components/common";
import { PolicyConfigError, parsePolicyConfig } from "../policies/lib/config";
import { PACK_NAME, configSchemas, policies } from "../policies/guardrails";
import { InputError } from "./errors";
import { OfflineRun } from "./offline";
import {
    EngineResource,
    PackSettings,
    PolicySettings,
    ReportedLevel,
    Violation,
    engineResourcesOf,
    runPolicies,
    stackUrn,
} from "./policy-harness";

const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
/** The settings key that sets every policy's enforcement level. */
const ALL = "all";

/**
 * Reads a policy pack config file (`{"<policy>": "<level>" | {"enforcementLevel"?: ..., <setting>: ...}}`) and
 * validates every setting against its policy's schema. Unlike the engine, an unknown policy name is an error here,
 * since a misspelt name silently configures nothing.
 */
export function readPolicyConfig(file: string): PackSettings {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        throw new InputError([
            {
                key: file,
                message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
                fix: "pass a JSON policy config file",
            },
        ]);
    }
    if (text.trim() === "") {
        return {};
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        throw new InputError([
            {
                key: file,
                message: `is not valid JSON (${(error as Error).message})`,
                fix: `write an object such as {"no-overlapping-ranges": {"reserved": [{"name": "vpn", "cidr": "10.8.0.0/16"}]}}`,
            },
        ]);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new InputError([
            {
                key: file,
                message: "is not a JSON object of policy names",
                fix: 'write {"<policy name>": "<enforcement level>" | {<settings>}}',
            },
        ]);
    }
    const names = new Set(policies.map((policy) => policy.name));
    const problems: Problem[] = [];
    const settings: Record<string, PolicySettings> = {};
    const levelProblem = (key: string, value: unknown): Problem => ({
        key,
        message: `${JSON.stringify(value)} is not an enforcement level`,
        fix: `use one of ${ENFORCEMENT_LEVELS.join(", ")}`,
    });
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
        const key = `${file}: ${name}`;
        if (name !== ALL && !names.has(name)) {
            problems.push({
                key,
                message: `is not a policy of ${PACK_NAME}`,
                fix: `use one of ${[...names].join(", ")} (or "${ALL}")`,
            });
            continue;
        }
        if (typeof value === "string") {
            if (!ENFORCEMENT_LEVELS.includes(value as EnforcementLevel)) {
                problems.push(levelProblem(key, value));
            } else {
                settings[name] = { enforcementLevel: value as EnforcementLevel };
            }
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push({
                key,
                message: `is ${JSON.stringify(value)}`,
                fix: "give an enforcement level or an object of settings",
            });
            continue;
        }
        const { enforcementLevel, ...properties } = value as Record<string, unknown>;
        if (enforcementLevel !== undefined && !ENFORCEMENT_LEVELS.includes(enforcementLevel as EnforcementLevel)) {
            problems.push(levelProblem(`${key}.enforcementLevel`, enforcementLevel));
            continue;
        }
        const schema = configSchemas[name];
        if (Object.keys(properties).length > 0 && !schema) {
            problems.push({
                key,
                message: `${name === ALL ? `"${ALL}" takes only enforcementLevel` : "this policy takes no settings"}, but ${Object.keys(properties).join(", ")} ${Object.keys(properties).length === 1 ? "is" : "are"} given`,
                fix: "remove them",
            });
            continue;
        }
        if (schema) {
            try {
                parsePolicyConfig(name, schema, properties);
            } catch (error) {
                if (!(error instanceof PolicyConfigError)) {
                    throw error;
                }
                problems.push(
                    ...error.problems.map((problem) => ({ key: `${file}: ${problem.key}`, message: problem.message })),
                );
                continue;
            }
        }
        settings[name] = {
            ...(enforcementLevel !== undefined ? { enforcementLevel: enforcementLevel as EnforcementLevel } : {}),
            properties,
        };
    }
    if (problems.length > 0) {
        throw new InputError(problems);
    }
    return settings;
}

export interface CheckReport {
    readonly violations: readonly Violation[];
    readonly mandatory: number;
    readonly advisory: number;
    /** One line per violation, mandatory first: `<enforcement> <policy> <urn>: <message>`. */
    readonly lines: readonly string[];
    readonly summary: string;
}

/** One violation as `clusternet check` prints it. */
export function formatViolation(violation: Violation, fallbackUrn: string): string {
    return `${violation.enforcementLevel} ${violation.policyName} ${violation.urn || fallbackUrn}: ${violation.message}`;
}

/** Runs the pack over engine-shaped resources and formats what it reports. */
export async function checkResources(
    resources: readonly EngineResource[],
    stackName: string,
    rootUrn: string,
    settings: PackSettings = {},
): Promise<CheckReport> {
    const result = await runPolicies([...policies], resources, settings, "mandatory");
    const ordered = [
        ...result.violations.filter((violation) => violation.enforcementLevel === ReportedLevel.Mandatory),
        ...result.violations.filter((violation) => violation.enforcementLevel === ReportedLevel.Advisory),
    ];
    const mandatory = ordered.filter((violation) => violation.enforcementLevel === ReportedLevel.Mandatory).length;
    const advisory = ordered.length - mandatory;
    const enabled = policies.filter(
        (policy) => (settings[policy.name]?.enforcementLevel ?? settings[ALL]?.enforcementLevel) !== "disabled",
    ).length;
    const verdict = mandatory > 0 ? "FAILED" : "passed";
    return {
        violations: ordered,
        mandatory,
        advisory,
        lines: ordered.map((violation) => formatViolation(violation, rootUrn)),
        summary: `clusternet check: stack ${stackName}: ${verdict}: ${enabled} policies of ${PACK_NAME} over ${resources.length} resources: ${mandatory} mandatory and ${advisory} advisory violation(s)`,
    };
}

/** Checks what an offline run of the stack program registered, as the engine would see it. */
export async function checkRun(
    run: OfflineRun,
    project: string,
    stackName: string,
    settings: PackSettings = {},
): Promise<CheckReport> {
    return checkResources(
        engineResourcesOf(run, project, stackName),
        stackName,
        stackUrn(project, stackName).urn,
        settings,
    );
}
