/**
 * Services and the workloads behind them, where a mistake is an outage the API server does not refuse: a selector
 * with no pod where the stack owns every workload of the namespace, a numeric targetPort no container declares,
 * too broad a selector, externalTrafficPolicy Local on fewer pods than nodes.
 */
import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { isPortNumber } from "../components/rules";
import { stackPlanOf } from "./lib/cluster";
import { ResourceLike, ResourceType, objectName } from "./lib/kubernetes";
import { describePort } from "./lib/services";
import { asNumber, asString, at, listed, listedAtMost } from "./lib/values";
import { Placement, Workload, servingContainersOf } from "./lib/workloads";
import { serviceBackends } from "./service-backends";

export const SERVICE_HAS_BACKENDS = "service-has-backends";
export const SERVICE_TARGET_PORT_DECLARED = "service-target-port-declared";
export const SERVICE_SELECTOR_TOO_BROAD = "service-selector-too-broad";
export const SERVICE_LOCAL_TRAFFIC_COVERAGE = "service-local-traffic-coverage";

/**
 * Namespaces the stack creates (a Namespace resource among its resources): the stack owns every workload there, so
 * a Service there with no pod behind it will never get one. Built-in namespaces are never created by a stack.
 */
export function ownedNamespaces(resources: readonly ResourceLike[]): Set<string> {
    const owned = new Set<string>();
    for (const resource of resources) {
        if (resource.type === "kubernetes:core/v1:Namespace") {
            owned.add(objectName(resource));
        }
    }
    return owned;
}

function selectorText(selector: Readonly<Record<string, string>>): string {
    return Object.entries(selector)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
}

/** Explicitly scaled to zero (replicas: 0); a DaemonSet never is. */
function scaledToZero(workload: Workload): boolean {
    return (
        workload.placement === Placement.Replicas &&
        workload.resource.type !== ResourceType.Pod &&
        workload.replicas === 0
    );
}

/**
 * In a namespace the stack creates, a Service whose selector matches no pod template, or only workloads scaled to
 * zero, has no endpoints and never will: the endpoints controller lists only Ready pods the selector matches, and
 * nothing outside the stack adds pods there. Elsewhere service-selects-pods and service-backends-ready advise.
 */
export function checkHasBackends(resources: readonly ResourceLike[], report: ReportViolation): void {
    const owned = ownedNamespaces(resources);
    if (owned.size === 0) {
        return;
    }
    for (const { service, workloads } of serviceBackends(resources)) {
        if (!owned.has(service.namespace)) {
            continue;
        }
        const selector = selectorText(service.selector);
        if (workloads.length === 0) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} selects pods labelled ${selector}, but no pod template in namespace ${service.namespace} carries all of these labels, and the stack creates that namespace, so no pod will ever match: the endpoints controller leaves the Service without endpoints and every connection is refused`,
                    fix: "make the selector match the workload's spec.template.metadata.labels (same namespace)",
                }),
                service.resource.urn,
            );
        } else if (workloads.every(scaledToZero)) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} selects only ${listed(workloads.map((workload) => workload.description))}, scaled to replicas: 0, so it has no endpoints and every connection is refused`,
                    fix: `scale ${workloads.length === 1 ? "it" : "one of them"} up, or remove the Service`,
                }),
                service.resource.urn,
            );
        }
    }
}

/**
 * A numeric targetPort goes to that port of the pod IP whatever the containers declare, so a number no container
 * declares is the classic "connection refused through the Service". Where the pods declare ports and none is this
 * one (of the port's protocol), `mandatory` reports it; where they declare none, `advisory` does (nothing to
 * compare with).
 */
