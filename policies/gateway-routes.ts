/**
 * Policies for Gateway API routes (HTTPRoute, gateway.networking.k8s.io): hostnames are names, not addresses; each
 * route attaches to a Gateway of the stack through a listener that admits its namespace; its backends are Services
 * of the stack with real port numbers; no two routes claim one hostname+path on a listener; and every Gateway's
 * GatewayClass exists. Host and path rules are the stack config's own (hostFindings, pathFindings,
 * gatewayPathFindings), not a second copy.
 */
import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem, problemAt } from "../components/common";
import { z } from "zod";
import { TRAEFIK_GATEWAY_CONTROLLER, gatewayPathFindings } from "../components/ingress/gateway-api";
import { hostFindings, pathFindings } from "../components/ingress/routes";
import { configOf, configSchemaOf } from "./lib/config";
import { ResourceLike, describe, kindOf, namespaceOf, objectName } from "./lib/kubernetes";
import { servicesOf } from "./lib/services";
import { asArray, asNumber, asRecord, asString, asStringMap, at, listed, listedAtMost, shown } from "./lib/values";

export const GATEWAY_ROUTE_HOSTNAMES = "gateway-route-hostnames";
export const GATEWAY_ROUTE_PARENTS = "gateway-route-parents";
export const GATEWAY_ROUTE_BACKENDS = "gateway-route-backends";
export const GATEWAY_ROUTE_UNIQUE_HOST_PATH = "gateway-route-unique-host-path";
export const GATEWAY_CLASS_EXISTS = "gateway-class-exists";

const GROUP = "gateway.networking.k8s.io";
const isGatewayKind = (resource: ResourceLike, kind: string): boolean =>
    resource.type.startsWith(`kubernetes:${GROUP}/`) && kindOf(resource.type) === kind;

interface RouteInfo {
    readonly resource: ResourceLike;
    readonly description: string;
    readonly namespace: string;
    readonly hostnames: readonly unknown[];
    readonly parentRefs: readonly Record<string, unknown>[];
    readonly rules: readonly Record<string, unknown>[];
}

function routesOf(resources: readonly ResourceLike[]): RouteInfo[] {
    return resources
        .filter((resource) => isGatewayKind(resource, "HTTPRoute"))
        .map((resource) => ({
            resource,
            description: describe(resource),
            namespace: namespaceOf(resource),
            hostnames: asArray(at(resource.props, "spec", "hostnames")),
            parentRefs: asArray(at(resource.props, "spec", "parentRefs")).map((ref) => asRecord(ref) ?? {}),
            rules: asArray(at(resource.props, "spec", "rules")).map((rule) => asRecord(rule) ?? {}),
        }));
}

interface Listener {
    readonly name: string;
    readonly hostname?: string;
    readonly port: unknown;
    readonly allowed: Record<string, unknown> | undefined;
}

interface GatewayInfo {
    readonly resource: ResourceLike;
    readonly namespace: string;
    readonly name: string;
    readonly className: string | undefined;
    readonly listeners: readonly Listener[];
}

function gatewaysOf(resources: readonly ResourceLike[]): Map<string, GatewayInfo> {
    const gateways = new Map<string, GatewayInfo>();
    for (const resource of resources.filter((item) => isGatewayKind(item, "Gateway"))) {
        const info: GatewayInfo = {
            resource,
            namespace: namespaceOf(resource),
            name: objectName(resource),
            className: asString(at(resource.props, "spec", "gatewayClassName")),
            listeners: asArray(at(resource.props, "spec", "listeners")).map((item) => ({
                name: asString(at(item, "name")) ?? "",
                hostname: asString(at(item, "hostname")),
                port: at(item, "port"),
                allowed: asRecord(at(item, "allowedRoutes", "namespaces")),
            })),
        };
        gateways.set(`${info.namespace}/${info.name}`, info);
    }
    return gateways;
}

