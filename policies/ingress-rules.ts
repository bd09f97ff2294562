import type { ResourceValidationPolicy } from "@pulumi/policy";
import { Validator } from "ip-num";
import { isDns1123Subdomain, isIanaServiceName } from "../components/common";
import { IngressBackend, IngressInfo, ingressOf } from "./lib/ingress";
import { shown } from "./lib/values";

export const INGRESS_HOST = "ingress-host";
export const INGRESS_PATHS = "ingress-paths";

const IPV4_SLOPPY = /^\d{1,3}(\.\d{1,3}){3}$/;
const HOST_WITH_PORT = /^(.*):(\d+)$/;

/** An IP address as Kubernetes' sloppy parser sees one (IPv4 with leading zeros included, IPv6 bracketed or not). */
function looksLikeIp(host: string): boolean {
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    return IPV4_SLOPPY.test(bare) || (bare.includes(":") && Validator.isValidIPv6String(bare)[0]);
}

/** Why a host is not acceptable as an Ingress host, and what to write instead; undefined when it is fine. */
export function hostProblem(host: string): string | undefined {
    if (looksLikeIp(host)) {
        return `${shown(host)} is an IP address, but an Ingress host must be a DNS name ("must be a DNS name, not an IP address"); fix: use a DNS name that resolves to a node (e.g. a wildcard DNS service such as web.${IPV4_SLOPPY.test(host) ? host : "192.168.56.10"}.nip.io), or leave host unset to match every host`;
    }
    const withPort = HOST_WITH_PORT.exec(host);
    if (withPort) {
        return `${shown(host)} carries a port; an Ingress host is a bare DNS name (the port comes from the controller's Service); fix: write ${shown(withPort[1])}`;
    }
    if (host !== host.toLowerCase()) {
        return `${shown(host)} has uppercase letters; Ingress hosts are lowercase DNS names; fix: write ${shown(host.toLowerCase())}`;
    }
    if (host.includes("*")) {
        const rest = host.slice(2);
        if (!host.startsWith("*.") || rest.includes("*") || !isDns1123Subdomain(rest) || host.length > 253) {
            return `${shown(host)} is not a valid wildcard host; a "*" may only be the whole first label, as in "*.lab.example"; fix: write "*.${host.replace(/^[^.]*\./, "").replace(/\*/g, "x")}" or a plain DNS name`;
        }
        return undefined;
    }
    if (!isDns1123Subdomain(host)) {
        const trailingDot = host.endsWith(".") ? ` (drop the trailing dot: ${shown(host.slice(0, -1))})` : "";
        return `${shown(host)} is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', labels starting and ending alphanumeric, at most 253 characters)${trailingDot}; fix: use a DNS name such as web.lab.example`;
    }
    return undefined;
}

/** Ingress hosts, in rules and in TLS: DNS names, never IPs, wildcards only as the whole first label. */
export function checkIngressHosts(ingress: IngressInfo, report: (message: string) => void): void {
    const hosts = [...ingress.rules.map((rule) => ({ field: `${rule.field}.host`, host: rule.host })), ...ingress.tlsHosts];
    for (const { field, host } of hosts) {
        if (host === undefined || host === "") {
            continue;
        }
        if (typeof host !== "string") {
            report(`${ingress.description} ${field} is ${shown(host)}, not a host name; fix: write a DNS name such as web.lab.example`);
            continue;
        }
        const problem = hostProblem(host);
        if (problem) {
            report(`${ingress.description} ${field}: ${problem}`);
        }
    }
}

export const PATH_TYPES = ["Exact", "Prefix", "ImplementationSpecific"];
const INVALID_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_SUFFIXES = ["/..", "/."];

