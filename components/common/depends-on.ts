import * as pulumi from "@pulumi/pulumi";

// Not exported from common/index: the plan layer imports common and must stay free of Pulumi.

/** A resource option's `dependsOn`, in any of the forms Pulumi accepts. */
export type DependsOn = pulumi.ResourceOptions["dependsOn"];

/**
 * A child's `dependsOn`: its own dependencies (`own`), then its component's (`inherited`). The Pulumi SDK does not
 * pass a component's `dependsOn` on to its children, so a component hands it to the children that must wait. Left
 * undefined when there is nothing to wait for, so the child records no dependency at all.
 */
export function childDependsOn(own: readonly pulumi.Resource[], inherited: DependsOn): DependsOn {
    if (inherited === undefined) {
        return own.length > 0 ? [...own] : undefined;
    }
    if (own.length === 0) {
        return inherited;
    }
    if (Array.isArray(inherited)) {
        return [...own, ...inherited];
    }
    if (pulumi.Resource.isInstance(inherited)) {
        return [...own, inherited];
    }
    // An Output or a Promise, of one resource or of a list: the SDK resolves such an element itself.
    return [...own, inherited as pulumi.Input<pulumi.Resource>];
}
