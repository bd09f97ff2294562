import { Problem, SectionKeys } from "../common";
import { validateNodePrep } from "../node-prep/validate";
import { FlannelBackend } from "../pod-network/constants";
import { validatePodNetwork } from "../pod-network/validate";
import { AddressPlan, planNetwork } from "../plan";
import { ClusterNetworkArgs } from "./clusterNetwork";

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
    const podNetwork = args.podNetwork ?? {};
    problems.push(...validatePodNetwork(podNetwork, planned.plan, keys));
    if (args.nodePrep !== undefined) {
        problems.push(...validateNodePrep(args.nodePrep, planned.plan, podNetwork.backend ?? FlannelBackend.Vxlan, keys));
    }
    if (problems.length > 0) {
        return { ok: false, problems };
    }
    return { ok: true, plan: planned.plan };
}
