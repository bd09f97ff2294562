import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { isDns1123Subdomain } from "../components/rules";
import { IngressInfo, ingressOf } from "./lib/ingress";
import { asArray, at, shown } from "./lib/values";

export const INGRESS_TLS_HOSTS = "ingress-tls-hosts";

/** Whether a TLS host covers a rule host: equal, or a `*.` wildcard covering exactly one more label. */
function covers(tlsHost: string, ruleHost: string): boolean {
    if (tlsHost === ruleHost) {
        return true;
    }
    if (tlsHost.startsWith("*.")) {
        const dot = ruleHost.indexOf(".");
        return dot > 0 && ruleHost.slice(dot) === tlsHost.slice(1);
    }
    return false;
}

/**
 * A TLS entry's host that no rule serves: controllers pick a certificate by the host of a rule they route (SNI), so
 * a certificate for a host without rule is never presented, and clients of the rule hosts get the controller's
 * default certificate instead.
 */
export function checkTlsHosts(ingress: IngressInfo, report: (message: string) => void): void {
    const ruleHosts = ingress.rules
        .map((rule) => rule.host)
        .filter((host): host is string => typeof host === "string" && host !== "");
    const catchAll = ingress.rules.some((rule) => rule.host === undefined || rule.host === "");
    for (const { field, host } of ingress.tlsHosts) {
        if (typeof host !== "string" || host === "" || catchAll) {
            continue;
        }
        if (!ruleHosts.some((ruleHost) => covers(host, ruleHost) || ruleHost === host)) {
            report(
                formatProblem({
                    key: "",
                    message: `${ingress.description} ${field}: ${JSON.stringify(host)} is in no rule of this Ingress (${ruleHosts.length > 0 ? ruleHosts.join(", ") : "no rule hosts"}); the controller presents a certificate only for the hosts it routes (SNI), so this one is never served`,
                    fix: `add a rule for ${JSON.stringify(host)}, or correct the TLS host to a rule's host`,
                }),
            );
        }
    }
}

/**
 * A TLS entry's secretName, when set, names a Secret: the API server checks it as a DNS-1123 subdomain (networking/v1
 * `validateTLSSecretName`). An empty one is allowed: the controller's default certificate.
 */
export function checkTlsSecretNames(ingress: IngressInfo, report: (message: string) => void): void {
    asArray(at(ingress.resource.props, "spec", "tls")).forEach((entry, index) => {
        const name = at(entry, "secretName");
        if (name === undefined || name === "" || (typeof name === "string" && isDns1123Subdomain(name))) {
            return;
        }
        report(
            formatProblem({
                key: "",
                message: `${ingress.description} spec.tls[${index}].secretName ${shown(name)} is not a Secret name (a DNS-1123 subdomain); the API server refuses the Ingress`,
                fix: `name the kubernetes.io/tls Secret, lowercase letters, digits, '-' and '.'`,
            }),
        );
    });
}

export const ingressTlsHosts: ResourceValidationPolicy = {
    name: INGRESS_TLS_HOSTS,
    description:
        "Every Ingress TLS host is served by a rule of the same Ingress (otherwise its certificate is never used); a TLS secretName is a Secret name.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const ingress = ingressOf(args);
        if (ingress) {
            checkTlsHosts(ingress, reportViolation);
            checkTlsSecretNames(ingress, reportViolation);
        }
    },
};
