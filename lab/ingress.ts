/**
 * Ingress as a controller serves it: which controller serves which Ingress (IngressClass), the merged route table
 * per host with the Ingress spec's matching rules (an oracle the checks use), and the nginx configuration that
 * implements the same table in the controller pod. Pure data.
 */
import {
    BackendRef,
    GatewayClassModel,
    GatewayModel,
    IngressClassModel,
    IngressModel,
    PathType,
    WorkloadModel,
} from "./model";
import { shortHash } from "./names";

export const Controller = {
    Traefik: "traefik.io/ingress-controller",
    IngressNginx: "k8s.io/ingress-nginx",
    /** Traefik's kubernetesgateway provider, as GatewayClasses name it (controllerName). */
    TraefikGateway: "traefik.io/gateway-controller",
} as const;

/** The Gateway API controllerName a workload implements: Traefik with its kubernetesgateway provider on. */
export function gatewayControllerOfWorkload(workload: WorkloadModel): string | undefined {
    const traefik = workload.containers.find((container) => /(^|\/)traefik([:@]|$)/.test(container.image));
    const enabled = traefik?.args.some(
        (arg) => arg === "--providers.kubernetesgateway" || arg === "--providers.kubernetesgateway=true",
    );
    return enabled ? Controller.TraefikGateway : undefined;
}

/** Which controller serves an HTTPRoute: its parent Gateway's class's controllerName. */
export function controllerOfHttpRoute(
    route: IngressModel,
    gateways: readonly GatewayModel[],
    classes: readonly GatewayClassModel[],
): { controller?: string; reason?: string } {
    for (const parent of route.parents ?? []) {
        const gateway = gateways.find((item) => `${item.namespace}/${item.name}` === parent);
        const gatewayClass = classes.find((item) => item.name === gateway?.className);
        if (gatewayClass) {
            return { controller: gatewayClass.controller };
        }
    }
    return {
        reason:
            (route.parents ?? []).length === 0
                ? "it names no parent Gateway"
                : `no rendered Gateway of ${(route.parents ?? []).join(", ")} names a rendered GatewayClass`,
    };
}

/** IngressClass names the two controllers use when a stack renders no IngressClass object. */
const WELL_KNOWN_CLASSES: Readonly<Record<string, string>> = {
    traefik: Controller.Traefik,
    nginx: Controller.IngressNginx,
};

/** The controller (IngressClass spec.controller value) a workload implements, from its image and args. */
export function controllerOfWorkload(workload: WorkloadModel): string | undefined {
    for (const container of workload.containers) {
        const flag = container.args.find((arg) => arg.startsWith("--controller-class="));
        if (/ingress-nginx\/controller|nginx-ingress-controller/.test(container.image)) {
            return flag?.slice("--controller-class=".length) ?? Controller.IngressNginx;
        }
        if (/(^|\/)traefik([:@]|$)/.test(container.image)) {
            return Controller.Traefik;
        }
    }
    return undefined;
}

/** Which controller serves an Ingress: its class's controller, the default class's when it names none. */
export function controllerOfIngress(
    ingress: IngressModel,
    classes: readonly IngressClassModel[],
): { controller?: string; reason?: string } {
    if (ingress.className === undefined) {
        const defaults = classes.filter((item) => item.isDefault);
        if (defaults.length === 1) {
            return { controller: defaults[0]!.controller };
        }
        return {
            reason:
                defaults.length === 0
                    ? "it names no ingressClassName and no IngressClass is the default"
                    : "it names no ingressClassName and several IngressClasses claim to be the default",
        };
    }
    const found = classes.find((item) => item.name === ingress.className);
    if (found) {
        return { controller: found.controller };
    }
    const known = WELL_KNOWN_CLASSES[ingress.className];
    return known ? { controller: known } : { reason: `no IngressClass named ${ingress.className} is rendered` };
}

/** A backend Service port, in the Ingress's namespace. */
export interface ResolvedBackend extends BackendRef {
    readonly namespace: string;
}

export interface RoutePath {
    /** As written in the Ingress. */
    readonly path: string;
    /** Exact keeps it; Prefix (and ImplementationSpecific, served as Prefix) drops a trailing '/'. */
    readonly match: string;
    readonly pathType: "Exact" | "Prefix";
    /** Undefined when the Ingress names a backend the lab cannot serve. */
    readonly backend?: ResolvedBackend;
    /** `namespace/name` of the Ingress that declared it (`HTTPRoute namespace/name` for an HTTPRoute). */
    readonly ingress: string;
    /** Which API declared it. */
    readonly api?: "Ingress" | "HTTPRoute";
}

