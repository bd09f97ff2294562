/**
 * flannel's part of the data plane, as pure data: what flanneld writes (/run/flannel/subnet.env), the links, routes,
 * neighbours and FDB entries it programs for its backend, its --ip-masq and forward rules, and the bridge
 * delegate config the flannel CNI plugin builds from the conflist and subnet.env.
 */
import { parseCidr, formatAddress, formatCidr, cidrEnd } from "../components/plan";
import { Backend, CniConfList, FlannelConfig } from "./model";
import { IptablesTable, Table } from "./iptables";
import { LAN_IFNAME, vtepIfname } from "./names";

export interface SubnetEnv {
    readonly network: string;
    /** The node's subnet written with its first address, as flanneld writes it: 10.244.1.1/24. */
    readonly subnet: string;
    readonly mtu: number;
    readonly ipMasq: boolean;
}

/** `10.244.1.0/24` → `10.244.1.1/24`. */
export function firstAddressOf(podCidr: string): string {
    const parsed = parseCidr(podCidr);
    if (!parsed.ok) {
        throw new Error(`bad pod CIDR ${podCidr}: ${parsed.problems[0]!.message}`);
    }
    return `${formatAddress(parsed.value.family, parsed.value.start + 1n)}/${parsed.value.prefix}`;
}

/** `10.244.1.1/24` → `10.244.1.0/24` (what Go's net.ParseCIDR gives the flannel CNI plugin). */
export function networkOf(addressWithPrefix: string): string {
    const [address, prefix] = addressWithPrefix.split("/");
    const octets = (address ?? "").split(".").map(Number);
    const bits = Number(prefix);
    const value = octets.reduce((sum, octet) => (sum << 8n) + BigInt(octet), 0n);
    const mask = bits === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n);
    return `${formatAddress("IPv4", value & mask)}/${bits}`;
}

export function subnetEnvText(env: SubnetEnv): string {
    return [
        `FLANNEL_NETWORK=${env.network}`,
        `FLANNEL_SUBNET=${env.subnet}`,
        `FLANNEL_MTU=${env.mtu}`,
        `FLANNEL_IPMASQ=${env.ipMasq}`,
        "",
    ].join("\n");
}

/** Reads subnet.env as the flannel CNI plugin does. */
export function parseSubnetEnv(text: string): SubnetEnv {
    const values = new Map<string, string>();
    for (const line of text.split("\n")) {
        const equals = line.indexOf("=");
        if (equals > 0) {
            values.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
        }
    }
    const get = (key: string): string => {
        const value = values.get(key);
        if (value === undefined) {
            throw new Error(`subnet.env has no ${key}`);
        }
        return value;
    };
    return {
        network: get("FLANNEL_NETWORK"),
        subnet: get("FLANNEL_SUBNET"),
        mtu: Number(get("FLANNEL_MTU")),
        ipMasq: get("FLANNEL_IPMASQ") === "true",
    };
}

/**
 * The config the flannel CNI plugin hands its delegate (flannel-io/cni-plugin doCmdAdd): the delegate's own keys
 * win; name from the conflist; type bridge; ipMasq = !FLANNEL_IPMASQ; mtu = FLANNEL_MTU; isGateway for a bridge;
 * the conflist's cniVersion; IPAM host-local over FLANNEL_SUBNET with a route to FLANNEL_NETWORK. `ipamDataDir`
 * keeps host-local's leases in the lab's state folder instead of the machine's /var/lib/cni/networks.
 */
export function delegateConfig(
    conflist: CniConfList,
    flannelPlugin: Record<string, unknown>,
    env: SubnetEnv,
    ipamDataDir: string,
): Record<string, unknown> {
    const delegate: Record<string, unknown> = {
        ...((flannelPlugin["delegate"] as Record<string, unknown> | undefined) ?? {}),
    };
    delegate["name"] = conflist.name;
    delegate["type"] ??= "bridge";
    delegate["ipMasq"] ??= !env.ipMasq;
    delegate["mtu"] ??= env.mtu;
    if (delegate["type"] === "bridge") {
        delegate["isGateway"] ??= true;
    }
    delegate["cniVersion"] = conflist.cniVersion;
    const ipam: Record<string, unknown> = { ...((flannelPlugin["ipam"] as Record<string, unknown> | undefined) ?? {}) };
    ipam["type"] ??= "host-local";
    ipam["ranges"] = [[{ subnet: networkOf(env.subnet) }]];
    ipam["routes"] = [...((ipam["routes"] as unknown[] | undefined) ?? []), { dst: env.network }];
    ipam["dataDir"] = ipamDataDir;
    delegate["ipam"] = ipam;
    return delegate;
}

