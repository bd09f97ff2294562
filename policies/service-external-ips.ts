import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { z } from "zod";
import { configOf, configSchemaOf } from "./lib/config";
import { qualifiedName } from "./lib/kubernetes";
import { ServiceInfo, serviceOf } from "./lib/services";
import { shown } from "./lib/values";

export const SERVICE_NO_EXTERNAL_IPS = "service-no-external-ips";

export const serviceNoExternalIpsConfig = z.strictObject({
    allowedServices: z
        .array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, { message: "expected namespace/name" }))
        .default([])
        .describe("Services (namespace/name) trusted to set externalIPs. Default: none."),
});
export type ServiceNoExternalIpsConfig = z.output<typeof serviceNoExternalIpsConfig>;

/**
 * CVE-2020-8554: whoever can create a Service with externalIPs can capture cluster traffic to any address (an
 * external API, another tenant's IP). Upstream's mitigation is the DenyServiceExternalIPs admission plugin; this
 * refuses them before they reach the cluster.
 */
export function checkExternalIps(
    service: ServiceInfo,
    config: ServiceNoExternalIpsConfig,
    report: (message: string) => void,
): void {
    if (service.externalIPs.length === 0 || config.allowedServices.includes(qualifiedName(service.resource))) {
        return;
    }
    report(
        formatProblem({
            key: "",
            message: `${service.description} sets spec.externalIPs ${shown(service.externalIPs)}; externalIPs let a Service capture traffic to any address from every node (CVE-2020-8554)`,
            fix: `expose it with type NodePort or an Ingress instead, or if this Service is trusted add "${qualifiedName(service.resource)}" to ${SERVICE_NO_EXTERNAL_IPS}.allowedServices`,
        }),
    );
}

export const serviceNoExternalIps: ResourceValidationPolicy = {
    name: SERVICE_NO_EXTERNAL_IPS,
    description: "Services set no spec.externalIPs (CVE-2020-8554: they can intercept traffic to any address).",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(serviceNoExternalIpsConfig),
    validateResource: (args, reportViolation) => {
        const service = serviceOf(args);
        if (service) {
            checkExternalIps(
                service,
                configOf(SERVICE_NO_EXTERNAL_IPS, serviceNoExternalIpsConfig, args),
                reportViolation,
            );
        }
    },
};
