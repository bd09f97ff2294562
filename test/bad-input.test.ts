import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { formatProblem } from "../components/common";
import { ConfigSource, loadStack } from "../components/config";
import { pathFindings } from "../components/ingress/routes";
import { nodeListeners } from "../components/cluster-network/validate";
import { KUBERNETES_NODE_LISTENERS, nodeListenerProblems } from "../components/services/node-ports";
import { nginxComment, nginxConfig, nginxQuote, routeTable } from "../lab/ingress";
import { quote as iptablesQuote, ruleLine } from "../lab/iptables";
import { PathType } from "../lab/model";
import { devConfig, runCli } from "./helpers/cli";
import { nginxTest } from "./helpers/lab";

/** A stack file's values as the loader gets them (keys without the namespace). */
function sourceOf(config: Record<string, unknown>): ConfigSource {
    return { label: "test", kind: "stack-file", values: new Map(Object.entries(config)), secretKeys: new Set() };
}

function withDev(change: (config: Record<string, any>) => void): Record<string, unknown> {
    const config = structuredClone(devConfig());
    change(config);
    return config;
}

/** The problem lines of a config that must be refused. */
function refused(config: Record<string, unknown>): string[] {
    const loaded = loadStack(sourceOf(config));
    assert.equal(loaded.ok, false, "expected the config to be refused");
    return loaded.ok ? [] : loaded.problems.map(formatProblem);
}

/** The warnings of a config that must be accepted. */
function warnings(config: Record<string, unknown>): readonly string[] {
    const loaded = loadStack(sourceOf(config));
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.problems.map(formatProblem).join("\n"));
    return loaded.ok ? loaded.value.plan.warnings : [];
}

function onlyKey(lines: readonly string[], key: string): string {
    const matching = lines.filter((line) => line.startsWith(`${key}: `));
    assert.equal(matching.length, 1, `one problem at ${key} in:\n${lines.join("\n")}`);
    return matching[0]!;
}