export interface HostRoutes {
    /** An exact host, a wildcard `*.example.com`, or "" for rules without a host (every host). */
    readonly host: string;
    /**
     * An HTTPRoute's wildcard: `*.example.com` matches names of any depth below example.com (Gateway API); an
     * Ingress wildcard matches exactly one label.
     */
    readonly anyDepth?: boolean;
    readonly paths: readonly RoutePath[];
}

export interface RouteTable {
    readonly hosts: readonly HostRoutes[];
    /** Same host, path and type declared twice: the first (in manifest order) wins, as in ingress-nginx. */
    readonly shadowed: readonly string[];
}

function normalizePrefix(path: string): string {
    const trimmed = path.replace(/\/+$/, "");
    return trimmed === "" ? "/" : trimmed;
}

/**
 * Merges the Ingresses (and HTTPRoutes) one controller serves into one route table per host. An HTTPRoute's
 * wildcard host is its own block (it matches deeper names than an Ingress wildcard). With both APIs serving one
 * host, the Ingress (read first) keeps a path both declare, silently: that overlap is what `api: both` means.
 */
export function routeTable(ingresses: readonly IngressModel[]): RouteTable {
    const hosts = new Map<string, { host: string; anyDepth: boolean; paths: RoutePath[] }>();
    const shadowed: string[] = [];
    for (const ingress of ingresses) {
        const id = `${ingress.namespace}/${ingress.name}`;
        const gateway = ingress.api === "HTTPRoute";
        const label = gateway ? `HTTPRoute ${id}` : id;
        for (const rule of ingress.rules) {
            const host = rule.host ?? "";
            const anyDepth = gateway && host.startsWith("*.");
            const key = `${host}\u0000${anyDepth}`;
            const block = hosts.get(key) ?? { host, anyDepth, paths: [] };
            for (const path of rule.paths) {
                const pathType = path.pathType === PathType.Exact ? "Exact" : "Prefix";
                const match = pathType === "Exact" ? path.path : normalizePrefix(path.path);
                const existing = block.paths.find((item) => item.pathType === pathType && item.match === match);
                if (existing) {
                    if (existing.api === (gateway ? "HTTPRoute" : "Ingress")) {
                        shadowed.push(
                            `${label}: ${host || "*"} ${pathType} ${path.path} is already routed by another rule`,
                        );
                    }
                    continue;
                }
                block.paths.push({
                    path: path.path,
                    match,
                    pathType,
                    backend: path.backend ? { ...path.backend, namespace: ingress.namespace } : undefined,
                    ingress: label,
                    api: gateway ? "HTTPRoute" : "Ingress",
                });
            }
            hosts.set(key, block);
        }
    }
    return {
        hosts: [...hosts.values()].map(({ host, anyDepth, paths }) => ({
            host,
            ...(anyDepth ? { anyDepth: true } : {}),
            paths,
        })),
        shadowed,
    };
}

/**
 * True when a wildcard host `*.a.b` matches `host`: exactly one extra label, as the Ingress spec says, or any
 * number of labels for an HTTPRoute (`anyDepth`), as the Gateway API says.
 */
export function wildcardMatches(pattern: string, host: string, anyDepth = false): boolean {
    if (!pattern.startsWith("*.")) {
        return false;
    }
    const suffix = pattern.slice(1);
    return (
        host.endsWith(suffix) &&
        host.length > suffix.length &&
        (anyDepth || !host.slice(0, -suffix.length).includes("."))
    );
}

/** Which host block serves a request: an exact host, else a matching wildcard, else the rules without a host. */
export function hostFor(table: RouteTable, host: string): HostRoutes | undefined {
    return (
        table.hosts.find((item) => item.host === host) ??
        table.hosts.find((item) => wildcardMatches(item.host, host, item.anyDepth)) ??
        table.hosts.find((item) => item.host === "")
    );
}

/** True when a Prefix path matches a request path element by element (`/foo` matches `/foo/bar`, not `/foobar`). */
export function prefixMatches(match: string, path: string): boolean {
    return match === "/" || path === match || path.startsWith(`${match}/`);
}

