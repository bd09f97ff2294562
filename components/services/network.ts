import { Problem, keyPath, problemAt } from "../common";
import { AddressPlan, Cidr, DEFAULT_SERVICE_CIDR, IpFamily, addressAt, formatAddress, parseCidr } from "../plan";
import {
    DNS_SERVICE_INDEX,
    KUBERNETES_SERVICE_INDEX,
    NodePortRange,
    hasRoomForDns,
    parseNodePortRange,
} from "../rules";
import { DEFAULT_NODE_PORT_RANGE, ServiceClusterSpec, ServiceNodeAddress } from "./types";

export { NodePortRange, parseNodePortRange };

/** A Service CIDR with the addresses a pinned clusterIP must avoid. */
export interface ServiceRange {
    readonly cidr: Cidr;
    /** The config text, e.g. `10.96.0.0/12`. */
    readonly text: string;
    /** The key that sets it, for fixes. */
    readonly key: string;
    readonly kubernetesIp: bigint;
    readonly dnsIp: bigint;
}

/** The cluster as the services checks, builders and port map see it: parsed, defaults applied. */
export interface ServiceNetwork {
    /** Service CIDRs by family (absent: the cluster has no Services of that family). */
    readonly ranges: Partial<Record<IpFamily, ServiceRange>>;
    readonly nodes: readonly ServiceNodeAddress[];
    /** Undefined when the configured range is invalid (reported as a problem). */
    readonly nodePortRange: NodePortRange | undefined;
    /** The range as configured, for messages. */
    readonly nodePortRangeText: string;
    readonly nodePortRangeKey: string;
    readonly loadBalancer: boolean;
}

/** The parts of an address plan (and the cluster settings beside it) that Services need. */
export function serviceClusterOf(
    plan: AddressPlan,
    cluster: { nodePortRange?: string; loadBalancer?: boolean },
): ServiceClusterSpec {
    return {
        ...(plan.cluster.serviceCidr ? { serviceCidr: plan.cluster.serviceCidr } : {}),
        ...(plan.cluster.serviceCidrV6 ? { serviceCidrV6: plan.cluster.serviceCidrV6 } : {}),
        nodes: plan.nodes.map((node) => ({ name: node.name, ip: node.ip })),
        nodePortRange: cluster.nodePortRange ?? DEFAULT_NODE_PORT_RANGE,
        loadBalancer: cluster.loadBalancer ?? false,
    };
}

/**
 * Resolves what Services need to know about the cluster, reporting bad settings under `clusterKey`
 * (`clusternet:cluster`, `args.cluster`). Never throws: what cannot be parsed is left out and reported.
 */
export function resolveServiceNetwork(
    cluster: ServiceClusterSpec | undefined,
    clusterKey: string,
): { network: ServiceNetwork; problems: Problem[] } {
    const problems: Problem[] = [];
    const spec = cluster ?? {};
    const ranges: Partial<Record<IpFamily, ServiceRange>> = {};
    const v4Text = spec.serviceCidr ?? (spec.serviceCidrV6 === undefined ? DEFAULT_SERVICE_CIDR : undefined);
    for (const [family, field, text] of [
        [IpFamily.IPv4, "serviceCidr", v4Text],
        [IpFamily.IPv6, "serviceCidrV6", spec.serviceCidrV6],
    ] as const) {
        if (text === undefined) {
            continue;
        }
        const key = keyPath(clusterKey, field);
        const parsed = parseCidr(text);
        if (!parsed.ok) {
            problems.push(...parsed.problems.map((problem) => problemAt(problem, key)));
            continue;
        }
        if (parsed.value.family !== family) {
            problems.push({
                key,
                message: `${text} is ${parsed.value.family}, but this key takes ${family}`,
                fix: `move it to ${field.endsWith("V6") ? "serviceCidr" : "serviceCidrV6"}`,
            });
            continue;
        }
        const cidr = parsed.value;
        if (!hasRoomForDns(cidr)) {
            problems.push({
                key,
                message: `${text} has no room for the cluster DNS IP (its 10th address)`,
                fix: "use a larger range, e.g. 10.96.0.0/12",
            });
            continue;
        }
        ranges[family] = {
            cidr,
            text,
            key,
            kubernetesIp: addressAt(cidr, KUBERNETES_SERVICE_INDEX),
            dnsIp: addressAt(cidr, DNS_SERVICE_INDEX),
        };
    }
    const nodePortRangeText = spec.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    const nodePortRangeKey = keyPath(clusterKey, "nodePortRange");
    const range = parseNodePortRange(nodePortRangeText);
    if (!range.ok) {
        problems.push(...range.problems.map((problem) => problemAt(problem, nodePortRangeKey)));
    }
    return {
        network: {
            ranges,
            nodes: spec.nodes ?? [],
            nodePortRange: range.ok ? range.value : undefined,
            nodePortRangeText,
            nodePortRangeKey,
            loadBalancer: spec.loadBalancer ?? false,
        },
        problems,
    };
}

/** The well-known addresses of a Service range, as text. */
export function reservedServiceIps(range: ServiceRange): { kubernetes: string; dns: string } {
    return {
        kubernetes: formatAddress(range.cidr.family, range.kubernetesIp),
        dns: formatAddress(range.cidr.family, range.dnsIp),
    };
}
