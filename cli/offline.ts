import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/** One resource the program registered, shaped as the engine (and a policy pack) sees it. */
export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** False for component resources. */
    readonly custom: boolean;
    /** True for a read of an existing object (`Node.get`), which creates nothing and is no manifest. */
    readonly read?: boolean;
    /** Resolved inputs, secrets unwrapped to plain values (see `secretPaths`). */
    readonly props: Record<string, unknown>;
    /** Property paths whose values were secrets. */
    readonly secretPaths: ReadonlyArray<ReadonlyArray<string | number>>;
    readonly parent?: string;
    readonly dependsOn: readonly string[];
    /** URN of the provider that manages it, when one was given explicitly or inherited from a component. */
    readonly provider?: string;
    readonly options: {
        readonly deleteBeforeReplace?: boolean;
        readonly ignoreChanges?: readonly string[];
        readonly replaceOnChanges?: readonly string[];
        readonly protect?: boolean;
        readonly retainOnDelete?: boolean;
        readonly customTimeouts?: pulumi.CustomTimeouts;
    };
}

export interface OfflineRun {
    /** In registration order. */
    readonly resources: readonly RecordedResource[];
    /** The stack's outputs. */
    readonly outputs: Record<string, unknown>;
}

export interface OfflineRunOptions {
    /** The program: its entry file (the stack's index.ts), or a function registering resources (for tests). */
    readonly program: string | (() => Promise<Record<string, unknown> | void>);
    readonly project: string;
    readonly stack: string;
    /** Config as the engine passes it: full key to text (structured values as JSON). */
    readonly config: Readonly<Record<string, string>>;
    readonly secretKeys: readonly string[];
    /** Outputs a StackReference to this very stack returns: its "last" outputs. */
    readonly previousOutputs?: Record<string, unknown>;
    /**
     * What reading a Node (`k8s.core.v1.Node.get`) returns, by name: its spec, or null for a Node that does not
     * exist (the read fails, as the engine's does). Default: every Node exists, joined without a podCIDR yet.
     */
    readonly liveNodes?: Readonly<Record<string, { podCIDR?: string; podCIDRs?: string[] } | null>>;
    /** Run as `pulumi preview` does (`pulumi.runtime.isDryRun()` true). Default false: as `pulumi up`. */
    readonly preview?: boolean;
}

/** The organization name of Pulumi's local (DIY) backends. */
const ORGANIZATION = "organization";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(
    value: unknown,
    at: Array<string | number>,
    secretPaths: Array<Array<string | number>>,
): unknown {
    if (Array.isArray(value)) {
        return value.map((item, index) => unwrapSecrets(item, [...at, index], secretPaths));
    }
    if (typeof value === "object" && value !== null) {
        const record = value as Record<string, unknown>;
        if (record[SECRET_SIG] === SECRET_VALUE) {
            secretPaths.push(at);
            return unwrapSecrets(record["value"], at, []);
        }
        return Object.fromEntries(
            Object.entries(record).map(([key, item]) => [key, unwrapSecrets(item, [...at, key], secretPaths)]),
        );
    }
    return value;
}

/**
 * Runs a Pulumi program with the SDK's runtime mocks instead of an engine and records every resource it
 * registers: type, name, URN, resolved inputs and the options that shape the graph (parent, dependsOn, provider,
 * deleteBeforeReplace...). The program runs inside a real root Stack resource, so stack transformations see every
 * registration as the engine would. Call once per process: the SDK's runtime state is global.
 */
export async function runOffline(options: OfflineRunOptions): Promise<OfflineRun> {
    // The SDK takes (and formats) a stack trace for every promise it makes, kept only for its leak report; under
    // tsx each one was also mapped through the source maps: together most of a big render's time (issue 19). Both
    // are off for the run only. Error messages are unchanged; an error raised during the run carries no frames.
    // (Resource source positions are unaffected: the SDK lifts the limit itself when it takes those.)
    const sourceMaps = process.sourceMapsEnabled;
    const stackTraceLimit = Error.stackTraceLimit;
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
    try {
        return await recordRun(options);
    } finally {
        process.setSourceMapsEnabled(sourceMaps);
        Error.stackTraceLimit = stackTraceLimit;
    }
}

