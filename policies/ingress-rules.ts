import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { ingressBackendPortNameFindings } from "../components/rules";
import { hostFindings, pathFindings } from "../components/ingress/routes";
import { PathType } from "../components/ingress/types";
import { IngressBackend, IngressInfo, ingressOf } from "./lib/ingress";
import { shown } from "./lib/values";

export const INGRESS_HOST = "ingress-host";
export const INGRESS_PATHS = "ingress-paths";

/** Why a host is not acceptable as an Ingress host, and what to write instead; undefined when it is fine. */
export function hostProblem(host: string): string | undefined {
    // The same rules the stack's config is checked with, without the seed's extra "fully qualified" rule.
    const [finding] = hostFindings(host, { fullyQualified: false });
    return finding ? formatProblem(finding) : undefined;
}

/** Ingress hosts, in rules and in TLS: DNS names, never IPs, wildcards only as the whole first label. */
export function checkIngressHosts(ingress: IngressInfo, report: (message: string) => void): void {
    const hosts = [
        ...ingress.rules.map((rule) => ({ field: `${rule.field}.host`, host: rule.host })),
        ...ingress.tlsHosts,
    ];
    for (const { field, host } of hosts) {
        if (host === undefined || host === "") {
            continue;
        }
        if (typeof host !== "string") {
            report(
                formatProblem({
                    key: "",
                    message: `${ingress.description} ${field} is ${shown(host)}, not a host name`,
                    fix: "write a DNS name such as web.lab.example",
                }),
            );
            continue;
        }
        const problem = hostProblem(host);
        if (problem) {
            report(`${ingress.description} ${field}: ${problem}`);
        }
    }
}

export const PATH_TYPES: string[] = Object.values(PathType);

function checkBackend(ingress: IngressInfo, backend: IngressBackend, report: (message: string) => void): void {
    const where = `${ingress.description} ${backend.field}`;
    if (backend.hasService === backend.hasResource) {
        report(
            formatProblem({
                key: "",
                message: `${where} ${backend.hasService ? "sets both service and resource" : "sets neither service nor resource"}`,
                fix: "set exactly one, normally service: {name, port: {number | name}}",
            }),
        );
        return;
    }
    if (!backend.hasService) {
        return;
    }
    if (typeof backend.serviceName !== "string" || backend.serviceName === "") {
        report(formatProblem({ key: "", message: `${where}.service has no name`, fix: "name the backend Service" }));
    }
    const hasNumber = backend.portNumber !== undefined;
    const hasName = backend.portName !== undefined && backend.portName !== "";
    if (hasNumber === hasName) {
        report(
            formatProblem({
                key: "",
                message: `${where}.service.port ${hasNumber ? "sets both number and name" : "sets neither number nor name"}`,
                fix: "set one: the Service port's number or its name",
            }),
        );
    } else if (
        hasNumber &&
        !(
            typeof backend.portNumber === "number" &&
            Number.isInteger(backend.portNumber) &&
            backend.portNumber >= 1 &&
            backend.portNumber <= 65535
        )
    ) {
        report(
            formatProblem({
                key: "",
                message: `${where}.service.port.number ${shown(backend.portNumber)} is not a port number`,
                fix: "use the Service's port (1-65535), not the container's",
            }),
        );
    } else if (hasName) {
        for (const problem of ingressBackendPortNameFindings(backend.portName, `${where}.service.port.name`)) {
            report(formatProblem(problem));
        }
    }
}

/** Paths and backends as networking.k8s.io/v1 validates them. */
export function checkIngressPaths(ingress: IngressInfo, report: (message: string) => void): void {
    if (ingress.rules.length === 0 && !ingress.defaultBackend) {
        report(
            formatProblem({
                key: "",
                message: `${ingress.description} has neither rules nor a defaultBackend; Kubernetes requires one of them`,
                fix: "add a rule with a host and paths",
            }),
        );
    }
    for (const rule of ingress.rules) {
        if (rule.hasHttp && rule.paths.length === 0) {
            report(
                formatProblem({
                    key: "",
                    message: `${ingress.description} ${rule.field}.http has no paths`,
                    fix: `add at least one path, e.g. {path: "/", pathType: "Prefix", backend: ...}`,
                }),
            );
        }
        for (const path of rule.paths) {
            const where = `${ingress.description} ${path.field}`;
            if (path.pathType === undefined || path.pathType === "") {
                report(
                    formatProblem({
                        key: "",
                        message: `${where} has no pathType, which networking.k8s.io/v1 requires`,
                        fix: "set pathType: Prefix (or Exact)",
                    }),
                );
            } else if (typeof path.pathType !== "string" || !PATH_TYPES.includes(path.pathType)) {
                report(
                    formatProblem({
                        key: "",
                        message: `${where} pathType ${shown(path.pathType)} is not one of ${PATH_TYPES.join(", ")}`,
                        fix: "use Prefix or Exact",
                    }),
                );
            }
            const strict = path.pathType === "Exact" || path.pathType === "Prefix";
            if (path.path === undefined || path.path === "") {
                if (strict) {
                    report(
                        formatProblem({
                            key: "",
                            message: `${where} has no path, but a ${path.pathType as string} path must be absolute`,
                            fix: `set path: "/"`,
                        }),
                    );
                }
            } else if (typeof path.path !== "string") {
                report(
                    formatProblem({
                        key: "",
                        message: `${where} path ${shown(path.path)} is not a string`,
                        fix: `write an absolute path such as "/"`,
                    }),
                );
            } else if (!path.path.startsWith("/")) {
                report(
                    formatProblem({
                        key: "",
                        message: `${where} path ${shown(path.path)} is not absolute`,
                        fix: `write ${shown(`/${path.path}`)}`,
                    }),
                );
            } else if (strict) {
                for (const finding of pathFindings(path.path, path.pathType)) {
                    report(formatProblem({ key: "", message: `${where} path ${finding.message}`, fix: finding.fix }));
                }
            }
            checkBackend(ingress, path.backend, report);
        }
    }
    if (ingress.defaultBackend) {
        checkBackend(ingress, ingress.defaultBackend, report);
    }
}

export const ingressHost: ResourceValidationPolicy = {
    name: INGRESS_HOST,
    description:
        'Ingress hosts (rules and TLS) are lowercase DNS names without a port, never IP addresses; a "*" only as the whole first label.',
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const ingress = ingressOf(args);
        if (ingress) {
            checkIngressHosts(ingress, reportViolation);
        }
    },
};

export const ingressPaths: ResourceValidationPolicy = {
    name: INGRESS_PATHS,
    description:
        "Ingress paths have a pathType (Exact, Prefix, ImplementationSpecific), Exact/Prefix paths are absolute and normalized, every backend names one Service and one port.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const ingress = ingressOf(args);
        if (ingress) {
            checkIngressPaths(ingress, reportViolation);
        }
    },
};
