/**
 * kube-proxy's nftables mode and flannel's EnableNFTables, as the nft scripts they load: pure data, compared with
 * kubernetes' pkg/proxy/nftables (proxier.go and the expected rules in proxier_test.go) and flannel's
 * pkg/trafficmngr/nftables. One table per family (`ip kube-proxy`), verdict maps keyed by address . protocol . port
 * (`service-ips`) and protocol . port (`service-nodeports`), a chain per Service port and per endpoint, random
 * endpoint choice with `numgen random mod N vmap`, and the 0x4000 masquerade mark.
 */
import { createHash } from "node:crypto";
import { Endpoint, PlannedService, PlannedServicePort } from "./kube-proxy";

export const KUBE_PROXY_TABLE = "kube-proxy";
export const FLANNEL_TABLE = "flannel-ipv4";
export const NFT_MASQUERADE_MARK = "0x4000";
/** nftables' limit on chain names; kube-proxy truncates longer names (hashAndTruncate). */
const CHAIN_NAME_MAX_LENGTH = 256;

/** kube-proxy's hashAndTruncate: the first 8 characters of base32(sha256(name)), a dash, the name. */
export function hashAndTruncate(name: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const bytes = createHash("sha256").update(name).digest();
    let out = "";
    let value = 0;
    let bits = 0;
    for (const byte of bytes) {
        value = ((value << 8) | byte) & 0xffff;
        bits += 8;
        while (bits >= 5 && out.length < 8) {
            out += alphabet[(value >>> (bits - 5)) & 31];
            bits -= 5;
        }
        if (out.length >= 8) {
            break;
        }
    }
    const hashed = `${out}-${name}`;
    return hashed.length > CHAIN_NAME_MAX_LENGTH ? `${hashed.slice(0, CHAIN_NAME_MAX_LENGTH - 3)}...` : hashed;
}

/** `namespace/name/protocol/port`: kube-proxy's servicePortChainNameBase (port names and namespaces need no escaping). */
export function chainNameBase(port: PlannedServicePort): string {
    const [namespaceAndName, portName = ""] = port.id.split(":");
    return `${namespaceAndName}/${port.protocol.toLowerCase()}/${portName}`;
}
export function nftServiceChain(port: PlannedServicePort): string {
    return `service-${hashAndTruncate(chainNameBase(port))}`;
}
export function nftExternalChain(port: PlannedServicePort): string {
    return `external-${hashAndTruncate(chainNameBase(port))}`;
}
export function nftEndpointChain(port: PlannedServicePort, endpoint: Endpoint): string {
    return `endpoint-${hashAndTruncate(`${chainNameBase(port)}__${endpoint.ip}/${endpoint.port}`)}`;
}

export interface NftablesOptions {
    /** kube-proxy's clusterCIDR: cluster-IP traffic from outside it is masqueraded. */
    readonly clusterCidr: string;
    /** The Service CIDR: traffic to its unallocated addresses is dropped, to allocated ones on other ports rejected. */
    readonly serviceCidr: string;
    /** This node's addresses that accept NodePort traffic (nodePortAddresses `primary`: the node IP). */
    readonly nodePortAddresses: readonly string[];
}

/** Counts of what a ruleset holds, for the bench. */
export interface RulesetSize {
    readonly chains: number;
    readonly rules: number;
    readonly elements: number;
}

export interface NftScript {
    readonly text: string;
    readonly size: RulesetSize;
}

const P = `ip ${KUBE_PROXY_TABLE}`;

/** The table, its sets and maps, and the fixed chains and rules, as proxier.go's setupNFTables writes them. */
function baseLines(options: NftablesOptions): string[] {
    return [
        `add table ${P} { comment "rules for kube-proxy" ; }`,
        `add set ${P} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
        `add set ${P} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
        `add map ${P} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
        `add map ${P} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
        `add map ${P} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
        `add map ${P} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
        `add map ${P} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
        `add chain ${P} cluster-ips-check`,
        `add chain ${P} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
        `add chain ${P} filter-output-pre-dnat { type filter hook output priority -110 ; }`,
        `add chain ${P} filter-forward { type filter hook forward priority 0 ; }`,
        `add chain ${P} filter-input { type filter hook input priority 0 ; }`,
        `add chain ${P} filter-output { type filter hook output priority 0 ; }`,
        `add chain ${P} firewall-check`,
        `add chain ${P} mark-for-masquerade`,
        `add chain ${P} masquerading`,
        `add chain ${P} nat-output { type nat hook output priority -100 ; }`,
        `add chain ${P} nat-postrouting { type nat hook postrouting priority 100 ; }`,
        `add chain ${P} nat-prerouting { type nat hook prerouting priority -100 ; }`,
        `add chain ${P} nodeport-endpoints-check`,
        `add chain ${P} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
        `add chain ${P} services`,
        `add chain ${P} service-endpoints-check`,
        `add rule ${P} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
        `add rule ${P} cluster-ips-check ip daddr { ${options.serviceCidr} } drop comment "Drop traffic to unallocated ClusterIPs"`,
        `add rule ${P} filter-prerouting-pre-dnat ct state new jump firewall-check`,
        `add rule ${P} filter-forward ct state new jump service-endpoints-check`,
        `add rule ${P} filter-forward ct state new jump cluster-ips-check`,
        `add rule ${P} filter-input ct state new jump nodeport-endpoints-check`,
        `add rule ${P} filter-input ct state new jump service-endpoints-check`,
        `add rule ${P} filter-output ct state new jump service-endpoints-check`,
        `add rule ${P} filter-output-pre-dnat ct state new jump firewall-check`,
        `add rule ${P} filter-output ct state new jump cluster-ips-check`,
        `add rule ${P} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
        `add rule ${P} mark-for-masquerade mark set mark or ${NFT_MASQUERADE_MARK}`,
        `add rule ${P} masquerading mark and ${NFT_MASQUERADE_MARK} == 0 return`,
        `add rule ${P} masquerading mark set mark xor ${NFT_MASQUERADE_MARK}`,
        `add rule ${P} masquerading masquerade fully-random`,
        `add rule ${P} nat-output jump services`,
        `add rule ${P} nat-postrouting jump masquerading`,
        `add rule ${P} nat-prerouting jump services`,
        `add rule ${P} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
        `add rule ${P} reject-chain reject`,
        `add rule ${P} services ip daddr . meta l4proto . th dport vmap @service-ips`,
        `add rule ${P} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
        `add rule ${P} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    ];
}

