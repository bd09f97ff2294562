import { Problem, Result, fail, isDns1123Subdomain, keyPath, ok, show } from "../common";
import {
    Cidr,
    IpFamily,
    addressAt,
    cidrContainsAddress,
    cidrEnd,
    formatAddress,
    formatCidr,
    parseAddressText,
} from "../plan";
import { DNS_SERVICE_INDEX, KUBERNETES_SERVICE_INDEX } from "./constants";

/** A Service's clusterIP that makes it headless. */
export const HEADLESS_CLUSTER_IP = "None";

/** The Services that own the two well-known addresses, as namespace/name. */
export const KUBERNETES_SERVICE = "default/kubernetes";
export const DNS_SERVICE = "kube-system/kube-dns";

/** The `kubernetes` Service's address in a Service CIDR. */
export function kubernetesServiceIp(cidr: Cidr): bigint {
    return addressAt(cidr, KUBERNETES_SERVICE_INDEX);
}

/** The cluster DNS address (kubeadm's) in a Service CIDR. */
export function dnsServiceIp(cidr: Cidr): bigint {
    return addressAt(cidr, DNS_SERVICE_INDEX);
}

/** Whether a Service CIDR is large enough to hold the cluster DNS address. */
export function hasRoomForDns(cidr: Cidr): boolean {
    return cidrEnd(cidr) - cidr.start >= DNS_SERVICE_INDEX;
}

/** A Service CIDR and where it comes from, for messages. */
export interface ServiceCidrSource {
    readonly cidr: Cidr;
    /** The key or setting that gives it, e.g. `clusternet:cluster.serviceCidr`. */
    readonly source: string;
}

/**
 * Reads a clusterIP the way the API server does (`validation.IsValidIPForLegacyField`): IPv6 in any valid spelling
 * is accepted and then stored as written, with a warning asking for the canonical form; IPv4 must be written
 * without leading zeros (those are refused here, where upstream only warns, because their meaning is ambiguous:
 * octal in some tools, decimal in others). Returns the address and, for a non-canonical IPv6, its canonical text.
 */
export function parseServiceIp(text: string): Result<{ family: IpFamily; value: bigint; canonical?: string }> {
    const parsed = parseAddressText(text);
    if (!parsed.ok) {
        return parsed;
    }
    const canonical = formatAddress(parsed.value.family, parsed.value.value);
    if (canonical === text) {
        return parsed;
    }
    if (parsed.value.family === IpFamily.IPv6) {
        return ok({ ...parsed.value, canonical });
    }
    return fail({ key: "", message: `${show(text)} is not in canonical form`, fix: `write ${canonical}` });
}

/** A warning for an address the API server accepts in a non-canonical spelling. */
export function nonCanonicalWarning(text: string, canonical: string, path: string): Problem {
    return {
        key: path,
        message: `${show(text)} is not in canonical form; the API server accepts it with a warning ("should be in canonical form")`,
        fix: `write ${canonical}`,
    };
}

/**
 * Checks an address asked for as a Service's clusterIP against the Service CIDR of its family, as the API server's
 * allocator does (`provided IP is not in the valid range`, the network address, the IPv4 broadcast address), and
 * against the two addresses the cluster keeps: the first for the `kubernetes` Service, the 10th for cluster DNS
 * (kubeadm). `owner` is the Service's namespace/name: those two Services may hold their own address.
 */
