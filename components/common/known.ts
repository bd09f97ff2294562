import type * as pulumi from "@pulumi/pulumi";

// Not exported from common/index: it is about Pulumi Inputs. It only imports Pulumi's types, so validators that use
// it stay quick to load (the CLI's plan never loads the SDK).

/** What `pulumi.Output.isInstance` checks, without loading the SDK: the marker every Output carries. */
function isOutput<T>(value: pulumi.Input<T> | undefined): value is pulumi.OutputInstance<T> {
    return (
        typeof value === "object" && value !== null && (value as { __pulumiOutput?: unknown }).__pulumiOutput === true
    );
}

/**
 * An Input's value when it is already known (a plain value), for validating args before anything is registered.
 * Outputs and Promises are only known later: `known` is false and the check is left to when they resolve.
 */
export type Known<T> = { readonly known: true; readonly value: T } | { readonly known: false };

export function knownValue<T>(input: pulumi.Input<T> | undefined): Known<T | undefined> {
    if (isOutput(input) || input instanceof Promise) {
        return { known: false };
    }
    return { known: true, value: input };
}

/** The Input's plain value, or `fallback` when it is unset; undefined when it is not known yet. */
export function plainOr<T>(input: pulumi.Input<T> | undefined, fallback: T): T | undefined {
    const result = knownValue(input);
    return result.known ? (result.value ?? fallback) : undefined;
}