/** One Service port's chains, rules and map elements (proxier.go's syncProxyRules, one port). */
export interface PortRules {
    readonly chains: readonly string[];
    readonly rules: readonly string[];
    /** Map and set elements as `map: element` pairs, written in batches. */
    readonly elements: ReadonlyArray<readonly [string, string]>;
}

export function portRules(
    service: PlannedService,
    port: PlannedServicePort,
    ready: readonly Endpoint[],
    clusterCidr: string,
): PortRules {
    const chains: string[] = [];
    const rules: string[] = [];
    const elements: Array<[string, string]> = [];
    const clusterIP = service.clusterIP!;
    const protocol = port.protocol.toLowerCase();
    elements.push(["cluster-ips", clusterIP]);
    if (ready.length === 0) {
        elements.push([
            "no-endpoint-services",
            `${clusterIP} . ${protocol} . ${port.port} comment "${port.id}" : goto reject-chain`,
        ]);
        if (port.nodePort !== undefined) {
            elements.push([
                "no-endpoint-nodeports",
                `${protocol} . ${port.nodePort} comment "${port.id}" : goto reject-chain`,
            ]);
        }
        return { chains, rules, elements };
    }
    const svc = nftServiceChain(port);
    chains.push(svc);
    rules.push(`add rule ${P} ${svc} ip daddr ${clusterIP} ip saddr != ${clusterCidr} jump mark-for-masquerade`);
    const endpointChains = ready.map((endpoint) => nftEndpointChain(port, endpoint));
    rules.push(
        `add rule ${P} ${svc} numgen random mod ${ready.length} vmap { ${endpointChains.map((chain, index) => `${index} : goto ${chain}`).join(" , ")} }`,
    );
    if (port.nodePort !== undefined) {
        const ext = nftExternalChain(port);
        chains.push(ext);
        rules.push(`add rule ${P} ${ext} jump mark-for-masquerade`);
        rules.push(`add rule ${P} ${ext} goto ${svc}`);
        elements.push(["service-nodeports", `${protocol} . ${port.nodePort} : goto ${ext}`]);
    }
    ready.forEach((endpoint, index) => {
        const chain = endpointChains[index]!;
        chains.push(chain);
        // Hairpin: a pod reaching itself through the Service is masqueraded to get the reply back.
        rules.push(`add rule ${P} ${chain} ip saddr ${endpoint.ip} jump mark-for-masquerade`);
        rules.push(`add rule ${P} ${chain} meta l4proto ${protocol} dnat to ${endpoint.ip}:${endpoint.port}`);
    });
    elements.push(["service-ips", `${clusterIP} . ${protocol} . ${port.port} : goto ${svc}`]);
    return { chains, rules, elements };
}

/** Elements of one map or set in statements of at most `batch` elements each: one statement per element is slow. */
function elementLines(elements: ReadonlyArray<readonly [string, string]>, batch = 1000): string[] {
    const byMap = new Map<string, string[]>();
    for (const [map, element] of elements) {
        let list = byMap.get(map);
        if (!list) {
            list = [];
            byMap.set(map, list);
        }
        list.push(element);
    }
    const lines: string[] = [];
    for (const [map, list] of byMap) {
        // A set of cluster IPs holds each address once, however many ports it has.
        const unique = map === "cluster-ips" ? [...new Set(list)] : list;
        for (let start = 0; start < unique.length; start += batch) {
            lines.push(`add element ${P} ${map} { ${unique.slice(start, start + batch).join(" , ")} }`);
        }
    }
    return lines;
}

