/**
 * The lab's pure planning, without root: what flannel, the flannel CNI plugin, kube-proxy and an Ingress controller
 * would program for a rendered stack, and how the check matrix judges answers.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { formatProblem } from "../components/common";
import {
    CheckCase,
    CheckGroup,
    evaluate,
    formatTable,
    modelledLegend,
    planChecks,
    triesToSeeEach,
} from "../lab/checks";
import { findSource, parseTarget, searchNames } from "../lab/diagnose";
import { dnsRecords, hostsFile } from "../lab/dns";
import { cniChain, delegateConfig, firstAddressOf, parseSubnetEnv, subnetEnvText } from "../lab/flannel";
import { decideRoute, nginxConfig, routeTable, wildcardMatches } from "../lab/ingress";
import { restoreDocument } from "../lab/iptables";
import {
    chainHash,
    endpointsOf,
    kubeletRules,
    kubeProxyRules,
    noEndpointsReason,
    planServices,
    PodView,
} from "../lab/kube-proxy";
import { environmentProblem } from "../lab/lab";
import { readManifestFiles } from "../lab/manifest-files";
import { IngressModel, LabManifest, readClusterModel } from "../lab/model";
import { isLabNamespace, prefixProblem, vtepMac } from "../lab/names";
import { isNginxImage, nginxDefaultStatus, nginxPodConfig } from "../lab/nginx-pod";
import { LabPlan, planLab } from "../lab/plan";
import { computeEndpoints, LabState, PodStatus } from "../lab/state";
import { ProbeResult } from "../lab/protocol";
import { DEV_CLUSTER, DEV_FIXTURE, FixtureOptions, labManifests } from "./helpers/lab-manifests";
import { schemaErrors } from "./helpers/kubernetes-schema";
import { runCli, devConfig, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { ClusterShape, labInputOf, nginxTest, planOf } from "./helpers/lab";

const OPTIONS = { prefix: "cnl-", stateDir: "/run/clusternet-lab/cnl" };

function labPlan(options: FixtureOptions = DEV_FIXTURE, shape?: ClusterShape): LabPlan {
    const result = planLab(labInputOf(options, shape), OPTIONS);
    assert.ok(result.ok, result.ok ? "" : result.problems.map(formatProblem).join("\n"));
    return result.value;
}

/** The problems' lines, as `clusternet lab` prints them (without its `lab: ` prefix). */
function problemsOf(manifests: LabManifest[]): readonly string[] {
    const result = planLab({ stack: "dev", plan: planOf(), manifests }, OPTIONS);
    assert.equal(result.ok, false);
    return result.ok ? [] : result.problems.map(formatProblem);
}

/** A state where every pod got an address and is Ready (addresses as host-local hands them out in order). */
function readyState(plan: LabPlan, notReady: readonly string[] = []): LabState {
    const pods: Record<string, PodStatus> = {};
    for (const node of plan.nodes) {
        plan.pods
            .filter((pod) => pod.node === node.name)
            .forEach((pod, index) => {
                const base = node.podCidr.split("/")[0]!.split(".").slice(0, 3).join(".");
                pods[pod.key] = { ip: `${base}.${index + 2}`, ready: !notReady.includes(pod.key) };
            });
    }
    const { endpoints, noEndpoints } = computeEndpoints(plan, pods);
    return { plan, pods, endpoints, noEndpoints, upMs: 0 };
}

const HOST_GW_SHAPE: ClusterShape = {
    cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeNetwork: "192.168.56.0/24" },
    nodes: ["a", "b", "c", "d"].map((name, index) => ({ name: `node-${name}`, ip: `192.168.56.${20 + index}` })),
};

