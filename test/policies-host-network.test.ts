import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceLike } from "../policies/lib/kubernetes";
import {
    HOST_NETWORK_RESTRICTED,
    HOST_PORT_CONFLICTS,
    hostNetworkRestricted,
    hostPortConflicts,
} from "../policies/host-network";
import {
    flannelDaemonSet,
    lab,
    messages,
    mutate,
    nodePatch,
    service,
    stackResource,
    traefik,
    urnOf,
    violationsOf,
    workload,
} from "./helpers/policy-fixtures";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";

/** Traefik in hostPort mode: ports 80/443 on the nodes it runs on. */
function hostPortTraefik(kind: "Deployment" | "DaemonSet", replicas = 1) {
    return workload({
        kind,
        name: "traefik",
        namespace: "traefik",
        replicas,
        containers: [
            {
                name: "traefik",
                ports: [
                    { name: "web", containerPort: 8000, hostPort: 80 },
                    { name: "websecure", containerPort: 8443, hostPort: 443 },
                ],
                readinessProbe: {},
            },
        ],
    });
}

void describe("host-network-restricted", () => {
    void it("passes flannel (hostNetwork, NET_ADMIN) in kube-flannel and a hostPort controller in traefik", async () => {
        assert.deepEqual(await violationsOf(hostNetworkRestricted, [...lab(), hostPortTraefik("DaemonSet")]), []);
    });

    void it("refuses hostNetwork, hostPort, privileged and NET_ADMIN (or ALL) elsewhere, each naming the fix", async () => {
        const resources = [
            workload({ name: "sniffer", hostNetwork: true, containers: [{ name: "tcpdump" }] }),
            workload({ name: "edge", containers: [{ name: "nginx", ports: [{ containerPort: 80, hostPort: 8080 }] }] }),
            workload({ name: "root", containers: [{ name: "tool", securityContext: { privileged: true } }] }),
            workload({
                name: "router",
                containers: [{ name: "bird", securityContext: { capabilities: { add: ["CAP_NET_ADMIN"] } } }],
            }),
            workload({
                name: "all-caps",
                containers: [{ name: "tool", securityContext: { capabilities: { add: ["ALL"] } } }],
            }),
            workload({
                name: "raw-only",
                containers: [{ name: "ping", securityContext: { capabilities: { add: ["NET_RAW"] } } }],
            }),
        ];
        const violations = await violationsOf(hostNetworkRestricted, resources);
        assert.ok(
            violations.every(
                (violation) =>
                    violation.policyName === HOST_NETWORK_RESTRICTED && violation.enforcementLevel === "mandatory",
            ),
        );
        const byUrn = (name: string) =>
            messages(violations.filter((violation) => violation.urn === urnOf(DEPLOYMENT, `demo-${name}`)));
        assert.match(
            byUrn("sniffer")[0]!,
            /Deployment demo\/sniffer sets hostNetwork: true in namespace demo.*; drop hostNetwork .* or run it in an allowed namespace \(kube-system, kube-flannel, traefik and ingress-nginx\)/,
        );
        assert.match(byUrn("edge")[0]!, /container nginx maps hostPort 8080\/TCP in namespace demo/);
        assert.match(byUrn("root")[0]!, /container tool is privileged in namespace demo/);
        assert.match(byUrn("router")[0]!, /container bird adds capability CAP_NET_ADMIN/);
        assert.match(byUrn("all-caps")[0]!, /adds capability ALL/);
        assert.deepEqual(byUrn("raw-only"), []);
    });

    void it("checks init containers, Pods, Jobs and CronJobs too", async () => {
        const pod = {
            type: "kubernetes:core/v1:Pod",
            name: "debug",
            urn: urnOf("kubernetes:core/v1:Pod", "debug"),
            props: {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "debug", namespace: "demo" },
                spec: { hostNetwork: true, containers: [{ name: "sh", image: "busybox" }] },
            },
        };
        const podSpec = {
            containers: [{ name: "job", image: "busybox" }],
            initContainers: [{ name: "setup", image: "busybox", securityContext: { privileged: true } }],
        };
        const job = {
            type: "kubernetes:batch/v1:Job",
            name: "setup",
            urn: urnOf("kubernetes:batch/v1:Job", "setup"),
            props: {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: { name: "setup", namespace: "demo" },
                spec: { template: { spec: podSpec } },
            },
        };
        const cronJob = {
            type: "kubernetes:batch/v1:CronJob",
            name: "nightly",
            urn: urnOf("kubernetes:batch/v1:CronJob", "nightly"),
            props: {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: "nightly", namespace: "demo" },
                spec: { schedule: "0 0 * * *", jobTemplate: { spec: { template: { spec: podSpec } } } },
            },
        };
        const found = messages(await violationsOf(hostNetworkRestricted, [pod, job, cronJob]));
        assert.deepEqual(found.length, 3, found.join("\n"));
        assert.match(found[0]!, /^Pod demo\/debug sets hostNetwork: true/);
        assert.match(found[1]!, /^Job demo\/setup init container setup is privileged/);
        assert.match(found[2]!, /^CronJob demo\/nightly init container setup is privileged/);
    });

    void it("takes the allowed namespaces from its config", async () => {
        const settings = { [HOST_NETWORK_RESTRICTED]: { properties: { allowedNamespaces: ["monitoring"] } } };
        const found = messages(
            await violationsOf(
                hostNetworkRestricted,
                [
                    flannelDaemonSet(),
                    workload({
                        name: "node-exporter",
                        namespace: "monitoring",
                        hostNetwork: true,
                        containers: [{ name: "exporter" }],
                    }),
                ],
                settings,
            ),
        );
        // The pod network's namespace is a system namespace: allowed whatever allowedNamespaces says.
        assert.deepEqual(found, []);
        const none = { [HOST_NETWORK_RESTRICTED]: { properties: { systemNamespaces: [], allowedNamespaces: [] } } };
        const strict = messages(await violationsOf(hostNetworkRestricted, [flannelDaemonSet()], none));
        assert.equal(strict.length, 2, strict.join("\n"));
        assert.ok(strict.every((message) => message.startsWith("DaemonSet kube-flannel/kube-flannel-ds")));
    });

    void it("allows kubeadm's kube-proxy DaemonSet in kube-system (hostNetwork, privileged) by default", async () => {
        // Shaped like kubeadm's (cmd/kubeadm/app/phases/addons/proxy/manifests.go, KubeProxyDaemonSet19).
        const kubeProxy: ResourceLike = {
            type: "kubernetes:apps/v1:DaemonSet",
            name: "kube-proxy",
            urn: urnOf("kubernetes:apps/v1:DaemonSet", "kube-proxy"),
            props: {
                apiVersion: "apps/v1",
                kind: "DaemonSet",
                metadata: { name: "kube-proxy", namespace: "kube-system", labels: { "k8s-app": "kube-proxy" } },
                spec: {
                    selector: { matchLabels: { "k8s-app": "kube-proxy" } },
                    template: {
                        metadata: { labels: { "k8s-app": "kube-proxy" } },
                        spec: {
                            priorityClassName: "system-node-critical",
                            hostNetwork: true,
                            serviceAccountName: "kube-proxy",
                            containers: [
                                {
                                    name: "kube-proxy",
                                    image: "registry.k8s.io/kube-proxy:v1.35.0",
                                    command: ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf"],
                                    securityContext: { privileged: true },
                                },
                            ],
                            tolerations: [{ operator: "Exists" }],
                        },
                    },
                },
            },
        };
        assert.deepEqual(messages(await violationsOf(hostNetworkRestricted, [kubeProxy])), []);
        const moved = {
            ...kubeProxy,
            props: { ...kubeProxy.props, metadata: { name: "kube-proxy", namespace: "demo" } },
        };
        const found = messages(await violationsOf(hostNetworkRestricted, [moved]));
        assert.equal(found.length, 2, found.join("\n"));
    });
});