async function recordRun(options: OfflineRunOptions): Promise<OfflineRun> {
    const inputsByKey = new Map<string, { inputs: Record<string, unknown>; custom: boolean }>();
    const project = options.project;
    const stack = options.stack;
    const selfReference = `${ORGANIZATION}/${project}/${stack}`;
    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                inputsByKey.set(`${args.type}::${args.name}`, {
                    inputs: args.inputs as Record<string, unknown>,
                    custom: args.custom ?? true,
                });
                if (args.id && args.type === "kubernetes:core/v1:Node") {
                    const live = options.liveNodes?.[args.id];
                    if (live === null) {
                        throw new Error(`resource '${args.id}' does not exist`);
                    }
                    return {
                        id: args.id,
                        state: { apiVersion: "v1", kind: "Node", metadata: { name: args.id }, spec: live ?? {} },
                    };
                }
                if (args.type === "pulumi:pulumi:StackReference") {
                    const outputs = args.name === selfReference ? (options.previousOutputs ?? {}) : {};
                    return { id: args.name, state: { name: args.name, outputs, secretOutputNames: [] } };
                }
                return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs as Record<string, unknown>,
        },
        project,
        stack,
        options.preview ?? false,
        ORGANIZATION,
    );
    pulumi.runtime.setAllConfig({ ...options.config }, [...options.secretKeys]);

    interface Registration {
        type: string;
        name: string;
        read: boolean;
        qualifiedType: string;
        opts: pulumi.CustomResourceOptions & {
            providers?: Record<string, pulumi.ProviderResource> | pulumi.ProviderResource[];
        };
        parent?: pulumi.Resource;
    }
    const registrations = new Map<pulumi.Resource, Registration>();
    const order: pulumi.Resource[] = [];
    const urnOf = (resource: pulumi.Resource | undefined): string | undefined => {
        const registration = resource ? registrations.get(resource) : undefined;
        return registration
            ? `urn:pulumi:${stack}::${project}::${registration.qualifiedType}::${registration.name}`
            : undefined;
    };

    // The SDK turns a program's error into an unhandled rejection: keep it, to reject with it below.
    let failure: { error: unknown } | undefined;
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
            // A resource built from a URN (a reference deserialized from another resource's state) is not a
            // registration: skip it.
            if (args.opts.urn !== undefined) {
                return undefined;
            }
            const parent = args.opts.parent && registrations.has(args.opts.parent) ? args.opts.parent : undefined;
            const parentType = parent ? registrations.get(parent)!.qualifiedType : undefined;
            registrations.set(args.resource, {
                type: args.type,
                name: args.name,
                read: args.opts.id !== undefined,
                qualifiedType: parentType ? `${parentType}$${args.type}` : args.type,
                opts: args.opts,
                parent,
            });
            order.push(args.resource);
            return undefined;
        });
        try {
            if (typeof options.program === "function") {
                return (await options.program()) ?? {};
            }
            // Loaded afresh on every run, as the engine loads it once per process: a program reads its stack at load
            // (index.ts: its render directory), and one process (the tests) may run several stacks.
            const file = require.resolve(path.resolve(options.program));
            delete require.cache[file];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program: unknown = require(file);
            const entry = typeof program === "function" ? program : (program as { default?: unknown }).default;
            return typeof entry === "function"
                ? await (entry as () => Promise<Record<string, unknown>>)()
                : (program as Record<string, unknown>);
        } catch (error) {
            failure = { error };
            return {};
        }
    });
    if (failure) {
        await pulumi.runtime.disconnect();
        throw failure.error;
    }
    const resolvedOutputs = await new Promise<Record<string, unknown>>((resolve) => {
        pulumi.output(outputs ?? {}).apply((value) => resolve(unwrapSecrets(value, [], []) as Record<string, unknown>));
    });
    await pulumi.runtime.disconnect();

    const seen = new Set<string>();
    const providerFor = (registration: Registration): pulumi.ProviderResource | undefined => {
        const pkg = registration.type.split(":")[0]!;
        if (registration.opts.provider) {
            return registration.opts.provider;
        }
        for (let ancestor = registration.parent; ancestor; ancestor = registrations.get(ancestor)?.parent) {
            const providers = registrations.get(ancestor)?.opts.providers;
            const found = Array.isArray(providers)
                ? providers.find((provider) => registrations.get(provider)?.type === `pulumi:providers:${pkg}`)
                : providers?.[pkg];
            if (found) {
                return found;
            }
        }
        return undefined;
    };
    const resources = order.map((resource): RecordedResource => {
        const registration = registrations.get(resource)!;
        const key = `${registration.type}::${registration.name}`;
        if (seen.has(key)) {
            throw new Error(`two resources of type ${registration.type} are both named "${registration.name}"`);
        }
        seen.add(key);
        const recorded = inputsByKey.get(key);
        const secretPaths: Array<Array<string | number>> = [];
        const props = unwrapSecrets(recorded?.inputs ?? {}, [], secretPaths) as Record<string, unknown>;
        const dependsOn = registration.opts.dependsOn;
        const dependencies = (Array.isArray(dependsOn) ? dependsOn : dependsOn ? [dependsOn] : []) as unknown[];
        const opts = registration.opts;
        return {
            urn: urnOf(resource)!,
            type: registration.type,
            name: registration.name,
            custom: recorded?.custom ?? true,
            read: registration.read,
            props,
            secretPaths,
            parent: urnOf(registration.parent),
            dependsOn: dependencies
                .map((dependency) => urnOf(dependency as pulumi.Resource))
                .filter((urn): urn is string => urn !== undefined),
            provider: urnOf(providerFor(registration)),
            options: {
                deleteBeforeReplace: opts.deleteBeforeReplace,
                ignoreChanges: opts.ignoreChanges,
                replaceOnChanges: opts.replaceOnChanges,
                protect: opts.protect,
                retainOnDelete: opts.retainOnDelete,
                customTimeouts: opts.customTimeouts,
            },
        };
    });
    return { resources, outputs: resolvedOutputs };
}
