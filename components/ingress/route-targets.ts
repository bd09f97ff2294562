import { RouteTarget, createsNamespace } from "../common/depends-on";
import { ResolvedRoute } from "./routes";

/**
 * Which marked namespaces and Services one route waits for: its own namespace (or the AppService creating it), and
 * the Services it routes to.
 */
export function routeTargetOf(route: ResolvedRoute): (target: RouteTarget) => boolean {
    const backends = new Set(route.paths.map((path) => path.service));
    return (target) =>
        target.namespace === route.namespace && (createsNamespace(target) || backends.has(target.service!));
}
