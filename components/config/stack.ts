import { Result, STACK_KEYS, fail, ok } from "../common";
import type { ClusterNetworkArgs } from "../cluster-network/cluster-network";
// The validator, not the component: validation must not load the Pulumi SDK (the CLI's plan stays fast).
import { validateClusterNetwork } from "../cluster-network/validate";
import { AddressPlan, PreviousAllocation } from "../plan";
import { ingressArgs, serviceArgs } from "./args";
import { ConfigSource, validateConfigShape } from "./load";
import {
    nodePrepSettingsFromConfig,
    podNetworkSecretProblems,
    podNetworkSettingsFromConfig,
} from "./pod-network-config";
import { ClusternetConfig, ConfigKey } from "./schema";

/** A stack's validated configuration, the ClusterNetwork args made from it, and its address plan. */
export interface LoadedStack {
    readonly config: ClusternetConfig;
    readonly args: ClusterNetworkArgs;
    readonly plan: AddressPlan;
}

/**
 * Maps the stack's config onto ClusterNetwork's args: a port given by number or name becomes one of two fields,
 * quantities become strings, secrets become secret Inputs (see ./args and ./podNetworkConfig).
 */
export function clusterNetworkArgs(
    config: ClusternetConfig,
    previous: PreviousAllocation | undefined,
): ClusterNetworkArgs {
    return {
        cluster: config.cluster,
        nodes: config.nodes,
        previous,
        services: config.services?.map(serviceArgs),
        ingress: config.ingress === undefined ? undefined : ingressArgs(config.ingress),
        podNetwork: config.podNetwork === undefined ? undefined : podNetworkSettingsFromConfig(config.podNetwork),
        nodePrep: config.nodePrep === undefined ? undefined : nodePrepSettingsFromConfig(config.nodePrep),
        ...(config.kubeProxy !== undefined ? { kubeProxy: config.kubeProxy } : {}),
    };
}

/**
 * Validates a stack's `clusternet:*` config completely, shapes first and then everything that needs arithmetic
 * or cross-references, naming each problem by its config key. Used by the Pulumi program and the CLI alike.
 */
export function loadStack(
    source: ConfigSource,
    previous?: PreviousAllocation,
    previousSource?: string,
): Result<LoadedStack> {
    const shape = validateConfigShape(source);
    const { parsed } = shape;
    if (!parsed.cluster || !parsed.nodes) {
        return fail(shape.problems);
    }
    // Check what did parse too, so one run reports every problem; sections that failed are left out, along with
    // those that refer to them.
    const usable = { ...parsed } as ClusternetConfig;
    for (const key of shape.failedKeys) {
        for (const dependent of [key, ...(DEPENDENT_KEYS[key] ?? [])]) {
            delete (usable as Partial<ClusternetConfig>)[dependent];
        }
    }
    const args = clusterNetworkArgs(usable, previous);
    // Problems in remembered subnets name where they were remembered: the plan record's file, when known.
    const keys =
        previousSource === undefined
            ? STACK_KEYS
            : { ...STACK_KEYS, previous: `${previousSource}: previous allocation` };
    const validated = validateClusterNetwork(args, keys);
    const problems = [
        ...shape.problems,
        ...(validated.ok ? [] : validated.problems),
        ...podNetworkSecretProblems(usable, STACK_KEYS),
    ];
    if (problems.length > 0 || !validated.ok) {
        return fail(problems);
    }
    return ok({ config: usable, args, plan: validated.value });
}

/** Sections whose checks refer to another section: left unchecked when that one is broken. */
const DEPENDENT_KEYS: Partial<Record<ConfigKey, ConfigKey[]>> = {
    services: ["ingress"],
    podNetwork: ["nodePrep"],
};