/** The labels of the stack's Namespaces, plus the name label the API server sets on every namespace. */
function namespaceLabels(resources: readonly ResourceLike[], namespace: string): Record<string, string> {
    const declared = resources.find(
        (resource) => kindOf(resource.type) === "Namespace" && objectName(resource) === namespace,
    );
    return { ...asStringMap(at(declared?.props, "metadata", "labels")), "kubernetes.io/metadata.name": namespace };
}

/** Whether a label selector (matchLabels, matchExpressions) selects these labels. */
function selects(selector: Record<string, unknown> | undefined, labels: Record<string, string>): boolean {
    const matchLabels = asStringMap(selector?.["matchLabels"]);
    if (Object.entries(matchLabels).some(([key, value]) => labels[key] !== value)) {
        return false;
    }
    return asArray(selector?.["matchExpressions"]).every((item) => {
        const key = asString(at(item, "key")) ?? "";
        const values = asArray(at(item, "values"));
        switch (asString(at(item, "operator"))) {
            case "In":
                return key in labels && values.includes(labels[key]);
            case "NotIn":
                return !(key in labels) || !values.includes(labels[key]);
            case "Exists":
                return key in labels;
            case "DoesNotExist":
                return !(key in labels);
            default:
                return false;
        }
    });
}

/** Whether a listener admits routes of a namespace: `from` Same (the default), All, or Selector. */
function admits(
    listener: Listener,
    gateway: GatewayInfo,
    namespace: string,
    resources: readonly ResourceLike[],
): boolean {
    switch (asString(listener.allowed?.["from"]) ?? "Same") {
        case "All":
            return true;
        case "Selector":
            return selects(asRecord(listener.allowed?.["selector"]), namespaceLabels(resources, namespace));
        default:
            return namespace === gateway.namespace;
    }
}

/** The Gateway (and listener) a parentRef names, or why not: group/kind default to Gateway, namespace to the route's. */
function parentOf(
    ref: Record<string, unknown>,
    route: RouteInfo,
    gateways: Map<string, GatewayInfo>,
): { gateway?: GatewayInfo; sectionName?: string; key: string } {
    const namespace = asString(ref["namespace"]) ?? route.namespace;
    const key = `${namespace}/${asString(ref["name"]) ?? ""}`;
    const kind = asString(ref["kind"]) ?? "Gateway";
    const group = asString(ref["group"]) ?? GROUP;
    if (kind !== "Gateway" || group !== GROUP) {
        return { key };
    }
    return { gateway: gateways.get(key), sectionName: asString(ref["sectionName"]), key };
}

/** HTTPRoute hostnames: DNS names (fully qualified), never IP addresses; a wildcard only as the whole first label. */
export function checkRouteHostnames(resources: readonly ResourceLike[], report: ReportViolation): void {
    for (const route of routesOf(resources)) {
        route.hostnames.forEach((hostname, index) => {
            const [finding] = typeof hostname === "string" ? hostFindings(hostname) : [];
            const problem =
                typeof hostname !== "string"
                    ? {
                          key: "",
                          message: `is ${shown(hostname)}, not a hostname`,
                          fix: "write a DNS name such as web.lab.example",
                      }
                    : finding;
            if (problem) {
                report(
                    formatProblem({
                        ...problem,
                        message: `${route.description} spec.hostnames[${index}] ${problem.message}`,
                    }),
                    route.resource.urn,
                );
            }
        });
        route.rules.forEach((rule, ruleIndex) => {
            asArray(rule["matches"]).forEach((match, matchIndex) => {
                const type = asString(at(match, "path", "type")) ?? "PathPrefix";
                const value = asString(at(match, "path", "value")) ?? "/";
                if (type !== "Exact" && type !== "PathPrefix") {
                    return;
                }
                const [finding] = [
                    ...pathFindings(value, type === "Exact" ? "Exact" : "Prefix"),
                    ...gatewayPathFindings(value),
                ];
                if (finding) {
                    report(
                        formatProblem(
                            problemAt(
                                finding,
                                `${route.description} spec.rules[${ruleIndex}].matches[${matchIndex}].path.value`,
                            ),
                        ),
                        route.resource.urn,
                    );
                }
            });
        });
    }
}