export type RouteDecision = { readonly kind: "backend"; readonly route: RoutePath } | { readonly kind: "not-found" };

/**
 * The Ingress spec's decision for a request: the longest matching path wins, Exact before Prefix at equal length;
 * a host block without a matching path answers 404 (server-block semantics, as ingress-nginx does).
 */
export function decideRoute(table: RouteTable, host: string, path: string): RouteDecision {
    const block = hostFor(table, host);
    if (!block) {
        return { kind: "not-found" };
    }
    let best: RoutePath | undefined;
    for (const candidate of block.paths) {
        const matches =
            candidate.pathType === "Exact" ? candidate.match === path : prefixMatches(candidate.match, path);
        if (!matches) {
            continue;
        }
        if (
            !best ||
            candidate.match.length > best.match.length ||
            (candidate.match.length === best.match.length &&
                candidate.pathType === "Exact" &&
                best.pathType === "Prefix")
        ) {
            best = candidate;
        }
    }
    return best ? { kind: "backend", route: best } : { kind: "not-found" };
}

/** An upstream for nginx: the backend's ready endpoints, or why there are none. */
export type Upstream = { readonly servers: readonly string[] } | { readonly unavailable: string };

export interface NginxConfigInput {
    readonly table: RouteTable;
    /** The controller container's HTTP port nginx listens on. */
    readonly listenPort: number;
    /** Who answers 404s: the controller pod, in the pod server's answer format. */
    readonly pod: { readonly name: string; readonly namespace: string; readonly node: string };
    /** Endpoints of a backend (`ip:port`), resolved as the controller resolves them. */
    readonly upstream: (backend: ResolvedBackend) => Upstream;
    /** Folder for nginx's pid, logs and temporary files. */
    readonly runDir: string;
}

function backendKey(backend: ResolvedBackend): string {
    return `${backend.namespace}/${backend.service}:${backend.port}`;
}

function upstreamName(backend: ResolvedBackend): string {
    const readable = `${backend.namespace}_${backend.service}_${backend.port}`.replace(/[^A-Za-z0-9_]/g, "_");
    return `${readable}_${shortHash(backendKey(backend), 6)}`;
}

/**
 * A value as one double-quoted nginx token, for arguments nginx takes literally (location paths, server names):
 * `\` and `"` escaped, and tab, CR and LF written as nginx's `\t`, `\r`, `\n`, so no value can end the token, the
 * directive or the block it sits in. Every value from a manifest goes through this (or `nginxText`).
 */
