/**
 * The mistakes the pack's second pass catches (issue 13), each with an object shaped like the real upstream one
 * that must be reported and a valid variation that must stay clean.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
    FLANNEL_CONFIG_NAMESPACE,
    HOST_NETWORK_DNS_POLICY,
    NETWORK_POLICY_ENFORCED,
    flannelConfigNamespace,
    hostNetworkDnsPolicy,
    networkPolicyEnforced,
} from "../policies/cluster-advice";
import { INGRESS_TLS_HOSTS, ingressTlsHosts } from "../policies/ingress-tls";
import { serviceBackendsReady, serviceSelectsPods, serviceTargetPortExists } from "../policies/service-backends";
import {
    SERVICE_IP_FAMILIES,
    SERVICE_LOAD_BALANCER_AVAILABLE,
    serviceIpFamilies,
    serviceLoadBalancerAvailable,
} from "../policies/service-cluster-ip";
import { servicePorts } from "../policies/service-ports";
import {
    SERVICE_HAS_BACKENDS,
    SERVICE_LOCAL_TRAFFIC_COVERAGE,
    SERVICE_SELECTOR_TOO_BROAD,
    SERVICE_TARGET_PORT_DECLARED,
    serviceHasBackends,
    serviceLocalTrafficCoverage,
    serviceSelectorTooBroad,
    serviceTargetPortDeclared,
} from "../policies/service-workloads";
import type { EngineResource } from "../cli/policy-harness";
import { REPO } from "./helpers/cli";
import {
    devPlan,
    flannelDaemonSet,
    lab,
    manifestResources,
    messages,
    mutate,
    service,
    stackResource,
    urnOf,
    violationsOf,
    webApp,
    webIngress,
    workload,
} from "./helpers/policy-fixtures";

function namespace(name: string): EngineResource {
    return {
        type: "kubernetes:core/v1:Namespace",
        name,
        urn: urnOf("kubernetes:core/v1:Namespace", name),
        props: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
    };
}

const WEB_LABELS = { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web" };

void describe("service-has-backends (mandatory where the stack creates the namespace)", () => {
    void it("reports a selector typo in a namespace the stack creates, and leaves it advisory elsewhere", async () => {
        const typo = mutate(webApp(), "Service", "demo-web", (props) => {
            props.spec.selector = { "app.kubernetes.io/name": "wbe" };
        });
        const owned = await violationsOf(serviceHasBackends, [namespace("demo"), ...typo]);
        assert.equal(owned.length, 1, messages(owned).join("\n"));
        assert.equal(owned[0]!.policyName, SERVICE_HAS_BACKENDS);
        assert.match(owned[0]!.message, /the stack creates that namespace, so no pod will ever match/);
        // The advisory policy leaves it to the mandatory one there, and keeps it where pods may come from outside.
        assert.deepEqual(await violationsOf(serviceSelectsPods, [namespace("demo"), ...typo]), []);
        assert.deepEqual(await violationsOf(serviceHasBackends, typo), []);
        assert.equal((await violationsOf(serviceSelectsPods, typo)).length, 1);
    });

    void it("reports a Deployment scaled to zero behind a Service in an owned namespace", async () => {
        const zero = mutate(webApp(), "Deployment", "demo-web", (props) => {
            props.spec.replicas = 0;
        });
        const found = messages(await violationsOf(serviceHasBackends, [namespace("demo"), ...zero]));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0]!, /scaled to replicas: 0, so it has no endpoints/);
        const advisory = messages(await violationsOf(serviceBackendsReady, [namespace("demo"), ...zero]));
        assert.ok(!advisory.some((message) => /replicas: 0/.test(message)), advisory.join("\n"));
    });

    void it("passes the web app in its own namespace, and a headless Service of a StatefulSet", async () => {
        assert.deepEqual(await violationsOf(serviceHasBackends, [namespace("demo"), ...webApp()]), []);
        const db = [
            namespace("data"),
            workload({
                kind: "StatefulSet",
                name: "db",
                namespace: "data",
                containers: [{ name: "db", ports: [{ name: "pg", containerPort: 5432 }] }],
            }),
            service({
                name: "db",
                namespace: "data",
                clusterIP: "None",
                selector: { "app.kubernetes.io/name": "db" },
                ports: [{ name: "pg", port: 5432, targetPort: "pg" }],
            }),
        ];
        assert.deepEqual(messages(await violationsOf([serviceHasBackends, serviceTargetPortExists], db)), []);
    });
});

void describe("numeric targetPorts", () => {
    const app = (ports: Array<{ containerPort: number; name?: string }> | undefined, targetPort: number) => [
        workload({ name: "api", labels: { app: "api" }, containers: [{ name: "api", ...(ports ? { ports } : {}) }] }),
        service({ name: "api", selector: { app: "api" }, ports: [{ port: 80, targetPort }] }),
    ];

    void it("refuses a number the pods do not declare (mandatory), citing kube-proxy", async () => {
        const found = messages(await violationsOf(serviceTargetPortExists, app([{ containerPort: 80 }], 8080)));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /sends traffic to port 8080\/TCP, but Deployment demo\/api's containers declare 80\/TCP/,
        );
    });

    void it("advises where the pods declare no ports at all, and passes a declared number", async () => {
        assert.deepEqual(await violationsOf(serviceTargetPortExists, app(undefined, 8080)), []);
        const advisory = await violationsOf(serviceTargetPortDeclared, app(undefined, 8080));
        assert.equal(advisory.length, 1);
        assert.equal(advisory[0]!.policyName, SERVICE_TARGET_PORT_DECLARED);
        assert.deepEqual(await violationsOf(serviceTargetPortExists, app([{ containerPort: 8080 }], 8080)), []);
        assert.deepEqual(await violationsOf(serviceTargetPortDeclared, app([{ containerPort: 8080 }], 8080)), []);
    });
});

void describe("service-ip-families", () => {
    const v6 = service({ name: "v6", selector: WEB_LABELS, ports: [{ port: 80 }] });
    const withFamilies = (families: string[], policy?: string) =>
        mutate([stackResource(), v6], "Service", "demo-v6", (props) => {
            props.spec.ipFamilies = families;
            if (policy) {
                props.spec.ipFamilyPolicy = policy;
            }
        });

    void it("refuses IPv6 and RequireDualStack on an IPv4 cluster", async () => {
        const found = await violationsOf(serviceIpFamilies, withFamilies(["IPv6"], "RequireDualStack"));
        assert.equal(found.length, 2, messages(found).join("\n"));
        assert.ok(found.every((violation) => violation.policyName === SERVICE_IP_FAMILIES));
        assert.match(found[0]!.message, /"IPv6 is not configured on this cluster"/);
    });

    void it("passes IPv4 and PreferDualStack on an IPv4 cluster, and dual-stack on a dual-stack cluster", async () => {
        assert.deepEqual(await violationsOf(serviceIpFamilies, withFamilies(["IPv4"], "PreferDualStack")), []);
        const dual = [stackResource(devPlan({ serviceCidrV6: "fd00:10:96::/112" })), v6].map((resource) =>
            resource.type.endsWith("Service")
                ? {
                      ...resource,
                      props: {
                          ...resource.props,
                          spec: {
                              ...(resource.props["spec"] as object),
                              ipFamilies: ["IPv4", "IPv6"],
                              ipFamilyPolicy: "RequireDualStack",
                          },
                      },
                  }
                : resource,
        );
        assert.deepEqual(messages(await violationsOf(serviceIpFamilies, dual)), []);
    });
});

void describe("ExternalName and LoadBalancer Services", () => {
    void it("refuses an externalName that is an IP address, passes a DNS name", async () => {
        const ip = service({ name: "db", type: "ExternalName", externalName: "10.0.0.5", ports: [] });
        const found = messages(await violationsOf(servicePorts, [ip]));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0]!, /spec\.externalName: "10\.0\.0\.5" is an IP address; cluster DNS answers a CNAME/);
        const name = service({ name: "db", type: "ExternalName", externalName: "db.example.com", ports: [] });
        assert.deepEqual(await violationsOf(servicePorts, [name]), []);
    });

    void it("refuses type LoadBalancer without a load-balancer provider, unless configured", async () => {
        const lb = mutate(webApp(), "Service", "demo-web", (props) => {
            props.spec.type = "LoadBalancer";
        });
        const found = await violationsOf(serviceLoadBalancerAvailable, [stackResource(), ...lb]);
        assert.equal(found.length, 1);
        assert.equal(found[0]!.policyName, SERVICE_LOAD_BALANCER_AVAILABLE);
        assert.match(found[0]!.message, /EXTERNAL-IP stays <pending> forever/);
        const settings = { [SERVICE_LOAD_BALANCER_AVAILABLE]: { properties: { loadBalancer: true } } };
        assert.deepEqual(await violationsOf(serviceLoadBalancerAvailable, [stackResource(), ...lb], settings), []);
        assert.deepEqual(await violationsOf(serviceLoadBalancerAvailable, lab()), []);
    });
});

void describe("advisory Service checks", () => {
    void it("advises externalTrafficPolicy Local with fewer pods than nodes, naming the count", async () => {
        const local = mutate(lab(), "Service", "demo-web", (props) => {
            props.spec.externalTrafficPolicy = "Local";
        });
        const found = await violationsOf(serviceLocalTrafficCoverage, local);
        assert.equal(found.length, 1, messages(found).join("\n"));
        assert.equal(found[0]!.policyName, SERVICE_LOCAL_TRAFFIC_COVERAGE);
        assert.match(found[0]!.message, /only 2 pods for 3 nodes .*at least 1 node does not answer/);
        const enough = mutate(local, "Deployment", "demo-web", (props) => {
            props.spec.replicas = 3;
        });
        assert.deepEqual(await violationsOf(serviceLocalTrafficCoverage, enough), []);
    });

    void it("advises a selector matching two workloads, passes one narrowed by instance", async () => {
        const canary = workload({
            name: "web-canary",
            labels: { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web-canary" },
            containers: [{ name: "web", ports: [{ name: "http", containerPort: 80 }] }],
        });
        const broad = mutate([...webApp(), canary], "Service", "demo-web", (props) => {
            props.spec.selector = { "app.kubernetes.io/name": "web" };
        });
        const found = await violationsOf(serviceSelectorTooBroad, broad);
        assert.equal(found.length, 1, messages(found).join("\n"));
        assert.equal(found[0]!.policyName, SERVICE_SELECTOR_TOO_BROAD);
        assert.deepEqual(await violationsOf(serviceSelectorTooBroad, [...webApp(), canary]), []);
    });
});

void describe("ingress-tls-hosts", () => {
    void it("refuses a TLS host no rule serves, passes equal and wildcard-covered hosts", async () => {
        const stray = webIngress({ tls: [{ hosts: ["www.lab.example"], secretName: "www-tls" }] });
        const found = await violationsOf(ingressTlsHosts, [stray]);
        assert.equal(found.length, 1, messages(found).join("\n"));
        assert.equal(found[0]!.policyName, INGRESS_TLS_HOSTS);
        assert.match(found[0]!.message, /spec\.tls\[0\]\.hosts\[0\]: "www\.lab\.example" is in no rule/);
        const same = webIngress({ tls: [{ hosts: ["web.lab.example"], secretName: "web-tls" }] });
        const wildcard = webIngress({ tls: [{ hosts: ["*.lab.example"], secretName: "lab-tls" }] });
        assert.deepEqual(messages(await violationsOf(ingressTlsHosts, [same, wildcard])), []);
    });
});

void describe("cluster advice", () => {
    const hostNet = (dnsPolicy?: string) =>
        mutate(
            [workload({ name: "agent", hostNetwork: true, containers: [{ name: "agent" }] })],
            "Deployment",
            "demo-agent",
            (props) => {
                if (dnsPolicy) {
                    props.spec.template.spec.dnsPolicy = dnsPolicy;
                }
            },
        );

    void it("advises ClusterFirstWithHostNet for a hostNetwork pod, not for flannel", async () => {
        const found = await violationsOf(hostNetworkDnsPolicy, hostNet());
        assert.equal(found.length, 1);
        assert.equal(found[0]!.policyName, HOST_NETWORK_DNS_POLICY);
        assert.deepEqual(await violationsOf(hostNetworkDnsPolicy, hostNet("ClusterFirstWithHostNet")), []);
        assert.deepEqual(await violationsOf(hostNetworkDnsPolicy, [flannelDaemonSet()]), []);
    });

    void it("advises that flannel enforces no NetworkPolicy, only where flannel is the pod network", async () => {
        const policy: EngineResource = {
            type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            name: "demo-deny-all",
            urn: urnOf("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo-deny-all"),
            props: {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "deny-all", namespace: "demo" },
                spec: { podSelector: {}, policyTypes: ["Ingress"] },
            },
        };
        const found = await violationsOf(networkPolicyEnforced, [...lab(), policy]);
        assert.equal(found.length, 1);
        assert.equal(found[0]!.policyName, NETWORK_POLICY_ENFORCED);
        assert.match(found[0]!.message, /namespace demo is not isolated/);
        assert.deepEqual(await violationsOf(networkPolicyEnforced, [policy]), []);
    });

    void it("refuses flannel's ConfigMap outside its DaemonSet's namespace (upstream v0.28.9 manifest)", async () => {
        const upstream = manifestResources(
            fs.readFileSync(path.join(REPO, "test", "fixtures", "kube-flannel-v0.28.9.yml"), "utf8"),
            "flannel",
        );
        assert.deepEqual(await violationsOf(flannelConfigNamespace, upstream), []);
        const moved = upstream.map((resource) =>
            resource.type === "kubernetes:core/v1:ConfigMap"
                ? {
                      ...resource,
                      props: { ...resource.props, metadata: { name: "kube-flannel-cfg", namespace: "kube-system" } },
                  }
                : resource,
        );
        const found = await violationsOf(flannelConfigNamespace, moved);
        assert.equal(found.length, 1, messages(found).join("\n"));
        assert.equal(found[0]!.policyName, FLANNEL_CONFIG_NAMESPACE);
        assert.match(
            found[0]!.message,
            /mounts ConfigMap kube-flannel-cfg, which the stack creates in namespace kube-system, not in kube-flannel/,
        );
    });
});
