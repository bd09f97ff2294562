// By file, not through the components' barrels: those load the component classes and the Pulumi SDK.
import { IngressPlan, RoutePlan } from "../components/ingress/ingress-plan";
import { IngressApi, IngressMode, PathType } from "../components/ingress/types";
import { AddressPlan, FamilyCapacity } from "../components/plan";
import { Placeholder, PortMapEntry } from "../components/services/port-map";
import { Protocol, ServiceType } from "../components/services/types";

/** What `clusternet plan` prints and records: the address plan of one stack, its Services' port maps, and its Ingress. */
export interface PlanDocument extends AddressPlan {
    readonly stack: string;
    /** Every Service port's chain from client to pod, as the config tells it (placeholders for what the cluster picks). */
    readonly portMaps: readonly PortMapJson[];
    /** The Ingress controller and routes, with the commands to try each route; absent without clusternet:ingress. */
    readonly ingress?: IngressPlanJson;
}

/**
 * A port map entry as the plan's JSON has always written it: every key present, null where the component output
 * leaves a key out, and the target port as one value (its number, or its name when no app declares it).
 */
export interface PortMapJson {
    readonly service: string;
    readonly namespace: string;
    readonly type: ServiceType;
    readonly headless: boolean;
    readonly portName: string | null;
    readonly protocol: Protocol;
    readonly clusterIP: string | null;
    readonly nodePort: number | null;
    readonly port: number;
    readonly targetPort: number | string;
    readonly targetPortName: string | null;
    /** On how many nodes a node port holds (every node; the chain shows the first); null for ClusterIP Services. */
    readonly nodeCount: number | null;
    readonly chains: readonly string[];
}

export function portMapJson(entry: PortMapEntry): PortMapJson {
    return {
        service: entry.service,
        namespace: entry.namespace,
        type: entry.type,
        headless: entry.headless,
        portName: entry.portName ?? null,
        protocol: entry.protocol,
        clusterIP: entry.clusterIP ?? null,
        nodePort: entry.nodePort ?? null,
        port: entry.port,
        targetPort: entry.targetPort ?? entry.targetPortName ?? entry.port,
        targetPortName: entry.targetPortName ?? null,
        nodeCount: entry.nodeCount ?? null,
        chains: entry.chains,
    };
}

/** A route as the plan's JSON has always written it: `tlsSecret` null without TLS, each backend port as one value. */
export interface RoutePlanJson {
    readonly host: string;
    readonly namespace: string;
    readonly ingressName: string;
    readonly tlsSecret: string | null;
    readonly paths: ReadonlyArray<{
        readonly path: string;
        readonly pathType: PathType;
        readonly service: string;
        readonly port: number | string;
    }>;
    readonly try: readonly string[];
}

/** The Ingress part of the plan's JSON. */
export type IngressPlanJson = Omit<IngressPlan, "routes"> & { readonly routes: readonly RoutePlanJson[] };

export function routePlanJson(route: RoutePlan): RoutePlanJson {
    return {
        host: route.host,
        namespace: route.namespace,
        ingressName: route.ingressName,
        tlsSecret: route.tlsSecret ?? null,
        paths: route.paths.map((path) => ({
            path: path.path,
            pathType: path.pathType,
            service: path.service,
            port: path.portName ?? path.port ?? "",
        })),
        try: route.try,
    };
}

/** The Ingress plan as JSON: the routes converted, every other key as it is and where it is. */
export function ingressPlanJson(plan: IngressPlan): IngressPlanJson {
    return { ...plan, routes: plan.routes.map(routePlanJson) };
}

export const PlanFormat = {
    Table: "table",
    Json: "json",
    Markdown: "markdown",
} as const;
export type PlanFormat = (typeof PlanFormat)[keyof typeof PlanFormat];

export function planJson(document: PlanDocument): string {
    return `${JSON.stringify(document, null, 2)}\n`;
}

