/**
 * What `up` observed on top of the plan (pod IPs from CNI, readiness, what each stand-in serves, the endpoints
 * kube-proxy was given), saved as JSON in the state folder for `check` and `down`.
 */
import { Endpoint, PodView, endpointsOf, noEndpointsReason } from "./kube-proxy";
import { LabPlan } from "./plan";

export interface PodStatus {
    /** The address host-local gave it, or null when CNI ADD failed. */
    readonly ip: string | null;
    readonly ready: boolean;
    /** Why it is not Ready, or what was not attached. */
    readonly problem?: string;
}

export interface LabState {
    readonly plan: LabPlan;
    readonly pods: Readonly<Record<string, PodStatus>>;
    /** By Service port id (`namespace/name:port`). */
    readonly endpoints: Readonly<Record<string, readonly Endpoint[]>>;
    /** Why a Service port has no endpoints. */
    readonly noEndpoints: Readonly<Record<string, string>>;
    readonly upMs: number;
}

export const STATE_FILE = "lab.json";

export function podViews(plan: LabPlan, pods: Readonly<Record<string, PodStatus>>): PodView[] {
    return plan.pods.map((pod) => ({
        namespace: pod.namespace,
        name: pod.name,
        node: pod.node,
        ip: pods[pod.key]?.ip ?? null,
        ready: pods[pod.key]?.ready ?? false,
        labels: pod.labels,
        ports: pod.ports,
    }));
}

/** Every Service port's endpoints (and, when there are none, why), as the endpoints controller would publish them. */
export function computeEndpoints(
    plan: LabPlan,
    pods: Readonly<Record<string, PodStatus>>,
): { endpoints: Record<string, Endpoint[]>; noEndpoints: Record<string, string> } {
    const views = podViews(plan, pods);
    const endpoints: Record<string, Endpoint[]> = {};
    const noEndpoints: Record<string, string> = {};
    for (const service of plan.services) {
        for (const port of service.ports) {
            endpoints[port.id] = endpointsOf(service, port, views);
            if (endpoints[port.id]!.length === 0) {
                noEndpoints[port.id] = noEndpointsReason(service, port, views);
            }
        }
    }
    return { endpoints, noEndpoints };
}
