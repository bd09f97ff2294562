import type { ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { ResourceLike } from "./lib/kubernetes";
import { ServiceInfo, describePort, servicesOf } from "./lib/services";
import { asNumber, at, listed, listedAtMost } from "./lib/values";
import { Placement, Workload, WorkloadIndex, servingContainersOf, workloadsOf } from "./lib/workloads";
import { checkNumericTargetPorts, ownedNamespaces } from "./service-workloads";

export const SERVICE_SELECTS_PODS = "service-selects-pods";
export const SERVICE_TARGET_PORT_EXISTS = "service-target-port-exists";
export const SERVICE_BACKENDS_READY = "service-backends-ready";

/** Services that route to pods by selector (ExternalName and selector-less Services have hand-managed endpoints). */
function selectingServices(resources: readonly ResourceLike[]): ServiceInfo[] {
    return servicesOf(resources).filter(
        (service) => service.type !== "ExternalName" && Object.keys(service.selector).length > 0,
    );
}

function selectorText(selector: Readonly<Record<string, string>>): string {
    return Object.entries(selector)
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
}

/** Each selecting Service with the workloads whose pod templates it matches, via one label index. */
export function serviceBackends(
    resources: readonly ResourceLike[],
): Array<{ service: ServiceInfo; workloads: Workload[] }> {
    const cached = backendsCache.get(resources);
    if (cached) {
        return cached;
    }
    const index = new WorkloadIndex(workloadsOf(resources));
    const backends = selectingServices(resources).map((service) => ({
        service,
        workloads: index.matching(service.namespace, service.selector),
    }));
    backendsCache.set(resources, backends);
    return backends;
}

/**
 * Seven stack policies match Services to workloads over the same resources list: the engine hands each of them
 * the same list in one run, so the matching is done once per list (and forgotten with it).
 */
const backendsCache = new WeakMap<readonly ResourceLike[], Array<{ service: ServiceInfo; workloads: Workload[] }>>();

/** The seed's "Service has no endpoints": a selector that matches no pod template in the stack. */
export function checkSelectsPods(resources: readonly ResourceLike[], report: ReportViolation): void {
    const owned = ownedNamespaces(resources);
    for (const { service, workloads } of serviceBackends(resources)) {
        // In a namespace the stack creates, service-has-backends reports it as mandatory.
        if (workloads.length === 0 && !owned.has(service.namespace)) {
            report(
                formatProblem({
                    key: "",
                    message: `${service.description} selects pods labelled ${selectorText(service.selector)}, but no pod template in namespace ${service.namespace} of this stack carries all of these labels, so its endpoints stay empty (the seed's "Service has no endpoints")`,
                    fix: "make the selector match the workload's spec.template.metadata.labels (same namespace), or ignore this if the pods come from outside the stack",
                }),
                service.resource.urn,
            );
        }
    }
}

/**
 * A named targetPort resolves per pod to the container port of that name and protocol; a pod without one is left
 * out of the endpoints. So every matched pod template must declare it.
 */
export function checkTargetPortsExist(resources: readonly ResourceLike[], report: ReportViolation): void {
    checkNumericTargetPorts(resources, true, report);
    for (const { service, workloads } of serviceBackends(resources)) {
        for (const port of service.ports) {
            if (typeof port.targetPort !== "string" || port.targetPort === "") {
                continue;
            }
            const name = port.targetPort;
            for (const workload of workloads) {
                const declared = servingContainersOf(workload).flatMap((container) =>
                    container.ports.map((containerPort) => ({ container, containerPort })),
                );
                if (
                    declared.some(
                        ({ containerPort }) => containerPort.name === name && containerPort.protocol === port.protocol,
                    )
                ) {
                    continue;
                }
                const sameName = declared.find(({ containerPort }) => containerPort.name === name);
                const available = declared
                    .filter(({ containerPort }) => containerPort.name !== undefined)
                    .map(
                        ({ containerPort }) =>
                            `${containerPort.name} (${containerPort.containerPort}/${containerPort.protocol})`,
                    );
                const detail = sameName
                    ? `its container port ${name} is ${sameName.containerPort.protocol}, not ${port.protocol}`
                    : available.length > 0
                      ? `it names ${listedAtMost(available, 6)}`
                      : "it names no container ports";
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} ${describePort(port)} targets the container port named "${name}", but ${workload.description}'s pod template has no ${port.protocol} port of that name (${detail}), so its pods never become endpoints of this port`,
                        fix: `name the container port "${name}" (protocol ${port.protocol}) or set targetPort to the container's port number`,
                    }),
                    service.resource.urn,
                );
            }
        }
    }
}

/** Endpoints only list Ready pods: a pod without a readiness probe gets traffic before it can serve it. */
export function checkBackendsReady(resources: readonly ResourceLike[], report: ReportViolation): void {
    const reported = new Set<Workload>();
    const owned = ownedNamespaces(resources);
    for (const { service, workloads } of serviceBackends(resources)) {
        for (const workload of workloads) {
            if (reported.has(workload)) {
                continue;
            }
            reported.add(workload);
            const unprobed = servingContainersOf(workload).filter(
                (container) => at(container.raw, "readinessProbe") === undefined,
            );
            if (unprobed.length > 0) {
                report(
                    formatProblem({
                        key: "",
                        message: `${workload.description} (behind ${service.description}) has no readinessProbe on ${unprobed.length === 1 ? "container" : "containers"} ${listed(unprobed.map((container) => container.name))}; its pods join the Service's endpoints as soon as they start, before they can serve`,
                        fix: "add a readinessProbe (httpGet or tcpSocket on the served port)",
                    }),
                    workload.resource.urn,
                );
            }
            if (
                workload.placement === Placement.Replicas &&
                asNumber(at(workload.resource.props, "spec", "replicas")) === 0 &&
                // All of them at zero in a namespace the stack creates: service-has-backends reports it as mandatory.
                !(
                    owned.has(service.namespace) &&
                    workloads.every((other) => asNumber(at(other.resource.props, "spec", "replicas")) === 0)
                )
            ) {
                report(
                    formatProblem({
                        key: "",
                        message: `${workload.description} (behind ${service.description}) has replicas: 0, so the Service has no endpoints`,
                        fix: "scale it up, or remove the Service",
                    }),
                    workload.resource.urn,
                );
            }
        }
    }
}

export const serviceSelectsPods: StackValidationPolicy = {
    name: SERVICE_SELECTS_PODS,
    description:
        "Every Service selector matches the pod template of at least one workload in the stack (otherwise the Service has no endpoints).",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkSelectsPods(args.resources, reportViolation),
};

export const serviceTargetPortExists: StackValidationPolicy = {
    name: SERVICE_TARGET_PORT_EXISTS,
    description:
        "A Service's named targetPort exists, with the port's protocol, on every pod template the Service selects; a numeric one is among the container ports those pods declare.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkTargetPortsExist(args.resources, reportViolation),
};

export const serviceBackendsReady: StackValidationPolicy = {
    name: SERVICE_BACKENDS_READY,
    description: "Workloads behind a Service have readiness probes and at least one replica.",
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => checkBackendsReady(args.resources, reportViolation),
};
