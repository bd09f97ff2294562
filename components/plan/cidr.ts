import { IPv4, IPv6, Validator } from "ip-num";
import { Result, fail, ok } from "../common/result";

/** An IP family, spelled as Kubernetes spells `ipFamilies`. */
export const IpFamily = {
    IPv4: "IPv4",
    IPv6: "IPv6",
} as const;
export type IpFamily = (typeof IpFamily)[keyof typeof IpFamily];

/** A CIDR block as a bigint interval: `start` is the network address, `prefix` the mask length. */
export interface Cidr {
    readonly family: IpFamily;
    readonly start: bigint;
    readonly prefix: number;
}

export function familyBits(family: IpFamily): number {
    return family === IpFamily.IPv4 ? 32 : 128;
}

/** How many addresses the block holds. */
export function cidrSize(cidr: Cidr): bigint {
    return 1n << BigInt(familyBits(cidr.family) - cidr.prefix);
}

/** The last address of the block (inclusive). */
export function cidrEnd(cidr: Cidr): bigint {
    return cidr.start + cidrSize(cidr) - 1n;
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
    return outer.family === inner.family && inner.start >= outer.start && cidrEnd(inner) <= cidrEnd(outer);
}

export function cidrContainsAddress(cidr: Cidr, family: IpFamily, address: bigint): boolean {
    return cidr.family === family && address >= cidr.start && address <= cidrEnd(cidr);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.family === b.family && a.start <= cidrEnd(b) && b.start <= cidrEnd(a);
}

/** The `index`-th address of the block, counting the network address as 0. */
export function addressAt(cidr: Cidr, index: bigint): bigint {
    return cidr.start + index;
}

/** IPv4 dotted quad; IPv6 in RFC 5952 canonical form (lowercase, no leading zeros, longest zero run as `::`). */
export function formatAddress(family: IpFamily, value: bigint): string {
    if (family === IpFamily.IPv4) {
        const n = Number(value);
        return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    }
    // Four 32-bit words, then plain numbers: one bigint shift per group was most of a large plan's formatting.
    const groups: number[] = [];
    for (let shift = 96n; shift >= 0n; shift -= 32n) {
        const word = Number(BigInt.asUintN(32, value >> shift));
        groups.push(Math.floor(word / 65536), word % 65536);
    }
    let bestStart = -1;
    let bestLength = 1; // RFC 5952: a single zero group is not compressed
    for (let i = 0; i < groups.length;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < groups.length && groups[j] === 0) {
            j++;
        }
        if (j - i > bestLength) {
            bestStart = i;
            bestLength = j - i;
        }
        i = j;
    }
    if (bestStart < 0) {
        bestLength = 0;
    }
    let text = "";
    let separator = "";
    for (let i = 0; i < 8; i++) {
        if (i === bestStart) {
            text += "::";
            separator = "";
            i += bestLength - 1;
        } else {
            text += separator + groups[i]!.toString(16);
            separator = ":";
        }
    }
    return text;
}

export function formatCidr(cidr: Cidr): string {
    return `${formatAddress(cidr.family, cidr.start)}/${cidr.prefix}`;
}

const IPV4_MAPPED_START = 0xffff_0000_0000n;
const IPV4_MAPPED_END = 0xffff_ffff_ffffn;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LOWER_A = 97;
const LOWER_F = 102;
const COLON = 58;
const DOT = 46;

/**
 * The fast path for the text a stack file almost always holds: a dotted quad without leading zeros. Returns the
 * address, or -1 for anything else (which goes to ip-num). Every text it accepts, ip-num accepts with the same
 * value: test/plan-properties.test.ts compares the two on random input.
 */
function fastIpv4(text: string): number {
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= DIGIT_0 && code <= DIGIT_9) {
            if (digits === 1 && octet === 0) {
                return -1; // a leading zero
            }
            octet = octet * 10 + (code - DIGIT_0);
            digits++;
            if (octet > 255) {
                return -1;
            }
        } else if (code === DOT && digits > 0 && dots < 3) {
            value = value * 256 + octet;
            octet = 0;
            digits = 0;
            dots++;
        } else {
            return -1;
        }
    }
    return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/**
 * The fast path for IPv6 text of lowercase hex groups and at most one `::` (no embedded IPv4, no zone). Returns
 * the address, or undefined for anything else (which goes to ip-num). Whether the text is canonical is left to
 * the callers, which compare it with the canonical form either way.
 */
function fastIpv6(text: string): bigint | undefined {
    const groups: number[] = [];
    let gap = -1; // where `::` stands, in groups
    let group = 0;
    let digits = 0;
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code === COLON) {
            if (i + 1 < text.length && text.charCodeAt(i + 1) === COLON) {
                if (gap >= 0 || (digits === 0 && i !== 0)) {
                    return undefined;
                }
                if (digits > 0) {
                    groups.push(group);
                }
                gap = groups.length;
                group = 0;
                digits = 0;
                i++;
                continue;
            }
            if (digits === 0) {
                return undefined;
            }
            groups.push(group);
            group = 0;
            digits = 0;
            continue;
        }
        let nibble: number;
        if (code >= DIGIT_0 && code <= DIGIT_9) {
            nibble = code - DIGIT_0;
        } else if (code >= LOWER_A && code <= LOWER_F) {
            nibble = code - LOWER_A + 10;
        } else {
            return undefined;
        }
        if (digits === 4) {
            return undefined;
        }
        group = group * 16 + nibble;
        digits++;
    }
    if (digits > 0) {
        groups.push(group);
    } else if (gap !== groups.length || text.length < 2) {
        return undefined; // a trailing single colon
    }
    if (gap < 0 ? groups.length !== 8 : groups.length > 7) {
        return undefined;
    }
    const full =
        gap < 0
            ? groups
            : [...groups.slice(0, gap), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(gap)];
    let value = 0n;
    for (let i = 0; i < 8; i += 2) {
        value = (value << 32n) | BigInt(full[i]! * 65536 + full[i + 1]!);
    }
    return value;
}

