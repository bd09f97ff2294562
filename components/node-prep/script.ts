import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidInputError, Problem, keyPath, show } from "../common";
import { KubeProxyMode } from "../kube-proxy/types";
import { NFTABLES_MIN_KERNEL, NFTABLES_MIN_NFT } from "../kube-proxy/validate";
import { isInterfaceName } from "../pod-network/validate";

/** Where the script writes. The defaults are the real system paths; tests point them at temporary folders. */
export interface NodePrepPaths {
    /** Kernel modules to load at boot. */
    readonly modulesLoadFile: string;
    /** Sysctls applied at boot (and now). */
    readonly sysctlFile: string;
    /** Where the kubelet's container runtime looks for CNI plugins (flannel's DaemonSet installs its plugin there too). */
    readonly cniBinDir: string;
    /** Where distribution packages put the CNI plugins (Debian/Ubuntu, then Fedora/RHEL/openSUSE/Alpine). */
    readonly cniSearchDirs: readonly string[];
    /** The udev rule turning VXLAN checksum offload off. */
    readonly udevRuleFile: string;
    /** Where the kernel lists its loaded modules (ipvs mode checks ip_vs there). */
    readonly sysModuleDir: string;
}

export const DEFAULT_NODE_PREP_PATHS: NodePrepPaths = {
    modulesLoadFile: "/etc/modules-load.d/clusternet.conf",
    sysctlFile: "/etc/sysctl.d/99-clusternet.conf",
    cniBinDir: "/opt/cni/bin",
    cniSearchDirs: ["/usr/lib/cni", "/usr/libexec/cni"],
    udevRuleFile: "/etc/udev/rules.d/90-clusternet-vxlan-offload.rules",
    sysModuleDir: "/sys/module",
};

/** kube-proxy's modes, as the script knows them. */
export type ProxyMode = KubeProxyMode;

export interface NodePrepScriptOptions {
    /** Also turn on IPv6 forwarding (clusters with IPv6 pods). Default false. */
    readonly ipv6Forwarding?: boolean;
    /** Interfaces (flanneld's VXLAN devices, e.g. flannel.1) whose tx checksum offload is turned off. Default none. */
    readonly checksumOffloadDevices?: readonly string[];
    /**
     * kube-proxy's mode: nftables checks kernel >= 5.13 and nft >= 1.0.1 (installing nftables when nft is missing),
     * ipvs loads the ip_vs modules and installs ipset. Default iptables (nothing more).
     */
    readonly proxyMode?: ProxyMode;
    /** Load missing kernel modules with modprobe; false only checks that they are active. Default true. */
    readonly loadModules?: boolean;
    /** Where the script writes. Default {@link DEFAULT_NODE_PREP_PATHS}. */
    readonly paths?: Partial<NodePrepPaths>;
}

/** What the script does when run: `bash -s -- <action>`. */
export const NodePrepAction = {
    /** Load modules, set sysctls, install CNI plugins, turn checksum offload off; idempotent. */
    Prepare: "prepare",
    /** Remove clusternet's files; leave live settings and CNI plugins alone. */
    Undo: "undo",
} as const;
export type NodePrepAction = (typeof NodePrepAction)[keyof typeof NodePrepAction];

/** Single-quotes a value for bash: nothing inside is expanded. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Absolute paths of plain characters only, so a path can never carry shell syntax even before quoting. */
const SAFE_PATH = /^\/[A-Za-z0-9._+@/-]*$/;

