import { ResourceLike, ResourceType, describe, namespaceOf, objectName } from "./kubernetes";
import { Props, asArray, asNumber, asRecord, asString, asStringMap, at, lazy } from "./values";

/** Where a workload's pods run: one per eligible node (DaemonSet), or a number of replicas placed by the scheduler. */
export const Placement = {
    EveryNode: "every-node",
    Replicas: "replicas",
} as const;
export type Placement = (typeof Placement)[keyof typeof Placement];

/** A resource that creates pods, with the pod template it creates them from. */
export interface Workload {
    readonly resource: ResourceLike;
    /** `Deployment demo/web`, for messages. */
    readonly description: string;
    readonly namespace: string;
    readonly name: string;
    /** The pod template's labels (a Pod's own labels). */
    readonly labels: Readonly<Record<string, string>>;
    /** The pod spec. */
    readonly spec: Props;
    readonly placement: Placement;
    /** Pods wanted: replicas, parallelism, or 1 for a Pod; for a DaemonSet, 1 per node. */
    readonly replicas: number;
    /** Every container of the pod spec (see containersOf). */
    readonly containers: readonly ContainerInfo[];
}

export const WORKLOAD_TYPES: readonly string[] = [
    ResourceType.Deployment,
    ResourceType.DaemonSet,
    ResourceType.StatefulSet,
    ResourceType.ReplicaSet,
    ResourceType.Job,
    ResourceType.CronJob,
    ResourceType.Pod,
];

/** Where the pod template and the pod count sit in each kind of workload. */
const TEMPLATE_PATHS: Record<string, { template: string[]; count?: string[]; placement: Placement }> = {
    [ResourceType.Deployment]: {
        template: ["spec", "template"],
        count: ["spec", "replicas"],
        placement: Placement.Replicas,
    },
    [ResourceType.StatefulSet]: {
        template: ["spec", "template"],
        count: ["spec", "replicas"],
        placement: Placement.Replicas,
    },
    [ResourceType.ReplicaSet]: {
        template: ["spec", "template"],
        count: ["spec", "replicas"],
        placement: Placement.Replicas,
    },
    [ResourceType.DaemonSet]: { template: ["spec", "template"], placement: Placement.EveryNode },
    [ResourceType.Job]: {
        template: ["spec", "template"],
        count: ["spec", "parallelism"],
        placement: Placement.Replicas,
    },
    [ResourceType.CronJob]: {
        template: ["spec", "jobTemplate", "spec", "template"],
        count: ["spec", "jobTemplate", "spec", "parallelism"],
        placement: Placement.Replicas,
    },
    // A Pod is its own template.
    [ResourceType.Pod]: { template: [], placement: Placement.Replicas },
};

/** The workload a resource stands for, or undefined if it creates no pods. Fields are read on first use. */
export function workloadOf(resource: ResourceLike): Workload | undefined {
    const paths = TEMPLATE_PATHS[resource.type];
    if (!paths) {
        return undefined;
    }
    const template = lazy(() => (paths.template.length === 0 ? resource.props : at(resource.props, ...paths.template)));
    const namespace = lazy(() => namespaceOf(resource));
    const name = lazy(() => objectName(resource));
    const labels = lazy(() => asStringMap(at(template(), "metadata", "labels")));
    const spec = lazy((): Props => asRecord(at(template(), "spec")) ?? {});
    const replicas = lazy(() => (paths.count ? (asNumber(at(resource.props, ...paths.count)) ?? 1) : 1));
    const containers = lazy(() => containersOf(spec()));
    return {
        resource,
        get description() {
            return describe(resource);
        },
        get namespace() {
            return namespace();
        },
        get name() {
            return name();
        },
        get labels() {
            return labels();
        },
        get spec() {
            return spec();
        },
        placement: paths.placement,
        get replicas() {
            return replicas();
        },
        get containers() {
            return containers();
        },
    };
}

export const ContainerKind = {
    Container: "container",
    InitContainer: "init container",
    EphemeralContainer: "ephemeral container",
} as const;
export type ContainerKind = (typeof ContainerKind)[keyof typeof ContainerKind];

