import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { AddressPlan, planNetwork } from "../../components/plan";
import { LabInput } from "../../lab/plan";
import { DEV_CLUSTER, FixtureOptions, labManifests } from "./lab-manifests";

export interface ClusterShape {
    cluster: { name?: string; podCidr: string; nodeMaskSize?: number; serviceCidr?: string; nodeNetwork?: string };
    nodes: Array<{ name: string; ip: string; podCidr?: string }>;
}

export function planOf(shape: ClusterShape = DEV_CLUSTER): AddressPlan {
    const result = planNetwork({ cluster: shape.cluster, nodes: shape.nodes });
    if (!result.ok) {
        throw new Error(`bad test plan: ${JSON.stringify(result.problems)}`);
    }
    return result.value;
}

/** A lab input: this cluster shape's plan and the standard objects a stack of this shape renders. */
export function labInputOf(options: FixtureOptions, shape: ClusterShape = DEV_CLUSTER, stack = "dev"): LabInput {
    const plan = planOf(shape);
    return { stack, plan, manifests: labManifests(plan, options) };
}

/** Why the lab cannot run here (so its suite is skipped), or undefined. */
export function labSkipReason(): string | undefined {
    if (process.platform !== "linux") {
        return `the lab needs Linux (this is ${process.platform})`;
    }
    if (process.getuid?.() !== 0) {
        return "the lab needs root (network namespaces); run npm test as root to include it";
    }
    if (!fs.existsSync("/proc/self/ns/net")) {
        return "no network namespace support";
    }
    const probe = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
    if (probe.status !== 0) {
        return `ip netns does not work here: ${probe.stderr || probe.error?.message}`;
    }
    for (const tool of ["bridge", "iptables-restore", "iptables-save", "sysctl", "ping", "nginx", "dnsmasq"]) {
        if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) {
            return `${tool} is missing (apt-get install -y iproute2 iptables procps iputils-ping containernetworking-plugins nginx dnsmasq-base)`;
        }
    }
    if (!["/opt/cni/bin/bridge", "/usr/lib/cni/bridge"].some((file) => fs.existsSync(file))) {
        return "the CNI plugins are missing (apt-get install -y containernetworking-plugins)";
    }
    return undefined;
}

/** A prefix no other test run uses at the same time. */
export function uniquePrefix(tag: string): string {
    return `t${(process.pid % 46656).toString(36)}${tag}-`.slice(0, 13).replace(/-?$/, "-");
}

/** `nginx -t` on a configuration written into `dir` (its prefix, logs and pid): nginx's own verdict on it. */
export function nginxTest(dir: string, config: string): { status: number | null; stderr: string } {
    fs.writeFileSync(path.join(dir, "nginx.conf"), config);
    const args = ["-t", "-q", "-c", path.join(dir, "nginx.conf"), "-p", `${dir}/`, "-e", path.join(dir, "error.log")];
    return spawnSync("nginx", args, { encoding: "utf8" });
}