void describe("lab plan: flannel", () => {
    void it("writes subnet.env as flanneld does: the subnet with its first address, MTU underlay - 50 for vxlan", () => {
        const plan = labPlan();
        const worker = plan.nodes.find((node) => node.name === "worker-1")!;
        assert.equal(
            subnetEnvText(worker.subnetEnv),
            "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        );
        assert.deepEqual(parseSubnetEnv(subnetEnvText(worker.subnetEnv)), worker.subnetEnv);
        assert.equal(worker.subnetEnvFile, "/run/clusternet-lab/cnl/nodes/worker-1/run/flannel/subnet.env");
        assert.equal(firstAddressOf("10.244.2.0/24"), "10.244.2.1/24");
    });

    void it("builds the bridge delegate the flannel CNI plugin builds from cni-conf.json and subnet.env", () => {
        const plan = labPlan();
        const node = plan.nodes[1]!;
        const flannelPlugin = plan.flannel.cniConf.plugins[0]!;
        assert.deepEqual(delegateConfig(plan.flannel.cniConf, flannelPlugin, node.subnetEnv, node.ipamDataDir), {
            hairpinMode: true,
            isDefaultGateway: true,
            name: "cbr0",
            type: "bridge",
            ipMasq: false,
            mtu: 1450,
            isGateway: true,
            cniVersion: "0.3.1",
            ipam: {
                type: "host-local",
                ranges: [[{ subnet: "10.244.1.0/24" }]],
                routes: [{ dst: "10.244.0.0/16" }],
                dataDir: "/run/clusternet-lab/cnl/nodes/worker-1/cni/networks",
            },
        });
        const chain = cniChain(plan.flannel.cniConf, node.subnetEnv, node.ipamDataDir, [
            { hostPort: 8080, containerPort: 80, protocol: "TCP" },
        ]);
        assert.deepEqual(
            chain.map((step) => step.plugin),
            ["bridge", "portmap"],
        );
        assert.deepEqual(chain[1]!.config, {
            type: "portmap",
            name: "cbr0",
            cniVersion: "0.3.1",
            runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }] },
        });
    });

    void it("keeps delegate keys the conflist sets, and FLANNEL_IPMASQ=false turns the bridge's own masquerade on", () => {
        const conflist = {
            name: "cbr0",
            cniVersion: "0.3.1",
            plugins: [{ type: "flannel", delegate: { mtu: 1400, bridge: "mynet0" } }],
        };
        const config = delegateConfig(
            conflist,
            conflist.plugins[0]!,
            { network: "10.1.0.0/16", subnet: "10.1.17.1/24", mtu: 1472, ipMasq: false },
            "/d",
        );
        assert.equal(config["mtu"], 1400);
        assert.equal(config["bridge"], "mynet0");
        assert.equal(config["ipMasq"], true);
    });

    void it("programs vxlan as flanneld does: VTEP with VNI and port from net-conf, .0/32, onlink routes, neighbours and FDB entries", () => {
        const plan = labPlan({ ...DEV_FIXTURE, vni: 4096, vxlanPort: 4789 });
        const cp = plan.nodes[0]!;
        const workers = plan.nodes.slice(1);
        assert.ok(
            cp.commands.ip.includes(
                "link add flannel.4096 type vxlan id 4096 local 192.168.56.10 dev eth0 dstport 4789 nolearning",
            ),
        );
        assert.ok(cp.commands.ip.includes(`link set flannel.4096 address ${vtepMac("cp-1")} mtu 1450`));
        assert.ok(cp.commands.ip.includes("addr add 10.244.0.0/32 dev flannel.4096"));
        for (const worker of workers) {
            assert.ok(
                cp.commands.ip.includes(`route add ${worker.podCidr} via ${worker.vtep} dev flannel.4096 onlink`),
            );
            assert.ok(
                cp.commands.ip.includes(
                    `neigh add ${worker.vtep} lladdr ${worker.vtepMac} dev flannel.4096 nud permanent`,
                ),
            );
            assert.ok(
                cp.commands.bridge.includes(
                    `fdb append ${worker.vtepMac} dev flannel.4096 dst ${worker.ip} self permanent`,
                ),
            );
        }
        assert.ok(
            !cp.commands.ip.some((line) => line.includes(cp.podCidr) && line.startsWith("route")),
            "no route to its own subnet via the VTEP",
        );
        assert.match(vtepMac("cp-1"), /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, "a locally administered unicast MAC");
    });

    void it("programs host-gw as routes via the other nodes' IPs, with the underlay MTU for pods", () => {
        const plan = labPlan({ ...DEV_FIXTURE, backend: "host-gw" }, HOST_GW_SHAPE);
        const first = plan.nodes[0]!;
        assert.equal(plan.flannel.podMtu, 1500);
        assert.deepEqual(
            first.commands.ip.filter((line) => line.startsWith("route")),
            [
                ...plan.nodes.slice(1).map((node) => `route add ${node.podCidr} via ${node.ip} dev eth0`),
                "route add default dev eth0",
            ],
            "the other nodes' subnets, then the node's own default route (a host reaches cluster IPs)",
        );
        assert.ok(!first.commands.ip.some((line) => line.includes("vxlan")));
        assert.deepEqual(first.commands.bridge, []);
    });

    void it("takes Backend.MTU as the underlay MTU and subtracts the backend's overhead", () => {
        const manifests = labManifests(planOf(), DEV_FIXTURE).map((manifest) => {
            if (manifest.kind !== "ConfigMap") {
                return manifest;
            }
            const data = manifest.object["data"] as Record<string, string>;
            const netConf = JSON.parse(data["net-conf.json"]!) as { Backend: Record<string, unknown> };
            netConf.Backend["MTU"] = 9000;
            return {
                ...manifest,
                object: { ...manifest.object, data: { ...data, "net-conf.json": JSON.stringify(netConf) } },
            };
        });
        const result = planLab({ stack: "dev", plan: planOf(), manifests }, OPTIONS);
        assert.ok(result.ok);
        assert.equal(result.value.flannel.podMtu, 8950);
        assert.equal(result.value.lan.mtu, 9000);
    });

    void it("writes flanneld's --ip-masq rules, leaving kube-proxy's marked packets alone", () => {
        const document = restoreDocument(labPlan().nodes[1]!.flannelRules);
        assert.match(document, /-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG/);
        assert.match(document, /-A FLANNEL-POSTRTG -m mark --mark 0x4000\/0x4000 .* -j RETURN/);
        assert.match(document, /-A FLANNEL-POSTRTG -s 10.244.1.0\/24 -d 10.244.0.0\/16 .* -j RETURN/);
        assert.match(
            document,
            /-A FLANNEL-POSTRTG -s 10.244.0.0\/16 ! -d 224.0.0.0\/4 .* -j MASQUERADE --random-fully/,
        );
        assert.match(document, /-A FLANNEL-FWD -s 10.244.0.0\/16 -m comment --comment "flanneld forward" -j ACCEPT/);
    });

    void it("refuses backends it cannot build, a missing ConfigMap, a missing Backend and unassigned pod CIDRs, by name", () => {
        const manifests = labManifests(planOf(), { ...DEV_FIXTURE, backend: "wireguard" });
        assert.match(
            problemsOf(manifests).join("\n"),
            /Backend.Type is "wireguard": the lab builds the vxlan and host-gw backends only/,
        );
        const withoutConfigMap = labManifests(planOf(), DEV_FIXTURE).filter(
            (manifest) => manifest.kind !== "ConfigMap",
        );
        assert.match(problemsOf(withoutConfigMap).join("\n"), /renders no ConfigMap kube-flannel-cfg/);
        const withoutBackend = labManifests(planOf(), DEV_FIXTURE).map((manifest) =>
            manifest.kind === "ConfigMap"
                ? {
                      ...manifest,
                      object: {
                          ...manifest.object,
                          data: {
                              ...(manifest.object["data"] as object),
                              "net-conf.json": '{"Network": "10.244.0.0/16"}',
                          },
                      },
                  }
                : manifest,
        );
        assert.match(problemsOf(withoutBackend).join("\n"), /fall back to the udp backend/);
        const outside = labManifests(planOf(), DEV_FIXTURE).map((manifest) =>
            manifest.kind === "Node" && manifest.name === "worker-2"
                ? { ...manifest, object: { ...manifest.object, spec: { podCIDR: "10.245.0.0/24" } } }
                : manifest,
        );
        assert.match(
            problemsOf(outside).join("\n"),
            /flanneld on worker-2 would exit: Network 10.244.0.0\/16 doesn't contain the node's PodCIDR 10.245.0.0\/24/,
        );
    });

    void it("reads --ip-masq from the flannel DaemonSet", () => {
        const manifests = labManifests(planOf(), DEV_FIXTURE).map((manifest) =>
            manifest.kind === "DaemonSet"
                ? (JSON.parse(JSON.stringify(manifest).replace('"--ip-masq",', "")) as LabManifest)
                : manifest,
        );
        const result = readClusterModel(manifests);
        assert.ok(result.ok);
        assert.equal(result.value.flannel.ipMasq, false);
    });
});