export interface ContainerPortInfo {
    readonly name?: string;
    readonly containerPort?: number;
    /** 0 or absent: no host port. */
    readonly hostPort?: number;
    readonly hostIP?: string;
    /** TCP when unset, as Kubernetes defaults it. */
    readonly protocol: string;
}

export interface ContainerInfo {
    readonly name: string;
    readonly kind: ContainerKind;
    /** An init container with restartPolicy Always: runs for the pod's lifetime, like a container. */
    readonly sidecar: boolean;
    readonly raw: Props;
    readonly ports: readonly ContainerPortInfo[];
}

/** Every container of a pod spec: containers, init containers and ephemeral containers. */
export function containersOf(spec: Props): ContainerInfo[] {
    const result: ContainerInfo[] = [];
    const groups: Array<[string, ContainerKind]> = [
        ["containers", ContainerKind.Container],
        ["initContainers", ContainerKind.InitContainer],
        ["ephemeralContainers", ContainerKind.EphemeralContainer],
    ];
    for (const [field, kind] of groups) {
        asArray(spec[field]).forEach((item, index) => {
            const raw = asRecord(item);
            if (!raw) {
                return;
            }
            const ports = lazy(() =>
                asArray(raw["ports"]).flatMap((entry): ContainerPortInfo[] => {
                    const port = asRecord(entry);
                    if (!port) {
                        return [];
                    }
                    return [
                        {
                            name: asString(port["name"]),
                            containerPort: asNumber(port["containerPort"]),
                            hostPort: asNumber(port["hostPort"]),
                            hostIP: asString(port["hostIP"]),
                            protocol: asString(port["protocol"]) ?? "TCP",
                        },
                    ];
                }),
            );
            const name = lazy(() => asString(raw["name"]) ?? `${field}[${index}]`);
            // Name and ports are read on first use: several policies only look at a container's probes.
            result.push({
                get name() {
                    return name();
                },
                kind,
                sidecar: kind === ContainerKind.InitContainer && raw["restartPolicy"] === "Always",
                raw,
                get ports() {
                    return ports();
                },
            });
        });
    }
    return result;
}

/** Containers whose ports a Service can target: regular containers and sidecar init containers. */
export function servingContainersOf(workload: Workload): ContainerInfo[] {
    return workload.containers.filter((container) => container.kind === ContainerKind.Container || container.sidecar);
}

/** True when every selector pair is among the labels. */
export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
    return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * Finds the workloads whose pod labels a selector matches, without comparing every Service with every workload:
 * workloads are indexed by namespace and label pair, and a selector only scans the shortest posting list among
 * its pairs.
 */
export class WorkloadIndex {
    private readonly byPair = new Map<string, Workload[]>();

    constructor(workloads: readonly Workload[]) {
        for (const workload of workloads) {
            for (const [key, value] of Object.entries(workload.labels)) {
                const pairKey = WorkloadIndex.pairKey(workload.namespace, key, value);
                const list = this.byPair.get(pairKey);
                if (list) {
                    list.push(workload);
                } else {
                    this.byPair.set(pairKey, [workload]);
                }
            }
        }
    }

    private static pairKey(namespace: string, key: string, value: string): string {
        return `${namespace}\u0000${key}\u0000${value}`;
    }

    /** The workloads in `namespace` whose pods the (non-empty) selector matches. */
    matching(namespace: string, selector: Readonly<Record<string, string>>): Workload[] {
        let shortest: Workload[] | undefined;
        for (const [key, value] of Object.entries(selector)) {
            const list = this.byPair.get(WorkloadIndex.pairKey(namespace, key, value)) ?? [];
            if (!shortest || list.length < shortest.length) {
                shortest = list;
            }
        }
        return (shortest ?? []).filter((workload) => selects(selector, workload.labels));
    }
}

/** Every workload among the resources. */
export function workloadsOf(resources: readonly ResourceLike[]): Workload[] {
    return resources.flatMap((resource) => {
        const workload = workloadOf(resource);
        return workload ? [workload] : [];
    });
}
