import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { Result, formatProblem, problemAt } from "../components/common";
import { z } from "zod";
import { IpFamily, formatAddress } from "../components/plan";
import { clusterIpFindings, clusterIpTakenFinding, parseServiceIp } from "../components/rules";
import { parseAddressFast } from "./lib/addresses";
import { serviceCidrs, stackPlanOf, stackResourceOf } from "./lib/cluster";
import { cidrSetting, configOf, configSchemaOf } from "./lib/config";
import { ResourceLike, qualifiedName } from "./lib/kubernetes";
import { policyMessage } from "./lib/problems";
import { HEADLESS, ServiceInfo, servicesOf } from "./lib/services";
import { asArray, asBoolean, asString, at, shown } from "./lib/values";

export const SERVICE_CLUSTER_IP_IN_RANGE = "service-cluster-ip-in-range";

export const serviceClusterIpConfig = z.strictObject({
    serviceCidr: cidrSetting(IpFamily.IPv4)
        .optional()
        .describe("The IPv4 Service CIDR. Default: the stack's plan output, else kubeadm's 10.96.0.0/12."),
    serviceCidrV6: cidrSetting(IpFamily.IPv6)
        .optional()
        .describe("The IPv6 Service CIDR. Default: the stack's plan output."),
});
export type ServiceClusterIpConfig = z.output<typeof serviceClusterIpConfig>;

/**
 * A clusterIP as the API server reads it (components/rules): canonical IPv4 on the fast path, IPv6 in any valid
 * spelling (the API server accepts those with a warning).
 */
function parseClusterIp(text: string): Result<{ family: IpFamily; value: bigint }> {
    const fast = parseAddressFast(text);
    return fast.ok ? fast : parseServiceIp(text);
}

/** The clusterIP(s) a Service asks for: clusterIPs when set, else clusterIP; empty for "let the cluster choose". */
function requestedIps(service: ServiceInfo): unknown[] {
    if (service.clusterIPs.length > 0) {
        return [...service.clusterIPs];
    }
    return service.clusterIP !== undefined && service.clusterIP !== "" ? [service.clusterIP] : [];
}

/**
 * Every clusterIP a Service asks for lies inside the Service CIDR of its family, is an address the API server hands
 * out (not the network or broadcast address), is not the `kubernetes` Service's or cluster DNS's address, and is
 * asked for by one Service only. One pass with a map: linear in the number of Services.
 */
export function checkClusterIps(
    resources: readonly ResourceLike[],
    config: ServiceClusterIpConfig,
    report: ReportViolation,
): void {
    const plan = stackPlanOf(resources);
    const ranges = serviceCidrs(config, plan, SERVICE_CLUSTER_IP_IN_RANGE);
    const owners = new Map<string, ServiceInfo>();
    for (const service of servicesOf(resources)) {
        if (service.type === "ExternalName") {
            continue;
        }
        const who = service.description;
        const here = (message: string): void => report(message, service.resource.urn);
        const ips = requestedIps(service);
        if (
            service.clusterIP !== undefined &&
            service.clusterIP !== "" &&
            service.clusterIPs.length > 0 &&
            service.clusterIPs[0] !== service.clusterIP
        ) {
            here(
                formatProblem({
                    key: "",
                    message: `${who} sets clusterIP ${shown(service.clusterIP)} but clusterIPs[0] ${shown(service.clusterIPs[0])}; Kubernetes requires them equal`,
                    fix: "make clusterIPs[0] the clusterIP",
                }),
            );
        }
        if (ips.includes(HEADLESS)) {
            if (ips.length > 1) {
                here(
                    formatProblem({
                        key: "",
                        message: `${who} mixes "None" with addresses in clusterIPs ${shown(ips)}; a headless Service has clusterIPs ["None"] only`,
                        fix: `drop the addresses or the "None"`,
                    }),
                );
            }
            continue;
        }
        if (ips.length > 2) {
            here(
                formatProblem({
                    key: "",
                    message: `${who} asks for ${ips.length} clusterIPs ${shown(ips)}; a Service has at most one per IP family`,
                    fix: "keep one IPv4 and/or one IPv6 address",
                }),
            );
        }
        const families = new Set<IpFamily>();
        for (const text of ips) {
            const parsed = typeof text === "string" ? parseClusterIp(text) : undefined;
            if (!parsed?.ok) {
                const fix = "write an address inside the Service CIDR, or leave clusterIP unset";
                const problem =
                    parsed && !parsed.ok
                        ? parsed.problems[0]!
                        : { key: "", message: `${shown(text)} is not an IP address` };
                here(formatProblem(problemAt(problem, `${who} clusterIP`, fix)));
                continue;
            }
            const { family, value } = parsed.value;
            const address = formatAddress(family, value);
            if (families.has(family)) {
                here(
                    formatProblem({
                        key: "",
                        message: `${who} asks for two ${family} clusterIPs (${address})`,
                        fix: "keep one per family",
                    }),
                );
                continue;
            }
            families.add(family);
            const found = clusterIpFindings(parsed.value, ranges, "spec.clusterIP", {
                owner: qualifiedName(service.resource),
            });
            if (found.length > 0) {
                found.forEach((problem) => here(policyMessage(who, problem)));
                continue;
            }
            const key = `${family}/${address}`;
            const owner = owners.get(key);
            if (owner) {
                here(policyMessage(who, clusterIpTakenFinding(address, owner.description, "spec.clusterIP")));
            } else {
                owners.set(key, service);
            }
        }
    }
}

