import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { z } from "zod";
import { isDns1123Subdomain } from "../components/rules";
import { configOf, configSchemaOf } from "./lib/config";
import { CLASS_ANNOTATION, IngressBackend, IngressInfo, backendsOf, ingressesOf } from "./lib/ingress";
import { ResourceLike, ResourceType, objectName } from "./lib/kubernetes";
import { ServiceInfo, servicesOf } from "./lib/services";
import { listed, listedAtMost, shown } from "./lib/values";

export const INGRESS_CLASS = "ingress-class";
export const INGRESS_UNIQUE_HOST_PATH = "ingress-unique-host-path";
export const INGRESS_BACKEND_EXISTS = "ingress-backend-exists";

export const ingressClassConfig = z.strictObject({
    allowedClasses: z
        .array(z.string().min(1))
        .default([])
        .describe("IngressClasses that exist outside this stack (e.g. one a distribution ships). Default: none."),
});
export type IngressClassConfig = z.output<typeof ingressClassConfig>;

export const ingressBackendExistsConfig = z.strictObject({
    externalServices: z
        .array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, { message: "expected namespace/name" }))
        .default([])
        .describe(
            "Services (namespace/name) that exist outside this stack and may be Ingress backends. Default: none.",
        ),
});
export type IngressBackendExistsConfig = z.output<typeof ingressBackendExistsConfig>;

/** Every Ingress names, in spec.ingressClassName, an IngressClass of the stack or one allowed by config. */
export function checkIngressClasses(
    resources: readonly ResourceLike[],
    config: IngressClassConfig,
    report: ReportViolation,
): void {
    const inStack = resources.filter((resource) => resource.type === ResourceType.IngressClass).map(objectName);
    const known = new Set([...inStack, ...config.allowedClasses]);
    const knownText =
        known.size > 0 ? listed([...known].sort().map((name) => `"${name}"`)) : "none (this stack has no IngressClass)";
    for (const ingress of ingressesOf(resources)) {
        const here = (message: string): void => report(message, ingress.resource.urn);
        if (ingress.className === undefined || ingress.className === "") {
            const annotation =
                ingress.classAnnotation !== undefined
                    ? ` (it uses the deprecated annotation ${CLASS_ANNOTATION}: "${ingress.classAnnotation}", which networking.k8s.io/v1 controllers may ignore)`
                    : "";
            here(
                formatProblem({
                    key: "",
                    message: `${ingress.description} sets no spec.ingressClassName${annotation}; unless exactly one IngressClass is the cluster default, no controller serves it`,
                    fix: `set spec.ingressClassName to one of ${knownText}`,
                }),
            );
            continue;
        }
        if (typeof ingress.className === "string" && !isDns1123Subdomain(ingress.className)) {
            here(
                formatProblem({
                    key: "",
                    message: `${ingress.description} spec.ingressClassName ${shown(ingress.className)} is not an IngressClass name (a DNS-1123 subdomain); the API server refuses the Ingress`,
                    fix: `use one of ${knownText}`,
                }),
            );
            continue;
        }
        if (typeof ingress.className !== "string" || !known.has(ingress.className)) {
            here(
                formatProblem({
                    key: "",
                    message: `${ingress.description} names IngressClass ${shown(ingress.className)}, which neither this stack defines nor ${INGRESS_CLASS}.allowedClasses allows, so no controller serves it`,
                    fix: `use one of ${knownText}, or add the class to ${INGRESS_CLASS}.allowedClasses if it exists in the cluster`,
                }),
            );
        }
    }
}

/** Prefix paths match by path element, so a trailing slash does not change which requests they take. */
function normalizedPath(path: unknown, pathType: unknown): string {
    const text = typeof path === "string" && path !== "" ? path : "/";
    return pathType === "Prefix" && text.length > 1 ? text.replace(/\/+$/, "") : text;
}

/**
 * No two Ingress paths of one class claim the same host, path and path type (nor two Ingresses a default backend
 * of one class): controllers then pick one of them by undocumented rules. Ingresses in different namespaces count,
 * since one controller serves them all. One map: linear in the number of paths.
 */
export function checkUniqueHostPaths(resources: readonly ResourceLike[], report: ReportViolation): void {
    const claims = new Map<string, { ingress: IngressInfo; field: string }>();
    for (const ingress of ingressesOf(resources)) {
        const className = typeof ingress.className === "string" ? ingress.className : "";
        const classText = className ? `class "${className}"` : "the default class";
        for (const rule of ingress.rules) {
            for (const path of rule.paths) {
                const host = typeof path.host === "string" && path.host !== "" ? path.host.toLowerCase() : "*";
                const pathType = typeof path.pathType === "string" ? path.pathType : "";
                const key = `${className}\u0000${host}\u0000${pathType}\u0000${normalizedPath(path.path, path.pathType)}`;
                const owner = claims.get(key);
                const route = `${host === "*" ? "every host" : host}${normalizedPath(path.path, path.pathType)} (${pathType || "no pathType"})`;
                if (owner) {
                    const same =
                        owner.ingress === ingress
                            ? `its own ${owner.field}`
                            : `${owner.ingress.description} ${owner.field}`;
                    report(
                        formatProblem({
                            key: "",
                            message: `${ingress.description} ${path.field} routes ${route} for ${classText}, which ${same} already routes; the controller serves only one of them, unpredictably`,
                            fix: "merge them into one path, or change the host or path",
                        }),
                        ingress.resource.urn,
                    );
                } else {
                    claims.set(key, { ingress, field: path.field });
                }
            }
        }
        if (ingress.defaultBackend) {
            const key = `${className}\u0000default-backend`;
            const owner = claims.get(key);
            if (owner) {
                report(
                    formatProblem({
                        key: "",
                        message: `${ingress.description} sets spec.defaultBackend for ${classText}, which ${owner.ingress.description} sets too; only one of them takes unmatched requests`,
                        fix: "keep one default backend per class",
                    }),
                    ingress.resource.urn,
                );
            } else {
                claims.set(key, { ingress, field: "spec.defaultBackend" });
            }
        }
    }
}