export function checkNumericTargetPorts(
    resources: readonly ResourceLike[],
    declaredOnly: boolean,
    report: ReportViolation,
): void {
    for (const { service, workloads } of serviceBackends(resources)) {
        for (const port of service.ports) {
            const target = typeof port.targetPort === "number" && port.targetPort !== 0 ? port.targetPort : port.port;
            if (typeof port.targetPort === "string" && port.targetPort !== "") {
                continue; // named: service-target-port-exists
            }
            if (!isPortNumber(target)) {
                continue; // service-ports reports it
            }
            for (const workload of workloads) {
                const declared = servingContainersOf(workload).flatMap((container) => container.ports);
                if (declared.length === 0) {
                    if (!declaredOnly) {
                        report(
                            formatProblem({
                                key: "",
                                message: `${service.description} ${describePort(port)} sends traffic to port ${target}/${port.protocol} of ${workload.description}'s pods, whose containers declare no ports, so nothing shows whether anything listens there`,
                                fix: `declare the port the container listens on (ports: [{containerPort: ${target}}]) to document it`,
                            }),
                            service.resource.urn,
                        );
                    }
                    continue;
                }
                if (!declaredOnly) {
                    continue;
                }
                if (declared.some((entry) => entry.containerPort === target && entry.protocol === port.protocol)) {
                    continue;
                }
                const ofProtocol = declared.filter((entry) => entry.protocol === port.protocol);
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} ${describePort(port)} sends traffic to port ${target}/${port.protocol}, but ${workload.description}'s containers declare ${
                            ofProtocol.length > 0
                                ? listedAtMost(
                                      ofProtocol.map((entry) => `${entry.containerPort}/${entry.protocol}`),
                                      6,
                                  )
                                : `no ${port.protocol} port`
                        }: kube-proxy forwards to pod IP:${target} whatever the pod declares, so connections are refused`,
                        fix: `set targetPort to the port the container listens on (or its name), or declare ${target}/${port.protocol} on the container`,
                    }),
                    service.resource.urn,
                );
            }
        }
    }
}

/** One selector matching the pods of two workloads: the Service load-balances across both, usually by mistake. */
export function checkSelectorTooBroad(resources: readonly ResourceLike[], report: ReportViolation): void {
    for (const { service, workloads } of serviceBackends(resources)) {
        if (workloads.length > 1) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} selects pods of ${workloads.length} workloads (${listedAtMost(
                        workloads.map((workload) => workload.description),
                        4,
                    )}): the endpoints controller adds the pods of all of them, so requests are spread over different applications`,
                    fix: "add a label that only the intended workload's pod template carries (e.g. app.kubernetes.io/instance) to the selector",
                }),
                service.resource.urn,
            );
        }
    }
}

/** How many nodes the cluster has: the plan's node list, else the NodePatch/Node resources. */
function nodeCountOf(resources: readonly ResourceLike[]): { count: number; names: string[] } {
    const plan = stackPlanOf(resources);
    if (plan.nodeCount > 0) {
        return { count: plan.nodeCount, names: plan.nodes.map((node) => node.name) };
    }
    const nodes = resources.filter(
        (resource) => resource.type === ResourceType.NodePatch || resource.type === ResourceType.Node,
    );
    return { count: nodes.length, names: nodes.map((node) => objectName(node)) };
}

/**
 * externalTrafficPolicy: Local makes a node answer on the node port only when it runs a ready pod of the Service
 * (kube-proxy drops the traffic elsewhere, to keep the client's source IP). With fewer pods than nodes, some nodes
 * do not answer, and the plan's own `curl http://NODE:PORT` fails there.
 */
export function checkLocalTrafficCoverage(resources: readonly ResourceLike[], report: ReportViolation): void {
    const nodes = nodeCountOf(resources);
    if (nodes.count === 0) {
        return;
    }
    for (const { service, workloads } of serviceBackends(resources)) {
        const policy = asString(at(service.resource.props, "spec", "externalTrafficPolicy"));
        if (policy !== "Local" || (service.type !== "NodePort" && service.type !== "LoadBalancer")) {
            continue;
        }
        if (workloads.some((workload) => workload.placement === Placement.EveryNode)) {
            continue;
        }
        const pods = workloads.reduce((sum, workload) => sum + (asNumber(workload.replicas) ?? 1), 0);
        if (pods < nodes.count) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} has externalTrafficPolicy: Local but only ${pods} ${pods === 1 ? "pod" : "pods"} for ${nodes.count} nodes (${listedAtMost(nodes.names, 6)}): kube-proxy answers on the node port only on nodes running a ready pod, so at least ${nodes.count - pods} ${nodes.count - pods === 1 ? "node does" : "nodes do"} not answer and curl to those nodes fails`,
                    fix: `use externalTrafficPolicy: Cluster, run the pods as a DaemonSet, or run at least ${nodes.count} replicas spread over the nodes`,
                }),
                service.resource.urn,
            );
        }
    }
}

export const serviceHasBackends: StackValidationPolicy = {
    name: SERVICE_HAS_BACKENDS,
    description:
        "In namespaces the stack creates, every Service selector matches a pod template that is not scaled to zero (otherwise the Service never has endpoints).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkHasBackends(args.resources, reportViolation),
};

export const serviceTargetPortDeclared: StackValidationPolicy = {
    name: SERVICE_TARGET_PORT_DECLARED,
    description: "A numeric targetPort to pods whose containers declare no ports (nothing shows a listener).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkNumericTargetPorts(args.resources, false, reportViolation),
};

export const serviceSelectorTooBroad: StackValidationPolicy = {
    name: SERVICE_SELECTOR_TOO_BROAD,
    description: "A Service selector that matches the pods of more than one workload.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkSelectorTooBroad(args.resources, reportViolation),
};

export const serviceLocalTrafficCoverage: StackValidationPolicy = {
    name: SERVICE_LOCAL_TRAFFIC_COVERAGE,
    description: "externalTrafficPolicy: Local with fewer pods than nodes (some nodes do not answer on the node port).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkLocalTrafficCoverage(args.resources, reportViolation),
};