void describe("addresses no node or cluster can use", () => {
    void it("refuses node IPs in loopback, unspecified, multicast, link-local, broadcast or reserved space", () => {
        for (const ip of [
            "127.0.0.1",
            "0.0.0.0",
            "224.0.0.5",
            "239.1.2.3",
            "169.254.10.1",
            "255.255.255.255",
            "250.1.1.1",
        ]) {
            const lines = refused(
                withDev((config) => {
                    delete config.cluster.nodeNetwork;
                    config.nodes[1].ip = ip;
                }),
            );
            assert.match(onlyKey(lines, "clusternet:nodes[1].ip"), /no other host can reach a node there/, ip);
        }
    });

    void it("refuses IPv6 node IPs that are unspecified, loopback, link-local or multicast", () => {
        for (const ip of ["::", "::1", "fe80::1", "ff02::1"]) {
            const lines = refused({
                cluster: { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
                nodes: [
                    { name: "a", ip: "fd00:56::10" },
                    { name: "b", ip },
                ],
            });
            assert.match(onlyKey(lines, "clusternet:nodes[1].ip"), /no other host can reach a node there/, ip);
        }
    });

    void it("refuses the node network's own network and broadcast addresses as node IPs, suggesting a free host", () => {
        for (const [ip, edge] of [
            ["192.168.56.0", "network"],
            ["192.168.56.255", "broadcast"],
        ] as const) {
            const line = onlyKey(refused(withDev((config) => (config.nodes[2].ip = ip))), "clusternet:nodes[2].ip");
            assert.match(line, new RegExp(`is the ${edge} address of the node network 192\\.168\\.56\\.0/24`));
            assert.match(line, /e\.g\. write 192\.168\.56\.1$/);
        }
    });

    void it("refuses pod and Service CIDRs and the node network in unroutable space, v4 and v6", () => {
        const cases: Array<[string, string, string]> = [
            ["podCidr", "127.0.0.0/16", "loopback"],
            ["podCidr", "169.254.0.0/16", "link-local"],
            ["podCidr", "224.0.0.0/16", "multicast"],
            ["podCidr", "240.0.0.0/16", "reserved"],
            ["serviceCidr", "127.96.0.0/12", "loopback"],
            ["serviceCidr", "240.96.0.0/12", "reserved"],
            ["nodeNetwork", "169.254.56.0/24", "link-local"],
        ];
        for (const [field, cidr, label] of cases) {
            const lines = refused(
                withDev((config) => {
                    config.cluster[field] = cidr;
                    if (field === "nodeNetwork") {
                        config.nodes.forEach(
                            (node: { ip: string }, index: number) => (node.ip = `169.254.56.${10 + index}`),
                        );
                    }
                }),
            );
            assert.match(onlyKey(lines, `clusternet:cluster.${field}`), new RegExp(`lies in ${label}`), cidr);
        }
        for (const [field, cidr, label] of [
            ["podCidrV6", "fe80::/56", "link-local"],
            ["podCidrV6", "ff00::/56", "multicast"],
            ["serviceCidrV6", "ff00::/112", "multicast"],
        ] as const) {
            const lines = refused({
                cluster: { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112", [field]: cidr },
                nodes: [{ name: "a", ip: "fd00:56::10" }],
            });
            assert.match(onlyKey(lines, `clusternet:cluster.${field}`), new RegExp(`lies in ${label}`), cidr);
        }
    });

    void it("refuses every family mismatch between nodes, pins and the cluster", () => {
        const v6Only = { podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" };
        assert.match(
            onlyKey(
                refused({ cluster: v6Only, nodes: [{ name: "a", ip: "192.168.56.10" }] }),
                "clusternet:nodes[0].ip",
            ),
            /192\.168\.56\.10 is IPv4, but the cluster is IPv6-only/,
        );
        assert.match(
            onlyKey(
                refused({ cluster: { podCidr: "10.244.0.0/16" }, nodes: [{ name: "a", ip: "fd00:56::10" }] }),
                "clusternet:nodes[0].ip",
            ),
            /is IPv6, but the cluster is IPv4-only/,
        );
        assert.match(
            onlyKey(
                refused(withDev((config) => (config.nodes[1].podCidrV6 = "fd00:10:244::/64"))),
                "clusternet:nodes[1].podCidrV6",
            ),
            /pins an IPv6 subnet, but the cluster has no IPv6 pod CIDR/,
        );
        assert.match(
            onlyKey(
                refused({ cluster: v6Only, nodes: [{ name: "a", ip: "fd00:56::10", podCidr: "10.244.0.0/24" }] }),
                "clusternet:nodes[0].podCidr",
            ),
            /pins an IPv4 subnet, but the cluster has no IPv4 pod CIDR/,
        );
    });

    void it("accepts dual-stack nodes of either family and private ranges", () => {
        warnings({
            cluster: { podCidr: "10.244.0.0/16", podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
            nodes: [
                { name: "a", ip: "192.168.56.10" },
                { name: "b", ip: "fd00:56::11" },
            ],
        });
    });
});

void describe("a mistyped namespace", () => {
    void it("is reported with did you mean, for case and small typos; other projects' namespaces stay allowed", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-ns-")), "Pulumi.ns.yaml");
        for (const typo of ["clusternte", "Clusternet", "CLUSTERNET", "clusternet_", "clustrenet", "clusterne"]) {
            fs.writeFileSync(
                file,
                `config:\n  ${typo}:ingress: {}\n  kubernetes:context: lab\n  aws:region: eu-west-1\n  clusternet:cluster: {podCidr: 10.244.0.0/16}\n  clusternet:nodes: [{name: a, ip: 192.168.56.10}]\n`,
            );
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { readStackFile } = require("../components/config") as typeof import("../components/config");
            const read = readStackFile(file);
            assert.equal(read.ok, false, typo);
            const lines = read.ok ? [] : read.problems.map(formatProblem);
            assert.deepEqual(
                lines,
                [
                    `${typo}:ingress: is in the namespace "${typo}", which clusternet does not read; did you mean clusternet:ingress?`,
                ],
                typo,
            );
        }
    });
});

void describe("node ports that take over the node's own ports", () => {
    const range = "1-65535";
    const withNodePort = (nodePort: number, protocol = "TCP", change?: (config: Record<string, any>) => void) =>
        withDev((config) => {
            config.cluster.nodePortRange = range;
            config.services[0].ports[0].nodePort = nodePort;
            config.services[0].ports[0].protocol = protocol;
            if (protocol === "UDP") {
                config.services[0].app.containerPorts[0].protocol = "UDP";
            }
            change?.(config);
        });

    void it("refuses SSH, the API server, etcd, the kubelet and kube-proxy's health port", () => {
        for (const port of [22, 6443, 2379, 2380, 10250, 10256]) {
            const line = onlyKey(refused(withNodePort(port)), "clusternet:services[0].ports[0].nodePort");
            assert.match(line, new RegExp(`TCP node port ${port} is where .* listens on every node`));
            assert.match(line, /e\.g\. write 30000$/);
        }
    });

    void it("refuses flannel's tunnel port, the configured one included, and a hostPort controller's ports", () => {
        assert.match(
            onlyKey(refused(withNodePort(8472, "UDP")), "clusternet:services[0].ports[0].nodePort"),
            /UDP node port 8472 is where flannel's VXLAN tunnel listens/,
        );
        const custom = withNodePort(4789, "UDP", (config) => (config.podNetwork = { vxlan: { port: 4789 } }));
        assert.match(onlyKey(refused(custom), "clusternet:services[0].ports[0].nodePort"), /4789 is where flannel/);
        assert.ok(warnings(withNodePort(8472, "TCP")), "8472/TCP is not the tunnel");
        const hostPort = withNodePort(443, "TCP", (config) => (config.ingress.controller = { mode: "hostPort" }));
        assert.match(
            onlyKey(refused(hostPort), "clusternet:services[0].ports[0].nodePort"),
            /443 is where the Ingress controller \(hostPort mode\) listens/,
        );
    });

    void it("warns when the range covers the node's ports, and not for the default range", () => {
        const covering = warnings(withDev((config) => (config.cluster.nodePortRange = "1-32767")));
        assert.ok(
            covering.some((line) =>
                /^clusternet:cluster\.nodePortRange: 1-32767 covers ports the nodes listen on: 22\/TCP/.test(line),
            ),
            covering.join("\n"),
        );
        assert.ok(!warnings(devConfig()).some((line) => line.includes("nodePortRange")));
    });

    void it("is one plain function the policy pack can call", () => {
        const claim = { nodePort: 10250, protocol: "TCP" as const, owner: "Service x/y", key: "k" };
        assert.equal(nodeListenerProblems([claim], KUBERNETES_NODE_LISTENERS, { first: 1, last: 65535 }).length, 1);
        assert.equal(nodeListenerProblems([claim], KUBERNETES_NODE_LISTENERS, { first: 30000, last: 32767 }).length, 0);
        const listeners = nodeListeners({ podNetwork: { backend: "wireguard" } });
        assert.ok(listeners.some((item) => item.port === 51820 && item.protocol === "UDP"));
        assert.ok(!listeners.some((item) => item.port === 8472));
    });
});

void describe("Ingress paths", () => {
    void it("refuses regex and glob syntax in Prefix and Exact paths, with the literal prefix as the fix", () => {
        for (const [written, literal] of [
            ["/api/*", "/api"],
            ["/*", "/"],
            ["/v1/.*", "/v1"],
            ["/users/{id}", "/users"],
            ["/x$", "/x"],
            ["/api(/|$)(.*)", "/api"],
            ["/files/[0-9]+", "/files"],
        ] as Array<[string, string]>) {
            const [finding] = pathFindings(written, PathType.Prefix);
            assert.match(finding!.message, /regex or glob syntax/, written);
            assert.equal(
                finding!.fix,
                `write ${JSON.stringify(literal)}: a Prefix path already matches everything below it`,
            );
            assert.deepEqual(pathFindings(literal, PathType.Prefix), [], literal);
            assert.equal(pathFindings(written, PathType.Exact).length >= 1, true);
        }
    });

    void it("refuses characters a URL path cannot hold, newlines and nginx syntax included", () => {
        for (const written of [
            "/a b",
            "/a\nb",
            "/a { return 200 x; } location /b",
            "/caf\u00e9",
            "/a\tb",
            '/a"b',
            "/a%zz",
        ]) {
            for (const type of [PathType.Prefix, PathType.Exact]) {
                const findings = pathFindings(written, type);
                assert.ok(findings.length > 0, `${JSON.stringify(written)} ${type}`);
                const fix = /write "(.*?)"|percent-encode them: write "(.*)"/.exec(findings[0]!.fix ?? "");
                const suggested = JSON.parse(`"${fix![1] ?? fix![2]}"`) as string;
                assert.deepEqual(pathFindings(suggested, type), [], `the fix ${suggested} passes`);
            }
        }
        assert.ok(pathFindings("/a\nb", PathType.ImplementationSpecific).length > 0);
        assert.deepEqual(pathFindings("/api(/|$)(.*)", PathType.ImplementationSpecific), []);
        assert.deepEqual(pathFindings("/~user/a+b;c=1:@!$&',=", PathType.Prefix), []);
    });

    void it("are refused in the stack config under their key", () => {
        const lines = refused(withDev((config) => (config.ingress.routes[0].paths[0].path = "/a { return 200 x; }")));
        assert.match(onlyKey(lines, "clusternet:ingress.routes[0].paths[0].path"), /regex or glob syntax/);
    });

    void it(
        "are quoted in the lab's nginx.conf, which nginx accepts with one location per path",
        { skip: spawnSync("sh", ["-c", "command -v nginx"]).status !== 0 ? "nginx is not installed" : false },
        () => {
            const hostile = [
                "/a { return 200 x; } location /b",
                "/a\nb",
                '/q"uote',
                "/back\\slash",
                "/$host",
                "/semi;colon",
            ];
            const table = routeTable([
                {
                    namespace: "demo",
                    name: "web",
                    className: "traefik",
                    defaultBackend: undefined,
                    rules: [
                        {
                            host: "web.lab.example",
                            paths: hostile.map((item) => ({
                                path: item,
                                pathType: PathType.Exact,
                                backend: { service: "web", port: 80 },
                            })),
                        },
                    ],
                },
            ]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet-nginx-quote-"));
            try {
                const config = nginxConfig({
                    table,
                    listenPort: 8000,
                    pod: { name: "p", namespace: "n", node: "x" },
                    upstream: () => ({ servers: ["10.244.0.3:80"] }),
                    runDir: dir,
                });
                assert.equal(config.match(/^\s+location = /gm)?.length, hostile.length, config);
                assert.ok(!/^\s*return 200 x;/m.test(config), "nothing injected");
                const result = nginxTest(dir, config);
                assert.equal(result.status, 0, result.stderr);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        },
    );

    void it(
        "quotes the Ingress controller's own paths in nginx.conf: a state folder with a space, a quote and a semicolon",
        { skip: spawnSync("sh", ["-c", "command -v nginx"]).status !== 0 ? "nginx is not installed" : false },
        () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clusternet state 'x'; y-"));
            try {
                const config = nginxConfig({
                    table: routeTable([]),
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

    void it("refuses a --state-dir with a control character, naming the option, with exit code 2", async () => {
        const result = await runCli(["lab", "down", "--prefix", "cnsd-", "--state-dir", "/tmp/a\nb"]);
        assert.equal(result.code, 2, result.stderr + result.stdout);
        assert.match(result.stderr, /--state-dir: "\/tmp\/a\\nb" holds a control character/);
    });

    void it("keeps every iptables-restore rule on one line whatever its comment holds", () => {
        for (const text of ["a\nb", "x\r\n-A INPUT -j ACCEPT", 'quo"te \\ $(id)']) {
            const line = ruleLine({
                chain: "KUBE-SERVICES",
                args: ["-m", "comment", "--comment", text, "-j", "ACCEPT"],
            });
            assert.equal(line.split("\n").length, 1, line);
            assert.match(line, / -j ACCEPT$/);
        }
        assert.equal(iptablesQuote("plain-value"), "plain-value");
    });

    void it("quotes with small exported helpers", () => {
        assert.equal(nginxQuote('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
        assert.equal(nginxComment("x\ny"), "# x\\ny");
    });
});

void describe("values that enter other languages", () => {
    void it("refuses readinessPath with spaces or control characters", () => {
        for (const readinessPath of ["/health check", "/healthz\n", "/a\u0000", "/\u00e9"]) {
            const line = onlyKey(
                refused(
                    withDev((config) => {
                        config.services[0].app.readinessPath = readinessPath;
                        config.services[0].app.readinessPort = "http";
                    }),
                ),
                "clusternet:services[0].app.readinessPath",
            );
            assert.match(line, /holds characters a URL path cannot/, readinessPath);
        }
        warnings(
            withDev((config) => {
                config.services[0].app.readinessPath = "/healthz?verbose=1";
                config.services[0].app.readinessPort = "http";
            }),
        );
    });

    void it("refuses reserved names that would break the plan's markdown and mermaid", () => {
        for (const name of ["office\nvpn", "a|b", "x]y", '"quoted"', "-lead", "a".repeat(64)]) {
            const line = onlyKey(
                refused(withDev((config) => (config.cluster.reserved[0].name = name))),
                "clusternet:cluster.reserved[0].name",
            );
            assert.match(line, /is not a plain name/, name);
        }
        warnings(withDev((config) => (config.cluster.reserved[0].name = "Office VPN 2")));
    });
});

void describe("settings that are valid but will not work as meant", () => {
    void it("warns about a LoadBalancer Service without a load-balancer provider, not with one", () => {
        const lb = withDev((config) => (config.services[0].type = "LoadBalancer"));
        assert.ok(
            warnings(lb).some((line) =>
                /^clusternet:services\[0\]\.type: .* stays <pending>.*write NodePort/.test(line),
            ),
        );
        const provided = withDev((config) => {
            config.services[0].type = "LoadBalancer";
            config.cluster.loadBalancer = true;
        });
        assert.ok(!warnings(provided).some((line) => line.includes("LoadBalancer")));
    });

    void it("warns with the math when node subnets hold fewer pods than the kubelet's 110", () => {
        for (const [mask, pods] of [
            [30, 1],
            [28, 13],
            [26, 61],
        ] as const) {
            const lines = warnings(
                withDev((config) => {
                    config.cluster.nodeMaskSize = mask;
                    delete config.nodes[0].podCidr;
                }),
            );
            const line = lines.find((item) => item.startsWith("clusternet:cluster.nodeMaskSize: "));
            assert.match(
                line ?? "",
                new RegExp(`so ${pods} pod address\\(es\\) per node .* up to 110 pods .*use a node mask of at most 25`),
            );
        }
        assert.ok(
            !warnings(
                withDev((config) => {
                    config.cluster.nodeMaskSize = 25;
                    delete config.nodes[0].podCidr;
                }),
            ).some((line) => line.includes("nodeMaskSize")),
        );
    });
});
