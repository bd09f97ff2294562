/** Kubernetes' name rules (apimachinery validation), shared by every builder and validator. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63 characters. */
export function isDns1123Label(value: string): boolean {
    return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters. */
export function isDns1123Subdomain(value: string): boolean {
    return value.length <= 253 && DNS1123_SUBDOMAIN.test(value) && value.split(".").every((label) => label.length <= 63);
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