void describe("lab plan: topology", () => {
    void it("puts a probe pod on every node and spreads replicas round-robin; controllers are found by image", () => {
        const plan = labPlan();
        assert.deepEqual(
            plan.pods.map((pod) => `${pod.key}@${pod.node}:${pod.role}`),
            [
                "clusternet-lab/probe-cp-1@cp-1:probe",
                "clusternet-lab/probe-worker-1@worker-1:probe",
                "clusternet-lab/probe-worker-2@worker-2:probe",
                "demo/web-0@cp-1:app",
                "demo/web-1@worker-1:app",
                "traefik/traefik-0@worker-2:ingress-controller",
                "kube-system/coredns-0@cp-1:dns",
            ],
            "the cluster DNS pod last, so that it moves no other pod's address",
        );
        const controller = plan.controllers[0]!;
        assert.equal(controller.controller, "traefik.io/ingress-controller");
        assert.equal(controller.httpPort, 8000, "traefik's web entry point, the target of its Service's http port");
        assert.deepEqual(controller.entry, { kind: "nodePort", port: 30080, service: "traefik/traefik" });
        const traefik = plan.pods.find((pod) => pod.role === "ingress-controller")!;
        assert.deepEqual(traefik.serve.tcp, [8080, 8443], "nginx takes 8000; the stand-in answers the rest");
        assert.deepEqual(traefik.readiness, [{ kind: "http", container: "traefik", port: 8080, path: "/ping" }]);
    });

    void it("finds ingress-nginx too, and serves its undeclared health port", () => {
        const plan = labPlan({ ...DEV_FIXTURE, ingress: { ...DEV_FIXTURE.ingress!, controller: "ingress-nginx" } });
        const controller = plan.controllers[0]!;
        assert.equal(controller.controller, "k8s.io/ingress-nginx");
        assert.equal(controller.httpPort, 80);
        const pod = plan.pods.find((item) => item.role === "ingress-controller")!;
        assert.deepEqual(pod.serve.tcp, [443, 10254]);
    });

    void it("names every namespace with the prefix and keeps interface names within 15 characters", () => {
        const plan = labPlan(DEV_FIXTURE, HOST_GW_SHAPE);
        const namespaces = [
            plan.lan.netns,
            plan.client.netns,
            ...plan.nodes.map((node) => node.netns),
            ...plan.pods.map((pod) => pod.netns),
        ];
        assert.ok(namespaces.every((netns) => isLabNamespace("cnl-", netns)));
        assert.equal(new Set(namespaces).size, namespaces.length);
        const interfaceNames = [...plan.lan.commands, ...plan.nodes.flatMap((node) => node.commands.ip)].flatMap(
            (line) => [...line.matchAll(/(?:link add|dev|name) (\S+)/g)].map((match) => match[1]!),
        );
        assert.ok(
            interfaceNames.length > 0 && interfaceNames.every((name) => name.length <= 15),
            interfaceNames.join(" "),
        );
        assert.equal(plan.client.ip, "192.168.56.254");
        assert.ok(
            !isLabNamespace("cnl-", "cnlx-lan") &&
                !isLabNamespace("cnl-", "cnl-t1a-lan") &&
                !isLabNamespace("cnl-", "cnl-node-"),
        );
        assert.equal(prefixProblem("cnl-"), undefined);
        assert.ok(prefixProblem("CNL") && prefixProblem("cnl") && prefixProblem("a-b-"));
    });

    void it("runs a DaemonSet's pod on every node, but leaves hostNetwork agents (flanneld) to the lab itself", () => {
        const input = labInputOf(DEV_FIXTURE);
        const daemonSet: LabManifest = {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            namespace: "monitoring",
            name: "exporter",
            object: {
                apiVersion: "apps/v1",
                kind: "DaemonSet",
                metadata: { name: "exporter", namespace: "monitoring" },
                spec: {
                    template: {
                        metadata: { labels: { app: "exporter" } },
                        spec: {
                            containers: [
                                {
                                    name: "exporter",
                                    image: "exporter:1",
                                    ports: [{ name: "metrics", containerPort: 9100 }],
                                },
                            ],
                        },
                    },
                },
            },
        };
        const result = planLab({ ...input, manifests: [...input.manifests, daemonSet] }, OPTIONS);
        assert.ok(result.ok);
        assert.deepEqual(
            result.value.pods.filter((pod) => pod.namespace === "monitoring").map((pod) => `${pod.name}@${pod.node}`),
            ["exporter-cp-1@cp-1", "exporter-worker-1@worker-1", "exporter-worker-2@worker-2"],
        );
        assert.ok(!result.value.pods.some((pod) => pod.namespace === "kube-flannel"));
    });

    void it("is deterministic", () => {
        assert.deepEqual(labPlan(), labPlan());
    });
});

