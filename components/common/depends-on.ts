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

/** What a resource is to the routes that may wait for it: a namespace, or a Service (its namespace and name). */
export interface RouteTarget {
    readonly namespace: string;
    /** The Service's name; absent for a namespace. */
    readonly service?: string;
    /** Whether this Service's resource also creates its namespace (an AppService with `createNamespace`). */
    readonly createsNamespace?: boolean;
}

/** A marked namespace, or a Service that creates its namespace: what anything in that namespace must wait for. */
export function createsNamespace(target: RouteTarget): boolean {
    return target.service === undefined || target.createsNamespace === true;
}

const routeTargets = new WeakMap<pulumi.Resource, RouteTarget>();

/**
 * Marks a resource as a namespace or a Service that routes name (an AppService, ClusterNetwork's namespaces), so
 * a route component handed it in `dependsOn` makes only the routes that use it wait for it (see `narrowDependsOn`).
 */
export function markRouteTarget(resource: pulumi.Resource, target: RouteTarget): void {
    routeTargets.set(resource, target);
}

/**
 * `inherited` narrowed for one child: every element that is not a marked route target (the controller, anything
 * else), and the marked ones `keep` accepts. A route waits for its own backends, not for every Service handed to
 * its component: the SDK expands each component in a dependsOn list to all its children, so routes x Services
 * lists would grow as their product. Outputs and Promises are kept as they are.
 */
export function narrowDependsOn(inherited: DependsOn, keep: (target: RouteTarget) => boolean): DependsOn {
    const kept = (item: unknown): boolean => {
        const target = pulumi.Resource.isInstance(item) ? routeTargets.get(item) : undefined;
        return target === undefined || keep(target);
    };
    if (inherited === undefined) {
        return undefined;
    }
    if (Array.isArray(inherited)) {
        const narrowed = inherited.filter(kept);
        return narrowed.length > 0 ? narrowed : undefined;
    }
    return kept(inherited) ? inherited : undefined;
}