function table(rows: ReadonlyArray<readonly string[]>): string {
    // A loop, not Math.max(...column): a spread of 100,000+ rows overflows the call stack.
    const widths = rows[0]!.map(() => 0);
    for (const row of rows) {
        row.forEach((cell, column) => {
            widths[column] = Math.max(widths[column]!, cell.length);
        });
    }
    return rows
        .map((row) =>
            row
                .map((cell, column) => cell.padEnd(widths[column]!))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

function capacityLine(capacity: FamilyCapacity): string {
    return `/${capacity.nodeMaskSize} per node: ${capacity.used} of ${capacity.maxNodes} node subnets used (${capacity.usedPercent}%), ${capacity.podsPerNode} pod addresses per node`;
}

function rangeRows(document: PlanDocument): string[][] {
    const { cluster, capacity } = document;
    const rows: string[][] = [];
    if (cluster.podCidr && capacity.ipv4) {
        rows.push(["pod CIDR", cluster.podCidr, capacityLine(capacity.ipv4)]);
    }
    if (cluster.podCidrV6 && capacity.ipv6) {
        rows.push(["pod CIDR (IPv6)", cluster.podCidrV6, capacityLine(capacity.ipv6)]);
    }
    if (cluster.serviceCidr) {
        rows.push([
            "Service CIDR",
            cluster.serviceCidr,
            `kubernetes ${document.kubernetesServiceIp}, cluster DNS ${document.dnsServiceIp} (kubelet: --cluster-dns=${document.dnsServiceIp} --cluster-domain=${cluster.dnsDomain})`,
        ]);
    }
    if (cluster.serviceCidrV6) {
        rows.push([
            "Service CIDR (IPv6)",
            cluster.serviceCidrV6,
            `kubernetes ${document.kubernetesServiceIpV6}, cluster DNS ${document.dnsServiceIpV6}`,
        ]);
    }
    if (cluster.nodeNetwork) {
        rows.push(["node network", cluster.nodeNetwork, ""]);
    }
    for (const range of cluster.reserved) {
        rows.push(["reserved", range.cidr, range.name]);
    }
    return rows;
}

function nodeRows(document: PlanDocument): string[][] {
    const dual = document.cluster.families.length === 2;
    const v6Only = !document.cluster.families.includes("IPv4");
    const header = v6Only
        ? ["NODE", "IP", "POD CIDR (IPv6)", "GATEWAY", "SOURCE"]
        : ["NODE", "IP", "POD CIDR", ...(dual ? ["POD CIDR (IPv6)"] : []), "GATEWAY", "VTEP", "SOURCE"];
    const rows = document.nodes.map((node) =>
        v6Only
            ? [node.name, node.ip, node.podCidrV6 ?? "", node.gatewayV6 ?? "", node.podCidrV6Source ?? ""]
            : [
                  node.name,
                  node.ip,
                  node.podCidr ?? "",
                  ...(dual ? [node.podCidrV6 ?? ""] : []),
                  node.gateway ?? "",
                  node.vtep ?? "",
                  node.podCidrSource ?? "",
              ],
    );
    return [header, ...rows];
}

/** Removed nodes still holding their subnets, with what frees each; empty when there are none. */
function retiredRows(document: PlanDocument): string[][] {
    const retired = document.retired ?? [];
    if (retired.length === 0) {
        return [];
    }
    const dual = document.cluster.families.length === 2;
    const v6Only = !document.cluster.families.includes("IPv4");
    const header = v6Only
        ? ["RETIRED NODE", "POD CIDR (IPv6)", "TO FREE IT"]
        : ["RETIRED NODE", "POD CIDR", ...(dual ? ["POD CIDR (IPv6)"] : []), "TO FREE IT"];
    const rows = retired.map((node) => [
        node.name,
        ...(v6Only ? [node.podCidrV6 ?? ""] : [node.podCidr ?? "", ...(dual ? [node.podCidrV6 ?? ""] : [])]),
        `kubectl delete node ${node.name}, then add ${node.name} to clusternet:cluster.released`,
    ]);
    return [header, ...rows];
}

const RETIRED_INTRO =
    "Retired: removed from clusternet:nodes, their subnets stay reserved (a Node keeps its podCIDR) until released:";

/** One row per Service port: where it listens and where it leads. */
function portRows(document: PlanDocument): string[][] {
    const header = ["SERVICE", "TYPE", "PORT", "PROTOCOL", "NODE PORT", "CLUSTER IP", "SERVICE PORT", "TARGET PORT"];
    const rows = document.portMaps.map((entry) => [
        `${entry.namespace}/${entry.service}`,
        entry.headless ? "ClusterIP (headless)" : entry.type,
        entry.portName ?? "",
        entry.protocol,
        entry.type === "ClusterIP" ? "-" : String(entry.nodePort ?? Placeholder.NodePort),
        entry.clusterIP ?? Placeholder.ClusterIP,
        String(entry.port),
        entry.targetPortName !== null && entry.targetPortName !== String(entry.targetPort)
            ? `${entry.targetPort} (${entry.targetPortName})`
            : String(entry.targetPort),
    ]);
    return [header, ...rows];
}

/** Where the node chain also holds: it names the first of `nodeCount` nodes, and comes last (after a load balancer's). */
function otherNodes(entry: PortMapJson, index: number): string {
    const others = (entry.nodeCount ?? 0) - 1;
    return others > 0 && index === entry.chains.length - 1
        ? ` (and on the other ${others} node${others === 1 ? "" : "s"})`
        : "";
}

/** Each port's chains, under a `namespace/service port` heading. */
function chainLines(document: PlanDocument): string[] {
    const lines: string[] = [];
    for (const entry of document.portMaps) {
        lines.push(`${entry.namespace}/${entry.service} ${entry.portName ?? entry.port}/${entry.protocol}:`);
        entry.chains.forEach((chain, index) => lines.push(`  ${chain}${otherNodes(entry, index)}`));
    }
    return lines;
}

/** Appends without spreading: `push(...lines)` overflows the call stack with 100,000+ lines. */
function append(lines: string[], more: readonly string[]): void {
    for (const line of more) {
        lines.push(line);
    }
}

/** One line on the controller: which, its IngressClass, and where it answers. */
function ingressSummary(ingress: IngressPlanJson): string {
    const reach =
        ingress.mode === IngressMode.HostPort
            ? `hostPort: HTTP ${ingress.httpPort}, HTTPS ${ingress.httpsPort} on every node`
            : `NodePort: HTTP ${ingress.httpPort}, HTTPS ${ingress.httpsPort} on every node`;
    const classes = [
        ...(ingress.api !== IngressApi.Gateway ? [`IngressClass ${ingress.ingressClassName}`] : []),
        ...(ingress.gateway
            ? [`GatewayClass ${ingress.gateway.gatewayClassName}, Gateway ${ingress.gateway.gateway}`]
            : []),
    ];
    const api =
        ingress.api === IngressApi.Ingress
            ? ""
            : ` serving ${ingress.api === IngressApi.Both ? "Ingress and HTTPRoutes" : "HTTPRoutes"}`;
    return `Ingress: ${ingress.implementation}${api} (${classes.join(", ")}, namespace ${ingress.namespace}), ${reach}`;
}

function routeRows(ingress: IngressPlanJson): string[][] {
    const rows = ingress.routes.flatMap((route) =>
        route.paths.map((path, index) => [
            index === 0 ? route.host : "",
            index === 0 ? route.namespace : "",
            `${path.path} (${path.pathType})`,
            `${path.service}:${path.port}`,
            index === 0 ? (route.tlsSecret ?? "-") : "",
        ]),
    );
    return [["HOST", "NAMESPACE", "PATH", "BACKEND", "TLS SECRET"], ...rows];
}

function tryLines(ingress: IngressPlanJson): string[] {
    return ingress.routes.flatMap((route) => route.try);
}

function ingressTable(ingress: IngressPlanJson): string[] {
    const lines = [ingressSummary(ingress)];
    if (ingress.routes.length === 0) {
        return [...lines, "no routes (clusternet:ingress.routes is empty)"];
    }
    lines.push("", table(routeRows(ingress)), "", "try, from a machine on the nodes' network:");
    append(
        lines,
        tryLines(ingress).map((command) => `  ${command}`),
    );
    return lines;
}

export function planTable(document: PlanDocument): string {
    const { cluster } = document;
    const lines = [
        `clusternet plan: stack ${document.stack}, cluster ${cluster.name} (${cluster.families.join(" + ")})`,
        "",
    ];
    lines.push(table(rangeRows(document)), "", table(nodeRows(document)));
    const retired = retiredRows(document);
    if (retired.length > 0) {
        lines.push("", RETIRED_INTRO, "", table(retired));
    }
    if (document.portMaps.length > 0) {
        lines.push("", "Service port map (client -> node -> Service -> pod):", "", table(portRows(document)), "");
        append(lines, chainLines(document));
    }
    if (document.ingress) {
        lines.push("");
        append(lines, ingressTable(document.ingress));
    }
    // Warnings are not part of the table: the command prints them to stderr, in every format.
    return `${lines.join("\n")}\n`;
}

/** Control characters (a newline ends a table row or a quote) written as their escapes, on one line. */
function oneLine(text: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
    return text.replace(/[\u0000-\u001f\u007f]/g, (character) => JSON.stringify(character).slice(1, -1));
}

/** Inline code whatever the text holds: a fence longer than any run of backticks in it. */
function code(text: string): string {
    const longest = Math.max(0, ...(oneLine(text).match(/`+/g) ?? []).map((run) => run.length));
    const fence = "`".repeat(longest + 1);
    return longest > 0 ? `${fence} ${oneLine(text)} ${fence}` : `${fence}${oneLine(text)}${fence}`;
}

function markdownTable(rows: ReadonlyArray<readonly string[]>): string {
    // `<clusterIP>` would be read as an HTML tag and vanish: write angle brackets as entities.
    const escape = (cell: string): string =>
        oneLine(cell).replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const [header, ...body] = rows;
    return [
        `| ${header!.map(escape).join(" | ")} |`,
        `|${header!.map(() => "---").join("|")}|`,
        ...body.map((row) => `| ${row.map(escape).join(" | ")} |`),
    ].join("\n");
}

/** Nodes shown in the diagram; a large cluster is summarised after these. */
const DIAGRAM_NODES = 24;

/** A mermaid flowchart of the address space: each range, and the node subnets inside the pod CIDRs. */
export function planMermaid(document: PlanDocument): string {
    const { cluster } = document;
    const lines = ["flowchart LR"];
    // Mermaid's quoted labels: '"' as its entity, and nothing that ends the line.
    const quote = (text: string): string => `"${oneLine(text).replace(/"/g, "#quot;")}"`;
    for (const [id, family, cidr, capacity] of [
        ["pod4", "IPv4", cluster.podCidr, document.capacity.ipv4],
        ["pod6", "IPv6", cluster.podCidrV6, document.capacity.ipv6],
    ] as const) {
        if (!cidr || !capacity) {
            continue;
        }
        lines.push(
            `  subgraph ${id}[${quote(`pod CIDR ${cidr}: ${capacity.used}/${capacity.maxNodes} node subnets`)}]`,
        );
        const shown = document.nodes.slice(0, DIAGRAM_NODES);
        shown.forEach((node, index) => {
            const subnet = family === "IPv4" ? node.podCidr : node.podCidrV6;
            lines.push(`    ${id}n${index}[${quote(`${node.name}: ${subnet}`)}]`);
        });
        if (document.nodes.length > shown.length) {
            lines.push(`    ${id}more[${quote(`... ${document.nodes.length - shown.length} more nodes`)}]`);
        }
        (document.retired ?? []).slice(0, DIAGRAM_NODES).forEach((node, index) => {
            const subnet = family === "IPv4" ? node.podCidr : node.podCidrV6;
            if (subnet) {
                lines.push(`    ${id}r${index}[${quote(`retired ${node.name}: ${subnet}`)}]:::reserved`);
            }
        });
        lines.push("  end");
    }
    if (cluster.serviceCidr) {
        lines.push(
            `  svc4[${quote(`Service CIDR ${cluster.serviceCidr}: kubernetes ${document.kubernetesServiceIp}, DNS ${document.dnsServiceIp}`)}]`,
        );
    }
    if (cluster.serviceCidrV6) {
        lines.push(
            `  svc6[${quote(`Service CIDR ${cluster.serviceCidrV6}: kubernetes ${document.kubernetesServiceIpV6}, DNS ${document.dnsServiceIpV6}`)}]`,
        );
    }
    if (cluster.nodeNetwork) {
        lines.push(`  net[${quote(`node network ${cluster.nodeNetwork}`)}]`);
    }
    cluster.reserved.forEach((range, index) => {
        lines.push(`  r${index}[${quote(`reserved ${range.name} ${range.cidr}`)}]:::reserved`);
    });
    if (cluster.reserved.length > 0 || (document.retired ?? []).length > 0) {
        lines.push("  classDef reserved stroke-dasharray: 5 5");
    }
    return lines.join("\n");
}

export function planMarkdown(document: PlanDocument): string {
    const { cluster } = document;
    const parts = [
        `### clusternet plan: ${code(document.stack)} (cluster ${code(cluster.name)}, ${cluster.families.join(" + ")})`,
        markdownTable([["Range", "CIDR", "Notes"], ...rangeRows(document)]),
        markdownTable(nodeRows(document)),
    ];
    const retired = retiredRows(document);
    if (retired.length > 0) {
        parts.push(RETIRED_INTRO, markdownTable(retired));
    }
    parts.push(["```mermaid", planMermaid(document), "```"].join("\n"));
    if (document.portMaps.length > 0) {
        parts.push(
            "#### Service port map",
            markdownTable(portRows(document)),
            ["```text", ...chainLines(document), "```"].join("\n"),
        );
    }
    if (document.ingress) {
        const ingress = document.ingress;
        parts.push(`#### ${ingressSummary(ingress)}`);
        if (ingress.routes.length === 0) {
            parts.push("No routes (`clusternet:ingress.routes` is empty).");
        } else {
            parts.push(
                markdownTable(routeRows(ingress)),
                ["Try, from a machine on the nodes' network:", "", "```sh", ...tryLines(ingress), "```"].join("\n"),
            );
        }
    }
    if (document.warnings.length > 0) {
        parts.push(
            document.warnings
                .map((warning) => `> **Warning:** ${oneLine(warning).replace(/</g, "&lt;").replace(/>/g, "&gt;")}`)
                .join("\n"),
        );
    }
    return `${parts.join("\n\n")}\n`;
}

export function formatPlan(document: PlanDocument, format: PlanFormat): string {
    switch (format) {
        case PlanFormat.Json:
            return planJson(document);
        case PlanFormat.Markdown:
            return planMarkdown(document);
        case PlanFormat.Table:
            return planTable(document);
    }
}
