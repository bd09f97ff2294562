import type * as k8s from "@pulumi/kubernetes";
import { Validator } from "ip-num";
import {
    COMBINED_PORT_FIELDS,
    PortNameField,
    Problem,
    DNS1123_LABEL_SYNTAX,
    isDns1123Subdomain,
    URL_PATH,
    keyPath,
    percentEncodePath,
    Result,
    fail,
    ok,
    problemAt,
    show,
} from "../common";
import { parseAddress } from "../plan";
import { ingressBackendPortNameFindings } from "../rules/ingress-backends";
import { findServiceBackend } from "../services/backend";
import { SKIP_AWAIT_ANNOTATION } from "../services/builders";
import { BackendService, IngressPathSpec, IngressRouteSpec, PathType } from "./types";

const LABEL_RULE = "lowercase letters, digits and '-', starting and ending with a letter or digit";

/**
 * Whether the text is an IP address in any spelling (Kubernetes refuses those as hosts): canonical or not, so
 * leading zeros, upper case and uncompressed IPv6 count too, as do brackets around IPv6.
 */
function looksLikeIp(text: string): boolean {
    const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
    return parseAddress(bare).ok || /^\d{1,3}(\.\d{1,3}){3}$/.test(bare) || Validator.isValidIPv6String(bare)[0];
}

/**
 * Checks an Ingress host as the API server does (networking/v1 validation): a DNS-1123 subdomain, lowercase,
 * at most 253 characters, a wildcard only as the whole first label, never an IP address, and no port. On top,
 * unless `fullyQualified` is false (the policy pack, judging any Ingress), the seed's rule: a fully qualified
 * name, with at least two labels besides any wildcard.
 */
export function hostFindings(host: string, { fullyQualified = true }: { fullyQualified?: boolean } = {}): Problem[] {
    if (host.length === 0) {
        return [{ key: "", message: "is empty", fix: "write the DNS name clients use, e.g. web.lab.example" }];
    }
    const findings: Problem[] = [];
    let name = host;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(host);
    if (portMatch && !portMatch[1]!.includes(":")) {
        name = portMatch[1]!;
        findings.push({
            key: "",
            message: `${show(host)} includes a port`,
            fix: `write ${show(name)}: the controller's ports come from clusternet:ingress.controller, not from the host`,
        });
    } else if (/^\[.*\]:\d+$/.test(host)) {
        name = host.slice(0, host.lastIndexOf(":"));
        findings.push({ key: "", message: `${show(host)} includes a port`, fix: "remove the port" });
    }
    if (looksLikeIp(name)) {
        findings.push({
            key: "",
            message: `${show(name)} must be a DNS name, not an IP address`,
            fix: "use a name such as web.lab.example and point it at a node (DNS, /etc/hosts, or curl -H 'Host: …')",
        });
        return findings;
    }
    if (name !== name.toLowerCase()) {
        findings.push({
            key: "",
            message: `${show(name)} has upper-case letters; Kubernetes accepts only lower case`,
            fix: `write ${show(name.toLowerCase())}`,
        });
        name = name.toLowerCase();
    }
    if (name.endsWith(".")) {
        findings.push({
            key: "",
            message: `${show(name)} ends with a dot`,
            fix: `write ${show(name.replace(/\.+$/, ""))}: an Ingress host is written without the root dot`,
        });
        return findings;
    }
    let base = name;
    if (name.includes("*")) {
        if (!name.startsWith("*.") || name.indexOf("*", 1) >= 0) {
            findings.push({
                key: "",
                message: `${show(name)} has a wildcard that is not the whole first label`,
                fix: "a wildcard may only be the whole first label, as in *.lab.example",
            });
            return findings;
        }
        base = name.slice(2);
    }
    if (name.length > 253) {
        findings.push({ key: "", message: `is ${name.length} characters long`, fix: "use at most 253 characters" });
    }
    // Kubernetes limits the whole host to 253 characters, not each label to 63 (IsDNS1123Subdomain).
    const badLabels = base.split(".").filter((label) => !DNS1123_LABEL_SYNTAX.test(label));
    if (badLabels.length > 0) {
        findings.push({
            key: "",
            message: `${show(name)} is not a DNS-1123 subdomain: ${badLabels.map((label) => (label === "" ? "an empty label" : show(label))).join(", ")}`,
            fix: `make every dot-separated label ${LABEL_RULE}`,
        });
    } else if (fullyQualified && !base.includes(".")) {
        findings.push({
            key: "",
            message: `${show(name)} is not a fully qualified domain name`,
            fix: name.startsWith("*.")
                ? `cover a domain of at least two labels, e.g. *.${base}.example`
                : `use a full name such as ${base}.lab.example`,
        });
    }
    return findings;
}

