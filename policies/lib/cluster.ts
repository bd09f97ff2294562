import { Cidr, IpFamily, formatCidr, parseCidr } from "../../components/plan";
import { parseAddressFast } from "./addresses";
import { isFlannelConfigMap, netConfTextOf, parseNetConf } from "./flannel";
import { ResourceLike, ResourceType, describe } from "./kubernetes";
import { asArray, asNumber, asRecord, asString, at, lazy } from "./values";

/**
 * What the stack itself says about its cluster: the `plan` output of the root `pulumi:pulumi:Stack` resource
 * (stack policies see every resource's outputs, the Stack's included). Another program using this pack may export
 * no plan; every field is then absent and the policies fall back on their config.
 */
export interface StackPlan {
    /** The Stack resource's URN, to attach stack-level violations to. */
    readonly urn?: string;
    readonly podCidr?: string;
    readonly podCidrV6?: string;
    readonly serviceCidr?: string;
    readonly serviceCidrV6?: string;
    readonly nodeNetwork?: string;
    readonly nodeMaskSize?: number;
    readonly nodeMaskSizeV6?: number;
    readonly reserved: ReadonlyArray<{ readonly name: string; readonly cidr: string }>;
    readonly nodes: ReadonlyArray<{ readonly name: string; readonly ip: string }>;
    /** How many nodes the plan lists, without reading them. */
    readonly nodeCount: number;
}

/** Where a stack output lives, for messages. */
export const STACK_PLAN_OUTPUT = "plan";

export function stackResourceOf(resources: readonly ResourceLike[]): ResourceLike | undefined {
    return resources.find((resource) => resource.type === ResourceType.Stack);
}

export function stackPlanOf(resources: readonly ResourceLike[]): StackPlan {
    const stack = stackResourceOf(resources);
    const plan = lazy(() => asRecord(at(stack?.props, STACK_PLAN_OUTPUT)));
    const cluster = lazy(() => asRecord(plan()?.["cluster"]));
    const text = (key: string) => lazy(() => asString(cluster()?.[key]));
    const number = (key: string) => lazy(() => asNumber(cluster()?.[key]));
    const podCidr = text("podCidr");
    const podCidrV6 = text("podCidrV6");
    const serviceCidr = text("serviceCidr");
    const serviceCidrV6 = text("serviceCidrV6");
    const nodeNetwork = text("nodeNetwork");
    const nodeMaskSize = number("nodeMaskSize");
    const nodeMaskSizeV6 = number("nodeMaskSizeV6");
    const reserved = lazy(() =>
        asArray(cluster()?.["reserved"]).flatMap((entry) => {
            const name = asString(at(entry, "name"));
            const cidr = asString(at(entry, "cidr"));
            return name !== undefined && cidr !== undefined ? [{ name, cidr }] : [];
        }),
    );
    const nodeList = lazy(() => asArray(plan()?.["nodes"]));
    const nodes = lazy(() =>
        nodeList().flatMap((entry) => {
            const name = asString(at(entry, "name"));
            const ip = asString(at(entry, "ip"));
            return name !== undefined && ip !== undefined ? [{ name, ip }] : [];
        }),
    );
    // Read field by field, on first use: a policy that needs the Service CIDR does not read 5,000 nodes.
    return {
        urn: stack?.urn,
        get podCidr() {
            return podCidr();
        },
        get podCidrV6() {
            return podCidrV6();
        },
        get serviceCidr() {
            return serviceCidr();
        },
        get serviceCidrV6() {
            return serviceCidrV6();
        },
        get nodeNetwork() {
            return nodeNetwork();
        },
        get nodeMaskSize() {
            return nodeMaskSize();
        },
        get nodeMaskSizeV6() {
            return nodeMaskSizeV6();
        },
        get reserved() {
            return reserved();
        },
        get nodes() {
            return nodes();
        },
        get nodeCount() {
            return nodeList().length;
        },
    };
}

