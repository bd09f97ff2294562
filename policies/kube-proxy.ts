import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { Result, fail, formatProblem, ok, problemAt } from "../components/common";
import { parse } from "yaml";
import { z } from "zod";
import { IpFamily, formatCidr, parseCidr } from "../components/plan";
import { firstCidr, flannelNetworks, stackPlanOf } from "./lib/cluster";
import { cidrSetting, configOf, configSchemaOf } from "./lib/config";
import { ResourceLike, describe, namespaceOf, objectName } from "./lib/kubernetes";
import { asRecord, asString, at, shown } from "./lib/values";

export const KUBE_PROXY_CONFIG = "kube-proxy-config";
export const KUBE_PROXY_IPVS_DEPRECATED = "kube-proxy-ipvs-deprecated";

const MODES = ["iptables", "nftables", "ipvs"] as const;

export const kubeProxyConfigConfig = z.strictObject({
    modes: z
        .array(z.enum(MODES))
        .min(1)
        .default([...MODES])
        .describe(
            "The kube-proxy modes the nodes support, e.g. [iptables] where kernels are older than 5.13 (nftables) or ip_vs is missing (ipvs). Default: all three.",
        ),
    podCidr: cidrSetting(IpFamily.IPv4)
        .optional()
        .describe("The IPv4 pod CIDR. Default: the stack's plan output, else flannel's Network."),
    podCidrV6: cidrSetting(IpFamily.IPv6)
        .optional()
        .describe("The IPv6 pod CIDR. Default: the stack's plan output, else flannel's IPv6Network."),
});
export type KubeProxyConfigConfig = z.output<typeof kubeProxyConfigConfig>;

const CONFIG_MAP_TYPES = ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"];

/** kube-system/kube-proxy's config.conf, as a ConfigMap or a ConfigMapPatch of kubeadm's. */
export function kubeProxyConfigMaps(resources: readonly ResourceLike[]): ResourceLike[] {
    return resources.filter(
        (resource) =>
            CONFIG_MAP_TYPES.includes(resource.type) &&
            objectName(resource) === "kube-proxy" &&
            namespaceOf(resource) === "kube-system" &&
            at(resource.props, "data", "config.conf") !== undefined,
    );
}

/** The KubeProxyConfiguration of a kube-proxy ConfigMap, or why it cannot be read (key `""`: the caller's). */
function configurationOf(resource: ResourceLike): Result<Record<string, unknown>> {
    const text = at(resource.props, "data", "config.conf");
    if (typeof text !== "string") {
        return fail({ key: "", message: `config.conf is ${shown(text)}, not text` });
    }
    try {
        const value = asRecord(parse(text));
        return value ? ok(value) : fail({ key: "", message: "config.conf is not a mapping" });
    } catch (error) {
        return fail({ key: "", message: `config.conf is not valid YAML (${(error as Error).message.split("\n")[0]})` });
    }
}

/** The mode as kube-proxy reads it: empty means its default, iptables. */
function modeOf(configuration: Record<string, unknown>): unknown {
    const mode = configuration["mode"];
    return mode === undefined || mode === "" ? "iptables" : mode;
}

/**
 * kube-proxy's config against the cluster: its clusterCIDR is exactly the pod CIDR(s) (kube-proxy masquerades
 * Service traffic from outside it, so a wrong value breaks or over-masquerades), and its mode is one the nodes
 * support (policy config `modes`).
 */