/** Each parentRef names a Gateway of the stack, and a listener of it (by sectionName, or any) that admits the route's namespace. */
export function checkRouteParents(resources: readonly ResourceLike[], report: ReportViolation): void {
    const gateways = gatewaysOf(resources);
    const gatewayNames = [...gateways.keys()].sort();
    for (const route of routesOf(resources)) {
        if (route.parentRefs.length === 0) {
            report(
                formatProblem({
                    key: "",
                    message: `${route.description} has no spec.parentRefs, so no Gateway serves it`,
                    fix: `attach it to ${gatewayNames.length > 0 ? `Gateway ${listed(gatewayNames)}` : "a Gateway of the stack"}`,
                }),
                route.resource.urn,
            );
        }
        route.parentRefs.forEach((ref, index) => {
            const field = `${route.description} spec.parentRefs[${index}]`;
            const { gateway, sectionName, key } = parentOf(ref, route, gateways);
            if (!gateway) {
                report(
                    formatProblem({
                        key: "",
                        message: `${field} names ${key}, which is not a Gateway of this stack`,
                        fix: `name ${gatewayNames.length > 0 ? listed(gatewayNames) : "a Gateway the stack defines"}`,
                    }),
                    route.resource.urn,
                );
                return;
            }
            const listeners =
                sectionName === undefined
                    ? gateway.listeners
                    : gateway.listeners.filter((listener) => listener.name === sectionName);
            if (listeners.length === 0) {
                report(
                    formatProblem({
                        key: "",
                        message: `${field} names listener ${shown(sectionName)}, which Gateway ${key} does not have (it has ${listed(gateway.listeners.map((listener) => listener.name))})`,
                        fix: "name one of them",
                    }),
                    route.resource.urn,
                );
                return;
            }
            if (!listeners.some((listener) => admits(listener, gateway, route.namespace, resources))) {
                report(
                    formatProblem({
                        key: field,
                        message: `${sectionName === undefined ? "no listener" : `listener ${sectionName}`} of Gateway ${key} admits routes from namespace ${route.namespace} (allowedRoutes.namespaces); the route stays detached`,
                        fix: "allow the namespace in the listener's allowedRoutes",
                    }),
                    route.resource.urn,
                );
            }
        });
    }
}

export const gatewayRouteBackendsConfig = z.strictObject({
    externalServices: z
        .array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, { message: "expected namespace/name" }))
        .default([])
        .describe("Services (namespace/name) that exist outside this stack and may be route backends. Default: none."),
});
export type GatewayRouteBackendsConfig = z.output<typeof gatewayRouteBackendsConfig>;

