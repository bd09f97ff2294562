import { Problem, SectionKeys } from "../common";
import { AddressPlan, planNetwork } from "../plan";
import { serviceClusterOf } from "../services/network";
import { servicesKeys, validateServices } from "../services/validate";
import type { ClusterNetworkArgs } from "./clusterNetwork";

export type ValidationResult = { readonly ok: true; readonly plan: AddressPlan } | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Validates everything a ClusterNetwork would build, before anything is registered: the address plan, then each
 * capability's settings against it. Every problem is returned at once, named by `keys`.
 */
export function validateClusterNetwork(args: ClusterNetworkArgs, keys: SectionKeys): ValidationResult {
    const planned = planNetwork({ cluster: args.cluster, nodes: args.nodes, previous: args.previous }, keys);
    if (!planned.ok) {
        return { ok: false, problems: planned.problems };
    }
    const problems: Problem[] = [];
    // Services, and node ports stack-wide: other node port claims (the ingress controller's) go in extraNodePortClaims.
    problems.push(...validateServices(args.services ?? [], serviceClusterOf(planned.plan, args.cluster), servicesKeys(keys)));
    if (problems.length > 0) {
        return { ok: false, problems };
    }
    return { ok: true, plan: planned.plan };
}
