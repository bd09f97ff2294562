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
import { stringify } from "yaml";
import { labCheck, labDown, labUp, LabContext } from "../cli/lab/lab";
import { LabManifest } from "../cli/lab/model";
import { clusternet, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { ClusterShape, labInputOf, labSkipReason, uniquePrefix } from "./helpers/lab";
import { DEV_CLUSTER, DEV_FIXTURE, FixtureOptions } from "./helpers/lab-manifests";

const skip = labSkipReason();
if (skip) {
    console.log(`# lab suite skipped: ${skip}`);
}

const work = temporaryDirectory("clusternet-lab-test-");
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

function writeManifests(file: string, manifests: readonly LabManifest[]): void {
    fs.writeFileSync(file, manifests.map((manifest) => stringify(manifest.object)).join("---\n"));
}

const FOUR_NODES: ClusterShape = {
    cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeNetwork: "192.168.56.0/24" },
    nodes: [
        { name: "node-a", ip: "192.168.56.21" },
        { name: "node-b", ip: "192.168.56.22" },
        { name: "node-c", ip: "192.168.56.23" },
        { name: "node-d", ip: "192.168.56.24" },
    ],
};

const HOST_GW_STACK: FixtureOptions = {
    backend: "host-gw",
    services: [
        { name: "web", namespace: "shop", type: "NodePort", replicas: 2, containerPorts: [{ name: "http", port: 80 }], ports: [{ name: "http", port: 80, targetPort: "http", nodePort: 31080 }] },
        {
            name: "api",
            namespace: "shop",
            replicas: 3,
            readinessPath: "/healthz",
            containerPorts: [
                { name: "http", port: 8080 },
                { name: "dns", port: 5353, protocol: "UDP" },
            ],
            ports: [
                { name: "http", port: 80, targetPort: 8080 },
                { name: "dns", port: 53, targetPort: "dns", protocol: "UDP" },
            ],
        },
    ],
    ingress: {
        controller: "ingress-nginx",
        httpNodePort: 30080,
        httpsNodePort: 30443,
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

void describe("lab on this kernel (root)", { skip: skip ?? false }, () => {
    after(async () => {
        for (const context of contexts) {
            await labDown(context).catch(() => undefined);
        }
    });

    void it("dev stack: lab up, check and down through the command line; every path works and nothing is left", () => {
        const context = contextFor("dev");
        const stackFile = writeStackFile(work, "labdev", DEV_CLUSTER);
        const manifests = path.join(work, "dev.yaml");
        writeManifests(manifests, labInputOf(DEV_FIXTURE).manifests);
        const options = ["--prefix", context.prefix, "--state-dir", context.stateDir];
        const up = clusternet(["lab", "up", "--config-file", stackFile, "--manifests", manifests, ...options]);
        assert.equal(up.code, 0, up.stderr + up.stdout);
        assert.match(up.stdout, /6\/6 pods Ready/);
        assert.match(up.stdout, new RegExp(`ip netns exec ${context.prefix}node-cp-1 sh`));
        assert.equal(fs.readFileSync(path.join(context.stateDir, "nodes", "worker-1", "run", "flannel", "subnet.env"), "utf8"), "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");

        const check = clusternet(["lab", "check", "--config-file", stackFile, ...options]);
        assert.equal(check.code, 0, check.stderr + check.stdout);
        assert.match(check.stdout, /lab check: (\d+) of \1 paths work, 0 fail/);
        for (const group of ["pod → pod, same node", "pod → pod, across nodes", "pod → Service", "LAN → NodePort", "LAN → Ingress", "unknown host", "pod MTU"]) {
            assert.ok(check.stdout.includes(group), `the matrix has ${group}`);
        }
        assert.match(check.stdout, /pass\s+LAN → Ingress\s+client → http:\/\/web\.lab\.example\/ via \S+ NodePort 30080 → demo\/web:http/);

        const down = clusternet(["lab", "down", ...options]);
        assert.equal(down.code, 0, down.stderr);
        assert.deepEqual(namespacesWith(context.prefix), []);
        assert.deepEqual(processesOf(context.stateDir), []);
        assert.equal(fs.existsSync(context.stateDir), false);
        const again = clusternet(["lab", "down", ...options]);
        assert.equal(again.code, 0, "down is idempotent");
        assert.match(again.stdout, /removed 0 namespaces/);
    });

    void it("4 nodes, host-gw, two Services (TCP and UDP), two Ingress hosts behind ingress-nginx: every path works", async () => {
        const context = contextFor("hgw");
        const { state } = await labUp(labInputOf(HOST_GW_STACK, FOUR_NODES, "hostgw"), context);
        assert.ok(Object.values(state.pods).every((pod) => pod.ready), JSON.stringify(state.pods));
        assert.equal(state.plan.flannel.podMtu, 1500);
        const result = await labCheck(context);
        assert.deepEqual(
            result.failed.map((row) => `${row.path}: expected ${row.expected}, got ${row.got}`),
            [],
        );
        const groups = new Set(result.rows.map((row) => row.group));
        assert.ok(groups.has("LAN → Ingress (path boundary)") && groups.has("pod → pod, across nodes"));
        assert.equal(result.rows.filter((row) => row.group === "pod → pod, across nodes").length, 12);
        assert.ok(result.rows.some((row) => row.path.includes("shop/api:dns") && row.path.includes("/UDP") && row.ok));
        await labDown(context);
        assert.deepEqual(namespacesWith(context.prefix), []);
        assert.deepEqual(processesOf(context.stateDir), []);
    });

    void it("a Service port whose targetPort no container declares fails its check on exactly that path, and lab check exits 1 naming it", async () => {
        const context = contextFor("bad");
        const web = DEV_FIXTURE.services[0]!;
        const broken: FixtureOptions = { ...DEV_FIXTURE, services: [{ ...web, ports: [...web.ports, { name: "metrics", port: 9100, targetPort: "metrics" }] }] };
        await labUp(labInputOf(broken), context);
        const result = await labCheck(context);
        const metrics = result.rows.filter((row) => row.path.includes("demo/web:metrics"));
        assert.equal(metrics.length, 6);
        assert.deepEqual(
            result.failed.map((row) => row.path),
            metrics.map((row) => row.path),
            "exactly the metrics paths fail",
        );
        assert.ok(metrics.every((row) => /declares a TCP container port named "metrics"/.test(row.expected)));
        const cli = clusternet(["lab", "check", "--prefix", context.prefix, "--state-dir", context.stateDir]);
        assert.equal(cli.code, 1);
        assert.match(cli.stderr, /FAIL pod → Service: probe-cp-1 → demo\/web:metrics/);
        assert.match(cli.stderr, /lab check: 6 path\(s\) fail/);
        await labDown(context);
    });

    void it("refuses to run without root, with exit code 2", () => {
        const result = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, path.join(__dirname, "..", "bin", "clusternet.js"), "lab", "down", "--prefix", "nobody-"], { encoding: "utf8", cwd: "/" });
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /must run as root/);
    });
});