function servicePortText(service: ServiceInfo): string {
    const ports = service.ports.map((port) => (port.name ? `${port.name} (${String(port.port)})` : String(port.port)));
    return ports.length > 0 ? listedAtMost(ports, 6) : "no ports";
}

/** Every Ingress backend names a Service of the stack (same namespace) and one of that Service's ports. */
export function checkBackendsExist(
    resources: readonly ResourceLike[],
    config: IngressBackendExistsConfig,
    report: ReportViolation,
): void {
    const services = new Map<string, ServiceInfo>();
    const byNamespace = new Map<string, string[]>();
    const byName = new Map<string, string[]>();
    const append = (map: Map<string, string[]>, key: string, value: string): void => {
        const list = map.get(key);
        if (list) {
            list.push(value);
        } else {
            map.set(key, [value]);
        }
    };
    for (const service of servicesOf(resources)) {
        services.set(`${service.namespace}/${service.name}`, service);
        append(byNamespace, service.namespace, service.name);
        append(byName, service.name, service.namespace);
    }
    const external = new Set(config.externalServices);
    for (const ingress of ingressesOf(resources)) {
        const check = (backend: IngressBackend): void => {
            if (!backend.hasService || typeof backend.serviceName !== "string" || backend.serviceName === "") {
                return; // ingress-paths reports malformed backends
            }
            const key = `${ingress.namespace}/${backend.serviceName}`;
            if (external.has(key)) {
                return;
            }
            const service = services.get(key);
            const where = `${ingress.description} ${backend.field}`;
            if (!service) {
                const candidates = byNamespace.get(ingress.namespace) ?? [];
                const elsewhere = byName.get(backend.serviceName) ?? [];
                const hint =
                    elsewhere.length > 0
                        ? `; a Service of that name exists in namespace ${listed(elsewhere)}, but an Ingress only reaches Services of its own namespace`
                        : candidates.length > 0
                          ? `; Services in namespace ${ingress.namespace}: ${listedAtMost(candidates, 6)}`
                          : "";
                report(
                    formatProblem({
                        key: "",
                        message: `${where} points to Service "${backend.serviceName}", which this stack does not define in namespace ${ingress.namespace}${hint}; the controller answers 503 for it`,
                        fix: `name a Service of the stack, or add "${key}" to ${INGRESS_BACKEND_EXISTS}.externalServices if it exists outside the stack`,
                    }),
                    ingress.resource.urn,
                );
                return;
            }
            const byNumber = backend.portNumber !== undefined;
            const found = service.ports.some((port) =>
                byNumber ? port.port === backend.portNumber : port.name === backend.portName,
            );
            if (!found) {
                const targetHint =
                    byNumber && service.ports.some((port) => port.targetPort === backend.portNumber)
                        ? ` (${shown(backend.portNumber)} is a targetPort; an Ingress names the Service's own port)`
                        : "";
                report(
                    formatProblem({
                        key: "",
                        message: `${where} asks for port ${shown(byNumber ? backend.portNumber : backend.portName)} of ${service.description}, which has ${servicePortText(service)}${targetHint}`,
                        fix: `use one of the Service's port ${byNumber ? "numbers" : "names"}`,
                    }),
                    ingress.resource.urn,
                );
            }
        };
        backendsOf(ingress).forEach(check);
    }
}

export const ingressClass: StackValidationPolicy = {
    name: INGRESS_CLASS,
    description:
        "Every Ingress sets spec.ingressClassName to an IngressClass defined in the stack or allowed by config.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(ingressClassConfig),
    validateStack: (args, reportViolation) =>
        checkIngressClasses(args.resources, configOf(INGRESS_CLASS, ingressClassConfig, args), reportViolation),
};

export const ingressUniqueHostPath: StackValidationPolicy = {
    name: INGRESS_UNIQUE_HOST_PATH,
    description:
        "No two Ingress paths of one class claim the same host, path and pathType; one default backend per class.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkUniqueHostPaths(args.resources, reportViolation),
};

export const ingressBackendExists: StackValidationPolicy = {
    name: INGRESS_BACKEND_EXISTS,
    description: "Every Ingress backend is a Service of the stack in the Ingress's namespace, with the port it names.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(ingressBackendExistsConfig),
    validateStack: (args, reportViolation) =>
        checkBackendsExist(
            args.resources,
            configOf(INGRESS_BACKEND_EXISTS, ingressBackendExistsConfig, args),
            reportViolation,
        ),
};