/** Every value that reaches the script, checked; the script also quotes them. */
export function nodePrepScriptProblems(options: NodePrepScriptOptions, root = "options"): Problem[] {
    const problems: Problem[] = [];
    const paths = { ...DEFAULT_NODE_PREP_PATHS, ...options.paths };
    for (const [field, value] of Object.entries(paths)) {
        const values = Array.isArray(value) ? (value as string[]) : [value as string];
        values.forEach((item, index) => {
            if (typeof item !== "string" || !SAFE_PATH.test(item) || item.split("/").includes("..")) {
                problems.push({
                    key: Array.isArray(value) ? keyPath(root, "paths", field, index) : keyPath(root, "paths", field),
                    message: `${show(item)} is not a plain absolute path`,
                    fix: "use an absolute path of letters, digits and . _ + @ - / only",
                });
            }
        });
    }
    if (options.proxyMode !== undefined && !["iptables", "nftables", "ipvs"].includes(options.proxyMode)) {
        problems.push({
            key: keyPath(root, "proxyMode"),
            message: `${show(options.proxyMode)} is not a kube-proxy mode`,
            fix: "use iptables, nftables or ipvs",
        });
    }
    (options.checksumOffloadDevices ?? []).forEach((device, index) => {
        if (typeof device !== "string" || !isInterfaceName(device)) {
            problems.push({
                key: keyPath(root, "checksumOffloadDevices", index),
                message: `${show(device)} is not a network interface name`,
                fix: "use a name such as flannel.1",
            });
        }
    });
    return problems;
}

let body: string | undefined;
function scriptBody(): string {
    body ??= fs.readFileSync(path.join(__dirname, "prepare.sh"), "utf8");
    return body;
}

/**
 * The node preparation script: a header of settings (validated, then single-quoted) and the static body in
 * prepare.sh. Run as root with `bash -s -- prepare` (or `undo`) and the script on stdin. Throws on a value that
 * could not be written safely.
 */
export function nodePrepScript(options: NodePrepScriptOptions = {}): string {
    const problems = nodePrepScriptProblems(options);
    if (problems.length > 0) {
        throw new InvalidInputError(problems);
    }
    const paths = { ...DEFAULT_NODE_PREP_PATHS, ...options.paths };
    const array = (values: readonly string[]): string => `(${values.map(shellQuote).join(" ")})`;
    const header = [
        "#!/usr/bin/env bash",
        "# clusternet node preparation: kernel modules, sysctls and CNI plugins for the flannel pod network.",
        "# Generated by clusternet (components/node-prep); change the stack config, not this script.",
        "# Run as root, the script on stdin: bash -s -- prepare   (or: bash -s -- undo)",
        "set -euo pipefail",
        "",
        `MODULES_LOAD_FILE=${shellQuote(paths.modulesLoadFile)}`,
        `SYSCTL_FILE=${shellQuote(paths.sysctlFile)}`,
        `CNI_BIN_DIR=${shellQuote(paths.cniBinDir)}`,
        `CNI_SEARCH_DIRS=${array(paths.cniSearchDirs)}`,
        `UDEV_RULE_FILE=${shellQuote(paths.udevRuleFile)}`,
        `SYS_MODULE_DIR=${shellQuote(paths.sysModuleDir)}`,
        `LOAD_MODULES=${options.loadModules === false ? 0 : 1}`,
        `IPV6_FORWARDING=${options.ipv6Forwarding === true ? 1 : 0}`,
        `OFFLOAD_DEVICES=${array(options.checksumOffloadDevices ?? [])}`,
        `PROXY_MODE=${shellQuote(options.proxyMode ?? "iptables")}`,
        `NFTABLES_MIN_KERNEL=${shellQuote(NFTABLES_MIN_KERNEL)}`,
        `NFTABLES_MIN_NFT=${shellQuote(NFTABLES_MIN_NFT)}`,
        "",
    ].join("\n");
    return `${header}\n${scriptBody()}`;
}

/**
 * The command the SSH session runs: bash reading the script from stdin, as root directly or through
 * passwordless sudo. Written for any POSIX login shell.
 */
export function remoteInvocation(action: NodePrepAction, nodeName?: string): string {
    // The node's name (a checked DNS-1123 name, quoted anyway) lets a refusal say which node it is.
    const args = nodeName === undefined ? action : `${action} ${shellQuote(nodeName)}`;
    return `if [ "$(id -u)" -eq 0 ]; then exec bash -s -- ${args}; else exec sudo -n bash -s -- ${args}; fi`;
}

/** The script's SHA-256, the commands' trigger: a changed script replaces them (undo, then prepare). */
export function scriptHash(script: string): string {
    return createHash("sha256").update(script).digest("hex");
}
