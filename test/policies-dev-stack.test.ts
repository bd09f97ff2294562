/**
 * The whole pack over the dev stack as the stack program registers it under mocks, and mutation tests: for every
 * mandatory policy, a mutated dev stack that this policy (by name) rejects.
 *
 * Data-driven, so it keeps its meaning as the stack grows: the recording is used as is, and only kinds of object the
 * stack does not register yet (node podCIDRs, flannel, Services, Ingress) are added from fixtures consistent with
 * the stack's own plan output. Each mutation works on the first object of its kind, recorded or added.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { checkResources, formatViolation } from "../cli/check";
import type { OfflineRun } from "../cli/offline";
import { EngineResource, engineResourcesOf, runPolicies } from "../cli/policy-harness";
import { kubeProxyConfigMapPatch, resolveKubeProxySpec } from "../components/kube-proxy";
import { goField, isFlannelConfigMap } from "../policies/lib/flannel";
import { policies } from "../policies/guardrails";
import { DEFAULT_HOST_NAMESPACES } from "../policies/host-network";
import { serviceBackends } from "../policies/service-backends";
import { workloadOf } from "../policies/lib/workloads";
import { PROJECT_NAME } from "../cli/main";
import { devStack } from "./helpers/dev-stack";
import {
    TRAEFIK_GATEWAY_CONTROLLER,
    buildGateway,
    buildGatewayClass,
    buildHttpRoute,
    validateGatewayRoutes,
} from "../components/ingress";
import {
    NAMES_A_FIX,
    flannelConfigMap,
    flannelDaemonSet,
    nodePatch,
    traefik,
    webApp,
    webIngress,
    workload,
} from "./helpers/policy-fixtures";

const STACK = "dev";
const T = {
    Stack: "pulumi:pulumi:Stack",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    NodePatch: "kubernetes:core/v1:NodePatch",
    Service: "kubernetes:core/v1:Service",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    IngressClass: "kubernetes:networking.k8s.io/v1:IngressClass",
};

let run: OfflineRun;
let recorded: EngineResource[];
let baseline: EngineResource[];

const has = (resources: readonly EngineResource[], type: string): boolean =>
    resources.some((resource) => resource.type === type);

/** The recording plus, for each kind of object it lacks, fixtures consistent with the stack's plan output. */
function withMissingKinds(resources: readonly EngineResource[]): EngineResource[] {
    const plan = (resources.find((resource) => resource.type === T.Stack)?.props as { plan?: any }).plan;
    assert.ok(plan?.cluster, "the dev stack exports its plan");
    const result = [...resources];
    if (!has(result, T.NodePatch)) {
        for (const node of plan.nodes as Array<{ name: string; podCidr: string | null; podCidrV6: string | null }>) {
            result.push(
                nodePatch(
                    node.name,
                    [node.podCidr, node.podCidrV6].filter((cidr): cidr is string => cidr !== null),
                ),
            );
        }
    }
    if (!result.some(isFlannelConfigMap)) {
        const { podCidr, podCidrV6 } = plan.cluster as { podCidr: string | null; podCidrV6: string | null };
        result.push(
            flannelConfigMap({
                ...(podCidr ? { Network: podCidr } : { EnableIPv4: false }),
                ...(podCidrV6 ? { EnableIPv6: true, IPv6Network: podCidrV6 } : {}),
                EnableNFTables: false,
                Backend: { Type: "vxlan" },
            }),
        );
        result.push(flannelDaemonSet());
    }
    if (!has(result, T.Service)) {
        result.push(...webApp());
    }
    if (!has(result, T.IngressClass) && !has(result, T.Ingress)) {
        const [firstService] = result.filter((resource) => resource.type === T.Service);
        const metadata = firstService!.props["metadata"] as { name: string; namespace?: string };
        const port = ((firstService!.props["spec"] as any).ports as Array<{ name?: string; port: number }>)[0]!;
        result.push(...traefik());
        result.push(
            webIngress({
                namespace: metadata.namespace ?? "default",
                rules: [
                    {
                        host: "web.lab.example",
                        paths: [
                            { path: "/", pathType: "Prefix", service: metadata.name, port: port.name ?? port.port },
                        ],
                    },
                ],
            }),
        );
    }
    return result;
}

function first(
    resources: readonly EngineResource[],
    predicate: (resource: EngineResource) => boolean,
    what: string,
): EngineResource {
    const found = resources.find(predicate);
    assert.ok(found, `the baseline has ${what}`);
    return found;
}

