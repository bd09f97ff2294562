import { Problem, SectionKeys, keyPath } from "../common";
import { IpFamily } from "../plan";
import { resolveController, validateControllerSettings } from "./controller-settings";
import { IngressPlan, planIngress } from "./ingress-plan";
import { validateRoutes } from "./routes";
import { BackendService, ClusterIngressSettings } from "./types";

/** What the Ingress settings are checked against: the stack's Services. */
export interface IngressContext {
    /** The stack's Services (`clusternet:services`): the only backends a route may name. */
    readonly services?: readonly BackendService[];
}

/**
 * Validates `clusternet:ingress` before anything is registered: the controller's settings and every route (host,
 * paths, backends). Its node ports are checked stack-wide with the Services' (see controllerNodePortClaims).
 * Returns every problem, keyed like `clusternet:ingress.routes[0].host`; never throws.
 */
export function validateIngress(
    ingress: ClusterIngressSettings,
    context: IngressContext,
    keys: SectionKeys,
): Problem[] {
    const controllerKey = keyPath(keys.ingress, "controller");
    const controller = ingress.controller ?? {};
    const services = context.services ?? [];
    const problems = validateControllerSettings(controller, controllerKey);
    const routes = validateRoutes(ingress.routes ?? [], services, keyPath(keys.ingress, "routes"));
    if (!routes.ok) {
        problems.push(...routes.problems);
    }
    return problems;
}

/** The Ingress plan of valid settings; undefined when they do not validate (see {@link validateIngress}). */
export function ingressPlanOf(
    ingress: ClusterIngressSettings,
    context: IngressContext,
    cluster: { readonly families: readonly IpFamily[]; readonly nodeAddresses: readonly string[] },
): IngressPlan | undefined {
    const routes = validateRoutes(ingress.routes ?? [], context.services ?? [], "routes");
    if (!routes.ok || validateControllerSettings(ingress.controller ?? {}, "controller").length > 0) {
        return undefined;
    }
    return planIngress(resolveController(ingress.controller, cluster.families), routes.routes, cluster.nodeAddresses);
}