/** One step of the CNI chain: which plugin binary runs, with which config (prevResult is added at run time). */
export interface CniStep {
    readonly plugin: string;
    readonly config: Record<string, unknown>;
}

export interface PortMapping {
    readonly hostPort: number;
    readonly containerPort: number;
    readonly protocol: string;
}

/**
 * The conflist as libcni runs it for one pod: each plugin gets the list's name and cniVersion, and the runtime
 * config for the capabilities it declares (portMappings from the pod's hostPorts, as the container runtime passes
 * them); the flannel plugin is replaced by the delegate it would run.
 */
export function cniChain(
    conflist: CniConfList,
    env: SubnetEnv,
    ipamDataDir: string,
    portMappings: readonly PortMapping[],
): CniStep[] {
    return conflist.plugins.map((plugin): CniStep => {
        if (plugin.type === "flannel") {
            const delegate = delegateConfig(conflist, plugin, env, ipamDataDir);
            return { plugin: String(delegate["type"]), config: delegate };
        }
        const { capabilities, ...rest } = plugin as Record<string, unknown>;
        const config: Record<string, unknown> = { ...rest, name: conflist.name, cniVersion: conflist.cniVersion };
        if ((capabilities as Record<string, unknown> | undefined)?.["portMappings"] === true) {
            config["runtimeConfig"] = {
                portMappings: portMappings.map((mapping) => ({ ...mapping, protocol: mapping.protocol.toLowerCase() })),
            };
        }
        return { plugin: plugin.type, config };
    });
}

/** The loopback plugin config containerd runs for every pod's `lo`. */
export const LOOPBACK_CONFIG = { cniVersion: "0.3.1", name: "cni-loopback", type: "loopback" } as const;

export interface PeerNode {
    readonly name: string;
    readonly ip: string;
    readonly podCidr: string;
    readonly vtep: string;
    readonly vtepMac: string;
}

export interface NodeNetworkInput {
    readonly flannel: FlannelConfig;
    readonly self: PeerNode;
    readonly others: readonly PeerNode[];
    /** The node's address on the LAN with its prefix, e.g. 192.168.56.10/24. */
    readonly lanAddress: string;
    readonly underlayMtu: number;
    readonly podMtu: number;
}

/**
 * The `ip -batch` and `bridge -batch` lines that make a node: its LAN interface, and the backend as flanneld
 * programs it. vxlan: `flannel.<VNI>` (local node IP, dstport, nolearning, MTU underlay - 50) holding the subnet's
 * .0/32; per other node a route to its subnet via its .0 onlink, a permanent neighbour (.0 → VTEP MAC) and an FDB
 * entry (VTEP MAC → node IP). host-gw: per other node a route to its subnet via its node IP.
 */
export function nodeNetworkCommands(input: NodeNetworkInput): { ip: string[]; bridge: string[] } {
    const { flannel, self, others } = input;
    const ip = [
        "link set lo up",
        `link set ${LAN_IFNAME} mtu ${input.underlayMtu}`,
        `addr add ${input.lanAddress} dev ${LAN_IFNAME}`,
        `link set ${LAN_IFNAME} up`,
    ];
    const bridge: string[] = [];
    if (flannel.backend === Backend.Vxlan) {
        const vtep = vtepIfname(flannel.vni);
        ip.push(
            `link add ${vtep} type vxlan id ${flannel.vni} local ${self.ip} dev ${LAN_IFNAME} dstport ${flannel.port} nolearning`,
            `link set ${vtep} address ${self.vtepMac} mtu ${input.podMtu}`,
            `addr add ${self.vtep}/32 dev ${vtep}`,
            `link set ${vtep} up`,
        );
        for (const other of others) {
            ip.push(
                `route add ${other.podCidr} via ${other.vtep} dev ${vtep} onlink`,
                `neigh add ${other.vtep} lladdr ${other.vtepMac} dev ${vtep} nud permanent`,
            );
            bridge.push(`fdb append ${other.vtepMac} dev ${vtep} dst ${other.ip} self permanent`);
        }
    } else {
        for (const other of others) {
            ip.push(`route add ${other.podCidr} via ${other.ip} dev ${LAN_IFNAME}`);
        }
    }
    return { ip, bridge };
}

