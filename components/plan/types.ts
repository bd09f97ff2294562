import { IpFamily } from "./cidr";

/** A range the cluster must never use (a VPN, an office network, a peered cluster). */
export interface ReservedRange {
    /** A short name shown in messages, e.g. `office-vpn`. */
    name: string;
    /** The range, e.g. `10.8.0.0/16`. */
    cidr: string;
}

/** The cluster-wide address settings, as in `clusternet:cluster`. */
export interface ClusterSpec {
    /** The cluster's name, a DNS-1123 label. Default `lab`. */
    name?: string;
    /** The IPv4 pod network (flannel's Network), e.g. `10.244.0.0/16`. Omit for an IPv6-only cluster. */
    podCidr?: string;
    /** The IPv6 pod network, e.g. `fd00:10:244::/56`; with `podCidr` the cluster is dual-stack. */
    podCidrV6?: string;
    /** The prefix length of each node's IPv4 subnet. Default 24. */
    nodeMaskSize?: number;
    /** The prefix length of each node's IPv6 subnet. Default 64. */
    nodeMaskSizeV6?: number;
    /** The IPv4 Service network. Default `10.96.0.0/12` when the cluster has IPv4. */
    serviceCidr?: string;
    /** The IPv6 Service network; required for an IPv6-only cluster. */
    serviceCidrV6?: string;
    /** The hosts' own network; when given, every node IP must lie inside it. */
    nodeNetwork?: string;
    /** Ranges nothing in the cluster may overlap. */
    reserved?: ReservedRange[];
    /** The cluster's DNS domain (kubelet's --cluster-domain). Default `cluster.local`. */
    dnsDomain?: string;
    /** The API server's --service-node-port-range, `FIRST-LAST` (checked by components/services). Default `30000-32767`. */
    nodePortRange?: string;
    /** Whether a load-balancer provider (e.g. MetalLB) gives LoadBalancer Services an address. Default false. */
    loadBalancer?: boolean;
    /**
     * Names of removed nodes whose remembered subnets may be given to other nodes again: list a node here only once
     * its Node object is deleted (`kubectl delete node NAME`). Default: none (a removed node's subnet stays retired).
     */
    released?: string[];
    /** The cluster's Kubernetes version, e.g. `1.34.2` (kube-proxy's image tag, which proxy modes exist). Default: unknown. */
    kubernetesVersion?: string;
}

/** One node, as in `clusternet:nodes[i]`. */
export interface NodeSpec {
    /** The Kubernetes Node name (a DNS-1123 subdomain). */
    name: string;
    /** The node's address on the node network. */
    ip: string;
    /** A pinned IPv4 pod subnet for this node; otherwise one is allocated. */
    podCidr?: string;
    /** A pinned IPv6 pod subnet for this node; otherwise one is allocated. */
    podCidrV6?: string;
}

/** A node's pod subnets: what the stack exports as `nodeSubnets` and reads back as the previous allocation. */
export interface NodeSubnets {
    /** The node's IPv4 pod subnet, when the cluster has IPv4. */
    podCidr?: string;
    /** The node's IPv6 pod subnet, when the cluster has IPv6. */
    podCidrV6?: string;
}

/** A remembered node's subnets and, where the memory knows it, where each came from when first planned. */
export interface RememberedSubnets extends NodeSubnets {
    /** The source the plan record gave `podCidr`; `allocated` stays `allocated`, so a re-plan rewrites nothing. */
    podCidrSource?: SubnetSource | null;
    /** The same for `podCidrV6`. */
    podCidrV6Source?: SubnetSource | null;
}

/**
 * What was allocated before, by node name: the memory that keeps a node's subnet from moving. A name that is no
 * longer among the nodes is a retired node: its subnets stay reserved until it is released.
 */
export type PreviousAllocation = Record<string, RememberedSubnets>;

/** Where a node's subnet came from. */
export const SubnetSource = {
    Pinned: "pinned",
    Previous: "previous",
    Allocated: "allocated",
} as const;
export type SubnetSource = (typeof SubnetSource)[keyof typeof SubnetSource];

export interface PlannedNode {
    name: string;
    ip: string;
    podCidr: string | null;
    podCidrV6: string | null;
    readonly podCidrSource: SubnetSource | null;
    readonly podCidrV6Source: SubnetSource | null;
    /** cni0's address: the first usable address of the IPv4 subnet. */
    readonly gateway: string | null;
    /** cni0's IPv6 address: the first usable address of the IPv6 subnet. */
    readonly gatewayV6: string | null;
    /** flannel.1's address: the IPv4 subnet's network address (`.0`). */
    readonly vtep: string | null;
}

/** How full one family's pod CIDR is. Counts beyond 2^53 are written as decimal strings. */
export interface FamilyCapacity {
    podCidr: string;
    nodeMaskSize: number;
    /** How many node subnets fit in the pod CIDR. */
    readonly maxNodes: number;
    /** Pod addresses host-local can hand out per node (network, gateway and, for IPv4, broadcast excluded). */
    readonly podsPerNode: number | string;
    readonly used: number;
    readonly free: number;
    /** Share of node subnets in use, 0-100, one decimal. */
    readonly usedPercent: number;
    /** Of `used`, the subnets still held by retired nodes (removed from the config, not yet released). */
    readonly retired: number;
}

/** A node removed from the config whose subnets stay reserved: its Node may still hold them on the cluster. */
export interface RetiredNode {
    readonly name: string;
    readonly podCidr: string | null;
    readonly podCidrV6: string | null;
}

/** The address plan: plain JSON, identical for identical input. */
export interface AddressPlan {
    readonly cluster: {
        readonly name: string;
        readonly families: readonly IpFamily[];
        readonly podCidr: string | null;
        readonly podCidrV6: string | null;
        readonly nodeMaskSize: number;
        readonly nodeMaskSizeV6: number;
        readonly serviceCidr: string | null;
        readonly serviceCidrV6: string | null;
        readonly nodeNetwork: string | null;
        readonly reserved: readonly ReservedRange[];
        /** The cluster's DNS domain: `<service>.<namespace>.svc.<dnsDomain>`. */
        readonly dnsDomain: string;
    };
    /** The `kubernetes` Service's IP: the first address after the service network's. */
    readonly kubernetesServiceIp: string | null;
    readonly kubernetesServiceIpV6: string | null;
    /** The cluster DNS Service IP: the 10th address, as kubeadm places it. */
    readonly dnsServiceIp: string | null;
    readonly dnsServiceIpV6: string | null;
    readonly nodes: readonly PlannedNode[];
    /** Removed nodes whose subnets stay reserved until released (`clusternet:cluster.released`), by name. */
    readonly retired: readonly RetiredNode[];
    readonly capacity: { readonly ipv4: FamilyCapacity | null; readonly ipv6: FamilyCapacity | null };
    readonly warnings: readonly string[];
}
