/**
 * Runs @pulumi/policy policies without an engine, calling them exactly as the policy server does
 * (node_modules/@pulumi/policy/server.js): resource policies once per resource with its inputs, stack policies once
 * with every resource (the root Stack, providers and components included) and their outputs; props wrapped in the
 * SDK's unknown-checking proxy; a policy that reads an unknown value is skipped with an advisory note; config is the
 * schema defaults overlaid with the given settings; `all` sets every policy's enforcement level.
 */
import type {
    EnforcementLevel,
    Policies,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { CustomTimeouts } from "@pulumi/pulumi";
import type { OfflineRun, RecordedResource } from "./offline";

// The proxy the policy server wraps props in. Its typings are internal to @pulumi/policy; its module is the one the
// package itself loads, so `instanceof UnknownValueError` holds for what its proxies throw.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T extends object>(value: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getPulumiType } = require("@pulumi/policy") as { getPulumiType: (value: unknown) => string | undefined };

/** A resource as the engine knows it: type, name, URN, properties and the options that shape the graph. */
export interface EngineResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Inputs for resource policies; outputs for stack policies (the same here: offline, outputs are the inputs). */
    readonly props: Record<string, unknown>;
    readonly parent?: string;
    readonly dependencies?: readonly string[];
    /** The URN of the provider resource that manages it. */
    readonly providerUrn?: string;
    readonly opts?: Partial<PolicyResourceOptions>;
}

/** One policy's settings, as `--policy-pack-config` gives them. */
export interface PolicySettings {
    readonly enforcementLevel?: EnforcementLevel;
    readonly properties?: Readonly<Record<string, unknown>>;
}
/** Settings by policy name; the name `all` sets every policy's enforcement level. */
export type PackSettings = Readonly<Record<string, PolicySettings>>;

export const ReportedLevel = {
    Mandatory: "mandatory",
    Advisory: "advisory",
} as const;
export type ReportedLevel = (typeof ReportedLevel)[keyof typeof ReportedLevel];

export interface Violation {
    readonly policyName: string;
    readonly enforcementLevel: ReportedLevel;
    /** The resource in violation; absent for a violation of the stack as a whole. */
    readonly urn?: string;
    readonly message: string;
}

export interface PolicyRunResult {
    readonly violations: readonly Violation[];
    /** Policies that declared themselves not applicable (per resource for resource policies). */
    readonly notApplicable: ReadonlyArray<{
        readonly policyName: string;
        readonly urn?: string;
        readonly reason?: string;
    }>;
}

/** A policy threw something other than an unknown value or "not applicable": the engine fails the update then. */
export class PolicyFailure extends Error {
    constructor(policyName: string, where: string, cause: unknown) {
        super(
            `policy ${policyName} failed ${where}: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`,
        );
        this.name = "PolicyFailure";
    }
}

export function isStackPolicy(
    policy: ResourceValidationPolicy | StackValidationPolicy,
): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** The schema defaults of a policy's settings, as the engine fills them in (top-level `default`s). */
function schemaDefaults(policy: ResourceValidationPolicy | StackValidationPolicy): Record<string, unknown> {
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (typeof schema === "object" && "default" in schema) {
            defaults[key] = structuredClone(schema.default);
        }
    }
    return defaults;
}

