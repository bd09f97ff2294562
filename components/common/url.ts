/**
 * URL paths as RFC 3986 writes them: what may go into an Ingress path, a probe path or a curl command without
 * quoting surprises. Shared by the Ingress rules and the Services' readiness probe.
 */

/** A path of RFC 3986 `pchar` and '/', or percent-encoded bytes: what Gateway API allows in Exact and PathPrefix. */
export const URL_PATH = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;

/** A path as above, then an optional `?query`. */
export const URL_PATH_AND_QUERY =
    /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*(?:\?(?:[-A-Za-z0-9/?._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)?$/;

const URL_PATH_CHARACTER = /[-A-Za-z0-9/._~!$&'()*+,;=:@]/;

/** The path with every character outside RFC 3986's path characters percent-encoded (as UTF-8); %XX kept. */
export function percentEncodePath(path: string): string {
    let encoded = "";
    for (const [character] of path.matchAll(/%[0-9A-Fa-f]{2}|[\s\S]/gu)) {
        encoded +=
            URL_PATH_CHARACTER.test(character) || character.length === 3
                ? character
                : [...Buffer.from(character, "utf8")]
                      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
                      .join("");
    }
    return encoded;
}