/** The node's sysctls flannel needs (FACTS.md node prerequisites), set in the node's own namespace. */
export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
    "net.ipv4.ip_forward": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
};

const MASQ_COMMENT = ["-m", "comment", "--comment", "flanneld masq"];
const FORWARD_COMMENT = ["-m", "comment", "--comment", "flanneld forward"];
/** kube-proxy's masquerade mark: flannel leaves marked packets to KUBE-POSTROUTING. */
export const KUBE_PROXY_MARK = "0x4000/0x4000";

/**
 * flanneld's iptables rules: with --ip-masq, FLANNEL-POSTRTG (no NAT inside the pod network, masquerade pod traffic
 * leaving it and host traffic entering it, skip what kube-proxy marked); always FLANNEL-FWD (accept forwarding to
 * and from the pod network).
 */
export function flannelRules(network: string, podCidr: string, ipMasq: boolean): IptablesTable[] {
    const forward: IptablesTable = {
        table: Table.Filter,
        chains: ["FLANNEL-FWD"],
        rules: [
            { chain: "FORWARD", args: [...FORWARD_COMMENT, "-j", "FLANNEL-FWD"] },
            { chain: "FLANNEL-FWD", args: ["-s", network, ...FORWARD_COMMENT, "-j", "ACCEPT"] },
            { chain: "FLANNEL-FWD", args: ["-d", network, ...FORWARD_COMMENT, "-j", "ACCEPT"] },
        ],
    };
    if (!ipMasq) {
        return [forward];
    }
    const masq: IptablesTable = {
        table: Table.Nat,
        chains: ["FLANNEL-POSTRTG"],
        rules: [
            { chain: "POSTROUTING", args: [...MASQ_COMMENT, "-j", "FLANNEL-POSTRTG"] },
            {
                chain: "FLANNEL-POSTRTG",
                args: ["-m", "mark", "--mark", KUBE_PROXY_MARK, ...MASQ_COMMENT, "-j", "RETURN"],
            },
            { chain: "FLANNEL-POSTRTG", args: ["-s", podCidr, "-d", network, ...MASQ_COMMENT, "-j", "RETURN"] },
            { chain: "FLANNEL-POSTRTG", args: ["-s", network, "-d", podCidr, ...MASQ_COMMENT, "-j", "RETURN"] },
            { chain: "FLANNEL-POSTRTG", args: ["!", "-s", network, "-d", podCidr, ...MASQ_COMMENT, "-j", "RETURN"] },
            {
                chain: "FLANNEL-POSTRTG",
                args: ["-s", network, "!", "-d", "224.0.0.0/4", ...MASQ_COMMENT, "-j", "MASQUERADE", "--random-fully"],
            },
            {
                chain: "FLANNEL-POSTRTG",
                args: ["!", "-s", network, "-d", network, ...MASQ_COMMENT, "-j", "MASQUERADE", "--random-fully"],
            },
        ],
    };
    return [masq, forward];
}

/** True when `inner` (a CIDR) lies inside `outer`. */
export function cidrInside(outer: string, inner: string): boolean {
    const a = parseCidr(outer);
    const b = parseCidr(inner);
    return (
        a.ok &&
        b.ok &&
        a.value.family === b.value.family &&
        b.value.start >= a.value.start &&
        cidrEnd(b.value) <= cidrEnd(a.value)
    );
}

export function canonicalCidr(text: string): string | undefined {
    const parsed = parseCidr(text);
    return parsed.ok ? formatCidr(parsed.value) : undefined;
}