export function parseAddressText(text: string): Result<{ family: IpFamily; value: bigint }> {
    const v4 = fastIpv4(text);
    if (v4 >= 0) {
        return ok({ family: IpFamily.IPv4, value: BigInt(v4) });
    }
    const v6 = text.includes(":") ? fastIpv6(text) : undefined;
    if (v6 !== undefined && (v6 < IPV4_MAPPED_START || v6 > IPV4_MAPPED_END)) {
        return ok({ family: IpFamily.IPv6, value: v6 });
    }
    return parseAddressWithIpNum(text);
}

/** The validator of record: ip-num, for every text the fast paths do not take. */
export function parseAddressWithIpNum(text: string): Result<{ family: IpFamily; value: bigint }> {
    if (text.includes(":")) {
        const [valid] = Validator.isValidIPv6String(text);
        if (!valid) {
            return fail({ key: "", message: `${JSON.stringify(text)} is not an IPv6 address` });
        }
        const value = IPv6.fromString(text).getValue();
        if (value >= IPV4_MAPPED_START && value <= IPV4_MAPPED_END) {
            return fail({
                key: "",
                message: `${JSON.stringify(text)} is an IPv4-mapped IPv6 address, which Kubernetes rejects`,
                fix: "write the plain IPv4 form instead",
            });
        }
        return ok({ family: IpFamily.IPv6, value });
    }
    const [valid] = Validator.isValidIPv4String(text);
    if (!valid || !/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
        // Leading zeros (010.244.0.0): Kubernetes refuses them, since some tools read them as octal.
        const octets = /^\d+(\.\d+){3}$/.test(text) ? text.split(".").map((octet) => Number(octet)) : [];
        if (octets.length === 4 && octets.every((octet) => octet <= 255)) {
            return fail({
                key: "",
                message: `${JSON.stringify(text)} has leading zeros, which Kubernetes refuses (some tools read them as octal)`,
                fix: `write ${octets.join(".")}`,
            });
        }
        return fail({ key: "", message: `${JSON.stringify(text)} is not an IPv4 or IPv6 address` });
    }
    return ok({ family: IpFamily.IPv4, value: IPv4.fromString(text).getValue() });
}

/**
 * Parses an IP address strictly, as Kubernetes validates one: canonical form only (no leading zeros, IPv6
 * compressed and lowercase), no IPv4-mapped IPv6.
 */
export function parseAddress(text: string): Result<{ family: IpFamily; value: bigint }> {
    const parsed = parseAddressText(text);
    if (!parsed.ok) {
        return parsed;
    }
    const canonical = formatAddress(parsed.value.family, parsed.value.value);
    if (canonical !== text) {
        return fail({
            key: "",
            message: `${JSON.stringify(text)} is not in canonical form`,
            fix: `write ${canonical}`,
        });
    }
    return parsed;
}

/**
 * Parses a CIDR strictly: a canonical address, a decimal prefix without leading zeros and within the family's
 * bounds, and no bits set beyond the prefix. ip-num validates the address; the rest is bigint arithmetic.
 */
export function parseCidr(text: string): Result<Cidr> {
    const slash = text.indexOf("/");
    if (slash < 0 || slash !== text.lastIndexOf("/")) {
        return fail({
            key: "",
            message: `${JSON.stringify(text)} is not a CIDR`,
            fix: "write an address and a prefix length, such as 10.244.0.0/16 or fd00:10:244::/56",
        });
    }
    const addressText = text.slice(0, slash);
    const prefixText = text.slice(slash + 1);
    const address = parseAddressText(addressText);
    if (!address.ok) {
        const problem = address.problems[0]!;
        return fail({
            key: "",
            message: `${JSON.stringify(text)} is not a CIDR: ${problem.message}`,
            fix: problem.fix?.startsWith("write ") ? `${problem.fix}/${prefixText}` : problem.fix,
        });
    }
    const { family, value } = address.value;
    const bits = familyBits(family);
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
        return fail({
            key: "",
            message: `${JSON.stringify(text)} has an invalid prefix length ${JSON.stringify(prefixText)}`,
            fix:
                /^\d+$/.test(prefixText) && Number(prefixText) <= bits
                    ? `write ${addressText}/${Number(prefixText)}`
                    : `use a whole number from 0 to ${bits} without leading zeros`,
        });
    }
    const prefix = Number(prefixText);
    const hostMask = (1n << BigInt(bits - prefix)) - 1n;
    const start = value & ~hostMask;
    const cidr: Cidr = { family, start, prefix };
    if ((value & hostMask) !== 0n) {
        return fail({
            key: "",
            message: `${JSON.stringify(text)} has host bits set beyond the /${prefix} prefix`,
            fix: `write ${formatCidr(cidr)}`,
        });
    }
    const canonical = formatCidr(cidr);
    if (canonical !== text) {
        return fail({
            key: "",
            message: `${JSON.stringify(text)} is not in canonical form`,
            fix: `write ${canonical}`,
        });
    }
    return ok(cidr);
}

/** The block of the given prefix length that holds `address` (used for node IPs as /32 or /128 intervals). */
export function hostCidr(family: IpFamily, address: bigint): Cidr {
    return { family, start: address, prefix: familyBits(family) };
}
