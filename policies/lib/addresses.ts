import { Result, ok } from "../../components/common";
import { Cidr, IpFamily, parseAddress, parseCidr } from "../../components/plan";

/**
 * parseCidr and parseAddress from components/plan, with a fast path for the common case: a canonical IPv4 text is
 * read with one regular expression instead of ip-num. Anything else (IPv6, mistakes) goes to the full parser, so
 * what is accepted and every message are exactly the same; only thousands of node podCIDRs get cheaper.
 */
const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const CANONICAL_IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const CANONICAL_IPV4_CIDR = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(3[0-2]|[12]?\\d)$`);

function ipv4Value(match: RegExpExecArray): bigint {
    return BigInt(
        ((Number(match[1]) << 24) >>> 0) + (Number(match[2]) << 16) + (Number(match[3]) << 8) + Number(match[4]),
    );
}

export function parseCidrFast(text: string): Result<Cidr> {
    const match = CANONICAL_IPV4_CIDR.exec(text);
    if (match) {
        const prefix = Number(match[5]);
        const start = ipv4Value(match);
        const hostMask = (1n << BigInt(32 - prefix)) - 1n;
        if ((start & hostMask) === 0n) {
            return ok({ family: IpFamily.IPv4, start, prefix });
        }
    }
    return parseCidr(text);
}

export function parseAddressFast(text: string): Result<{ family: IpFamily; value: bigint }> {
    const match = CANONICAL_IPV4.exec(text);
    return match ? ok({ family: IpFamily.IPv4, value: ipv4Value(match) }) : parseAddress(text);
}