const INVALID_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES = ["/..", "/."];

/** Regular-expression and glob syntax, which an Exact or Prefix path would match literally. */
const PATTERN_SYNTAX = /\*|\?|\[|\]|\{|\}|\^|\||\\|\.\+|\$$|\(.*\)/;

/** The literal prefix a pattern most likely meant: `/api/*` and `/api/.*` mean `/api`. */
function literalPrefix(path: string): string {
    const cut = path.search(PATTERN_SYNTAX);
    const literal = /^[-A-Za-z0-9/._~!&'+,;=:@]*/.exec(cut < 0 ? path : path.slice(0, cut))![0];
    const head = literal.replace(/[/.]+$/, "").replace(/\/{2,}/g, "/");
    return head.startsWith("/") && !/\/\.\.?(\/|$)/.test(head) ? head : "/";
}

/**
 * Characters no controller should get unencoded: control characters, spaces, non-ASCII, '"' and '`'. An
 * ImplementationSpecific path may use a controller's regular-expression syntax, but only in printable ASCII; what
 * is left is quoted where it is written (nginx.conf, shell, markdown).
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const UNSAFE_IN_ANY_PATH = /[\u0000-\u0020\u007f-\uffff"`]/u;

/**
 * Checks a path as the API server does for its pathType (Exact and Prefix paths are absolute and clean), and, as
 * Gateway API and the controllers do, that it holds only URL path characters: an Exact or Prefix path only RFC
 * 3986's, with no regex or glob syntax (it is matched literally), an ImplementationSpecific path no control
 * characters, spaces or non-ASCII. The paths end up in nginx.conf, shell commands and markdown.
 */
export function pathFindings(path: string, pathType: string): Problem[] {
    const findings: Problem[] = [];
    switch (pathType) {
        case PathType.Exact:
        case PathType.Prefix:
            if (PATTERN_SYNTAX.test(path)) {
                findings.push({
                    key: "",
                    message: `${show(path)} uses regex or glob syntax, but a ${pathType} path is matched literally (/* is not a wildcard)`,
                    fix:
                        pathType === PathType.Prefix
                            ? `write ${show(literalPrefix(path))}: a Prefix path already matches everything below it`
                            : `write ${show(literalPrefix(path))} (the literal path), or use pathType Prefix`,
                });
            } else if (!URL_PATH.test(path)) {
                findings.push({
                    key: "",
                    message: `${show(path)} holds characters a URL path cannot (RFC 3986: letters, digits and -._~!$&'()*+,;=:@/ or %XX)`,
                    fix: `percent-encode them: write ${show(percentEncodePath(path))}`,
                });
            }
            if (!path.startsWith("/")) {
                findings.push({
                    key: "",
                    message: `${show(path)} must be an absolute path`,
                    fix: `start it with /, e.g. ${show(`/${path}`)}`,
                });
            }
            for (const sequence of INVALID_PATH_SEQUENCES) {
                if (path.includes(sequence)) {
                    findings.push({
                        key: "",
                        message: `${show(path)} must not contain '${sequence}'`,
                        fix: "write the path in its plain, normalised form",
                    });
                }
            }
            for (const suffix of INVALID_PATH_SUFFIXES) {
                if (path.endsWith(suffix)) {
                    findings.push({
                        key: "",
                        message: `${show(path)} cannot end with '${suffix}'`,
                        fix: "write the path in its plain, normalised form",
                    });
                }
            }
            break;
        case PathType.ImplementationSpecific:
            if (UNSAFE_IN_ANY_PATH.test(path)) {
                findings.push({
                    key: "",
                    message: `${show(path)} holds control characters, spaces, '"', '\`' or non-ASCII characters`,
                    fix: `percent-encode them: write ${show(percentEncodePath(path))}`,
                });
            }
            if (path.length > 0 && !path.startsWith("/")) {
                findings.push({
                    key: "",
                    message: `${show(path)} must be an absolute path`,
                    fix: `start it with /, e.g. ${show(`/${path}`)}`,
                });
            }
            break;
        default:
            findings.push({
                key: "",
                message: `${show(pathType)} is not a pathType`,
                fix: `use ${Object.values(PathType).join(", ")}`,
            });
    }
    return findings;
}

/** The Ingress name (and resource name) for a host: the host itself, with a leading `*` spelled `wildcard`. */
export function ingressNameForHost(host: string): string {
    return host.startsWith("*.") ? `wildcard.${host.slice(2)}` : host;
}

/** One path of a validated route, its backend resolved. */
export interface ResolvedPath {
    readonly path: string;
    readonly pathType: PathType;
    readonly service: string;
    /** The backend port as the route names it: by name or by number. */
    readonly port: number | string;
    /** The backend Service port's number, resolved from the Service's spec (an HTTPRoute backendRef needs it). */
    readonly portNumber: number;
}

/** A validated route: one Ingress named after its host, in its backends' namespace. */
export interface ResolvedRoute {
    readonly host: string;
    readonly ingressName: string;
    readonly namespace: string;
    readonly tlsSecret: string | null;
    readonly paths: readonly ResolvedPath[];
}

/**
 * Validates every route at once and resolves it: hosts and paths as Kubernetes checks them, hosts unique (one
 * route, one Ingress per host), host+path unique, each backend an existing Service port of the stack, and all of
 * a route's backends in one namespace (an Ingress reaches only Services in its own namespace; rather than split
 * a host across namespaces, which would make a namespace move a create-before-delete collision, it is refused).
 * `root` names the routes list, e.g. `clusternet:ingress.routes`; `portNameField` names a backend port given by name
 * (`portName` in args, `port` in the stack config, where one key takes a number or a name).
 */
export function validateRoutes(
    routes: readonly IngressRouteSpec[],
    services: readonly BackendService[],
    root: string,
    portNameField: PortNameField = COMBINED_PORT_FIELDS,
): Result<readonly ResolvedRoute[]> {
    const problems: Problem[] = [];
    const resolved: ResolvedRoute[] = [];
    const hostOwner = new Map<string, number>();
    const nameOwner = new Map<string, number>();
    routes.forEach((route, routeIndex) => {
        const routeKey = (...segments: Array<string | number>): string => keyPath(root, routeIndex, ...segments);
        const host = typeof route.host === "string" ? route.host : "";
        const hostIssues = hostFindings(host);
        problems.push(...hostIssues.map((finding) => problemAt(finding, routeKey("host"))));
        const ingressName = ingressNameForHost(host);
        if (hostIssues.length === 0) {
            const earlier = hostOwner.get(host);
            if (earlier !== undefined) {
                problems.push({
                    key: routeKey("host"),
                    message: `${show(host)} is already the host of ${keyPath(root, earlier)}`,
                    fix: "merge the two routes' paths into one route: each host is one Ingress",
                });
            } else if (nameOwner.has(ingressName)) {
                problems.push({
                    key: routeKey("host"),
                    message: `${show(host)} gives the same Ingress name (${ingressName}) as the host of ${keyPath(root, nameOwner.get(ingressName)!)}`,
                    fix: "use one of the two hosts only",
                });
            } else if (ingressName.length > 253) {
                problems.push({
                    key: routeKey("host"),
                    message: `is too long once its wildcard is spelled out as the Ingress name ${show(ingressName.slice(0, 40))}…`,
                    fix: "use a shorter host",
                });
            }
            hostOwner.set(host, hostOwner.get(host) ?? routeIndex);
            nameOwner.set(ingressName, nameOwner.get(ingressName) ?? routeIndex);
        }
        if (route.tlsSecret !== undefined && !isDns1123Subdomain(route.tlsSecret)) {
            problems.push({
                key: routeKey("tlsSecret"),
                message: `${show(route.tlsSecret)} is not a Secret name`,
                fix: `name a kubernetes.io/tls Secret: ${LABEL_RULE}, dot-separated`,
            });
        }
        if (!Array.isArray(route.paths) || route.paths.length === 0) {
            problems.push({
                key: routeKey("paths"),
                message: "has no paths",
                fix: "add at least one, e.g. { path: /, service: web, port: http }",
            });
        }
        const paths: ResolvedPath[] = [];
        const pathOwner = new Map<string, number>();
        let namespace: { name: string; pathIndex: number } | undefined;
        (Array.isArray(route.paths) ? route.paths : []).forEach((spec: IngressPathSpec, pathIndex) => {
            const path = spec.path ?? "/";
            const pathType = spec.pathType ?? PathType.Prefix;
            const field = (Object.values(PathType) as string[]).includes(pathType) ? "path" : "pathType";
            problems.push(
                ...pathFindings(path, pathType).map((finding) =>
                    problemAt(finding, routeKey("paths", pathIndex, field)),
                ),
            );
            const earlier = pathOwner.get(path);
            if (earlier !== undefined) {
                problems.push({
                    key: routeKey("paths", pathIndex, "path"),
                    message: `${show(path)} on ${show(host)} is already routed by ${routeKey("paths", earlier)}`,
                    fix: "keep one of them: a host+path goes to exactly one backend",
                });
            } else {
                pathOwner.set(path, pathIndex);
            }
            const nameField = portNameField("port");
            if (spec.port !== undefined && spec.portName !== undefined) {
                problems.push({
                    key: routeKey("paths", pathIndex, nameField),
                    message: "is set together with port, but a backend port is given by number or by name, not both",
                    fix: "remove one of them",
                });
                return;
            }
            const port = spec.portName ?? spec.port;
            if (typeof port !== "number" && typeof port !== "string") {
                const fix =
                    nameField === "port"
                        ? "name the Service's port, by name or number"
                        : `name the Service's port: its number as port, or its name as ${nameField}`;
                problems.push({ key: routeKey("paths", pathIndex, "port"), message: "is required", fix });
                return;
            }
            const lookup = findServiceBackend(services, { service: spec.service, namespace: spec.namespace, port });
            if (!lookup.ok) {
                for (const problem of lookup.problems) {
                    const field = problem.key === "port" && spec.portName !== undefined ? nameField : problem.key;
                    problems.push(problemAt(problem, routeKey("paths", pathIndex, field)));
                }
                return;
            }
            if (typeof port === "string") {
                const portNumber = services[lookup.value.serviceIndex]!.ports.find(
                    (entry) => entry.name === port,
                )?.port;
                const bad = ingressBackendPortNameFindings(port, routeKey("paths", pathIndex, nameField), portNumber);
                if (bad.length > 0) {
                    problems.push(...bad);
                    return;
                }
            }
            if (lookup.value.protocol !== "TCP") {
                const tcpPorts = services[lookup.value.serviceIndex]!.ports.filter(
                    (port) => (port.protocol ?? "TCP") === "TCP",
                );
                problems.push({
                    key: routeKey("paths", pathIndex, spec.portName !== undefined ? nameField : "port"),
                    message: `port ${show(port)} of Service ${lookup.value.namespace}/${lookup.value.service} carries ${lookup.value.protocol}, but an Ingress routes HTTP, which needs TCP`,
                    fix: `route to a TCP port: ${tcpPorts.map((port) => (port.name ? `${port.name} (${port.port})` : String(port.port))).join(", ") || "the Service has none"}`,
                });
                return;
            }
            const backendNamespace = lookup.value.namespace;
            if (namespace === undefined) {
                namespace = { name: backendNamespace, pathIndex };
            } else if (namespace.name !== backendNamespace) {
                problems.push({
                    key: routeKey("paths", pathIndex, "service"),
                    message: `Service ${backendNamespace}/${spec.service} is in namespace ${backendNamespace}, but ${routeKey("paths", namespace.pathIndex)} routes to namespace ${namespace.name}; an Ingress reaches only Services in its own namespace`,
                    fix: "route this host to Services of one namespace only (use another host for the others, or move the Services together)",
                });
            }
            paths.push({ path, pathType, service: spec.service, port, portNumber: lookup.value.port });
        });
        if (namespace !== undefined) {
            resolved.push({ host, ingressName, namespace: namespace.name, tlsSecret: route.tlsSecret ?? null, paths });
        }
    });
    return problems.length > 0 ? fail(problems) : ok(resolved);
}

/** What an Ingress needs from its controller. */
export interface IngressClassInfo {
    readonly ingressClassName: string;
    readonly publishesStatus: boolean;
}

/**
 * One standard networking.k8s.io/v1 Ingress for a route: named after its host, in its backends' namespace, with
 * the controller's IngressClass. When the controller writes no status, `pulumi.com/skipAwait` keeps `pulumi up`
 * from waiting ten minutes for a load balancer address nobody will publish.
 */
export function buildIngress(
    route: ResolvedRoute,
    controller: IngressClassInfo,
): k8s.types.input.networking.v1.Ingress {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: {
            name: route.ingressName,
            namespace: route.namespace,
            labels: { "app.kubernetes.io/part-of": "clusternet" },
            ...(controller.publishesStatus ? {} : { annotations: { [SKIP_AWAIT_ANNOTATION]: "true" } }),
        },
        spec: {
            ingressClassName: controller.ingressClassName,
            ...(route.tlsSecret !== null ? { tls: [{ hosts: [route.host], secretName: route.tlsSecret }] } : {}),
            rules: [
                {
                    host: route.host,
                    http: {
                        paths: route.paths.map((path) => ({
                            path: path.path,
                            pathType: path.pathType,
                            backend: {
                                service: {
                                    name: path.service,
                                    port: typeof path.port === "number" ? { number: path.port } : { name: path.port },
                                },
                            },
                        })),
                    },
                },
            ],
        },
    };
}