class NotApplicable extends Error {
    constructor(public readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function typeMatches(type: string, resourceClass: unknown): boolean {
    const pulumiType = getPulumiType(resourceClass);
    if (pulumiType) {
        return type === pulumiType;
    }
    const isInstance = (resourceClass as { isInstance?: (value: unknown) => boolean }).isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function options(resource: EngineResource): PolicyResourceOptions {
    const given = resource.opts ?? {};
    return {
        protect: given.protect ?? false,
        ignoreChanges: [...(given.ignoreChanges ?? [])],
        aliases: [...(given.aliases ?? [])],
        customTimeouts: given.customTimeouts ?? { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(given.additionalSecretOutputs ?? [])],
        ...(given.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: given.deleteBeforeReplace } : {}),
        ...(resource.parent !== undefined ? { parent: resource.parent } : {}),
    };
}

/**
 * Runs every enabled policy over the resources and collects what they report. Throws PolicyFailure when a policy
 * crashes, as the engine would fail the run.
 */
export async function runPolicies(
    policies: Policies,
    resources: readonly EngineResource[],
    settings: PackSettings = {},
    packEnforcement: EnforcementLevel = "advisory",
): Promise<PolicyRunResult> {
    const violations: Violation[] = [];
    const notApplicable: Array<{ policyName: string; urn?: string; reason?: string }> = [];
    const stackTags: ReadonlyMap<string, string> = new Map();
    // The engine deserializes every resource for every request; here each is wrapped once and shared, since policies
    // only read. That keeps the harness's own cost out of what `npm run bench` measures.
    const entries = resources.map((resource) => ({
        resource,
        props: proxy.unknownCheckingProxy({ ...resource.props }),
        opts: options(resource),
    }));
    const byUrn = new Map(entries.map((entry) => [entry.resource.urn, entry]));
    const providers = entries.map(({ resource }): PolicyProviderResource | undefined => {
        const provider = resource.providerUrn !== undefined ? byUrn.get(resource.providerUrn) : undefined;
        return provider
            ? {
                  type: provider.resource.type,
                  name: provider.resource.name,
                  urn: provider.resource.urn,
                  props: provider.props,
              }
            : undefined;
    });
    let stackResources: PolicyResource[] | undefined;
    const stackResourcesOf = (): PolicyResource[] => {
        if (stackResources) {
            return stackResources;
        }
        const built: PolicyResource[] = entries.map(({ resource, props, opts }, index) => ({
            type: resource.type,
            name: resource.name,
            urn: resource.urn,
            props,
            opts,
            ...(providers[index] ? { provider: providers[index] } : {}),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => typeMatches(resource.type, resourceClass),
            asType: ((resourceClass: unknown) =>
                typeMatches(resource.type, resourceClass) ? props : undefined) as PolicyResource["asType"],
        }));
        const byPolicyUrn = new Map(built.map((resource) => [resource.urn, resource]));
        entries.forEach(({ resource }, index) => {
            const policyResource = built[index]!;
            const parent = resource.parent !== undefined ? byPolicyUrn.get(resource.parent) : undefined;
            if (parent) {
                policyResource.parent = parent;
            }
            policyResource.dependencies = (resource.dependencies ?? []).flatMap((urn) => byPolicyUrn.get(urn) ?? []);
        });
        stackResources = built;
        return built;
    };

    for (const policy of policies) {
        const configured = settings[policy.name];
        const level =
            configured?.enforcementLevel ??
            settings["all"]?.enforcementLevel ??
            policy.enforcementLevel ??
            packEnforcement;
        if (level === "disabled") {
            continue;
        }
        // Violations of a "remediate" policy that still fail are reported as mandatory, as the server does.
        const reported: ReportedLevel = level === "advisory" ? ReportedLevel.Advisory : ReportedLevel.Mandatory;
        const config = { ...schemaDefaults(policy), ...(configured?.properties ?? {}) };
        const getConfig = <T extends object>(): T => structuredClone(config) as T;
        const throwNotApplicable = (reason?: string): never => {
            throw new NotApplicable(reason);
        };
        const settle = (error: unknown, urn: string | undefined, where: string): void => {
            if (error instanceof proxy.UnknownValueError) {
                violations.push({
                    policyName: policy.name,
                    enforcementLevel: ReportedLevel.Advisory,
                    urn,
                    message: `can't run policy '${policy.name}' during preview: ${error.message}`,
                });
            } else if (error instanceof NotApplicable) {
                notApplicable.push({ policyName: policy.name, urn, reason: error.reason });
            } else {
                throw new PolicyFailure(policy.name, where, error);
            }
        };

        if (isStackPolicy(policy)) {
            const args: StackValidationArgs = {
                resources: stackResourcesOf(),
                stackTags,
                getConfig,
                notApplicable: throwNotApplicable,
            };
            try {
                await policy.validateStack(args, (message, urn) =>
                    violations.push({ policyName: policy.name, enforcementLevel: reported, urn, message }),
                );
            } catch (error) {
                settle(error, undefined, "on the stack");
            }
            continue;
        }

        const validations: ResourceValidation[] =
            policy.validateResource === undefined
                ? []
                : Array.isArray(policy.validateResource)
                  ? policy.validateResource
                  : [policy.validateResource];
        for (const [index, { resource, props, opts }] of entries.entries()) {
            for (const validation of validations) {
                const args: ResourceValidationArgs = {
                    type: resource.type,
                    name: resource.name,
                    urn: resource.urn,
                    props,
                    opts,
                    stackTags,
                    isType: (resourceClass) => typeMatches(resource.type, resourceClass),
                    asType: ((resourceClass: unknown) =>
                        typeMatches(resource.type, resourceClass)
                            ? props
                            : undefined) as ResourceValidationArgs["asType"],
                    getConfig,
                    notApplicable: throwNotApplicable,
                };
                const provider = providers[index];
                if (provider) {
                    args.provider = provider;
                }
                try {
                    // The urn argument is ignored for resource policies: a violation is always the resource's.
                    await validation(args, (message) =>
                        violations.push({
                            policyName: policy.name,
                            enforcementLevel: reported,
                            urn: resource.urn,
                            message,
                        }),
                    );
                } catch (error) {
                    settle(error, resource.urn, `on ${resource.urn}`);
                }
            }
        }
    }
    return { violations, notApplicable };
}

/** Seconds in a Go duration string such as `10m` or `1h30m`, as the engine reads customTimeouts. */
function durationSeconds(text: string | undefined): number {
    if (!text) {
        return 0;
    }
    const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
    let total = 0;
    for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
        total += Number(match[1]) * units[match[2]!]!;
    }
    return total;
}

/** The root Stack resource's URN and name, as the engine names it. */
export function stackUrn(project: string, stack: string): { urn: string; name: string } {
    const name = `${project}-${stack}`;
    return { urn: `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${name}`, name };
}

/**
 * The resources of an offline run as the engine would hold them: the root `pulumi:pulumi:Stack` (its props are the
 * stack outputs) first, then everything registered, parented to the Stack unless they have another parent.
 */
export function engineResourcesOf(run: OfflineRun, project: string, stack: string): EngineResource[] {
    const root = stackUrn(project, stack);
    const timeouts = (value: CustomTimeouts | undefined) => ({
        createSeconds: durationSeconds(value?.create),
        updateSeconds: durationSeconds(value?.update),
        deleteSeconds: durationSeconds(value?.delete),
    });
    return [
        { type: "pulumi:pulumi:Stack", name: root.name, urn: root.urn, props: run.outputs },
        // A read of a live object (Node.get) registers nothing for a policy to judge.
        ...run.resources
            .filter((resource) => !(resource.read && resource.type.startsWith("kubernetes:")))
            .map((resource: RecordedResource): EngineResource => ({
                type: resource.type,
                name: resource.name,
                urn: resource.urn,
                props: resource.props,
                parent: resource.parent ?? root.urn,
                dependencies: resource.dependsOn,
                providerUrn: resource.provider,
                opts: {
                    protect: resource.options.protect ?? false,
                    ignoreChanges: [...(resource.options.ignoreChanges ?? [])],
                    customTimeouts: timeouts(resource.options.customTimeouts),
                    ...(resource.options.deleteBeforeReplace !== undefined
                        ? { deleteBeforeReplace: resource.options.deleteBeforeReplace }
                        : {}),
                },
            })),
    ];
}