void describe("host-port-conflicts", () => {
    void it("passes the lab, and a hostPort controller with no more replicas than nodes", async () => {
        assert.deepEqual(await violationsOf(hostPortConflicts, lab()), []);
        assert.deepEqual(
            messages(await violationsOf(hostPortConflicts, [...lab(), hostPortTraefik("Deployment", 3)])),
            [],
        );
        assert.deepEqual(messages(await violationsOf(hostPortConflicts, [...lab(), hostPortTraefik("DaemonSet")])), []);
    });

    void it("refuses two DaemonSets holding one host port on the same nodes (flannel's healthz 8081)", async () => {
        const agent = workload({
            kind: "DaemonSet",
            name: "agent",
            namespace: "kube-flannel",
            hostNetwork: true,
            containers: [{ name: "agent", ports: [{ name: "metrics", containerPort: 8081 }] }],
        });
        const violations = await violationsOf(hostPortConflicts, [...lab(), agent]);
        assert.equal(violations.length, 1, messages(violations).join("\n"));
        assert.equal(violations[0]!.policyName, HOST_PORT_CONFLICTS);
        assert.equal(violations[0]!.urn, urnOf(DAEMON_SET, "kube-flannel-agent"));
        assert.match(
            violations[0]!.message,
            /DaemonSet kube-flannel\/agent container agent \(hostNetwork\) claims host port TCP\/8081 on every node, which DaemonSet kube-flannel\/kube-flannel-ds container kube-flannel \(hostNetwork\) holds on every node; on every node they share, one of the two pods cannot start/,
        );
    });

    void it("allows the same port on disjoint nodes, on different host IPs, or for another protocol", async () => {
        const onWorkers = workload({
            kind: "DaemonSet",
            name: "a",
            namespace: "kube-flannel",
            nodeSelector: { role: "worker" },
            containers: [{ name: "a", ports: [{ containerPort: 9000, hostPort: 9100 }] }],
        });
        const onEdge = workload({
            kind: "DaemonSet",
            name: "b",
            namespace: "kube-flannel",
            nodeSelector: { role: "edge" },
            containers: [{ name: "b", ports: [{ containerPort: 9000, hostPort: 9100 }] }],
        });
        const specificIp = workload({
            kind: "DaemonSet",
            name: "c",
            namespace: "kube-flannel",
            containers: [{ name: "c", ports: [{ containerPort: 9000, hostPort: 9200, hostIP: "127.0.0.1" }] }],
        });
        const otherIp = workload({
            kind: "DaemonSet",
            name: "d",
            namespace: "kube-flannel",
            containers: [{ name: "d", ports: [{ containerPort: 9000, hostPort: 9200, hostIP: "192.168.56.10" }] }],
        });
        const udp = workload({
            kind: "DaemonSet",
            name: "e",
            namespace: "kube-flannel",
            containers: [{ name: "e", ports: [{ containerPort: 9000, hostPort: 9100, protocol: "UDP" }] }],
        });
        assert.deepEqual(
            messages(await violationsOf(hostPortConflicts, [...lab(), onWorkers, onEdge, specificIp, otherIp, udp])),
            [],
        );
    });

    void it("refuses a host port held by a node daemon (kubelet), except flannel's own ports for kube-flannel", async () => {
        const kubeletClash = workload({
            kind: "DaemonSet",
            name: "exporter",
            namespace: "traefik",
            hostNetwork: true,
            containers: [{ name: "x", ports: [{ containerPort: 10250 }] }],
        });
        const vxlanOwner = workload({
            kind: "DaemonSet",
            name: "vxlan",
            namespace: "kube-flannel",
            hostNetwork: true,
            containers: [{ name: "v", ports: [{ containerPort: 8472, protocol: "UDP" }] }],
        });
        const found = messages(await violationsOf(hostPortConflicts, [...lab(), kubeletClash, vxlanOwner]));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /claims host port TCP\/10250 on every node, which kubelet holds on every node; kubelet already listens there/,
        );
    });

    void it("refuses a host port that is also a Service's nodePort", async () => {
        const clash = hostPortTraefik("DaemonSet");
        const resources = mutate([...lab(), clash], "DaemonSet", "traefik-traefik", (props) => {
            props.spec.template.spec.containers[0].ports[0].hostPort = 30808;
        });
        const found = messages(await violationsOf(hostPortConflicts, resources));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(
            found[0]!,
            /claims host port TCP\/30808 on every node, which Service demo\/web \(its nodePort\) holds on every node; kube-proxy's node port rules take that port's traffic/,
        );
    });

    void it("refuses more hostPort replicas than nodes, alone or together", async () => {
        const single = messages(await violationsOf(hostPortConflicts, [...lab(), hostPortTraefik("Deployment", 4)]));
        assert.ok(
            single.some((message) =>
                /container traefik \(hostPort\) runs 4 replicas on host port TCP\/80, but the cluster has 3 nodes \(clusternet:nodes \(stack output plan\)\) .* 1 stay Pending/.test(
                    message,
                ),
            ),
            single.join("\n"),
        );
        const other = workload({
            name: "web-edge",
            namespace: "traefik",
            replicas: 2,
            containers: [{ name: "nginx", ports: [{ containerPort: 80, hostPort: 80 }] }],
        });
        const together = messages(
            await violationsOf(hostPortConflicts, [...lab(), hostPortTraefik("Deployment", 2), other]),
        );
        assert.ok(
            together.some((message) => /together run 4 replicas on host port TCP\/80/.test(message)),
            together.join("\n"),
        );
    });

    void it("counts nodes from its config, else the plan, else the NodePatches, and skips the replica check without any", async () => {
        const settings = { [HOST_PORT_CONFLICTS]: { properties: { nodeCount: 5 } } };
        assert.deepEqual(
            messages(await violationsOf(hostPortConflicts, [...lab(), hostPortTraefik("Deployment", 4)], settings)),
            [],
        );
        const patchesOnly = [stackResource(null), nodePatch("a", ["10.244.0.0/24"]), hostPortTraefik("Deployment", 2)];
        assert.ok(
            messages(await violationsOf(hostPortConflicts, patchesOnly)).some((message) =>
                /the cluster has 1 node \(the stack's Node resources\)/.test(message),
            ),
        );
        assert.deepEqual(
            await violationsOf(hostPortConflicts, [stackResource(null), hostPortTraefik("Deployment", 7)]),
            [],
        );
    });

    void it("refuses one host port declared twice in one pod", async () => {
        const twice = workload({
            kind: "DaemonSet",
            name: "twice",
            namespace: "traefik",
            containers: [
                { name: "a", ports: [{ containerPort: 1, hostPort: 7000 }] },
                { name: "b", ports: [{ containerPort: 2, hostPort: 7000 }] },
            ],
        });
        const found = messages(await violationsOf(hostPortConflicts, [twice]));
        assert.ok(
            found.some((message) => /claims host port 7000\/TCP a second time within one pod/.test(message)),
            found.join("\n"),
        );
    });

    void it("ignores Service nodePorts among themselves (service-node-ports-unique reports those)", async () => {
        const resources = [
            service({ name: "a", type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] }),
            service({ name: "b", type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] }),
            ...traefik(),
        ];
        assert.deepEqual(await violationsOf(hostPortConflicts, resources), []);
    });
});
