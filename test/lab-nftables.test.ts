/** The lab's nftables rules as data: kube-proxy's nftables proxier and flannel's EnableNFTables, compared with upstream. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Endpoint, PlannedService } from "../lab/kube-proxy";
import {
    flannelNftScript,
    hashAndTruncate,
    kubeProxyNftScript,
    nftEndpointChain,
    nftExternalChain,
    nftServiceChain,
    portRules,
    servicePortUpdateScript,
} from "../lab/nftables";
import { mergeRestore, nftChunks, proxyModeOf, proxyModeText, touchesOwned } from "../lab/proxy-mode";

function service(namespace: string, name: string, clusterIP: string, nodePort?: number): PlannedService {
    return {
        namespace,
        name,
        type: nodePort === undefined ? "ClusterIP" : "NodePort",
        clusterIP,
        ports: [
            {
                id: `${namespace}/${name}:p80`,
                name: "p80",
                port: 80,
                protocol: "TCP",
                targetPort: 80,
                ...(nodePort !== undefined ? { nodePort } : {}),
            },
        ],
    };
}
const endpoint = (ip: string): Endpoint => ({ pod: ip, node: "n", ip, port: 80 });

describe("kube-proxy's nftables rules", () => {
    it("names chains as the proxier does: hash of namespace/name/protocol/port, 8 base32 characters", () => {
        const svc1 = service("ns1", "svc1", "172.30.0.41").ports[0]!;
        assert.equal(nftServiceChain(svc1), "service-ULMVA6XW-ns1/svc1/tcp/p80");
        assert.equal(
            nftEndpointChain(svc1, endpoint("10.180.0.1")),
            "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80",
        );
        const svc3 = service("ns3", "svc3", "172.30.0.43", 3003).ports[0]!;
        assert.equal(nftExternalChain(svc3), "external-4AT6LBPK-ns3/svc3/tcp/p80");
        assert.ok(hashAndTruncate("x".repeat(300)).length === 256);
    });

    it("writes a ClusterIP Service's chains, rules and map elements line for line as upstream's test expects", () => {
        const expected = fs
            .readFileSync(path.join(__dirname, "fixtures", "kube-proxy-nftables-svc1.nft"), "utf8")
            .split("\n")
            .filter((line) => line !== "" && !line.startsWith("#"));
        const svc1 = service("ns1", "svc1", "172.30.0.41");
        const rules = portRules(svc1, svc1.ports[0]!, [endpoint("10.180.0.1")], "10.0.0.0/8");
        const lines = [
            ...rules.chains.map((chain) => `add chain ip kube-proxy ${chain}`),
            ...rules.rules,
            ...rules.elements.map(([map, element]) => `add element ip kube-proxy ${map} { ${element} }`),
        ];
        assert.deepEqual([...lines].sort(), [...expected].sort());
    });

    it("balances over every endpoint with numgen, sends NodePorts through an external chain, rejects without endpoints", () => {
        const svc = service("ns4", "svc4", "172.30.0.44", 30004);
        const rules = portRules(svc, svc.ports[0]!, [endpoint("10.180.0.4"), endpoint("10.180.0.5")], "10.0.0.0/8");
        assert.ok(
            rules.rules.some((rule) =>
                /numgen random mod 2 vmap \{ 0 : goto endpoint-\S+ , 1 : goto endpoint-\S+ \}/.test(rule),
            ),
        );
        assert.deepEqual(
            rules.rules.filter((rule) => rule.includes(" external-")),
            [
                "add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 jump mark-for-masquerade",
                "add rule ip kube-proxy external-LAUZTJTB-ns4/svc4/tcp/p80 goto service-LAUZTJTB-ns4/svc4/tcp/p80",
            ],
        );
        assert.ok(
            rules.elements.some(
                ([map, element]) =>
                    map === "service-nodeports" && element === "tcp . 30004 : goto external-LAUZTJTB-ns4/svc4/tcp/p80",
            ),
        );
        const empty = portRules(svc, svc.ports[0]!, [], "10.0.0.0/8");
        assert.deepEqual(empty.chains, []);
        assert.deepEqual(
            empty.elements.map(([map]) => map),
            ["cluster-ips", "no-endpoint-services", "no-endpoint-nodeports"],
        );
        assert.match(empty.elements[1]![1], /comment "ns4\/svc4:p80" : goto reject-chain$/);
    });

    it("counts chains, rules and elements, and batches map elements into few statements", () => {
        const services = Array.from({ length: 2500 }, (_, i) =>
            service("bench", `s${i}`, `10.96.${i >> 8}.${i & 255}`),
        );
        const endpoints = new Map(services.map((svc) => [svc.ports[0]!.id, [endpoint("10.244.1.2")]]));
        const script = kubeProxyNftScript(services, endpoints, {
            clusterCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            nodePortAddresses: ["192.168.56.10"],
        });
        // 16 fixed chains (as upstream's baseRules); per Service a service chain and an endpoint chain.
        assert.equal(script.size.chains, 16 + 2 * 2500);
        assert.equal(script.size.elements, 1 + 2 * 2500);
        const elementStatements = script.text.split("\n").filter((line) => line.startsWith("add element"));
        assert.equal(elementStatements.length, 1 + 3 + 3, "nodeport-ips, then 1,000 elements a statement");
    });

    it("splits a script into transactions that hold the same lines, a Service's chains before its rules", () => {
        const services = Array.from({ length: 7 }, (_, i) => service("ns", `s${i}`, `10.96.0.${i + 20}`, 30000 + i));
        const endpoints = new Map(
            services.map((svc) => [svc.ports[0]!.id, [endpoint("10.244.1.2"), endpoint("10.244.2.2")]]),
        );
        const script = kubeProxyNftScript(services, endpoints, {
            clusterCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            nodePortAddresses: [],
        });
        const chunks = nftChunks(script.text, 3);
        assert.equal(chunks.length, 1 + 3 + 1, "base, three chunks of Services, the elements");
        const lines = (text: string): string[] => text.split("\n").filter((line) => line !== "");
        assert.deepEqual(chunks.flatMap(lines).sort(), lines(script.text).sort());
        for (const chunk of chunks.slice(1, -1)) {
            const declared = new Set(
                lines(chunk)
                    .filter((line) => line.startsWith("add chain"))
                    .map((line) => line.split(" ")[4]),
            );
            for (const rule of lines(chunk).filter((line) => line.startsWith("add rule"))) {
                assert.ok(declared.has(rule.split(" ")[4]), `${rule} has its chain in the same transaction`);
            }
        }
    });

    it("updates one Service port in one transaction: its chains rewritten, its elements replaced", () => {
        const svc = service("ns", "web", "10.96.0.20", 30080);
        const update = servicePortUpdateScript(
            svc,
            svc.ports[0]!,
            [endpoint("10.244.1.2")],
            [endpoint("10.244.2.2")],
            "10.244.0.0/16",
        );
        assert.match(update, /^delete element ip kube-proxy service-ips \{ 10\.96\.0\.20 \. tcp \. 80 \}$/m);
        assert.match(update, /^delete chain ip kube-proxy endpoint-\S+__10\.244\.1\.2\/80$/m);
        assert.match(
            update,
            /^add rule ip kube-proxy endpoint-\S+__10\.244\.2\.2\/80 meta l4proto tcp dnat to 10\.244\.2\.2:80$/m,
        );
        assert.match(
            update,
            /^add element ip kube-proxy service-ips \{ 10\.96\.0\.20 \. tcp \. 80 : goto service-\S+ \}$/m,
        );
    });
});

describe("flannel's EnableNFTables rules", () => {
    it("are flannel's postrtg and forward chains in table ip flannel-ipv4", () => {
        const script = flannelNftScript("10.244.0.0/16", "10.244.1.0/24", true);
        assert.match(script, /^add rule ip flannel-ipv4 postrtg meta mark 0x4000 return$/m);
        assert.match(
            script,
            /^add rule ip flannel-ipv4 postrtg ip saddr 10\.244\.0\.0\/16 ip daddr != 224\.0\.0\.0\/4 masquerade fully-random$/m,
        );
        assert.match(script, /^add rule ip flannel-ipv4 forward ip daddr 10\.244\.0\.0\/16 accept$/m);
        assert.doesNotMatch(flannelNftScript("10.244.0.0/16", "10.244.1.0/24", false), /postrtg/);
    });
});

describe("the lab's mode and iptables loading", () => {
    it("reads kube-proxy's mode from config.conf and flannel's EnableNFTables from net-conf.json", () => {
        const manifests = [
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: "kube-system",
                name: "kube-proxy",
                object: { data: { "config.conf": "mode: nftables\n" } },
            },
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                namespace: "kube-flannel",
                name: "kube-flannel-cfg",
                object: { data: { "net-conf.json": '{"EnableNFTables": true}' } },
            },
        ];
        assert.deepEqual(proxyModeOf(manifests), { mode: "nftables", flannelNftables: true });
        assert.deepEqual(proxyModeOf([]), { mode: "iptables", flannelNftables: false });
    });

    it("says plainly that ipvs mode is programmed as iptables mode, in the warning and in what check reports", () => {
        const warnings: string[] = [];
        const ipvs = proxyModeOf(
            [
                {
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    namespace: "kube-system",
                    name: "kube-proxy",
                    object: { data: { "config.conf": "mode: ipvs\n" } },
                },
            ],
            warnings,
        );
        assert.deepEqual(ipvs, { mode: "iptables", flannelNftables: false, standsInFor: "ipvs" });
        assert.match(warnings[0]!, /ipvs mode is not modelled by the lab: it programs iptables mode instead/);
        assert.equal(
            proxyModeText(ipvs),
            "iptables mode in place of the stack's ipvs mode, which the lab does not model",
        );
        assert.equal(proxyModeText({ mode: "nftables" }), "nftables mode");
    });

    it("merges kube-proxy's rules into the saved tables: its old lines go, everyone else's stay in order", () => {
        const saved = [
            "# Generated by iptables-save",
            "*nat",
            ":PREROUTING ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]",
            ":FLANNEL-POSTRTG - [0:0]",
            ":KUBE-SERVICES - [0:0]",
            ":KUBE-SVC-OLD - [0:0]",
            '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
            "-A POSTROUTING -j FLANNEL-POSTRTG",
            "-A KUBE-SERVICES -d 10.96.0.9/32 -j KUBE-SVC-OLD",
            "COMMIT",
            "*mangle",
            ":PREROUTING ACCEPT [0:0]",
            "COMMIT",
            "",
        ].join("\n");
        const document = "*nat\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n";
        assert.equal(
            mergeRestore(saved, document),
            [
                "*nat",
                ":PREROUTING ACCEPT [0:0]",
                ":POSTROUTING ACCEPT [0:0]",
                ":FLANNEL-POSTRTG - [0:0]",
                ":KUBE-SERVICES - [0:0]",
                "-A POSTROUTING -j FLANNEL-POSTRTG",
                "-A PREROUTING -j KUBE-SERVICES",
                "COMMIT",
                "*mangle",
                ":PREROUTING ACCEPT [0:0]",
                "COMMIT",
                "",
            ].join("\n"),
        );
        assert.doesNotMatch(mergeRestore(saved, ""), /KUBE-/, "an empty document removes kube-proxy's rules");
    });

    it("keeps kubelet's chains when it removes kube-proxy's (nftables mode's start-up cleanup), as upstream does", () => {
        const kubelet = [
            ":KUBE-FIREWALL - [0:0]",
            ":KUBE-KUBELET-CANARY - [0:0]",
            "-A INPUT -j KUBE-FIREWALL",
            "-A OUTPUT -j KUBE-FIREWALL",
            '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
        ];
        const saved = [
            "*mangle",
            ":KUBE-IPTABLES-HINT - [0:0]",
            ":KUBE-KUBELET-CANARY - [0:0]",
            "COMMIT",
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":KUBE-NODEPORTS - [0:0]",
            ":KUBE-PROXY-FIREWALL - [0:0]",
            ":KUBE-SERVICES - [0:0]",
            '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
            '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
            ...kubelet,
            '-A KUBE-SERVICES -d 10.96.0.9/32 -m comment --comment "demo/gone:http has no endpoints" -j REJECT',
            "COMMIT",
            "",
        ].join("\n");
        const cleaned = mergeRestore(saved, "");
        assert.deepEqual(
            cleaned.split("\n").filter((line) => line.includes("KUBE-")),
            [":KUBE-IPTABLES-HINT - [0:0]", ":KUBE-KUBELET-CANARY - [0:0]", ...kubelet],
        );
        assert.ok(touchesOwned(":KUBE-MARK-MASQ - [0:0]") && !touchesOwned("-A OUTPUT -j KUBE-FIREWALL"));
    });

    it("merges the rules of 20,000 Services whole (spreading them into one push overflowed the call stack)", () => {
        const chains = Array.from({ length: 20_000 }, (_, index) => `KUBE-SVC-${String(index).padStart(16, "0")}`);
        const document = [
            "*nat",
            ":KUBE-SERVICES - [0:0]",
            ...chains.map((chain) => `:${chain} - [0:0]`),
            ...chains.flatMap((chain, index) => [
                `-A KUBE-SERVICES -d 10.96.${index >> 8}.${index & 255}/32 -p tcp --dport 80 -j ${chain}`,
                ...Array.from({ length: 6 }, (_, rule) => `-A ${chain} -m comment --comment rule-${rule} -j RETURN`),
            ]),
            "COMMIT",
            "",
        ].join("\n");
        const lines = mergeRestore("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", document).split("\n");
        assert.equal(lines.filter((line) => line.startsWith(":")).length, 20_002);
        assert.equal(lines.filter((line) => line.startsWith("-A ")).length, 140_000);
        assert.deepEqual(lines.slice(0, 3), ["*nat", ":PREROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]"]);
        assert.deepEqual(lines.slice(-2), ["COMMIT", ""]);
    });
});
