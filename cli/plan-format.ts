// By file, not through the components' barrels: those load the component classes and the Pulumi SDK.
import { IngressPlan, RoutePlan } from "../components/ingress/ingress-plan";
import { IngressMode, PathType } from "../components/ingress/types";
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
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
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

/** Each port's chains, under a `namespace/service port` heading. */
function chainLines(document: PlanDocument): string[] {
    return document.portMaps.flatMap((entry) => [
        `${entry.namespace}/${entry.service} ${entry.portName ?? entry.port}/${entry.protocol}:`,
        ...entry.chains.map((chain) => `  ${chain}`),
    ]);
}

/** One line on the controller: which, its IngressClass, and where it answers. */
function ingressSummary(ingress: IngressPlanJson): string {
    const reach =
        ingress.mode === IngressMode.HostPort
            ? `hostPort: HTTP ${ingress.httpPort}, HTTPS ${ingress.httpsPort} on every node`
            : `NodePort: HTTP ${ingress.httpPort}, HTTPS ${ingress.httpsPort} on every node`;
    return `Ingress: ${ingress.implementation} (IngressClass ${ingress.ingressClassName}, namespace ${ingress.namespace}), ${reach}`;
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
    lines.push(
        "",
        table(routeRows(ingress)),
        "",
        "try, from a machine on the nodes' network:",
        ...tryLines(ingress).map((command) => `  ${command}`),
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
    if (document.portMaps.length > 0) {
        lines.push(
            "",
            "Service port map (client -> node -> Service -> pod):",
            "",
            table(portRows(document)),
            "",
            ...chainLines(document),
        );
    }
    if (document.ingress) {
        lines.push("", ...ingressTable(document.ingress));
    }
    if (document.warnings.length > 0) {
        lines.push("", ...document.warnings.map((warning) => `warning: ${warning}`));
    }
    return `${lines.join("\n")}\n`;
}

function markdownTable(rows: ReadonlyArray<readonly string[]>): string {
    // `<clusterIP>` would be read as an HTML tag and vanish: write angle brackets as entities.
    const escape = (cell: string): string => cell.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
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
    const quote = (text: string): string => `"${text.replace(/"/g, "#quot;")}"`;
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
    if (cluster.reserved.length > 0) {
        lines.push("  classDef reserved stroke-dasharray: 5 5");
    }
    return lines.join("\n");
}

export function planMarkdown(document: PlanDocument): string {
    const { cluster } = document;
    const parts = [
        `### clusternet plan: \`${document.stack}\` (cluster \`${cluster.name}\`, ${cluster.families.join(" + ")})`,
        markdownTable([["Range", "CIDR", "Notes"], ...rangeRows(document)]),
        markdownTable(nodeRows(document)),
        ["```mermaid", planMermaid(document), "```"].join("\n"),
    ];
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
        parts.push(document.warnings.map((warning) => `> **Warning:** ${warning}`).join("\n"));
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
