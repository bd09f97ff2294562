import { COMBINED_PORT_FIELDS, Problem, SectionKeys, keyPath, sectionKeys } from "../common";
import { IpFamily } from "../plan";
import { resolveController, validateApi, validateControllerSettings } from "./controller-settings";
import { gatewayRouteProblems } from "./gateway-api";
import { IngressPlan, planIngress } from "./ingress-plan";
import { validateRoutes } from "./routes";
import { BackendService, ClusterIngressSettings, IngressApi, servesGateway } from "./types";

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
    const problems = [
        ...validateApi(ingress.api, controller.implementation, keyPath(keys.ingress, "api")),
        ...validateControllerSettings(controller, controllerKey),
    ];
    const routes = validateRoutes(ingress.routes ?? [], services, keyPath(keys.ingress, "routes"));
    if (!routes.ok) {
        problems.push(...routes.problems);
    }
    // HTTPRoute's own rules, on top of the ones both APIs share.
    if (servesGateway(ingress.api ?? IngressApi.Ingress)) {
        problems.push(...gatewayRouteProblems(ingress.routes ?? [], keyPath(keys.ingress, "routes")));
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
    if (!routes.ok || validateIngress(ingress, context, sectionKeys("", "", COMBINED_PORT_FIELDS)).length > 0) {
        return undefined;
    }
    return planIngress(
        resolveController(ingress.controller, cluster.families, ingress.api),
        routes.value,
        cluster.nodeAddresses,
    );
}
