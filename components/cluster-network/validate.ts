import { Problem, SectionKeys, keyPath } from "../common";
import { controllerNodePortClaims } from "../ingress/controller-settings";
import { validateIngress } from "../ingress/validate";
import { validateKubeProxy } from "../kube-proxy/validate";
import { validateNodePrep } from "../node-prep/validate";
import { FlannelBackend } from "../pod-network/constants";
import { validatePodNetwork } from "../pod-network/validate";
import { AddressPlan, planNetwork } from "../plan";
import { serviceClusterOf } from "../services/network";
import { servicesKeys, validateNodePorts, validateServices } from "../services/validate";
import type { ClusterNetworkArgs } from "./cluster-network";

export type ValidationResult =
    { readonly ok: true; readonly plan: AddressPlan } | { readonly ok: false; readonly problems: readonly Problem[] };

/**
 * Validates everything a ClusterNetwork would build, before anything is registered: the address plan, then each
 * capability's settings against it. Every problem is returned at once, named by `keys`.
 */
export function validateClusterNetwork(args: ClusterNetworkArgs, keys: SectionKeys): ValidationResult {
    const planned = planNetwork({ cluster: args.cluster, nodes: args.nodes, previous: args.previous }, keys);
    const problems: Problem[] = planned.ok ? [] : [...planned.problems];
    // Checks that do not need the plan run even when it failed, so one run reports every problem.
    if (args.ingress !== undefined) {
        problems.push(...validateIngress(args.ingress, { services: args.services }, keys));
    }
    if (args.kubeProxy !== undefined) {
        problems.push(...validateKubeProxy(args.kubeProxy, args.cluster, keys));
    }
    if (planned.ok) {
        const podNetwork = args.podNetwork ?? {};
        problems.push(...validatePodNetwork(podNetwork, planned.plan, keys));
        if (args.nodePrep !== undefined) {
            problems.push(
                ...validateNodePrep(args.nodePrep, planned.plan, podNetwork.backend ?? FlannelBackend.Vxlan, keys),
            );
        }
    }
    // Services, and node ports stack-wide: the ingress controller's count too. Without a plan, only the node ports.
    const claims = args.ingress
        ? controllerNodePortClaims(args.ingress.controller ?? {}, keyPath(keys.ingress, "controller"))
        : [];
    if (planned.ok) {
        problems.push(
            ...validateServices(args.services ?? [], serviceClusterOf(planned.plan, args.cluster), servicesKeys(keys), {
                extraNodePortClaims: claims,
            }),
        );
    } else {
        problems.push(
            ...validateNodePorts(args.services ?? [], claims, args.cluster.nodePortRange, servicesKeys(keys)),
        );
    }
    if (!planned.ok || problems.length > 0) {
        return { ok: false, problems };
    }
    return { ok: true, plan: planned.plan };
}
