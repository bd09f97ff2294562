/**
 * The lab on this machine's kernel (root only): the dev-shaped stack's whole matrix passes through the command
 * line; a 4-node host-gw stack with two Services and two routes passes; a Service that targets a port no container
 * declares fails on exactly that path. Every lab has its own prefix and is removed in teardown.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { CheckRow } from "../lab/checks";
import { labCheck, labDown, LabContext } from "../lab/lab";
import { REPO, clusternet, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { labSkipReason, uniquePrefix } from "./helpers/lab";

const skip = labSkipReason();
if (skip) {
    console.log(`# lab suite skipped: ${skip}`);
}

const work = temporaryDirectory("clusternet-lab-test-");
// As /run/clusternet-lab is: nginx's unprivileged workers in nginx pods reach their web root through it.
fs.chmodSync(work, 0o755);
const contexts: LabContext[] = [];

function contextFor(tag: string): LabContext {
    const context = { prefix: uniquePrefix(tag), stateDir: path.join(work, `state-${tag}`), log: () => undefined };
    contexts.push(context);
    return context;
}

function namespacesWith(prefix: string): string[] {
    const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    return listed
        .split("\n")
        .map((line) => line.split(" ")[0]!)
        .filter((name) => name.startsWith(prefix));
}

/** Processes whose command line points into the lab's state folder. */
function processesOf(stateDir: string): string[] {
    return fs
        .readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
        .map((pid) => {
            try {
                return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
            } catch {
                return "";
            }
        })
        .filter((commandLine) => commandLine.includes(stateDir));
}

/** The pids and command lines of the processes in a network namespace. */
function processesIn(netns: string): Array<{ pid: number; commandLine: string }> {
    return spawnSync("ip", ["netns", "pids", netns], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((line) => /^\d+$/.test(line))
        .map((pid) => {
            try {
                return {
                    pid: Number(pid),
                    commandLine: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim(),
                };
            } catch {
                return { pid: Number(pid), commandLine: "" };
            }
        });
}

/** A GET from inside a pod's namespace with Node's own client: status, Server header and body, or the error code. */
function getInPod(
    netns: string,
    port: number,
    urlPath = "/",
): { status?: number; server?: string; body?: string; error?: string } {
    const script = `require("http").get({ host: "127.0.0.1", port: ${port}, path: ${JSON.stringify(urlPath)} }, (r) => {
        let body = ""; r.on("data", (c) => (body += c));
        r.on("end", () => console.log(JSON.stringify({ status: r.statusCode, server: r.headers.server, body })));
    }).on("error", (e) => console.log(JSON.stringify({ error: e.code })));`;
    const result = spawnSync("ip", ["netns", "exec", netns, process.execPath, "-e", script], { encoding: "utf8" });
    return JSON.parse(result.stdout || `{"error":${JSON.stringify(result.stderr)}}`) as ReturnType<typeof getInPod>;
}

function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Lab options for a test's own prefix and state folder. */
function labOptions(context: LabContext): string[] {
    return ["--prefix", context.prefix, "--state-dir", context.stateDir];
}

/** A second stack: 4 nodes on host-gw, two Services (one with a UDP port), two Ingress hosts behind ingress-nginx. */
const HOST_GW_STACK = {
    cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeNetwork: "192.168.56.0/24" },
    nodes: [
        { name: "node-a", ip: "192.168.56.21" },
        { name: "node-b", ip: "192.168.56.22" },
        { name: "node-c", ip: "192.168.56.23" },
        { name: "node-d", ip: "192.168.56.24" },
    ],
    podNetwork: { backend: "host-gw" },
    services: [
        {
            name: "web",
            namespace: "shop",
            type: "NodePort",
            app: { image: "nginx:1.27.5", replicas: 2, containerPorts: [{ name: "http", port: 80 }] },
            ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 31080 }],
        },
        {
            name: "api",
            namespace: "shop",
            app: {
                image: "registry.lab.example/api:1.4.2",
                replicas: 3,
                readinessPath: "/healthz",
                containerPorts: [
                    { name: "http", port: 8080 },
                    { name: "dns", port: 5353, protocol: "UDP" },
                ],
            },
            ports: [
                { name: "http", port: 80, targetPort: 8080 },
                { name: "dns", port: 53, targetPort: "dns", protocol: "UDP" },
            ],
        },
    ],
    ingress: {
        controller: { implementation: "ingress-nginx", httpNodePort: 30080, httpsNodePort: 30443 },
        routes: [
            { host: "shop.lab.example", paths: [{ path: "/", service: "web", port: "http" }] },
            {
                host: "api.lab.example",
                paths: [
                    { path: "/v1", pathType: "Prefix", service: "api", port: 80 },
                    { path: "/healthz", pathType: "Exact", service: "api", port: "http" },
                ],
            },
        ],
    },
};