export function nginxQuote(value: string): string {
    const escaped = value
        .replace(/[\\"]/g, (character) => `\\${character}`)
        .replace(/\t/g, "\\t")
        .replace(/\r/g, "\\r")
        .replace(/\n/g, "\\n");
    return `"${escaped}"`;
}

/** Like `nginxQuote`, for arguments where nginx expands variables (`return`, headers): `$` stays a dollar sign. */
export function nginxText(value: string): string {
    return nginxQuote(value).replace(/\$/g, "${dollar}");
}

/** Text for an nginx `#` comment: on one line whatever it holds. */
export function nginxComment(value: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the file
    return `# ${value.replace(/[\u0000-\u001f\u007f]/g, (character) => JSON.stringify(character).slice(1, -1))}`;
}

/** nginx needs `${dollar}` defined for `nginxText`: put this line in the http block. */
export const NGINX_DOLLAR_VARIABLE = `geo $dollar { default "$"; }`;

function serverName(host: string, anyDepth = false): string {
    if (host.startsWith("*.") && anyDepth) {
        // An HTTPRoute wildcard: any number of labels below the suffix.
        return nginxQuote(`~^.+${host.slice(1).replace(/[.\\^$|?*+()[\]{}]/g, "\\$&")}$`);
    }
    if (host.startsWith("*.")) {
        // nginx's own `*.a.b` also matches deeper names; the Ingress spec allows exactly one label.
        return nginxQuote(`~^[^.]+${host.slice(1).replace(/[.\\^$|?*+()[\]{}]/g, "\\$&")}$`);
    }
    return nginxQuote(host);
}

/**
 * nginx's configuration for an Ingress controller pod: one server per host (wildcards as one-label regexes, rules
 * without a host in the default server), `location = p` for Exact paths, `location = p` plus `location ^~ p/` for
 * Prefix paths (nginx's longest-prefix choice then equals the spec's element-wise longest match), 404 for
 * everything unmatched, and upstreams holding the backends' ready endpoints.
 */
export function nginxConfig(input: NginxConfigInput): string {
    const { table, listenPort, pod, runDir } = input;
    const notFound = `return 404 ${nginxText(`pod=${pod.name} namespace=${pod.namespace} node=${pod.node} port=${listenPort} default-backend=404`)} ;`;
    const upstreams = new Map<string, { name: string; upstream: Upstream }>();
    const proxyTo = (route: RoutePath): string => {
        if (!route.backend) {
            return `return 503 ${nginxText(`${route.ingress}: the backend is not a Service`)};`;
        }
        const key = backendKey(route.backend);
        let entry = upstreams.get(key);
        if (!entry) {
            entry = { name: upstreamName(route.backend), upstream: input.upstream(route.backend) };
            upstreams.set(key, entry);
        }
        return "servers" in entry.upstream
            ? `proxy_pass http://${entry.name};`
            : `return 503 ${nginxText(`${key}: ${entry.upstream.unavailable}`)};`;
    };
    const locations = (block: HostRoutes | undefined): string[] => {
        const lines: string[] = [];
        const paths = block?.paths ?? [];
        const exact = new Set(paths.filter((path) => path.pathType === "Exact").map((path) => path.match));
        for (const route of paths) {
            const comment = nginxComment(`${route.ingress}: ${route.pathType} ${route.path}`);
            if (route.pathType === "Exact") {
                lines.push(`        location = ${nginxQuote(route.match)} { ${proxyTo(route)} } ${comment}`);
            } else if (route.match === "/") {
                lines.push(`        location / { ${proxyTo(route)} } ${comment}`);
            } else {
                if (!exact.has(route.match)) {
                    lines.push(`        location = ${nginxQuote(route.match)} { ${proxyTo(route)} } ${comment}`);
                }
                lines.push(`        location ^~ ${nginxQuote(`${route.match}/`)} { ${proxyTo(route)} } ${comment}`);
            }
        }
        if (!paths.some((path) => path.pathType === "Prefix" && path.match === "/")) {
            lines.push(`        location / { ${notFound} }`);
        }
        return lines;
    };
    const servers: string[] = [];
    const hostless = table.hosts.find((block) => block.host === "");
    servers.push(
        `    server {`,
        `        listen ${listenPort} default_server;`,
        `        server_name _;`,
        ...locations(hostless),
        `    }`,
    );
    for (const block of table.hosts.filter((item) => item.host !== "")) {
        servers.push(
            `    server {`,
            `        listen ${listenPort};`,
            `        server_name ${serverName(block.host, block.anyDepth)};`,
            ...locations(block),
            `    }`,
        );
    }
    const upstreamBlocks: string[] = [];
    for (const { name, upstream } of upstreams.values()) {
        if ("servers" in upstream) {
            upstreamBlocks.push(
                `    upstream ${name} {`,
                ...upstream.servers.map((server) => `        server ${server};`),
                `    }`,
            );
        }
    }
    // The state folder is the user's (--state-dir): quoted, as every path nginx.conf names.
    const file = (name: string): string => nginxQuote(`${runDir}/${name}`);
    return [
        nginxComment(
            `Written by clusternet lab: the Ingress controller in pod ${pod.namespace}/${pod.name}, served by nginx.`,
        ),
        `worker_processes 1;`,
        `pid ${file("nginx.pid")};`,
        `error_log ${file("error.log")} warn;`,
        `events { worker_connections 256; }`,
        `http {`,
        `    access_log ${file("access.log")};`,
        `    client_body_temp_path ${file("client_body")};`,
        `    proxy_temp_path ${file("proxy")};`,
        `    fastcgi_temp_path ${file("fastcgi")};`,
        `    uwsgi_temp_path ${file("uwsgi")};`,
        `    scgi_temp_path ${file("scgi")};`,
        `    server_names_hash_bucket_size 128;`,
        `    default_type text/plain;`,
        `    ${NGINX_DOLLAR_VARIABLE}`,
        `    proxy_http_version 1.1;`,
        `    proxy_set_header Host $host;`,
        `    proxy_connect_timeout 2s;`,
        `    proxy_read_timeout 5s;`,
        ...upstreamBlocks,
        ...servers,
        `}`,
        ``,
    ].join("\n");
}