export function checkKubeProxyConfig(
    resources: readonly ResourceLike[],
    config: KubeProxyConfigConfig,
    report: ReportViolation,
): void {
    const configMaps = kubeProxyConfigMaps(resources);
    if (configMaps.length === 0) {
        return;
    }
    const plan = stackPlanOf(resources);
    const flannel = flannelNetworks(resources);
    const pods = [
        firstCidr(
            IpFamily.IPv4,
            config.podCidr === undefined ? undefined : { text: config.podCidr, source: "policy config podCidr" },
            { text: plan.podCidr, source: "the stack's plan" },
            { text: flannel.network, source: "flannel's Network" },
        ),
        firstCidr(
            IpFamily.IPv6,
            config.podCidrV6 === undefined ? undefined : { text: config.podCidrV6, source: "policy config podCidrV6" },
            { text: plan.podCidrV6, source: "the stack's plan" },
            { text: flannel.ipv6Network, source: "flannel's IPv6Network" },
        ),
    ].filter((pod) => pod !== undefined);
    for (const resource of configMaps) {
        const who = describe(resource);
        const here = (message: string): void => report(message, resource.urn);
        const configuration = configurationOf(resource);
        if (!configuration.ok) {
            here(
                formatProblem(
                    problemAt(
                        configuration.problems[0]!,
                        who,
                        "write a KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1)",
                    ),
                ),
            );
            continue;
        }
        const mode = modeOf(configuration.value);
        if (typeof mode !== "string" || !(MODES as readonly string[]).includes(mode)) {
            here(
                formatProblem({
                    key: who,
                    message: `mode ${shown(mode)} is not a kube-proxy mode on Linux`,
                    fix: "use iptables, nftables or ipvs",
                }),
            );
        } else if (!(config.modes as readonly string[]).includes(mode)) {
            here(
                formatProblem({
                    key: who,
                    message: `mode ${mode} is not one the nodes support (policy config modes: ${config.modes.join(", ")})`,
                    fix: `use ${config.modes.join(" or ")}, or prepare the nodes for ${mode} and add it to modes`,
                }),
            );
        }
        if (pods.length === 0) {
            continue;
        }
        const expected = pods.map((pod) => formatCidr(pod.cidr));
        const text = asString(configuration.value["clusterCIDR"]) ?? "";
        const written = text === "" ? [] : text.split(",").map((part) => part.trim());
        const canonical = written.map((part) => {
            const parsed = parseCidr(part);
            return parsed.ok ? formatCidr(parsed.value) : part;
        });
        const same = canonical.length === expected.length && expected.every((cidr) => canonical.includes(cidr));
        if (!same) {
            here(
                formatProblem({
                    key: who,
                    message: `clusterCIDR is ${shown(text)}, but the pod CIDR(s) are ${expected.join(",")} (${pods.map((pod) => pod.source).join(", ")}); kube-proxy masquerades Service traffic from outside clusterCIDR, so pod traffic is masqueraded or off-cluster traffic is not`,
                    fix: `set clusterCIDR: ${expected.join(",")}`,
                }),
            );
        }
    }
}

export const kubeProxyConfig: StackValidationPolicy = {
    name: KUBE_PROXY_CONFIG,
    description:
        "kube-proxy's config.conf: clusterCIDR is exactly the pod CIDR(s), comma-separated for dual-stack; the mode is one the nodes support.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(kubeProxyConfigConfig),
    validateStack: (args, reportViolation) => {
        checkKubeProxyConfig(args.resources, configOf(KUBE_PROXY_CONFIG, kubeProxyConfigConfig, args), reportViolation);
    },
};

/** IPVS mode is deprecated (1.35) with removal targeted at 1.38: an advisory note pointing at nftables. */
export function checkIpvsDeprecated(resources: readonly ResourceLike[], report: ReportViolation): void {
    for (const resource of kubeProxyConfigMaps(resources)) {
        const configuration = configurationOf(resource);
        if (configuration.ok && modeOf(configuration.value) === "ipvs") {
            report(
                formatProblem({
                    key: describe(resource),
                    message: "mode ipvs is deprecated since Kubernetes 1.35 and its removal is targeted at 1.38",
                    fix: "switch to mode nftables (kernel >= 5.13 and nft >= 1.0.1 on every node; see docs/kube-proxy.md)",
                }),
                resource.urn,
            );
        }
    }
}

export const kubeProxyIpvsDeprecated: StackValidationPolicy = {
    name: KUBE_PROXY_IPVS_DEPRECATED,
    description: "kube-proxy's ipvs mode is deprecated (removal targeted at Kubernetes 1.38): use nftables.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        checkIpvsDeprecated(args.resources, reportViolation);
    },
};