/**
 * The whole kube-proxy ruleset for one node as one nft transaction: the table is created, deleted (dropping
 * whatever an earlier sync left) and written anew, so loading it twice gives the same ruleset. Chains are all
 * declared before any rule jumps to one; map elements come last, after the chains they point to exist.
 */
export function kubeProxyNftScript(
    services: readonly PlannedService[],
    endpoints: ReadonlyMap<string, readonly Endpoint[]>,
    options: NftablesOptions,
): NftScript {
    const chainLines: string[] = [];
    const ruleLines: string[] = [];
    const elements: Array<readonly [string, string]> = [];
    for (const address of options.nodePortAddresses) {
        elements.push(["nodeport-ips", address]);
    }
    for (const service of services) {
        if (service.clusterIP === null) {
            continue;
        }
        for (const port of service.ports) {
            const rules = portRules(service, port, endpoints.get(port.id) ?? [], options.clusterCidr);
            for (const chain of rules.chains) {
                chainLines.push(`add chain ${P} ${chain}`);
            }
            ruleLines.push(...rules.rules);
            elements.push(...rules.elements);
        }
    }
    const base = baseLines(options);
    const lines = [
        `add table ${P}`,
        `delete table ${P}`,
        ...base,
        ...chainLines,
        ...ruleLines,
        ...elementLines(elements),
    ];
    const baseChains = base.filter((line) => line.startsWith("add chain")).length;
    const baseRules = base.filter((line) => line.startsWith("add rule")).length;
    return {
        text: `${lines.join("\n")}\n`,
        size: {
            chains: baseChains + chainLines.length,
            rules: baseRules + ruleLines.length,
            elements: new Set(elements.map(([map, element]) => `${map} ${element}`)).size,
        },
    };
}

/**
 * One Service port changed, as one nft transaction the way kube-proxy's partial sync does it: its chains are
 * flushed (or created), its rules written again, its map elements replaced. `previous` is what the port had.
 */
export function servicePortUpdateScript(
    service: PlannedService,
    port: PlannedServicePort,
    previous: readonly Endpoint[],
    ready: readonly Endpoint[],
    clusterCidr: string,
): string {
    const before = portRules(service, port, previous, clusterCidr);
    const after = portRules(service, port, ready, clusterCidr);
    const lines: string[] = [];
    for (const [map, element] of before.elements) {
        if (map !== "cluster-ips") {
            lines.push(
                `delete element ${P} ${map} { ${element.replace(/ comment "[^"]*"/, "").replace(/ : .*$/, "")} }`,
            );
        }
    }
    for (const chain of after.chains) {
        lines.push(`add chain ${P} ${chain}`, `flush chain ${P} ${chain}`);
    }
    lines.push(...after.rules);
    for (const chain of before.chains.filter((chain) => !after.chains.includes(chain))) {
        lines.push(`delete chain ${P} ${chain}`);
    }
    lines.push(...elementLines(after.elements.filter(([map]) => map !== "cluster-ips")));
    return `${lines.join("\n")}\n`;
}

/** Removes kube-proxy's nftables table (what kube-proxy does when it starts in another mode). */
export const KUBE_PROXY_NFT_CLEANUP = `add table ${P}\ndelete table ${P}\n`;

/**
 * flanneld's nftables rules with EnableNFTables (pkg/trafficmngr/nftables): table ip flannel-ipv4 with `postrtg`
 * (masquerade what leaves the pod network, not kube-proxy's marked traffic) and `forward` (accept pod traffic).
 */
export function flannelNftScript(network: string, podCidr: string, ipMasq: boolean): string {
    const T = `ip ${FLANNEL_TABLE}`;
    const lines = [
        `add table ${T} { comment "rules for ${FLANNEL_TABLE}" ; }`,
        `delete table ${T}`,
        `add table ${T} { comment "rules for ${FLANNEL_TABLE}" ; }`,
        `add chain ${T} forward { type filter hook forward priority 0 ; comment "chain to accept flannel traffic" ; }`,
        `add rule ${T} forward ip saddr ${network} accept`,
        `add rule ${T} forward ip daddr ${network} accept`,
    ];
    if (ipMasq) {
        lines.push(
            `add chain ${T} postrtg { type nat hook postrouting priority 100 ; comment "chain to manage traffic masquerading by flannel" ; }`,
            `add rule ${T} postrtg meta mark ${NFT_MASQUERADE_MARK} return`,
            `add rule ${T} postrtg ip saddr ${podCidr} ip daddr ${network} return`,
            `add rule ${T} postrtg ip saddr ${network} ip daddr ${podCidr} return`,
            `add rule ${T} postrtg ip saddr != ${podCidr} ip daddr ${network} return`,
            `add rule ${T} postrtg ip saddr ${network} ip daddr != 224.0.0.0/4 masquerade fully-random`,
            `add rule ${T} postrtg ip saddr != ${network} ip daddr ${network} masquerade fully-random`,
        );
    }
    return `${lines.join("\n")}\n`;
}
