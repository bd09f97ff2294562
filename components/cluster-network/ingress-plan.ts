import { IngressPlan } from "../ingress/ingress-plan";
import { ingressPlanOf } from "../ingress/validate";
import { AddressPlan } from "../plan";
import type { ClusterNetworkArgs } from "./cluster-network";

/**
 * The Ingress part of a cluster's plan (controller, ports, routes and how to try them), as `clusternet plan`
 * prints it and the stack exports it; undefined without `ingress` or when it does not validate.
 */
export function clusterIngressPlan(args: ClusterNetworkArgs, plan: AddressPlan): IngressPlan | undefined {
    if (args.ingress === undefined) {
        return undefined;
    }
    return ingressPlanOf(
        args.ingress,
        { services: args.services },
        { families: plan.cluster.families, nodeAddresses: plan.nodes.map((node) => node.ip) },
    );
}