/** A copy of the resources with one resource's props changed. */
function changed(
    resources: readonly EngineResource[],
    target: EngineResource,
    change: (props: any) => void,
): EngineResource[] {
    return resources.map((resource) => {
        if (resource !== target) {
            return resource;
        }
        const props = structuredClone(resource.props);
        change(props);
        return { ...resource, props };
    });
}

/** A second copy of a resource under another name. */
function cloned(resource: EngineResource, suffix: string): EngineResource {
    const props = structuredClone(resource.props) as any;
    props.metadata = { ...props.metadata, name: `${props.metadata?.name ?? resource.name}-${suffix}` };
    return { ...resource, name: `${resource.name}-${suffix}`, urn: `${resource.urn}-${suffix}`, props };
}

const byType = (type: string) => (resource: EngineResource) => resource.type === type;

/**
 * The dev stack serves Ingress only: for the Gateway API policies, the objects its routes become with `api: both`
 * (built by clusternet's own builders from the dev route), each changed by `change` before it is added.
 */
function withGatewayObjects(
    resources: readonly EngineResource[],
    change: (objects: { gatewayClass: any; gateway: any; route: any }) => void,
): EngineResource[] {
    const routes = validateGatewayRoutes(
        [{ host: "web.lab.example", paths: [{ path: "/", service: "web", port: 8080 }] }],
        [{ name: "web", namespace: "demo", ports: [{ name: "http", port: 8080 }] }],
        "routes",
    );
    assert.ok(routes.ok);
    const settings = {
        gatewayClassName: "traefik",
        name: "traefik",
        namespace: "traefik",
        httpListenerPort: 8000,
        httpsListenerPort: 8443,
    };
    const objects = {
        gatewayClass: structuredClone(buildGatewayClass("traefik", TRAEFIK_GATEWAY_CONTROLLER)),
        gateway: structuredClone(buildGateway(routes.value, settings)),
        route: structuredClone(buildHttpRoute(routes.value[0]!, settings)),
    };
    change(objects);
    const added = Object.values(objects).map((object: any): EngineResource => {
        const type = `kubernetes:gateway.networking.k8s.io/v1:${String(object.kind)}`;
        const name = `lab-gateway-${String(object.kind).toLowerCase()}`;
        return { type, name, urn: `urn:pulumi:${STACK}::${PROJECT_NAME}::${type}::${name}`, props: object };
    });
    return [...resources, ...added];
}