export const serviceClusterIpInRange: StackValidationPolicy = {
    name: SERVICE_CLUSTER_IP_IN_RANGE,
    description:
        "Every fixed Service clusterIP lies inside the Service CIDR of its family, is allocatable, is not the kubernetes or cluster DNS Service's address, and is used once.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(serviceClusterIpConfig),
    validateStack: (args, reportViolation) => {
        checkClusterIps(
            args.resources,
            configOf(SERVICE_CLUSTER_IP_IN_RANGE, serviceClusterIpConfig, args),
            reportViolation,
        );
    },
};

export const SERVICE_IP_FAMILIES = "service-ip-families";
export const SERVICE_LOAD_BALANCER_AVAILABLE = "service-load-balancer-available";

/**
 * ipFamilies and ipFamilyPolicy the cluster's Service CIDRs can give: the API server refuses a family it has no
 * Service CIDR for ("not configured on this cluster"), and RequireDualStack on a single-stack cluster.
 */
export function checkIpFamilies(
    resources: readonly ResourceLike[],
    config: ServiceClusterIpConfig,
    report: ReportViolation,
): void {
    const plan = stackPlanOf(resources);
    const ranges = serviceCidrs(config, plan, SERVICE_CLUSTER_IP_IN_RANGE);
    const configured = Object.keys(ranges).join(" and ") || "none";
    for (const service of servicesOf(resources)) {
        if (service.type === "ExternalName") {
            continue;
        }
        const spec = service.resource.props["spec"];
        const families = asArray(at(spec, "ipFamilies"));
        const policy = asString(at(spec, "ipFamilyPolicy"));
        for (const family of families) {
            if (family !== IpFamily.IPv4 && family !== IpFamily.IPv6) {
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} spec.ipFamilies: ${shown(family)} is not an IP family; the API server takes IPv4 and IPv6`,
                        fix: "write IPv4 or IPv6",
                    }),
                    service.resource.urn,
                );
            } else if (!ranges[family]) {
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} spec.ipFamilies asks for ${family}, but the cluster has no ${family} Service CIDR (it has ${configured}); the API server refuses it ("${family} is not configured on this cluster")`,
                        fix: `drop ${family} from ipFamilies, or give the cluster an ${family} Service CIDR`,
                    }),
                    service.resource.urn,
                );
            }
        }
        // ValidateService: at most one entry per family, and clusterIPs[i] of family ipFamilies[i].
        if (families.length > 2 || new Set(families).size < families.length) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} spec.ipFamilies ${shown(families)} names a family twice; the API server refuses it (at most one IPv4 and one IPv6)`,
                    fix: `list each family once, the primary first`,
                }),
                service.resource.urn,
            );
        }
        service.clusterIPs.forEach((text, index) => {
            const family = families[index];
            const parsed = typeof text === "string" && text !== HEADLESS ? parseClusterIp(text) : undefined;
            if (
                parsed?.ok &&
                (family === IpFamily.IPv4 || family === IpFamily.IPv6) &&
                parsed.value.family !== family
            ) {
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} spec.clusterIPs[${index}] ${shown(text)} is ${parsed.value.family}, but spec.ipFamilies[${index}] is ${family}; the API server refuses it ("expected an ${family} value as indicated by ipFamilies")`,
                        fix: `list ipFamilies in the order of clusterIPs, or leave ipFamilies out`,
                    }),
                    service.resource.urn,
                );
            }
        });
        if (policy === "RequireDualStack" && Object.keys(ranges).length < 2) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} spec.ipFamilyPolicy is RequireDualStack, but the cluster is single-stack (Service CIDRs: ${configured}); the API server refuses it`,
                    fix: "use SingleStack or PreferDualStack",
                }),
                service.resource.urn,
            );
        }
    }
}

export const serviceIpFamilies: StackValidationPolicy = {
    name: SERVICE_IP_FAMILIES,
    description:
        "A Service's ipFamilies and ipFamilyPolicy ask only for families the cluster has Service CIDRs for (the API server refuses others).",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(serviceClusterIpConfig),
    validateStack: (args, reportViolation) => {
        checkIpFamilies(args.resources, configOf(SERVICE_IP_FAMILIES, serviceClusterIpConfig, args), reportViolation);
    },
};

export const serviceLoadBalancerConfig = z.strictObject({
    loadBalancer: z
        .boolean()
        .optional()
        .describe(
            "True when something (MetalLB, a cloud) gives LoadBalancer Services their address. Default: the stack's clusternet:cluster.loadBalancer (stack output plan), else false.",
        ),
});
export type ServiceLoadBalancerConfig = z.output<typeof serviceLoadBalancerConfig>;

/** `type: LoadBalancer` on a cluster without a load-balancer provider stays `<pending>` forever, and `pulumi up` waits on it. */
export function checkLoadBalancerAvailable(
    resources: readonly ResourceLike[],
    config: ServiceLoadBalancerConfig,
    report: ReportViolation,
): void {
    const stack = stackResourceOf(resources);
    const fromPlan = asBoolean(at(stack?.props, "plan", "cluster", "loadBalancer"));
    if (config.loadBalancer ?? fromPlan ?? false) {
        return;
    }
    for (const service of servicesOf(resources)) {
        if (service.type === "LoadBalancer") {
            const skipAwait = at(service.resource.props, "metadata", "annotations", "pulumi.com/skipAwait") === "true";
            const wait = skipAwait
                ? "(pulumi up does not wait: skipAwait)"
                : "and pulumi up waits for it until it times out";
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} is of type LoadBalancer, but the cluster has no load-balancer provider (clusternet:cluster.loadBalancer is false): no controller assigns it an address, so its EXTERNAL-IP stays <pending> forever ${wait}`,
                    fix: `use type NodePort, or install MetalLB and set clusternet:cluster.loadBalancer (or ${SERVICE_LOAD_BALANCER_AVAILABLE}.loadBalancer) to true`,
                }),
                service.resource.urn,
            );
        }
    }
}

export const serviceLoadBalancerAvailable: StackValidationPolicy = {
    name: SERVICE_LOAD_BALANCER_AVAILABLE,
    description: "No LoadBalancer Service on a cluster without a load-balancer provider (it stays pending forever).",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(serviceLoadBalancerConfig),
    validateStack: (args, reportViolation) => {
        checkLoadBalancerAvailable(
            args.resources,
            configOf(SERVICE_LOAD_BALANCER_AVAILABLE, serviceLoadBalancerConfig, args),
            reportViolation,
        );
    },
};