/** The `pass`/`FAIL` rows of a lab check table whose check column starts with `group`. */
function rows(output: string, group: string): string[] {
    return output
        .split("\n")
        .filter((line) => /^(pass|FAIL)\s/.test(line) && line.replace(/^(pass|FAIL)\s+/, "").startsWith(group));
}

void describe("lab on this kernel (root)", { skip: skip ?? false }, () => {
    after(async () => {
        for (const context of contexts) {
            await labDown(context).catch(() => undefined);
        }
    });

    // lab up, check and down as processes once (here), as a user runs them; everything else through runCli.
    void it("the dev stack as it renders: lab up, check and down through the command line; every path works and nothing is left", async () => {
        const context = contextFor("dev");
        const stackFile = path.join(REPO, "Pulumi.dev.yaml");
        const up = clusternet(["lab", "up", "--config-file", stackFile, "--no-save", ...labOptions(context)]);
        assert.equal(up.code, 0, up.stderr + up.stdout);
        assert.match(up.stdout, /flannel vxlan VNI 1 port 8472, pod MTU 1450/);
        assert.match(up.stdout, /7\/7 pods Ready/, "6 pods and the cluster DNS pod");
        assert.match(up.stdout, new RegExp(`ip netns exec ${context.prefix}node-cp-1 sh`));
        // web runs nginx:1.27.5: real nginx with the image's default config answers in the pod, on 80 only.
        const nginxPids: number[] = [];
        for (const pod of ["web-0", "web-1"]) {
            const netns = `${context.prefix}pod-demo.${pod}`;
            const welcome = getInPod(netns, 80);
            assert.equal(welcome.status, 200, JSON.stringify(welcome));
            assert.match(welcome.server ?? "", /^nginx\/\d/, "the Server header is nginx's");
            assert.match(welcome.body ?? "", /<title>Welcome to nginx!<\/title>/);
            assert.equal(getInPod(netns, 80, "/healthz").status, 404, "the default server has the welcome page only");
            assert.equal(getInPod(netns, 443).error, "ECONNREFUSED", "nginx's default config has no 443");
            const processes = processesIn(netns);
            const master = processes.find((item) => item.commandLine.startsWith("nginx: master process nginx"));
            assert.ok(master, `nginx runs in ${netns}: ${JSON.stringify(processes)}`);
            assert.ok(
                master.commandLine.includes(path.join(context.stateDir, "pods", `demo.${pod}`, "nginx")),
                "its own folder",
            );
            const workers = processes.filter((item) => item.commandLine === "nginx: worker process");
            assert.equal(workers.length, 1);
            assert.doesNotMatch(
                fs.readFileSync(`/proc/${workers[0]!.pid}/status`, "utf8"),
                /^Uid:\s+0\s/m,
                "the workers run unprivileged",
            );
            assert.equal(processes.length, 2, "nginx and nothing else: no stand-in");
            nginxPids.push(...processes.map((item) => item.pid));
        }
        assert.equal(
            fs.readFileSync(path.join(context.stateDir, "nodes", "worker-1", "run", "flannel", "subnet.env"), "utf8"),
            "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        );

        const check = clusternet(["lab", "check", "--config-file", stackFile, ...labOptions(context)]);
        assert.equal(check.code, 0, check.stderr + check.stdout);
        assert.match(check.stdout, /lab check: (\d+) of \1 paths work, 0 fail/);
        assert.match(
            check.stdout,
            /^warning: the Ingress controller traefik\.io\/ingress-controller is modelled by nginx/m,
        );
        assert.deepEqual(
            rows(check.stdout, "pod → Service").filter(
                (row) => row.includes("demo/web:") && row.includes("modelled") && !row.includes("Service by name"),
            ),
            [],
            "real nginx answers web's rows: nothing modelled",
        );
        assert.ok(
            rows(check.stdout, "LAN → Ingress").every((row) => /modelled \[[\d,]+\]$/.test(row)),
            "Traefik's routes are served by nginx",
        );
        assert.match(check.stdout, /^ {2}\[\d+\] traefik\.io\/ingress-controller is served by nginx/m);
        assert.equal(rows(check.stdout, "pod → pod, same node").length, 4);
        assert.equal(rows(check.stdout, "pod → pod, across nodes").length, 6, "every ordered pair of the 3 nodes");
        assert.equal(
            rows(check.stdout, "LAN → NodePort").filter((row) => row.includes(":30808/TCP (demo/web:http)")).length,
            3,
            "the seed's NodePort on every node",
        );
        assert.match(
            check.stdout,
            /pass\s+pod → Service\s+probe-cp-1 → demo\/web:http 10\.\d+\.\d+\.\d+:8080\/TCP\s+web-0:80 \| web-1:80/,
        );
        assert.match(
            check.stdout,
            /pass\s+LAN → Ingress\s+client → http:\/\/web\.lab\.example\/ via \S+ NodePort 30080 → demo\/web:http/,
        );
        assert.equal(rows(check.stdout, "LAN → Ingress (unknown host)").length, 1);
        const https = check.stdout.split("\n").filter((line) => line.includes("demo/web:https"));
        assert.equal(https.length, 3 + 2 + 3 + 3 + 3, "pod, hairpin, node, LAN and localhost paths");
        for (const row of https) {
            assert.match(
                row,
                /^pass\s.*refused: nginx:1\.27\.5: nginx's default config listens on 80 only.*ECONNREFUSED/,
            );
        }
        assert.equal(rows(check.stdout, "pod MTU").length, 3);
        assert.equal(rows(check.stdout, "pod → own Service (hairpin)").length, 2 * 2 + 2, "each endpoint of each port");
        assert.equal(rows(check.stdout, "node → Service").length, 3 * 4);
        assert.equal(rows(check.stdout, "node → localhost NodePort").length, 3 * 4);
        assert.match(
            check.stdout,
            /pass\s+pod → Service\s+probe-cp-1 → demo\/web:http .*web-0:80 ×\d+, web-1:80 ×\d+|web-1:80 ×\d+, web-0:80 ×\d+/,
        );
        assert.match(
            check.stdout,
            /pass\s+pod → cluster DNS\s+probe-cp-1 → kube-dns: _http\._tcp\.web\.demo\.svc\.cluster\.local SRV/,
        );
        for (const name of ["web", "web.demo", "web.demo.svc.cluster.local"]) {
            assert.match(
                check.stdout,
                new RegExp(`pass\\s+pod → Service by name\\s+\\S+ → http://${name.replace(/\./g, "\\.")}:8080/`),
            );
        }
        const nodeRules = spawnSync(
            "ip",
            ["netns", "exec", `${context.prefix}node-cp-1`, "iptables", "-S", "FORWARD"],
            {
                encoding: "utf8",
            },
        ).stdout;
        assert.deepEqual(
            nodeRules
                .split("\n")
                .filter((line) => line.startsWith("-A FORWARD"))
                .map((line) => line.split(" -j ")[1]),
            ["KUBE-PROXY-FIREWALL", "KUBE-FORWARD", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "FLANNEL-FWD"],
            "a real node's order: kube-proxy's jumps before flannel's",
        );
        const save = () =>
            spawnSync("ip", ["netns", "exec", `${context.prefix}node-cp-1`, "iptables-save"], { encoding: "utf8" })
                .stdout.split("\n")
                .filter((line) => line.startsWith("-A"));
        const before = save();
        const sync = await runCli(["lab", "sync", ...labOptions(context)]);
        assert.equal(sync.code, 0, sync.stderr);
        assert.deepEqual(save(), before, "a full sync re-applies the same rules, duplicating nothing");

        // nginx stopped in web-0: its readiness probe fails at the next sync, and web-0 leaves the endpoints.
        const pidFile = path.join(context.stateDir, "pods", "demo.web-0", "nginx", "nginx.pid");
        process.kill(Number(fs.readFileSync(pidFile, "utf8").trim()), "SIGTERM");
        for (let waited = 0; nginxPids.slice(0, 2).some(isRunning) && waited < 5000; waited += 50) {
            spawnSync("sleep", ["0.05"]);
        }
        const stopped = clusternet(["lab", "sync", ...labOptions(context)]);
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.match(
            stopped.stdout,
            /demo\/web-0 is no longer Ready: readiness (tcpSocket|httpGet) :80\S* failed: connect ECONNREFUSED/,
        );
        assert.match(stopped.stdout, /endpoints of demo\/web:http: \[\S*:80,\S*:80\] → \[[\d.]+:80\]/);

        // The MTU rows test the path: a vxlan device or a LAN link too small for the pod MTU fails cp-1's row.
        const inNode = (...args: string[]) =>
            spawnSync("ip", ["netns", "exec", `${context.prefix}node-cp-1`, "ip", ...args], { encoding: "utf8" });
        for (const device of ["flannel.1", "eth0"]) {
            const mtuBefore = /mtu (\d+)/.exec(inNode("link", "show", device).stdout)![1]!;
            assert.equal(inNode("link", "set", device, "mtu", "1400").status, 0);
            const broken = await runCli(["lab", "check", "--config-file", stackFile, ...labOptions(context)]);
            assert.equal(inNode("link", "set", device, "mtu", mtuBefore).status, 0);
            // Forget the path MTUs learnt from "Frag needed", so that the next device's failure is its own.
            for (const netns of ["node-cp-1", "pod-clusternet-lab.probe-cp-1"]) {
                spawnSync("ip", ["netns", "exec", `${context.prefix}${netns}`, "ip", "route", "flush", "cache"]);
            }
            assert.notEqual(broken.code, 0, `${device} at 1400 must fail a check`);
            assert.match(
                rows(broken.stdout, "pod MTU").find((row) => row.includes("probe-cp-1 →")) ?? "",
                /^FAIL\s.*1450 B failed/,
                `${device} at 1400`,
            );
        }

        const down = clusternet(["lab", "down", ...labOptions(context)]);
        assert.equal(down.code, 0, down.stderr);
        assert.deepEqual(namespacesWith(context.prefix), []);
        assert.deepEqual(processesOf(context.stateDir), []);
        assert.deepEqual(nginxPids.filter(isRunning), [], "no nginx process of this lab is left");
        assert.equal(fs.existsSync(context.stateDir), false);
        const again = await runCli(["lab", "down", ...labOptions(context)]);
        assert.equal(again.code, 0, "down is idempotent");
        assert.match(again.stdout, /removed 0 namespaces/);
    });

    void it("4 nodes, host-gw, two Services (TCP and UDP), two Ingress hosts behind ingress-nginx, as they render: every path works", async () => {
        const context = contextFor("hgw");
        const stackFile = writeStackFile(work, "hostgw", HOST_GW_STACK);
        const up = await runCli(["lab", "up", "--config-file", stackFile, "--no-save", ...labOptions(context)]);
        assert.equal(up.code, 0, up.stderr + up.stdout);
        assert.match(up.stdout, /flannel host-gw/);
        const check = await runCli(["lab", "check", "--config-file", stackFile, ...labOptions(context)]);
        assert.equal(check.code, 0, check.stderr + check.stdout);
        assert.equal(rows(check.stdout, "pod → pod, across nodes").length, 12, "every ordered pair of the 4 nodes");
        assert.ok(
            rows(check.stdout, "pod → Service").some(
                (row) => row.startsWith("pass") && row.includes("shop/api:dns") && row.includes("/UDP"),
            ),
        );
        assert.equal(
            rows(check.stdout, "LAN → Ingress").filter(
                (row) => row.includes("shop.lab.example") || row.includes("api.lab.example"),
            ).length >= 3,
            true,
        );
        assert.ok(
            rows(check.stdout, "LAN → Ingress (path boundary)").length > 0,
            "a path's boundary is checked too (/v1 does not match /v1x)",
        );
        // api's image is not nginx: a stand-in answers for it, and its rows say so (table and JSON).
        const apiRows = rows(check.stdout, "pod → Service").filter((row) => row.includes("shop/api:"));
        assert.ok(apiRows.length > 0 && apiRows.every((row) => /modelled \[[\d,]+\]$/.test(row)), apiRows.join("\n"));
        assert.match(check.stdout, /^ {2}\[\d+\] a stand-in answers for registry\.lab\.example\/api:1\.4\.2/m);
        const json = await runCli(["lab", "check", "--format", "json", ...labOptions(context)]);
        assert.equal(json.code, 0, json.stderr);
        const report = JSON.parse(json.stdout) as { failed: number; modelled: string[]; rows: CheckRow[] };
        assert.equal(report.failed, 0);
        const modelledApi = report.rows.filter((row) => row.path.includes("shop/api:"));
        assert.ok(
            modelledApi.length > 0 &&
                modelledApi.every((row) =>
                    row.modelled?.some((note) => note.includes("registry.lab.example/api:1.4.2")),
                ),
        );
        const realWeb = report.rows.filter(
            (row) => row.path.includes("shop/web:http") && row.group !== "pod → Service by name",
        );
        assert.ok(realWeb.length > 0);
        assert.deepEqual(
            realWeb.filter((row) => row.modelled !== undefined).map((row) => row.path),
            [],
            "nginx runs",
        );
        const down = await runCli(["lab", "down", ...labOptions(context)]);
        assert.equal(down.code, 0, down.stderr);
        assert.deepEqual(namespacesWith(context.prefix), []);
        assert.deepEqual(processesOf(context.stateDir), []);
    });

    void it("a rendered Service port whose targetPort no container declares fails its check on exactly that path, and lab check exits 1 naming it", async () => {
        const context = contextFor("bad");
        // Config validation refuses such a Service, so the mistake is made where it happens in real life: in a
        // rendered manifest edited by hand.
        const out = path.join(work, "rendered-bad");
        const render = await runCli(["render", "--stack", "dev", "--out", out, "--no-save"]);
        assert.equal(render.code, 0, render.stderr);
        const serviceFile = path.join(
            out,
            fs.readdirSync(out).find((file) => file.endsWith("-service-demo-web.yaml"))!,
        );
        const service = parse(fs.readFileSync(serviceFile, "utf8"));
        service.spec.ports.push({ name: "metrics", port: 9100, targetPort: "metrics", protocol: "TCP" });
        fs.writeFileSync(serviceFile, stringify(service));

        const up = await runCli([
            "lab",
            "up",
            "--stack",
            "dev",
            "--manifests",
            out,
            "--no-save",
            ...labOptions(context),
        ]);
        assert.equal(up.code, 0, up.stderr + up.stdout);
        const result = await labCheck(context);
        const metrics = result.rows.filter((row) => row.path.includes("demo/web:metrics"));
        assert.equal(metrics.length, 12, "3 pods, 3 nodes, 3 node ports and 3 nodes' localhost reach the metrics port");
        assert.deepEqual(
            result.failed.map((row) => row.path),
            metrics.map((row) => row.path),
            "exactly the metrics paths fail",
        );
        assert.ok(metrics.every((row) => /declares a TCP container port named "metrics"/.test(row.expected)));
        const cli = await runCli(["lab", "check", ...labOptions(context)]);
        assert.equal(cli.code, 1);
        assert.match(cli.stderr, /FAIL pod → Service: probe-cp-1 → demo\/web:metrics/);
        assert.match(cli.stderr, /lab check: 12 path\(s\) fail/);
        await labDown(context);
    });

    void it("refuses to run without root, with exit code 2", (t) => {
        const asNobody = (...args: string[]) =>
            spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...args], {
                encoding: "utf8",
                cwd: "/",
            });
        const bin = path.join(__dirname, "..", "bin", "clusternet.js");
        if (
            asNobody("-e", `require("fs").accessSync(${JSON.stringify(bin)}, require("fs").constants.R_OK)`).status !==
            0
        ) {
            t.skip("the checkout is not readable by the user nobody (e.g. a private temporary folder)");
            return;
        }
        const result = asNobody(bin, "lab", "down", "--prefix", "nobody-");
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /must run as root/);
    });
});
