import { ResourceLike, ResourceType, describe, namespaceOf, objectName } from "./kubernetes";
import { Props, asArray, asRecord, asString, at } from "./values";

export interface IngressBackend {
    /** Where it sits, for messages: `spec.rules[0].http.paths[1].backend`. */
    readonly field: string;
    readonly serviceName: unknown;
    readonly portNumber: unknown;
    readonly portName: unknown;
    readonly hasService: boolean;
    readonly hasResource: boolean;
}

export interface IngressPath {
    readonly field: string;
    readonly host: unknown;
    readonly path: unknown;
    readonly pathType: unknown;
    readonly backend: IngressBackend;
}

export interface IngressRule {
    readonly field: string;
    readonly host: unknown;
    readonly hasHttp: boolean;
    readonly paths: readonly IngressPath[];
}

export interface IngressInfo {
    readonly resource: ResourceLike;
    readonly description: string;
    readonly namespace: string;
    readonly name: string;
    readonly className: unknown;
    /** The deprecated `kubernetes.io/ingress.class` annotation. */
    readonly classAnnotation?: string;
    readonly rules: readonly IngressRule[];
    readonly tlsHosts: ReadonlyArray<{ readonly field: string; readonly host: unknown }>;
    readonly defaultBackend?: IngressBackend;
}

export const CLASS_ANNOTATION = "kubernetes.io/ingress.class";

function backendOf(value: unknown, field: string): IngressBackend {
    const backend: Props = asRecord(value) ?? {};
    const service = asRecord(backend["service"]);
    return {
        field,
        serviceName: service?.["name"],
        portNumber: at(service, "port", "number"),
        portName: at(service, "port", "name"),
        hasService: service !== undefined,
        hasResource: backend["resource"] !== undefined,
    };
}

export function ingressOf(resource: ResourceLike): IngressInfo | undefined {
    if (resource.type !== ResourceType.Ingress) {
        return undefined;
    }
    const spec: Props = asRecord(at(resource.props, "spec")) ?? {};
    const rules = asArray(spec["rules"]).map((entry, ruleIndex): IngressRule => {
        const rule: Props = asRecord(entry) ?? {};
        const field = `spec.rules[${ruleIndex}]`;
        const http = asRecord(rule["http"]);
        return {
            field,
            host: rule["host"],
            hasHttp: http !== undefined,
            paths: asArray(http?.["paths"]).map((pathEntry, pathIndex): IngressPath => {
                const path: Props = asRecord(pathEntry) ?? {};
                const pathField = `${field}.http.paths[${pathIndex}]`;
                return {
                    field: pathField,
                    host: rule["host"],
                    path: path["path"],
                    pathType: path["pathType"],
                    backend: backendOf(path["backend"], `${pathField}.backend`),
                };
            }),
        };
    });
    const tlsHosts = asArray(spec["tls"]).flatMap((entry, tlsIndex) =>
        asArray(at(entry, "hosts")).map((host, hostIndex) => ({
            field: `spec.tls[${tlsIndex}].hosts[${hostIndex}]`,
            host,
        })),
    );
    const annotations = asRecord(at(resource.props, "metadata", "annotations"));
    return {
        resource,
        get description() {
            return describe(resource);
        },
        namespace: namespaceOf(resource),
        name: objectName(resource),
        className: spec["ingressClassName"],
        classAnnotation: asString(annotations?.[CLASS_ANNOTATION]),
        rules,
        tlsHosts,
        defaultBackend:
            spec["defaultBackend"] !== undefined ? backendOf(spec["defaultBackend"], "spec.defaultBackend") : undefined,
    };
}

export function ingressesOf(resources: readonly ResourceLike[]): IngressInfo[] {
    return resources.flatMap((resource) => {
        const ingress = ingressOf(resource);
        return ingress ? [ingress] : [];
    });
}

/** Every backend of an Ingress: each path's, and the default one. */
export function backendsOf(ingress: IngressInfo): IngressBackend[] {
    return [
        ...ingress.rules.flatMap((rule) => rule.paths.map((path) => path.backend)),
        ...(ingress.defaultBackend ? [ingress.defaultBackend] : []),
    ];
}
