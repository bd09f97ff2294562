/**
 * Where the stack config's shapes differ from the component args': the config has one key for a port given by
 * number or by name (`targetPort: 80`, `targetPort: http`) and takes quantities as numbers or strings; the args split
 * such a port in two fields (`targetPort` / `targetPortName`) and take quantities as strings, so that other Pulumi
 * languages get plain types. Validation runs on the args with STACK_KEYS, whose `portNameField` names the config key
 * the user wrote in every problem.
 */
import type { ClusterIngressSettings, IngressPathSpec } from "../ingress/types";
import type { AppServiceSpec, AppSpec, ResourcesSpec, ServicePortSpec } from "../services/types";
import { IngressConfig, ServiceConfig } from "./schema";

/** Quantities as strings: `0.5` becomes `"0.5"`, strings stay as they are. */
export function quantityStrings(values: Readonly<Record<string, string | number>>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, String(value)]));
}

/** Container resources with every quantity a string. */
export function resourcesArgs(resources: {
    readonly requests?: Record<string, string | number>;
    readonly limits?: Record<string, string | number>;
}): ResourcesSpec {
    return {
        ...(resources.requests !== undefined ? { requests: quantityStrings(resources.requests) } : {}),
        ...(resources.limits !== undefined ? { limits: quantityStrings(resources.limits) } : {}),
    };
}

type AppConfig = NonNullable<ServiceConfig["app"]>;

function appArgs(app: AppConfig): AppSpec {
    const { readinessPort, resources, ...rest } = app;
    return {
        ...rest,
        ...(typeof readinessPort === "string"
            ? { readinessPortName: readinessPort }
            : readinessPort !== undefined
              ? { readinessPort }
              : {}),
        ...(resources !== undefined ? { resources: resourcesArgs(resources) } : {}),
    };
}

/** `clusternet:services[i]` as AppService's spec. */
export function serviceArgs(service: ServiceConfig): AppServiceSpec {
    const { app, ports, ...rest } = service;
    return {
        ...rest,
        ...(app !== undefined ? { app: appArgs(app) } : {}),
        ports: ports.map(({ targetPort, ...port }): ServicePortSpec => ({
            ...port,
            ...(typeof targetPort === "string"
                ? { targetPortName: targetPort }
                : targetPort !== undefined
                  ? { targetPort }
                  : {}),
        })),
    };
}

/** `clusternet:ingress` as ClusterNetwork's ingress settings. */
export function ingressArgs(ingress: IngressConfig): ClusterIngressSettings {
    return {
        ...ingress,
        routes: ingress.routes.map((route) => ({
            ...route,
            paths: route.paths.map(({ port, ...path }): IngressPathSpec => ({
                ...path,
                ...(typeof port === "string" ? { portName: port } : { port }),
            })),
        })),
    };
}