/** For every mandatory policy: how to break the dev stack so that it must object. */
const MUTATIONS: Record<string, (resources: EngineResource[]) => EngineResource[]> = {
    "no-overlapping-ranges": (resources) => {
        const patches = resources.filter(byType(T.NodePatch));
        assert.ok(patches.length >= 2, "the dev stack has two nodes");
        const spec = structuredClone((patches[0]!.props as any).spec);
        return changed(resources, patches[1]!, (props) => {
            props.spec = spec;
        });
    },
    "flannel-net-conf": (resources) =>
        changed(resources, first(resources, isFlannelConfigMap, "flannel's ConfigMap"), (props) => {
            const netConf = JSON.parse(props.data["net-conf.json"]);
            delete netConf[goField(netConf, "Backend")!.key];
            props.data["net-conf.json"] = JSON.stringify(netConf);
        }),
    // The dev stack leaves kube-proxy alone: the mutation adds its ConfigMapPatch with another clusterCIDR.
    "kube-proxy-config": (resources) => [
        ...resources,
        {
            type: "kubernetes:core/v1:ConfigMapPatch",
            name: "lab-kube-proxy-config",
            urn: "urn:pulumi:dev::clusternet::kubernetes:core/v1:ConfigMapPatch::lab-kube-proxy-config",
            props: kubeProxyConfigMapPatch(resolveKubeProxySpec({ clusterCidrs: ["10.245.0.0/16"] })),
        },
    ],
    "service-ports": (resources) =>
        changed(resources, first(resources, byType(T.Service), "a Service"), (props) => {
            props.spec.ports.push({ ...props.spec.ports[0], name: "duplicate" });
        }),
    "service-node-ports-unique": (resources) => {
        const withNodePort = first(
            resources,
            (resource) =>
                resource.type === T.Service &&
                Boolean((resource.props as any).spec?.ports?.some((port: any) => typeof port.nodePort === "number")),
            "a Service with a fixed nodePort",
        );
        return [...resources, cloned(withNodePort, "copy")];
    },
    "service-no-external-ips": (resources) =>
        changed(resources, first(resources, byType(T.Service), "a Service"), (props) => {
            props.spec.externalIPs = ["203.0.113.10"];
        }),
    "service-cluster-ip-in-range": (resources) =>
        changed(resources, first(resources, byType(T.Service), "a Service"), (props) => {
            props.spec.clusterIP = "203.0.113.20";
        }),
    "service-target-port-exists": (resources) => {
        const backed = serviceBackends(resources).find(({ workloads }) => workloads.length > 0);
        assert.ok(backed, "the baseline has a Service selecting a workload");
        return changed(resources, backed.service.resource, (props) => {
            props.spec.ports[0].targetPort = "no-such-port";
        });
    },
    "flannel-config-namespace": (resources) =>
        changed(resources, first(resources, isFlannelConfigMap, "flannel's ConfigMap"), (props) => {
            props.metadata = { ...props.metadata, namespace: "kube-system" };
        }),
    "service-ip-families": (resources) =>
        changed(resources, first(resources, byType(T.Service), "a Service"), (props) => {
            props.spec.ipFamilies = ["IPv4", "IPv6"];
            props.spec.ipFamilyPolicy = "RequireDualStack";
        }),
    "service-load-balancer-available": (resources) =>
        changed(resources, first(resources, byType(T.Service), "a Service"), (props) => {
            props.spec.type = "LoadBalancer";
        }),
    "service-has-backends": (resources) => {
        const backed = serviceBackends(resources).find(({ workloads }) => workloads.length > 0);
        assert.ok(backed, "the baseline has a Service selecting a workload");
        const namespace = backed.service.namespace;
        const owned = resources.some(
            (resource) =>
                resource.type === "kubernetes:core/v1:Namespace" &&
                (resource.props as any).metadata?.name === namespace,
        );
        const withNamespace = owned
            ? resources
            : [
                  ...resources,
                  {
                      type: "kubernetes:core/v1:Namespace",
                      name: namespace,
                      urn: `urn:pulumi:dev::clusternet::kubernetes:core/v1:Namespace::${namespace}`,
                      props: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
                  },
              ];
        return changed(withNamespace, backed.service.resource, (props) => {
            props.spec.selector = { ...props.spec.selector, "app.kubernetes.io/name": "typo" };
        });
    },
    "ingress-tls-hosts": (resources) =>
        changed(resources, first(resources, byType(T.Ingress), "an Ingress"), (props) => {
            props.spec.tls = [{ hosts: ["elsewhere.lab.example"], secretName: "elsewhere-tls" }];
        }),
    "ingress-host": (resources) =>
        changed(resources, first(resources, byType(T.Ingress), "an Ingress"), (props) => {
            props.spec.rules[0].host = "192.168.56.10";
        }),
    "ingress-paths": (resources) =>
        changed(resources, first(resources, byType(T.Ingress), "an Ingress"), (props) => {
            props.spec.rules[0].http.paths[0].path = "/a//b";
            props.spec.rules[0].http.paths[0].pathType = "Prefix";
        }),
    "ingress-class": (resources) =>
        changed(resources, first(resources, byType(T.Ingress), "an Ingress"), (props) => {
            props.spec.ingressClassName = "no-such-class";
        }),
    "ingress-unique-host-path": (resources) => [
        ...resources,
        cloned(first(resources, byType(T.Ingress), "an Ingress"), "copy"),
    ],
    "ingress-backend-exists": (resources) =>
        changed(resources, first(resources, byType(T.Ingress), "an Ingress"), (props) => {
            props.spec.rules[0].http.paths[0].backend.service.name = "no-such-service";
        }),
    "gateway-route-hostnames": (resources) =>
        withGatewayObjects(resources, ({ route }) => {
            route.spec.hostnames = ["192.168.56.10"];
        }),
    "gateway-route-parents": (resources) =>
        withGatewayObjects(resources, ({ route }) => {
            route.spec.parentRefs[0].name = "no-such-gateway";
        }),
    "gateway-route-backends": (resources) =>
        withGatewayObjects(resources, ({ route }) => {
            route.spec.rules[0].backendRefs[0].port = 9999;
        }),
    "gateway-route-unique-host-path": (resources) =>
        withGatewayObjects(resources, ({ route }) => {
            route.spec.rules.push(structuredClone(route.spec.rules[0]));
        }),
    "gateway-class-exists": (resources) =>
        withGatewayObjects(resources, ({ gateway }) => {
            gateway.spec.gatewayClassName = "no-such-class";
        }),
    "host-network-restricted": (resources) => {
        const target = resources.find((resource) => {
            const found = workloadOf(resource);
            return found !== undefined && !DEFAULT_HOST_NAMESPACES.includes(found.namespace);
        });
        if (!target) {
            return [
                ...resources,
                workload({
                    name: "sniffer",
                    namespace: "mutation",
                    hostNetwork: true,
                    containers: [{ name: "tcpdump" }],
                }),
            ];
        }
        return changed(resources, target, (props) => {
            const spec = target.type === "kubernetes:core/v1:Pod" ? props.spec : props.spec.template.spec;
            spec.hostNetwork = true;
        });
    },
    "host-port-conflicts": (resources) => {
        const daemonSet = resources.find(
            (resource) =>
                resource.type === T.DaemonSet &&
                (resource.props as any).spec?.template?.spec?.hostNetwork === true &&
                (resource.props as any).spec.template.spec.containers?.some(
                    (container: any) => container.ports?.length > 0,
                ),
        );
        if (daemonSet) {
            return [...resources, cloned(daemonSet, "copy")];
        }
        return [
            ...resources,
            workload({
                kind: "DaemonSet",
                name: "kubelet-clash",
                namespace: "traefik",
                hostNetwork: true,
                containers: [{ name: "x", ports: [{ containerPort: 10250 }] }],
            }),
        ];
    },
};