/** Every backendRef is a Service of the stack in the route's namespace, with a port number that Service has. */
export function checkRouteBackends(
    resources: readonly ResourceLike[],
    config: GatewayRouteBackendsConfig,
    report: ReportViolation,
): void {
    const services = new Map(servicesOf(resources).map((service) => [`${service.namespace}/${service.name}`, service]));
    const external = new Set(config.externalServices);
    for (const route of routesOf(resources)) {
        route.rules.forEach((rule, ruleIndex) => {
            asArray(rule["backendRefs"]).forEach((ref, refIndex) => {
                const field = `${route.description} spec.rules[${ruleIndex}].backendRefs[${refIndex}]`;
                const kind = asString(at(ref, "kind")) ?? "Service";
                const group = asString(at(ref, "group")) ?? "";
                if (kind !== "Service" || group !== "") {
                    report(
                        formatProblem({
                            key: "",
                            message: `${field} is a ${group ? `${group}/` : ""}${kind}, not a Service`,
                            fix: "route to a Service",
                        }),
                        route.resource.urn,
                    );
                    return;
                }
                const namespace = asString(at(ref, "namespace")) ?? route.namespace;
                const key = `${namespace}/${asString(at(ref, "name")) ?? ""}`;
                if (namespace !== route.namespace) {
                    report(
                        formatProblem({
                            key: "",
                            message: `${field} points to ${key} in another namespace, which needs a ReferenceGrant`,
                            fix: `route to a Service of namespace ${route.namespace}`,
                        }),
                        route.resource.urn,
                    );
                    return;
                }
                if (external.has(key)) {
                    return;
                }
                const service = services.get(key);
                if (!service) {
                    report(
                        formatProblem({
                            key: "",
                            message: `${field} points to Service ${key}, which this stack does not define; the controller answers 500 for it`,
                            fix: `name a Service of the stack, or add "${key}" to ${GATEWAY_ROUTE_BACKENDS}.externalServices`,
                        }),
                        route.resource.urn,
                    );
                    return;
                }
                const port = asNumber(at(ref, "port"));
                const ports = service.ports.map((item) =>
                    item.name ? `${item.name} (${String(item.port)})` : String(item.port),
                );
                if (port === undefined || !service.ports.some((item) => item.port === port)) {
                    report(
                        formatProblem({
                            key: "",
                            message: `${field} asks for port ${shown(at(ref, "port"))} of ${service.description}, which has ${listedAtMost(ports, 6)}`,
                            fix: "name one of the Service's port numbers (a backendRef takes the number, not the name)",
                        }),
                        route.resource.urn,
                    );
                }
            });
        });
    }
}

/** No two routes claim the same hostname, path type and path on one listener: the controller would serve one. */
export function checkUniqueRouteHostPaths(resources: readonly ResourceLike[], report: ReportViolation): void {
    const gateways = gatewaysOf(resources);
    const claims = new Map<string, string>();
    for (const route of routesOf(resources)) {
        const hostnames = route.hostnames.length > 0 ? route.hostnames.map(String) : ["*"];
        const seen = new Set<string>();
        for (const ref of route.parentRefs) {
            const { gateway, sectionName, key } = parentOf(ref, route, gateways);
            const listeners = gateway
                ? gateway.listeners.filter((listener) => sectionName === undefined || listener.name === sectionName)
                : [];
            for (const listener of listeners) {
                route.rules.forEach((rule, ruleIndex) => {
                    for (const match of asArray(rule["matches"]).length > 0 ? asArray(rule["matches"]) : [{}]) {
                        const type = asString(at(match, "path", "type")) ?? "PathPrefix";
                        const raw = asString(at(match, "path", "value")) ?? "/";
                        const value = type === "PathPrefix" && raw.length > 1 ? raw.replace(/\/+$/, "") : raw;
                        for (const hostname of hostnames) {
                            const claim = `${key}\u0000${listener.name}\u0000${hostname}\u0000${type}\u0000${value}`;
                            const field = `${route.description} spec.rules[${ruleIndex}]`;
                            const owner = claims.get(claim);
                            // A route attached twice to one listener (two parentRefs) is reported once.
                            if (owner !== undefined && owner !== field && !seen.has(`${claim}\u0000${field}`)) {
                                report(
                                    formatProblem({
                                        key: "",
                                        message: `${field} routes ${hostname}${value} (${type}) on listener ${listener.name} of Gateway ${key}, which ${owner} already routes; the controller serves only one of them`,
                                        fix: "merge them into one rule, or change the hostname or path",
                                    }),
                                    route.resource.urn,
                                );
                            } else if (owner === undefined) {
                                claims.set(claim, field);
                            }
                            seen.add(`${claim}\u0000${field}`);
                        }
                    }
                });
            }
        }
    }
}

export const gatewayClassExistsConfig = z.strictObject({
    allowedClasses: z
        .array(z.string().min(1))
        .default([])
        .describe("GatewayClasses that exist outside this stack. Default: none."),
});
export type GatewayClassExistsConfig = z.output<typeof gatewayClassExistsConfig>;

