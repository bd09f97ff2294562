/**
 * The address parser's fast paths (plain dotted quads, lowercase hex IPv6) against ip-num, the validator of record:
 * on any text, parseAddress answers exactly as the ip-num path does, and every CIDR parseCidr accepts is one ip-num
 * accepts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Validator } from "ip-num";
import { fail } from "../components/common";
import { IpFamily, formatAddress, parseAddress, parseAddressWithIpNum, parseCidr } from "../components/plan/cidr";

/** parseAddress as it was before the fast paths: ip-num parses, then the text must be the canonical form. */
function parseAddressByIpNum(text: string): ReturnType<typeof parseAddress> {
    const parsed = parseAddressWithIpNum(text);
    if (!parsed.ok) {
        return parsed;
    }
    const canonical = formatAddress(parsed.value.family, parsed.value.value);
    return canonical === text
        ? parsed
        : fail({ key: "", message: `${JSON.stringify(text)} is not in canonical form`, fix: `write ${canonical}` });
}

const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 999 }).map((value) => String(value).padStart(3, "0")),
    fc.constantFrom("", "256", "-1", "1e2", " 1", "0x1"),
);
const ipv4Text = fc.oneof(
    fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((parts) => parts.join(".")),
    fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(".")),
);

const group = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const ipv6Value = fc
    .array(group, { minLength: 8, maxLength: 8 })
    .map((groups) => groups.reduce((value, part) => (value << 16n) | BigInt(part), 0n));
const ipv6Text = fc.oneof(
    ipv6Value.map((value) => formatAddress(IpFamily.IPv6, value)),
    ipv6Value.map((value) => value.toString(16).padStart(32, "0").match(/.{4}/g)!.join(":")),
    ipv6Value.map((value) => formatAddress(IpFamily.IPv6, value).toUpperCase()),
    fc
        .tuple(
            fc.array(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 5 }), { maxLength: 9 }),
            fc.nat(9),
            fc.boolean(),
        )
        .map(([parts, at, gap]) => {
            const joined = parts.map((part) => part.toLowerCase());
            if (gap) {
                joined.splice(Math.min(at, joined.length), 0, "");
            }
            return joined.join(":");
        }),
    ipv4Text.map((v4) => `::ffff:${v4}`),
    ipv6Value.map((value) => formatAddress(IpFamily.IPv6, (value & 0xffff_ffffn) | 0xffff_0000_0000n)),
);
const noise = fc
    .array(fc.constantFrom(..."0123456789abcdefABCDEF:./% g"), { maxLength: 42 })
    .map((chars) => chars.join(""));
const addressText = fc.oneof(ipv4Text, ipv6Text, noise);

describe("the address parser's fast paths against ip-num", () => {
    it("answer exactly as ip-num and the canonical-form check do, on any text", () => {
        fc.assert(
            fc.property(addressText, (text) => {
                assert.deepEqual(parseAddress(text), parseAddressByIpNum(text), JSON.stringify(text));
            }),
            { numRuns: 5000 },
        );
    });

    it("accept only CIDRs that ip-num accepts, with the same network address", () => {
        fc.assert(
            fc.property(addressText, fc.integer({ min: 0, max: 129 }), (address, prefix) => {
                const text = `${address}/${prefix}`;
                const parsed = parseCidr(text);
                if (parsed.ok) {
                    const [valid] =
                        parsed.value.family === IpFamily.IPv4
                            ? Validator.isValidIPv4CidrRange(text)
                            : Validator.isValidIPv6CidrRange(text);
                    assert.ok(valid, `${text} is accepted, and ip-num accepts it too`);
                    const byIpNum = parseAddressWithIpNum(address);
                    assert.ok(byIpNum.ok);
                    assert.equal(parsed.value.start, byIpNum.value.value);
                }
            }),
            { numRuns: 5000 },
        );
    });

    it("take the common spellings, and leave the odd ones to ip-num", () => {
        assert.deepEqual(parseAddress("192.168.56.10"), {
            ok: true,
            value: { family: IpFamily.IPv4, value: 0xc0a8380an },
        });
        assert.deepEqual(parseAddress("fd00:10:244::1"), {
            ok: true,
            value: { family: IpFamily.IPv6, value: 0xfd000010024400000000000000000001n },
        });
        assert.equal(parseAddress("192.168.056.10").ok, false);
        assert.equal(parseAddress("::ffff:10.0.0.1").ok, false);
        assert.equal(parseAddress("::ffff:a00:1").ok, false, "IPv4-mapped, in hex too");
    });
});