void describe("lab plan: kube-proxy", () => {
    void it("hashes chain names as kube-proxy does", () => {
        assert.equal(chainHash("default/kubernetes:https" + "tcp"), "NPX46M4PTMTKRN6Y");
        assert.equal(chainHash("kube-system/kube-dns:dns" + "udp"), "TCOU7JCQXEZGVUNU");
    });

    void it("keeps pinned cluster IPs and node ports, allocates the rest, skipping the kubernetes and DNS addresses", () => {
        const service = (name: string, clusterIP?: string, nodePort?: number) => ({
            namespace: "demo",
            name,
            type: "NodePort",
            clusterIP,
            selector: { app: name },
            ports: [{ name: "http", port: 80, targetPort: 80, nodePort, protocol: "TCP" as const }],
            externalTrafficPolicy: "Cluster",
        });
        const { services, problems } = planServices(
            [service("a"), service("b", "10.96.0.2", 30000), service("c")],
            "10.96.0.0/12",
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(
            services.map((item) => [item.clusterIP, item.ports[0]!.nodePort]),
            [
                ["10.96.0.3", 30001],
                ["10.96.0.2", 30000],
                ["10.96.0.4", 30002],
            ],
        );
        const bad = planServices([service("a", "10.97.0.1"), service("b", "10.200.0.1")], "10.96.0.0/16");
        assert.match(bad.problems.map(formatProblem).join("\n"), /10.97.0.1 is not inside the service CIDR/);
    });

    void it("resolves named target ports per pod: a pod that does not declare the name is no endpoint", () => {
        const plan = labPlan();
        const service = plan.services.find((item) => item.name === "web")!;
        const port = { name: "metrics", port: 9100, targetPort: "metrics", protocol: "TCP" as const };
        const pod = (name: string, ports: PodView["ports"], ready = true): PodView => ({
            namespace: "demo",
            name,
            node: "cp-1",
            ip: `10.244.0.${name.length + 1}`,
            ready,
            labels: { app: "web" },
            ports,
        });
        const pods = [
            pod("a", [{ name: "metrics", containerPort: 9100, protocol: "TCP" }]),
            pod("bb", [{ name: "http", containerPort: 80, protocol: "TCP" }]),
            pod("ccc", [{ name: "metrics", containerPort: 9102, protocol: "UDP" }]),
            pod("dddd", [{ name: "metrics", containerPort: 9103, protocol: "TCP" }], false),
        ];
        assert.deepEqual(endpointsOf(service, port, pods), [{ pod: "a", node: "cp-1", ip: "10.244.0.2", port: 9100 }]);
        assert.match(
            noEndpointsReason(service, port, pods.slice(1, 2)),
            /no Ready pod matching app=web declares a TCP container port named "metrics"/,
        );
        assert.match(noEndpointsReason(service, port, pods.slice(3)), /1 pod\(s\) match app=web but none is Ready/);
    });

    void it("writes KUBE-SERVICES, KUBE-SVC (random balancing), KUBE-SEP (DNAT, hairpin masquerade), KUBE-NODEPORTS and REJECT for ports without endpoints", () => {
        const plan = labPlan();
        const state = readyState(plan);
        const document = restoreDocument(
            kubeProxyRules(plan.services, new Map(Object.entries(state.endpoints)), plan.clusterCidr),
        );
        const web = plan.services.find((service) => service.name === "web")!;
        const http = web.ports[0]!;
        const svc = `KUBE-SVC-${chainHash("demo/web:http" + "tcp")}`;
        const ext = `KUBE-EXT-${chainHash("demo/web:http" + "tcp")}`;
        assert.ok(
            document.includes(
                `-A KUBE-SERVICES -d ${web.clusterIP}/32 -m comment --comment "demo/web:http cluster IP" -p tcp -m tcp --dport 8080 -j ${svc}`,
            ),
            document,
        );
        assert.ok(document.includes(`-A ${svc} ! -s 10.244.0.0/16 -d ${web.clusterIP}/32`));
        assert.ok(
            document.includes(
                `-A ${svc} -m comment --comment "demo/web:http -> 10.244.0.3:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-`,
            ),
        );
        assert.match(
            document,
            /-A KUBE-SEP-\w+ -p tcp -m comment --comment demo\/web:http -m tcp -j DNAT --to-destination 10.244.1.3:80/,
        );
        assert.match(
            document,
            /-A KUBE-SEP-\w+ -s 10.244.0.3\/32 -m comment --comment demo\/web:http -j KUBE-MARK-MASQ/,
        );
        assert.ok(
            document.includes(
                `-A KUBE-NODEPORTS -m comment --comment demo/web:http -p tcp -m tcp --dport ${http.nodePort} -j ${ext}`,
            ),
        );
        assert.ok(document.includes(`-A ${ext} -j ${svc}`));
        assert.match(document, /-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000/);
        assert.match(
            document,
            /-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n(?!-A KUBE-SERVICES)/,
        );
        const without = restoreDocument(kubeProxyRules(plan.services, new Map(), plan.clusterCidr));
        assert.ok(
            without.includes(
                `-A KUBE-SERVICES -d ${web.clusterIP}/32 -m comment --comment "demo/web:http has no endpoints" -p tcp -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable`,
            ),
        );
        assert.ok(
            without.includes(
                `-A KUBE-EXTERNAL-SERVICES -m comment --comment "demo/web:http has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30808 -j REJECT`,
            ),
        );
    });

    void it("puts kube-proxy's and kubelet's jumps at the top of the built-in chains, in a real node's order, and adds none twice", () => {
        const plan = labPlan();
        const kubeProxy = kubeProxyRules(plan.services, new Map(), plan.clusterCidr);
        const document = restoreDocument(kubeProxy);
        // The jumps in each built-in chain once these documents were applied in this order (-A appends, -I n inserts).
        const jumps = (...documents: string[]): Map<string, string[]> => {
            const chains = new Map<string, string[]>();
            for (const text of documents) {
                let table = "";
                for (const line of text.split("\n")) {
                    const target = line.split(" -j ")[1]?.split(" ")[0] ?? "";
                    const [verb, chain, position] = line.split(" ");
                    if (line.startsWith("*")) {
                        table = line.slice(1);
                    } else if (verb === "-A" || verb === "-I") {
                        const list = chains.get(`${table} ${chain}`) ?? [];
                        list.splice(verb === "-A" ? list.length : Number(position) - 1, 0, target);
                        chains.set(`${table} ${chain}`, list);
                    }
                }
            }
            return chains;
        };
        const node = jumps(restoreDocument(kubeletRules()), document);
        assert.deepEqual(node.get("filter FORWARD"), [
            "KUBE-PROXY-FIREWALL",
            "KUBE-FORWARD",
            "KUBE-SERVICES",
            "KUBE-EXTERNAL-SERVICES",
        ]);
        assert.deepEqual(node.get("filter INPUT"), [
            "KUBE-PROXY-FIREWALL",
            "KUBE-NODEPORTS",
            "KUBE-EXTERNAL-SERVICES",
            "KUBE-FIREWALL",
        ]);
        assert.deepEqual(node.get("filter OUTPUT"), ["KUBE-PROXY-FIREWALL", "KUBE-SERVICES", "KUBE-FIREWALL"]);
        assert.deepEqual(node.get("nat OUTPUT"), ["KUBE-SERVICES"]);
        assert.doesNotMatch(document, /KUBE-FIREWALL|KUBE-KUBELET-CANARY/, "kubelet's chains are kubelet's");
        assert.ok(!document.includes("-A FORWARD"), "flannel appends; kube-proxy inserts");
        // What iptables-save prints once both agents applied their rules: applying again adds no jump.
        const saved = [
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
            "COMMIT",
            "*filter",
            ...document
                .slice(document.indexOf("*filter"))
                .split("\n")
                .filter((line) => line.startsWith("-I "))
                .map((line) => line.replace(/^-I (\w+) \d+/, "-A $1")),
            '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
            "COMMIT",
        ].join("\n");
        const again = restoreDocument(kubeProxy, saved);
        assert.deepEqual(
            again.split("\n").filter((line) => /^-[AI] (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(line)),
            [],
        );
        assert.ok(again.includes(":KUBE-SERVICES - [0:0]"), "kube-proxy's own chains are still rewritten");
    });

    void it("refuses an iptables document that uses an undeclared chain", () => {
        assert.throws(
            () => restoreDocument([{ table: "nat", chains: [], rules: [{ chain: "KUBE-X", args: ["-j", "RETURN"] }] }]),
            /KUBE-X is used but not declared/,
        );
    });
});

void describe("lab plan: Ingress", () => {
    const ingress = (rules: IngressModel["rules"], name = "i"): IngressModel => ({
        namespace: "demo",
        name,
        className: "traefik",
        rules,
    });
    const to = (service: string) => ({ service, port: "http" });
    const table = routeTable([
        ingress([
            {
                host: "web.lab.example",
                paths: [
                    { path: "/", pathType: "Prefix", backend: to("root") },
                    { path: "/api/", pathType: "Prefix", backend: to("api") },
                    { path: "/api/v1", pathType: "Prefix", backend: to("v1") },
                    { path: "/api", pathType: "Exact", backend: to("exact") },
                ],
            },
            { host: "*.wild.example", paths: [{ path: "/docs", pathType: "Prefix", backend: to("docs") }] },
        ]),
    ]);
    const backendOf = (host: string, requestPath: string): string => {
        const decision = decideRoute(table, host, requestPath);
        return decision.kind === "backend" ? decision.route.backend!.service : "404";
    };

    void it("matches paths as the Ingress spec says: element-wise prefixes, longest first, Exact before Prefix", () => {
        assert.equal(backendOf("web.lab.example", "/"), "root");
        assert.equal(backendOf("web.lab.example", "/api"), "exact");
        assert.equal(backendOf("web.lab.example", "/api/"), "api");
        assert.equal(backendOf("web.lab.example", "/api/x"), "api");
        assert.equal(backendOf("web.lab.example", "/apix"), "root", "/api does not match /apix");
        assert.equal(backendOf("web.lab.example", "/api/v1"), "v1");
        assert.equal(backendOf("web.lab.example", "/api/v1/users"), "v1");
        assert.equal(backendOf("web.lab.example", "/api/v10"), "api");
    });

    void it("matches hosts exactly, wildcards one label deep, and nothing else", () => {
        assert.equal(backendOf("a.wild.example", "/docs/x"), "docs");
        assert.equal(backendOf("a.wild.example", "/"), "404");
        assert.equal(backendOf("a.b.wild.example", "/docs"), "404");
        assert.equal(backendOf("unknown.example", "/"), "404");
        assert.ok(
            wildcardMatches("*.a.b", "x.a.b") &&
                !wildcardMatches("*.a.b", "a.b") &&
                !wildcardMatches("*.a.b", "y.x.a.b"),
        );
    });

    void it("writes nginx locations that implement the same decisions, with upstreams of ready endpoints", () => {
        const config = nginxConfig({
            table,
            listenPort: 8000,
            pod: { name: "traefik-0", namespace: "traefik", node: "worker-2" },
            upstream: (backend) =>
                backend.service === "v1"
                    ? { unavailable: "no Ready pod" }
                    : { servers: [`10.244.0.3:80`, `10.244.1.3:80`] },
            runDir: "/run/x",
        });
        assert.match(
            config,
            /listen 8000 default_server;\n\s+server_name _;\n\s+location \/ \{ return 404 "pod=traefik-0 namespace=traefik node=worker-2 port=8000 default-backend=404" ; \}/,
        );
        assert.match(config, /location = "\/api" \{ proxy_pass http:\/\/demo_exact_http_\w+; \}/);
        assert.match(config, /location \^~ "\/api\/" \{ proxy_pass http:\/\/demo_api_http_\w+; \}/);
        assert.ok(!config.includes('location = "/api" { proxy_pass http://demo_api'), "the Exact path owns = /api");
        assert.match(config, /location = "\/api\/v1" \{ return 503 "demo\/v1:http: no Ready pod"; \}/);
        assert.match(config, /server_name "~\^\[\^.\]\+\\\\.wild\\\\.example\$";/);
        assert.match(
            config,
            /upstream demo_root_http_\w+ \{\n\s+server 10.244.0.3:80;\n\s+server 10.244.1.3:80;\n\s+\}/,
        );
    });

    void it(
        "writes a configuration nginx accepts",
        { skip: spawnSync("sh", ["-c", "command -v nginx"]).status !== 0 ? "nginx is not installed" : false },
        () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-nginx-"));
            try {
                const config = nginxConfig({
                    table,
                    listenPort: 8000,
                    pod: { name: "p", namespace: "n", node: "x" },
                    upstream: () => ({ servers: ["10.244.0.3:80"] }),
                    runDir: dir,
                });
                const result = nginxTest(dir, config);
                assert.equal(result.status, 0, result.stderr);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    );
});

void describe("lab plan: the check matrix", () => {
    void it("covers every path of the dev stack: same node, every pair of nodes, egress, Services, NodePorts, Ingress, unknown host, MTU", () => {
        const plan = labPlan();
        const checks = planChecks(readyState(plan));
        const count = (group: CheckGroup): number => checks.filter((check) => check.group === group).length;
        assert.equal(count(CheckGroup.PodSameNode), 4, "web-0, traefik-0 and the DNS pod from their nodes' probes");
        assert.equal(count(CheckGroup.PodAcrossNodes), 6, "every ordered pair of 3 nodes");
        assert.equal(count(CheckGroup.Hairpin), 2 * 2 + 2, "every endpoint of every port reaches itself");
        assert.equal(count(CheckGroup.NodeService), 3 * 4);
        assert.equal(count(CheckGroup.NodeLocalNodePort), 3 * 4);
        assert.equal(count(CheckGroup.DnsName), 2 * 3, "short, namespaced and full names of web and traefik");
        const web = checks.find((check) => check.path.startsWith("probe-cp-1 → demo/web:http "))!;
        assert.deepEqual(
            web.probes[0]!.until,
            { responders: ["demo/web-0:80", "demo/web-1:80"], max: triesToSeeEach(2), stopOnFailure: true },
            "every endpoint must answer",
        );
        assert.deepEqual(checks.find((check) => check.group === CheckGroup.Hairpin)!.probes[0]!.until?.responders, [
            "demo/web-0:80",
        ]);
        assert.ok(
            checks.some(
                (check) =>
                    check.group === CheckGroup.Dns &&
                    check.expect.kind === "records" &&
                    check.expect.records[0] === "web.demo.svc.cluster.local:8080",
            ),
            "SRV for the named port http",
        );
        assert.equal(count(CheckGroup.PodEgress), 3);
        assert.equal(count(CheckGroup.PodService), 3 * 4, "4 Service ports from every node");
        assert.equal(count(CheckGroup.LanNodePort), 3 * 4, "web http + https, traefik http + https on every node");
        assert.equal(count(CheckGroup.LanIngress), 1);
        assert.equal(count(CheckGroup.UnknownHost), 1);
        assert.equal(count(CheckGroup.PodMtu), 3);
        const route = checks.find((check) => check.group === CheckGroup.LanIngress)!;
        assert.deepEqual(route.probes[0]!.probe, {
            kind: "http",
            ip: "192.168.56.10",
            port: 30080,
            path: "/",
            host: "web.lab.example",
        });
        assert.deepEqual(route.expect, {
            kind: "answer",
            responders: [
                { pod: "web-0", namespace: "demo", port: 80 },
                { pod: "web-1", namespace: "demo", port: 80 },
            ],
            status: 200,
            why: undefined,
        });
        const mtu = checks.find((check) => check.group === CheckGroup.PodMtu)!;
        assert.deepEqual(
            mtu.probes.map((request) => request.probe),
            [
                { kind: "ping", ip: "10.244.1.2", size: 1422 },
                { kind: "ping", ip: "10.244.1.2", size: 1423 },
            ],
        );
        const cp = plan.nodes.find((node) => node.name === "cp-1")!;
        assert.deepEqual(
            mtu.probes.map((request) => request.netns ?? mtu.source.netns),
            [plan.pods.find((pod) => pod.key === "clusternet-lab/probe-cp-1")!.netns, cp.netns],
            "one byte more leaves from the node (interfaces larger than the pod MTU), so only the path can refuse it",
        );
        assert.deepEqual(mtu.expect, { kind: "mtu", mtu: 1450, overFrom: "cp-1" });
    });

    void it("expects nobody on a Service port no container declares, and says why", () => {
        const broken: FixtureOptions = {
            ...DEV_FIXTURE,
            services: [
                {
                    ...DEV_FIXTURE.services[0]!,
                    ports: [...DEV_FIXTURE.services[0]!.ports, { name: "metrics", port: 9100, targetPort: "metrics" }],
                },
            ],
        };
        const checks = planChecks(readyState(labPlan(broken)));
        const metrics = checks.filter((check) => check.path.includes("demo/web:metrics"));
        assert.equal(
            metrics.length,
            12,
            "from the 3 probe pods, the 3 nodes, the LAN to 3 nodes and 3 nodes' localhost",
        );
        for (const check of metrics) {
            assert.equal(check.expect.kind === "answer" && check.expect.responders.length, 0);
            assert.match(
                check.expect.kind === "answer" ? (check.expect.why ?? "") : "",
                /declares a TCP container port named "metrics"/,
            );
        }
    });

    void it("expects nginx (default config) to refuse its declared https port, as on a cluster; other images answer", () => {
        const https = (image?: string): CheckCase[] =>
            planChecks(
                readyState(
                    labPlan({
                        ...DEV_FIXTURE,
                        services: [{ ...DEV_FIXTURE.services[0]!, ...(image ? { image } : {}) }],
                    }),
                ),
            ).filter((check) => check.path.includes("demo/web:https"));
        const nginx = https();
        assert.ok(nginx.length >= 9, "pod, node and LAN paths to web:https");
        for (const check of nginx) {
            assert.equal(check.expect.kind === "answer" && check.expect.responders.length, 0, check.path);
            assert.equal(check.expect.kind === "answer" && check.expect.refused, true, "the row wants a refusal");
            assert.match(
                check.expect.kind === "answer" ? (check.expect.why ?? "") : "",
                /nginx:1\.27: nginx's default config listens on 80 only/,
            );
        }
        const judge = (result: Omit<ProbeResult, "id" | "ms">): boolean =>
            evaluate(nginx[0]!, new Map([[nginx[0]!.probes[0]!.id, { id: nginx[0]!.probes[0]!.id, ms: 1, ...result }]]))
                .ok;
        assert.deepEqual(
            [
                judge({ ok: false, error: "connect ECONNREFUSED 10.96.0.2:443" }),
                judge({ ok: false, error: "no answer within 2500 ms" }),
                judge({ ok: true, status: 200, body: "pod=web-0 namespace=demo port=443" }),
            ],
            [true, false, false],
            "only a refusal passes: a lost SYN or an answer does not",
        );
        const web = labPlan().pods.find((pod) => pod.key === "demo/web-0")!;
        assert.deepEqual(
            [web.serve.tcp, web.nginx, web.unserved?.tcp],
            [[], { image: "nginx:1.27", port: 80 }, [443]],
            "real nginx answers 80, no stand-in runs, 443 is refused",
        );
        for (const image of ["ghcr.io/example/web:1", "nginxinc/nginx-unprivileged:1.27"]) {
            for (const check of https(image)) {
                assert.equal(check.expect.kind === "answer" && check.expect.responders.length, 2, image);
            }
        }
        assert.equal(
            https("docker.io/library/nginx:1.27@sha256:0123").every(
                (check) => check.expect.kind === "answer" && check.expect.responders.length === 0,
            ),
            true,
        );
    });

    void it("judges answers by pod, namespace, port, status and the source seen", () => {
        const check: CheckCase = {
            id: "c1",
            group: CheckGroup.PodService,
            path: "p",
            source: { netns: "n", label: "l" },
            probes: [
                {
                    id: "c1.0",
                    probe: { kind: "http", ip: "10.96.0.2", port: 8080, path: "/" },
                    timeoutMs: 1,
                    attempts: 1,
                },
            ],
            expect: { kind: "answer", responders: [{ pod: "web-0", namespace: "demo", port: 80 }], status: 200 },
        };
        const judge = (body: string, status = 200): boolean =>
            evaluate(check, new Map([["c1.0", { id: "c1.0", ok: true, status, body, ms: 1 }]])).ok;
        assert.equal(judge("pod=web-0 namespace=demo node=cp-1 port=80 from=10.244.0.2 path=/"), true);
        assert.equal(judge("pod=web-1 namespace=demo node=cp-1 port=80"), false);
        assert.equal(judge("pod=web-0 namespace=other port=80"), false);
        assert.equal(judge("pod=web-0 namespace=demo port=443"), false);
        assert.equal(judge("pod=web-0 namespace=demo port=80", 404), false);
        assert.equal(
            evaluate(check, new Map([["c1.0", { id: "c1.0", ok: false, error: "connect ECONNREFUSED", ms: 1 }]])).got,
            "connect ECONNREFUSED",
        );
        const mtu: CheckCase = {
            ...check,
            probes: [check.probes[0]!, { ...check.probes[0]!, id: "c1.1" }],
            expect: { kind: "mtu", mtu: 1450 },
        };
        const ping = (big: boolean, over: boolean): boolean =>
            evaluate(
                mtu,
                new Map([
                    ["c1.0", { id: "c1.0", ok: big, ms: 1 }],
                    ["c1.1", { id: "c1.1", ok: over, ms: 1 }],
                ]),
            ).ok;
        assert.deepEqual([ping(true, false), ping(true, true), ping(false, false)], [true, false, false]);
        const path: CheckCase = { ...mtu, expect: { kind: "mtu", mtu: 1450, overFrom: "cp-1" } };
        const over = (error: string): boolean =>
            evaluate(
                path,
                new Map([
                    ["c1.0", { id: "c1.0", ok: true, ms: 1 }],
                    ["c1.1", { id: "c1.1", ok: false, error, ms: 1 }],
                ]),
            ).ok;
        assert.deepEqual(
            [
                over("ping: local error: message too long, mtu=1450"),
                over("From 10.244.1.0 icmp_seq=1 Frag needed and DF set (mtu = 1450)"),
                over("1 packets transmitted, 0 received, 100% packet loss, time 0ms"),
            ],
            [true, true, false],
            "a lost packet is no refusal by the path",
        );
    });
});

void describe("lab plan: cluster DNS and diagnose", () => {
    void it("puts kube-dns at the plan's DNS address (UDP and TCP 53) and gives pods kubelet's resolv.conf for the configured domain", () => {
        const shape = { ...DEV_CLUSTER, cluster: { ...DEV_CLUSTER.cluster, dnsDomain: "lab.internal" } };
        const plan = labPlan(DEV_FIXTURE, shape);
        assert.deepEqual(plan.dns, { ip: "10.96.0.10", domain: "lab.internal", pod: "kube-system/coredns-0" });
        const kubeDns = plan.services.find((service) => service.name === "kube-dns")!;
        assert.equal(kubeDns.clusterIP, "10.96.0.10");
        assert.deepEqual(
            kubeDns.ports.map((port) => `${port.port}/${port.protocol}`),
            ["53/UDP", "53/TCP"],
        );
        const web = plan.pods.find((pod) => pod.key === "demo/web-0")!;
        assert.equal(
            web.resolvConf,
            "search demo.svc.lab.internal svc.lab.internal lab.internal\nnameserver 10.96.0.10\noptions ndots:5\n",
        );
        assert.equal(plan.pods.find((pod) => pod.role === "dns")!.resolvConf, undefined, "dnsPolicy Default");
        const state = readyState(plan);
        const rules = restoreDocument(
            kubeProxyRules(plan.services, new Map(Object.entries(state.endpoints)), plan.clusterCidr),
        );
        assert.match(rules, /-d 10\.96\.0\.10\/32 .*-p udp -m udp --dport 53 -j KUBE-SVC-/);
        assert.match(rules, /-d 10\.96\.0\.10\/32 .*-p tcp -m tcp --dport 53 -j KUBE-SVC-/);
    });

    void it("answers what CoreDNS would: the cluster IP, one record per ready pod for a headless Service, SRV for named ports", () => {
        const plan = labPlan();
        const web = plan.services.find((service) => service.name === "web")!;
        const headless = { ...web, name: "web-pods", clusterIP: null };
        const endpoints = {
            "demo/web:http": [
                { pod: "web-0", node: "cp-1", ip: "10.244.0.3", port: 80 },
                { pod: "web-1", node: "worker-1", ip: "10.244.1.3", port: 80 },
            ],
        };
        const records = dnsRecords([web, headless], endpoints, "cluster.local");
        assert.deepEqual(records.a["web.demo.svc.cluster.local"], [web.clusterIP]);
        assert.deepEqual(records.a["web-pods.demo.svc.cluster.local"], ["10.244.0.3", "10.244.1.3"]);
        assert.deepEqual(records.srv["_http._tcp.web.demo.svc.cluster.local"], {
            target: "web.demo.svc.cluster.local",
            port: 8080,
        });
        assert.deepEqual(records.srv["_http._tcp.web-pods.demo.svc.cluster.local"], {
            target: "web-pods.demo.svc.cluster.local",
            port: 80,
        });
        assert.equal(records.srv["_https._tcp.web-pods.demo.svc.cluster.local"], undefined, "no ready endpoint");
        assert.match(hostsFile(records), /^10\.244\.0\.3 web-pods\.demo\.svc\.cluster\.local$/m);
    });

    void it("resolves names as a pod's resolver does and parses diagnose's targets", () => {
        assert.deepEqual(searchNames("web", "demo", "cluster.local"), [
            "web.demo.svc.cluster.local",
            "web.svc.cluster.local",
            "web.cluster.local",
            "web",
        ]);
        assert.equal(searchNames("web.demo", "shop", "cluster.local")[1], "web.demo.svc.cluster.local");
        assert.deepEqual(parseTarget("web.demo:8080"), { host: "web.demo", port: "8080" });
        assert.deepEqual(parseTarget("web"), { host: "web" });
        const plan = labPlan();
        assert.equal(typeof findSource(plan, "web-0"), "object");
        const missing = findSource(plan, "nope");
        assert.match(typeof missing === "string" ? missing : "", /no pod or node of that name/);
        assert.equal((findSource(plan, "cp-1") as { label: string }).label, "node cp-1");
    });

    void it("sends enough requests that a missed endpoint is a broken path, not bad luck", () => {
        assert.equal(triesToSeeEach(1), 1);
        for (const among of [2, 3, 5, 10]) {
            const tries = triesToSeeEach(among);
            assert.ok(among * (1 - 1 / among) ** tries < 1e-6, `${among}: ${tries}`);
            assert.ok(among * (1 - 1 / among) ** (tries - 1) >= 1e-6, "and no more than needed");
        }
    });
});

void describe("lab plan: inputs", () => {
    void it("builds the fixtures in the API server's own schema", async () => {
        for (const manifest of labManifests(planOf(), DEV_FIXTURE)) {
            assert.deepEqual(
                await schemaErrors(manifest.object as { apiVersion: string; kind: string }),
                [],
                `${manifest.kind} ${manifest.name}`,
            );
        }
    });

    void it("reads manifests from YAML as clusternet render writes them, and plans the same lab", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-lab-yaml-"));
        try {
            const manifests = labManifests(planOf(), DEV_FIXTURE);
            manifests.forEach((manifest, index) =>
                fs.writeFileSync(
                    path.join(dir, `${String(index).padStart(3, "0")}-${manifest.kind.toLowerCase()}.yaml`),
                    stringify(manifest.object),
                ),
            );
            const read = readManifestFiles(dir);
            assert.equal(read.length, manifests.length);
            const fromFiles = planLab({ stack: "dev", plan: planOf(), manifests: read }, OPTIONS);
            assert.ok(fromFiles.ok);
            assert.deepEqual(fromFiles.value, labPlan());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    void it("lab up renders the real stack and refuses, by name, what it cannot build (exit 2), building nothing", async () => {
        // A wireguard stack: refused for its backend once the pod network renders, for the missing ConfigMap before.
        const stackFile = writeStackFile(temporaryDirectory(), "wg", {
            ...devConfig(),
            podNetwork: { backend: "wireguard" },
        });
        const result = await runCli(["lab", "up", "--config-file", stackFile, "--prefix", "cnlunit-"]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(
            result.stderr,
            /Backend.Type is "wireguard": the lab builds the vxlan and host-gw backends only|the stack renders no ConfigMap kube-flannel-cfg/,
        );
        assert.match(result.stderr, /nothing was built/);
        const badPrefix = await runCli(["lab", "down", "--prefix", "Bad"]);
        assert.equal(badPrefix.code, 2);
        assert.match(badPrefix.stderr, /--prefix "Bad": use 1-12 lowercase letters/);
    });

    void it("says why a machine cannot run the lab", () => {
        assert.match(environmentProblem({ platform: "linux", uid: 1000, hasNetns: true })!, /must run as root/);
        assert.match(environmentProblem({ platform: "darwin", uid: 0, hasNetns: false })!, /needs Linux/);
        assert.match(
            environmentProblem({ platform: "linux", uid: 0, hasNetns: false })!,
            /no network namespace support/,
        );
        assert.equal(environmentProblem({ platform: "linux", uid: 0, hasNetns: true }), undefined);
    });
});

void describe("lab plan: real nginx in nginx pods, and what the rows model", () => {
    void it("runs real nginx for the official nginx image only (any tag, digest or mirror), not for variants with another default config", () => {
        for (const image of [
            "nginx",
            "nginx:1.27.5",
            "nginx:1.27-alpine-slim",
            "library/nginx:mainline",
            "docker.io/nginx:1.27",
            "docker.io/library/nginx@sha256:0123abcd",
            "public.ecr.aws/nginx/nginx:1.27",
        ]) {
            assert.equal(isNginxImage(image), true, image);
        }
        for (const image of [
            "nginxinc/nginx-unprivileged:1.27",
            "bitnami/nginx:1.27",
            "registry.lab.example/nginx:1",
            "nginx-ingress:1",
            "registry.k8s.io/ingress-nginx/controller:v1.15.1",
            "ghcr.io/example/web:1",
            "",
        ]) {
            assert.equal(isNginxImage(image), false, image);
        }
    });

    void it("writes the image's default server: port 80 only, the web root's pages, every file in the pod's folder", () => {
        const config = nginxPodConfig({
            image: "nginx:1.27.5",
            pod: { name: "web-0", namespace: "demo", node: "cp-1" },
            dir: '/run/lab/a dir with "quotes"/nginx',
        });
        assert.deepEqual(
            config.match(/^\s*listen\b.*$/gm)?.map((line) => line.trim()),
            ["listen 80;"],
            "nginx's default config listens on 80 and nothing else",
        );
        assert.match(config, /root "\/run\/lab\/a dir with \\"quotes\\"\/nginx\/html";/);
        assert.match(config, /pid "\/run\/lab\/a dir with \\"quotes\\"\/nginx\/nginx\.pid";/);
        assert.doesNotMatch(config, /\/var\/|\/etc\/nginx|^user /m, "no shared paths; workers as nginx's default user");
        assert.match(
            nginxPodConfig({ image: "nginx", pod: { name: "a", namespace: "b", node: "c" }, dir: "/d", user: "root" }),
            /^user root;$/m,
        );
        assert.deepEqual(
            ["/", "/index.html", "/50x.html", "/v1/lab-check", "/healthz"].map(nginxDefaultStatus),
            [200, 200, 200, 404, 404],
        );
    });

    void it(
        "writes a pod configuration nginx accepts, in a folder whose name needs quoting",
        { skip: spawnSync("sh", ["-c", "command -v nginx"]).status !== 0 ? "nginx is not installed" : false },
        () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet nginx-pod '\"-"));
            try {
                const config = nginxPodConfig({
                    image: "nginx:1.27.5",
                    pod: { name: "web-0", namespace: "demo", node: "cp-1" },
                    dir,
                });
                const result = nginxTest(dir, config);
                assert.equal(result.status, 0, result.stderr);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    );

    /** The dev fixture plus an API behind a stand-in image, routed under /api. */
    const MIXED: FixtureOptions = {
        ...DEV_FIXTURE,
        services: [
            { ...DEV_FIXTURE.services[0]!, image: "nginx:1.27.5" },
            {
                name: "api",
                namespace: "demo",
                replicas: 1,
                image: "registry.lab.example/api:1.4.2",
                containerPorts: [{ name: "http", port: 8080 }],
                ports: [{ name: "http", port: 80, targetPort: "http" }],
            },
        ],
        ingress: {
            ...DEV_FIXTURE.ingress!,
            controller: "ingress-nginx",
            routes: [
                {
                    host: "web.lab.example",
                    paths: [
                        { path: "/", service: "web", port: "http" },
                        { path: "/docs", pathType: "Prefix", service: "web", port: "http" },
                        { path: "/api", pathType: "Prefix", service: "api", port: "http" },
                    ],
                },
            ],
        },
    };

    void it("marks the rows a stand-in answers as modelled, and not the rows real nginx answers", () => {
        const plan = labPlan(MIXED);
        const api = plan.pods.find((pod) => pod.key === "demo/api-0")!;
        assert.deepEqual(
            [api.nginx, api.standInFor, api.serve.tcp],
            [undefined, ["registry.lab.example/api:1.4.2"], [8080]],
        );
        const checks = planChecks(readyState(plan));
        const apiRows = checks.filter((check) => check.path.includes("demo/api:http"));
        assert.ok(apiRows.length >= 6);
        for (const check of apiRows) {
            assert.ok(
                check.modelled?.some((note) => note.includes("a stand-in answers for registry.lab.example/api:1.4.2")),
                check.path,
            );
        }
        const webRows = checks.filter(
            (check) => check.group !== CheckGroup.DnsName && /demo\/web:(http|https) /.test(check.path),
        );
        assert.ok(webRows.length >= 6);
        assert.deepEqual(
            webRows.filter((check) => check.modelled !== undefined).map((check) => check.path),
            [],
            "real nginx answers web's rows (and refuses 443)",
        );
        assert.ok(
            checks
                .filter((check) => check.group === CheckGroup.Dns || check.group === CheckGroup.DnsName)
                .every((check) => check.modelled?.some((note) => /dnsmasq answers for CoreDNS/.test(note))),
            "the cluster DNS is dnsmasq",
        );
        // Through the Ingress, real nginx answers its default server's status: 404 below `/`, from the right pod.
        const ingress = (path: string): CheckCase =>
            checks.find(
                (check) => check.group === CheckGroup.LanIngress && check.path.includes(`web.lab.example${path} `),
            )!;
        const status = (check: CheckCase): number | undefined =>
            check.expect.kind === "answer" ? check.expect.status : undefined;
        assert.deepEqual(
            [status(ingress("/")), status(ingress("/docs/lab-check")), status(ingress("/api/lab-check"))],
            [200, 404, 200],
        );
        assert.equal(ingress("/docs/lab-check").modelled, undefined, "ingress-nginx and nginx both run");
        const rows = checks.map((check) => evaluate(check, new Map()));
        const table = formatTable(rows);
        const legend = modelledLegend(rows);
        const apiIndex = legend.findIndex((note) => note.includes("registry.lab.example/api")) + 1;
        assert.ok(apiIndex > 0);
        assert.match(table, new RegExp(`demo/api:http .*modelled \\[(\\d+,)*${apiIndex}(,\\d+)*\\]$`, "m"));
        assert.match(
            table,
            new RegExp(`^  \\[${apiIndex}\\] a stand-in answers for registry\\.lab\\.example/api:1\\.4\\.2`, "m"),
        );
        assert.doesNotMatch(
            table.split("\n").find((line) => line.includes("probe-cp-1 → demo/web:http ")) ?? "modelled",
            /modelled/,
        );
    });

    void it("marks Traefik's rows (served by nginx) and flannel's DirectRouting (built as vxlan) as modelled", () => {
        const manifests = labManifests(planOf(), DEV_FIXTURE).map((item) => {
            if (item.kind !== "ConfigMap" || item.name !== "kube-flannel-cfg") {
                return item;
            }
            const data = item.object["data"] as Record<string, string>;
            const netConf = JSON.parse(data["net-conf.json"]!) as { Backend: Record<string, unknown> };
            netConf.Backend["DirectRouting"] = true;
            return { ...item, object: { ...item.object, data: { ...data, "net-conf.json": JSON.stringify(netConf) } } };
        });
        const result = planLab({ stack: "dev", plan: planOf(), manifests }, OPTIONS);
        assert.ok(result.ok);
        const checks = planChecks(readyState(result.value));
        const across = checks.filter((check) => check.group === CheckGroup.PodAcrossNodes);
        assert.ok(
            across.length > 0 && across.every((check) => check.modelled?.some((note) => /DirectRouting/.test(note))),
        );
        const traefik = checks.filter(
            (check) => check.group === CheckGroup.LanIngress || check.group === CheckGroup.UnknownHost,
        );
        assert.ok(traefik.length > 0);
        for (const check of traefik) {
            assert.ok(
                check.modelled?.some((note) => /traefik.* is served by nginx/.test(note)),
                check.path,
            );
        }
        assert.ok(
            checks
                .filter((check) => check.path.includes("traefik/traefik:web "))
                .every((check) => check.modelled?.some((note) => /is served by nginx/.test(note))),
            "the Traefik Service's rows reach nginx playing Traefik",
        );
        assert.ok(labPlan().flannel.directRouting === undefined);
    });

    void it("expects nginx's refusal on a hostPort mapped to a port its default config does not listen on", () => {
        const manifests = labManifests(planOf(), DEV_FIXTURE).map((item) => {
            if (item.kind !== "Deployment" || item.name !== "web") {
                return item;
            }
            const copy = structuredClone(item.object) as {
                spec: { template: { spec: { containers: Array<{ ports: Array<Record<string, unknown>> }> } } };
            };
            for (const port of copy.spec.template.spec.containers[0]!.ports) {
                port["hostPort"] = Number(port["containerPort"]) + 8000;
            }
            return { ...item, object: copy };
        });
        const result = planLab({ stack: "dev", plan: planOf(), manifests }, OPTIONS);
        assert.ok(result.ok);
        const rows = planChecks(readyState(result.value)).filter((check) => check.group === CheckGroup.LanHostPort);
        const expect = (hostPort: number) =>
            rows.filter((check) => check.path.includes(`:${hostPort}/TCP (demo/web-`)).map((check) => check.expect);
        assert.deepEqual(
            expect(8080).map((item) => item.kind === "answer" && item.responders.map((responder) => responder.port)),
            [[80], [80]],
        );
        assert.deepEqual(
            expect(8443).map((item) => item.kind === "answer" && [item.responders.length, item.refused]),
            [
                [0, true],
                [0, true],
            ],
        );
    });

    void it("says once per workload that an exec readiness probe is not run", () => {
        const manifests = labManifests(planOf(), DEV_FIXTURE).map((item) => {
            if (item.kind !== "Deployment" || item.name !== "web") {
                return item;
            }
            const copy = structuredClone(item.object) as {
                spec: { template: { spec: { containers: Array<Record<string, unknown>> } } };
            };
            copy.spec.template.spec.containers[0]!["readinessProbe"] = { exec: { command: ["true"] } };
            return { ...item, object: copy };
        });
        const result = planLab({ stack: "dev", plan: planOf(), manifests }, OPTIONS);
        assert.ok(result.ok);
        assert.deepEqual(
            result.value.warnings.filter((warning) => /readiness probe is not run/.test(warning)),
            ["Deployment demo/web container web: its exec readiness probe is not run by the lab (it counts as passed)"],
        );
    });
});