void describe("the pack over the dev stack", () => {
    before(async () => {
        run = await devStack();
        recorded = engineResourcesOf(run, PROJECT_NAME, STACK);
        baseline = withMissingKinds(recorded);
    });

    void it("finds no mandatory violation in what the dev stack registers", async () => {
        const report = await checkResources(recorded, STACK, recorded[0]!.urn);
        assert.equal(report.mandatory, 0, report.lines.join("\n"));
        assert.equal(recorded[0]!.type, T.Stack);
    });

    void it("finds no mandatory violation once the kinds the stack does not register yet are added", async () => {
        // Every mutation test below starts from here: a clean baseline is what makes them mean something.
        const report = await checkResources(baseline, STACK, baseline[0]!.urn);
        assert.equal(report.mandatory, 0, report.lines.join("\n"));
        for (const type of [T.NodePatch, T.Service, T.Ingress, T.IngressClass, T.DaemonSet]) {
            assert.ok(has(baseline, type), `the baseline has a ${type}`);
        }
    });

    void it("has a mutation for every mandatory policy", () => {
        const mandatory = policies
            .filter((policy) => policy.enforcementLevel === "mandatory")
            .map((policy) => policy.name);
        assert.deepEqual(Object.keys(MUTATIONS).sort(), [...mandatory].sort());
    });

    for (const [policyName, mutation] of Object.entries(MUTATIONS)) {
        void it(`${policyName} rejects its mutation of the dev stack`, async () => {
            const result = await runPolicies([...policies], mutation(baseline), {}, "mandatory");
            const mine = result.violations.filter(
                (violation) => violation.policyName === policyName && violation.enforcementLevel === "mandatory",
            );
            assert.ok(
                mine.length > 0,
                `${policyName} did not object; violations:\n${result.violations.map((violation) => `${violation.policyName}: ${violation.message}`).join("\n")}`,
            );
            assert.ok(
                mine.every((violation) => NAMES_A_FIX.test(violation.message)),
                mine.map((violation) => violation.message).join("\n"),
            );
        });
    }

    void it("prints a nodePort collision as clusternet check does, naming the policy and both Services, and fails", async () => {
        const mutated = MUTATIONS["service-node-ports-unique"]!(baseline);
        const report = await checkResources(mutated, STACK, mutated[0]!.urn);
        assert.ok(report.mandatory > 0);
        assert.match(report.summary, /^clusternet check: stack dev: FAILED: /);
        const line = report.lines.find((text) => text.startsWith("mandatory service-node-ports-unique "));
        assert.ok(line, report.lines.join("\n"));
        assert.match(
            line,
            /^mandatory service-node-ports-unique urn:pulumi:dev::clusternet::\S+-copy: Service \S+ port .* claims nodePort \d+, already taken by Service \S+ /,
        );
        assert.equal(
            formatViolation({ policyName: "p", enforcementLevel: "advisory", message: "m" }, "urn:stack"),
            "advisory p urn:stack: m",
        );
    });
});