export function clusterIpFindings(
    address: { readonly family: IpFamily; readonly value: bigint },
    ranges: Partial<Record<IpFamily, ServiceCidrSource>>,
    path: string,
    { owner }: { owner?: string } = {},
): Problem[] {
    const { family, value } = address;
    const text = formatAddress(family, value);
    const range = ranges[family];
    if (!range) {
        const other = ranges[family === IpFamily.IPv4 ? IpFamily.IPv6 : IpFamily.IPv4];
        return [
            {
                key: path,
                message: `${text} is ${family}, but the cluster has no ${family} Service CIDR, so the API server cannot allocate it`,
                fix: other
                    ? `pick an address inside ${formatCidr(other.cidr)} (${other.source}), or give the cluster an ${family} Service CIDR`
                    : "give the cluster a Service CIDR of that family first",
            },
        ];
    }
    const cidr = formatCidr(range.cidr);
    const inside = `pick another address inside ${cidr} (${range.source}), or leave it out to let the cluster choose`;
    const problem = (message: string): Problem[] => [{ key: path, message, fix: inside }];
    if (!cidrContainsAddress(range.cidr, family, value)) {
        return [
            {
                key: path,
                message: `${text} is outside the Service CIDR ${cidr}; the API server refuses it ("provided IP is not in the valid range")`,
                fix: `pick an address inside ${cidr} (${range.source}), or leave it out to let the cluster choose`,
            },
        ];
    }
    if (value === range.cidr.start) {
        return problem(
            `${text} is the network address of the Service CIDR ${cidr}, which the API server never assigns`,
        );
    }
    if (family === IpFamily.IPv4 && value === cidrEnd(range.cidr)) {
        return problem(
            `${text} is the broadcast address of the Service CIDR ${cidr}, which the API server never assigns`,
        );
    }
    if (value === kubernetesServiceIp(range.cidr) && owner !== KUBERNETES_SERVICE) {
        return problem(`${text} is the kubernetes Service's IP (the first address of ${cidr}, the API server's own)`);
    }
    if (value === dnsServiceIp(range.cidr) && owner !== DNS_SERVICE) {
        return problem(
            `${text} is the cluster DNS Service's IP (the 10th address of ${cidr}, where kubeadm puts kube-dns)`,
        );
    }
    return [];
}

/** Two Services asking for one clusterIP: the second is refused as "provided IP is already allocated". */
export function clusterIpTakenFinding(text: string, owner: string, path: string): Problem {
    return {
        key: path,
        message: `${text} is also the clusterIP of ${owner}; cluster IPs are unique across the cluster, so the API server refuses the second ("provided IP is already allocated")`,
        fix: "pick another address, or leave it out to let the cluster choose",
    };
}

/**
 * An ExternalName Service's externalName: the API server checks only that it is a DNS-1123 subdomain, which an IPv4
 * address is too; cluster DNS then answers with a CNAME to that "name", which never resolves.
 */
export function externalNameFindings(externalName: unknown, path: string): Problem[] {
    if (typeof externalName !== "string" || externalName === "") {
        return [
            {
                key: path,
                message: "is empty; an ExternalName Service needs the DNS name it aliases",
                fix: "set externalName to a DNS name, e.g. db.example.com",
            },
        ];
    }
    const bare = externalName.replace(/\.$/, "");
    if (parseAddressText(bare).ok || /^\d{1,3}(\.\d{1,3}){3}$/.test(bare)) {
        return [
            {
                key: path,
                message: `${show(externalName)} is an IP address; cluster DNS answers a CNAME to it, and a CNAME to an address never resolves`,
                fix: "use a DNS name, or a Service without selector plus an EndpointSlice holding that IP",
            },
        ];
    }
    // ValidateService: a DNS-1123 subdomain, with one trailing dot allowed (a fully qualified name).
    if (!isDns1123Subdomain(bare)) {
        return [
            {
                key: path,
                message: `${show(externalName)} is not a DNS name (a DNS-1123 subdomain, optionally ending in '.'); the API server refuses it`,
                fix: "write the DNS name it aliases in lowercase letters, digits, '-' and '.', e.g. db.example.com",
            },
        ];
    }
    return [];
}

/** An ExternalName Service has no cluster IP: the API server refuses clusterIP or clusterIPs, "None" included. */
export function externalNameClusterIpFindings(
    clusterIP: unknown,
    clusterIPs: readonly unknown[],
    path: string,
): Problem[] {
    const set = (clusterIP !== undefined && clusterIP !== "") || clusterIPs.length > 0;
    return set
        ? [
              {
                  key: keyPath(path, clusterIPs.length > 0 ? "clusterIPs" : "clusterIP"),
                  message: `is set (${show(clusterIPs.length > 0 ? clusterIPs : clusterIP)}), but an ExternalName Service has no cluster IP; the API server refuses it ("may not be set for ExternalName services")`,
                  fix: "remove clusterIP and clusterIPs, or use another Service type",
              },
          ]
        : [];
}