/** Whether a workload runs Traefik with its Gateway provider on. */
function runsTraefikGateway(resource: ResourceLike): boolean {
    const kind = kindOf(resource.type);
    if (kind !== "Deployment" && kind !== "DaemonSet") {
        return false;
    }
    return asArray(at(resource.props, "spec", "template", "spec", "containers")).some((container) =>
        asArray(at(container, "args")).some(
            (arg) => arg === "--providers.kubernetesgateway=true" || arg === "--providers.kubernetesgateway",
        ),
    );
}

/** Every Gateway names a GatewayClass of the stack (or allowed); a Traefik serving the Gateway API has its class. */
export function checkGatewayClasses(
    resources: readonly ResourceLike[],
    config: GatewayClassExistsConfig,
    report: ReportViolation,
): void {
    const classes = resources.filter((resource) => isGatewayKind(resource, "GatewayClass"));
    const known = new Set([...classes.map(objectName), ...config.allowedClasses]);
    const knownText = known.size > 0 ? listed([...known].sort()) : "none (this stack has no GatewayClass)";
    for (const gateway of gatewaysOf(resources).values()) {
        if (gateway.className === undefined || !known.has(gateway.className)) {
            report(
                formatProblem({
                    key: "",
                    message: `${describe(gateway.resource)} names GatewayClass ${shown(gateway.className)}, which neither this stack defines nor ${GATEWAY_CLASS_EXISTS}.allowedClasses allows, so no controller programs it`,
                    fix: `use ${knownText}`,
                }),
                gateway.resource.urn,
            );
        }
    }
    for (const workload of resources.filter(runsTraefikGateway)) {
        const ownClass = classes.some(
            (item) => asString(at(item.props, "spec", "controllerName")) === TRAEFIK_GATEWAY_CONTROLLER,
        );
        if (!ownClass) {
            report(
                formatProblem({
                    key: "",
                    message: `${describe(workload)} runs Traefik's Gateway provider, but no GatewayClass of the stack names controllerName ${TRAEFIK_GATEWAY_CONTROLLER}, so it accepts no Gateway`,
                    fix: "add that GatewayClass",
                }),
                workload.urn,
            );
        }
    }
}

export const gatewayRouteHostnames: StackValidationPolicy = {
    name: GATEWAY_ROUTE_HOSTNAMES,
    description: "HTTPRoute hostnames are fully qualified DNS names, never IP addresses; paths are clean and absolute.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkRouteHostnames(args.resources, reportViolation),
};

export const gatewayRouteParents: StackValidationPolicy = {
    name: GATEWAY_ROUTE_PARENTS,
    description: "Each HTTPRoute attaches to a Gateway of the stack through a listener that admits its namespace.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkRouteParents(args.resources, reportViolation),
};

export const gatewayRouteBackends: StackValidationPolicy = {
    name: GATEWAY_ROUTE_BACKENDS,
    description:
        "Every HTTPRoute backendRef is a Service of the stack in the route's namespace, with a real port number.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(gatewayRouteBackendsConfig),
    validateStack: (args, reportViolation) =>
        checkRouteBackends(
            args.resources,
            configOf(GATEWAY_ROUTE_BACKENDS, gatewayRouteBackendsConfig, args),
            reportViolation,
        ),
};

export const gatewayRouteUniqueHostPath: StackValidationPolicy = {
    name: GATEWAY_ROUTE_UNIQUE_HOST_PATH,
    description: "No two HTTPRoute rules claim the same hostname, path type and path on one Gateway listener.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkUniqueRouteHostPaths(args.resources, reportViolation),
};

export const gatewayClassExists: StackValidationPolicy = {
    name: GATEWAY_CLASS_EXISTS,
    description:
        "Every Gateway names a GatewayClass of the stack; a controller serving the Gateway API has its GatewayClass.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(gatewayClassExistsConfig),
    validateStack: (args, reportViolation) =>
        checkGatewayClasses(
            args.resources,
            configOf(GATEWAY_CLASS_EXISTS, gatewayClassExistsConfig, args),
            reportViolation,
        ),
};
