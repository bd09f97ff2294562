import { Cidr, IpFamily, cidrContainsAddress, cidrsOverlap, familyBits, parseCidr } from "./cidr";

/**
 * Address blocks no node, pod or Service can use (IANA's special-purpose registries): traffic to them never
 * leaves a host (loopback, "this network"), never crosses a router (link-local), is one-to-many (multicast) or
 * is not routed at all (240.0.0.0/4, which holds the limited broadcast 255.255.255.255).
 */
export interface SpecialRange {
    readonly cidr: Cidr;
    /** What it is, for messages: `loopback`. */
    readonly label: string;
}

function range(text: string, label: string): SpecialRange {
    const parsed = parseCidr(text);
    if (!parsed.ok) {
        throw new Error(`bad built-in range ${text}`);
    }
    return { cidr: parsed.value, label };
}

export const SPECIAL_RANGES: readonly SpecialRange[] = [
    range("0.0.0.0/8", `"this network" (0.0.0.0/8, unspecified)`),
    range("127.0.0.0/8", "loopback (127.0.0.0/8)"),
    range("169.254.0.0/16", "link-local (169.254.0.0/16)"),
    range("224.0.0.0/4", "multicast (224.0.0.0/4)"),
    range("240.0.0.0/4", "reserved (240.0.0.0/4, with the limited broadcast 255.255.255.255)"),
    range("::/128", "the unspecified address (::)"),
    range("::1/128", "loopback (::1)"),
    range("fe80::/10", "link-local (fe80::/10)"),
    range("ff00::/8", "multicast (ff00::/8)"),
];

/** The special range an address lies in, if any. */
export function specialRangeOfAddress(family: IpFamily, address: bigint): SpecialRange | undefined {
    return SPECIAL_RANGES.find((special) => cidrContainsAddress(special.cidr, family, address));
}

/** The special range a block overlaps, if any. */
export function specialRangeOfCidr(cidr: Cidr): SpecialRange | undefined {
    return SPECIAL_RANGES.find((special) => cidrsOverlap(special.cidr, cidr));
}

/**
 * Whether an address is the network or broadcast address of a block it lies in (IPv4 blocks of /30 and wider;
 * /31 and /32 have neither), or the subnet-router anycast address (the first) of an IPv6 block up to /126.
 */
export function networkOrBroadcast(
    network: Cidr,
    family: IpFamily,
    address: bigint,
): "network" | "broadcast" | undefined {
    if (!cidrContainsAddress(network, family, address) || network.prefix > familyBits(family) - 2) {
        return undefined;
    }
    if (address === network.start) {
        return "network";
    }
    const last = network.start + (1n << BigInt(familyBits(family) - network.prefix)) - 1n;
    return family === IpFamily.IPv4 && address === last ? "broadcast" : undefined;
}
