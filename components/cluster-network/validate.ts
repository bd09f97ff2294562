import { Problem, SectionKeys } from "../common";
import { validateIngress } from "../ingress";
import { AddressPlan, planNetwork } from "../plan";
import { ClusterNetworkArgs } from "./clusterNetwork";

export type ValidationResult = { readonly ok: true; readonly plan: AddressPlan } | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Validates everything a ClusterNetwork would build, before anything is registered: the address plan, then each
 * capability's settings against it. Every problem is returned at once, named by `keys`.
 */
export function validateClusterNetwork(args: ClusterNetworkArgs, keys: SectionKeys): ValidationResult {
    const planned = planNetwork({ cluster: args.cluster, nodes: args.nodes, previous: args.previous }, keys);
    const problems: Problem[] = planned.ok ? [] : [...planned.problems];
    // Checks that do not need the plan run even when it failed, so one run reports every problem.
    if (args.ingress !== undefined) {
        problems.push(...validateIngress(args.ingress, { services: args.services, nodePortRange: args.cluster.nodePortRange }, keys));
    }
    if (!planned.ok || problems.length > 0) {
        return { ok: false, problems };
    }
    return { ok: true, plan: planned.plan };
}