function checkBackend(ingress: IngressInfo, backend: IngressBackend, report: (message: string) => void): void {
    const where = `${ingress.description} ${backend.field}`;
    if (backend.hasService === backend.hasResource) {
        report(`${where} ${backend.hasService ? "sets both service and resource" : "sets neither service nor resource"}; fix: set exactly one, normally service: {name, port: {number | name}}`);
        return;
    }
    if (!backend.hasService) {
        return;
    }
    if (typeof backend.serviceName !== "string" || backend.serviceName === "") {
        report(`${where}.service has no name; fix: name the backend Service`);
    }
    const hasNumber = backend.portNumber !== undefined;
    const hasName = backend.portName !== undefined && backend.portName !== "";
    if (hasNumber === hasName) {
        report(`${where}.service.port ${hasNumber ? "sets both number and name" : "sets neither number nor name"}; fix: set one: the Service port's number or its name`);
    } else if (hasNumber && !(typeof backend.portNumber === "number" && Number.isInteger(backend.portNumber) && backend.portNumber >= 1 && backend.portNumber <= 65535)) {
        report(`${where}.service.port.number ${shown(backend.portNumber)} is not a port number; fix: use the Service's port (1-65535), not the container's`);
    } else if (hasName && !(typeof backend.portName === "string" && isIanaServiceName(backend.portName))) {
        report(`${where}.service.port.name ${shown(backend.portName)} is not a valid port name; fix: use the name of one of the Service's ports`);
    }
}

/** Paths and backends as networking.k8s.io/v1 validates them. */
export function checkIngressPaths(ingress: IngressInfo, report: (message: string) => void): void {
    if (ingress.rules.length === 0 && !ingress.defaultBackend) {
        report(`${ingress.description} has neither rules nor a defaultBackend; Kubernetes requires one of them; fix: add a rule with a host and paths`);
    }
    for (const rule of ingress.rules) {
        if (rule.hasHttp && rule.paths.length === 0) {
            report(`${ingress.description} ${rule.field}.http has no paths; fix: add at least one path, e.g. {path: "/", pathType: "Prefix", backend: ...}`);
        }
        for (const path of rule.paths) {
            const where = `${ingress.description} ${path.field}`;
            if (path.pathType === undefined || path.pathType === "") {
                report(`${where} has no pathType, which networking.k8s.io/v1 requires; fix: set pathType: Prefix (or Exact)`);
            } else if (typeof path.pathType !== "string" || !PATH_TYPES.includes(path.pathType)) {
                report(`${where} pathType ${shown(path.pathType)} is not one of ${PATH_TYPES.join(", ")}; fix: use Prefix or Exact`);
            }
            const strict = path.pathType === "Exact" || path.pathType === "Prefix";
            if (path.path === undefined || path.path === "") {
                if (strict) {
                    report(`${where} has no path, but a ${path.pathType as string} path must be absolute; fix: set path: "/"`);
                }
            } else if (typeof path.path !== "string") {
                report(`${where} path ${shown(path.path)} is not a string; fix: write an absolute path such as "/"`);
            } else if (!path.path.startsWith("/")) {
                report(`${where} path ${shown(path.path)} is not absolute; fix: write ${shown(`/${path.path}`)}`);
            } else if (strict) {
                const sequence = INVALID_SEQUENCES.find((bad) => path.path !== undefined && (path.path as string).includes(bad));
                const suffix = INVALID_SUFFIXES.find((bad) => (path.path as string).endsWith(bad));
                if (sequence || suffix) {
                    report(`${where} path ${shown(path.path)} contains ${shown(sequence ?? suffix)}, which Kubernetes refuses in ${path.pathType as string} paths; fix: write the normalized path`);
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
    description: 'Ingress hosts (rules and TLS) are lowercase DNS names without a port, never IP addresses; a "*" only as the whole first label.',
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
    description: "Ingress paths have a pathType (Exact, Prefix, ImplementationSpecific), Exact/Prefix paths are absolute and normalized, every backend names one Service and one port.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const ingress = ingressOf(args);
        if (ingress) {
            checkIngressPaths(ingress, reportViolation);
        }
    },
};
