/** Kubernetes' name rules (apimachinery validation), shared by every builder and validator. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The syntax of one label of a subdomain, without the 63-character limit of a DNS-1123 label. */
export const DNS1123_LABEL_SYNTAX = DNS1123_LABEL;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters. */
export function isDns1123Label(value: string): boolean {
    return value.length <= 63 && DNS1123_LABEL.test(value);
}

/**
 * A DNS-1123 subdomain as Kubernetes checks one (apimachinery `IsDNS1123Subdomain`): dot-separated labels of
 * lowercase alphanumerics and '-', at most 253 characters in all. Kubernetes limits only the whole name, not each
 * label to 63 (that limit applies where a DNS-1123 label is required).
 */
export function isDns1123Subdomain(value: string): boolean {
    return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/**
 * An IANA service name as Kubernetes checks container port names and named targetPorts: at most 15 characters,
 * lowercase letters, digits and single hyphens, at least one letter, no leading or trailing hyphen.
 */
export function isIanaServiceName(value: string): boolean {
    return (
        value.length >= 1 &&
        value.length <= 15 &&
        IANA_SVC_NAME.test(value) &&
        !value.includes("--") &&
        /[a-z]/.test(value)
    );
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A DNS-1035 label (how Kubernetes checks Service names): like a DNS-1123 label, but starting with a letter. */
export function isDns1035Label(value: string): boolean {
    return value.length <= 63 && DNS1035_LABEL.test(value);
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
    return value === "" || (value.length <= 63 && LABEL_NAME.test(value));
}

/** A label key: an optional DNS-1123 subdomain prefix and '/', then a name as for label values (but not empty). */
export function isLabelKey(key: string): boolean {
    const slash = key.indexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = slash < 0 ? key : key.slice(slash + 1);
    return (
        (prefix === undefined || isDns1123Subdomain(prefix)) &&
        name.length > 0 &&
        name.length <= 63 &&
        LABEL_NAME.test(name)
    );
}

/** The length part of a name's fault, for messages: ` (64 characters; at most 63)` when too long, else "". */
export function lengthNote(value: unknown, limit: number): string {
    return typeof value === "string" && value.length > limit ? ` (${value.length} characters; at most ${limit})` : "";
}