/** A range together with where it was read from, for messages. */
export interface SourcedCidr {
    readonly cidr: Cidr;
    /** `policy config serviceCidr`, `clusternet:cluster.serviceCidr (stack output plan)`, `net-conf.json Network of ConfigMap kube-flannel/kube-flannel-cfg`. */
    readonly source: string;
    /** The resource the range was read from, if any. */
    readonly urn?: string;
}

/** The first text that parses as a CIDR of the family, with its source. */
export function firstCidr(
    family: IpFamily,
    ...candidates: ReadonlyArray<{ text: unknown; source: string; urn?: string } | undefined>
): SourcedCidr | undefined {
    for (const candidate of candidates) {
        if (!candidate || typeof candidate.text !== "string") {
            continue;
        }
        const parsed = parseCidr(candidate.text);
        if (parsed.ok && parsed.value.family === family) {
            return { cidr: parsed.value, source: candidate.source, urn: candidate.urn };
        }
    }
    return undefined;
}

/** The flannel Network (IPv4) and IPv6Network (IPv6) of the first flannel ConfigMap whose net-conf.json parses. */
export function flannelNetworks(resources: readonly ResourceLike[]): {
    resource?: ResourceLike;
    network?: unknown;
    ipv6Network?: unknown;
} {
    for (const resource of resources) {
        if (!isFlannelConfigMap(resource)) {
            continue;
        }
        const text = netConfTextOf(resource);
        const parsed = text === undefined ? undefined : parseNetConf(text);
        if (parsed?.ok) {
            return {
                resource,
                network: parsed.value.enableIPv4 ? parsed.value.network : undefined,
                ipv6Network: parsed.value.enableIPv6 ? parsed.value.ipv6Network : undefined,
            };
        }
    }
    return {};
}

export interface ServiceCidrSettings {
    readonly serviceCidr?: string;
    readonly serviceCidrV6?: string;
}

/** kubeadm's (and kube-apiserver's) default Service CIDR, used when neither config nor the stack names one. */
export const KUBEADM_SERVICE_CIDR = "10.96.0.0/12";

/** The Service CIDR per family: policy config first, then the stack's plan output, then (IPv4) kubeadm's default. */
export function serviceCidrs(
    config: ServiceCidrSettings,
    plan: StackPlan,
    policyName: string,
): Partial<Record<IpFamily, SourcedCidr>> {
    const result: Partial<Record<IpFamily, SourcedCidr>> = {};
    const v4 = firstCidr(
        IpFamily.IPv4,
        { text: config.serviceCidr, source: `policy config ${policyName}.serviceCidr` },
        { text: plan.serviceCidr, source: "clusternet:cluster.serviceCidr (stack output plan)", urn: plan.urn },
        plan.serviceCidrV6 === undefined
            ? { text: KUBEADM_SERVICE_CIDR, source: "kubeadm's default Service CIDR" }
            : undefined,
    );
    const v6 = firstCidr(
        IpFamily.IPv6,
        { text: config.serviceCidrV6, source: `policy config ${policyName}.serviceCidrV6` },
        { text: plan.serviceCidrV6, source: "clusternet:cluster.serviceCidrV6 (stack output plan)", urn: plan.urn },
    );
    if (v4) {
        result.IPv4 = v4;
    }
    if (v6) {
        result.IPv6 = v6;
    }
    return result;
}

/** An IP address parsed strictly, or undefined. */
export function addressOf(text: unknown): { family: IpFamily; value: bigint } | undefined {
    if (typeof text !== "string") {
        return undefined;
    }
    const parsed = parseAddressFast(text);
    return parsed.ok ? parsed.value : undefined;
}

/** `the pod CIDR 10.244.0.0/16 (from ...)`. */
export function describeRange(what: string, range: SourcedCidr): string {
    return `${what} ${formatCidr(range.cidr)} (${range.source})`;
}

export function describeSource(resource: ResourceLike, field: string): string {
    return `${field} of ${describe(resource)}`;
}
