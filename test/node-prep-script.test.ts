/**
 * The node preparation script, run for real: as root, inside fresh network namespaces (so its sysctls land there,
 * never in the host's), against temporary directories, through the same `sh -c` invocation the SSH session uses.
 * The PATH holds only plain tools and fakes (package managers, ethtool, udevadm, modprobe), so no real package
 * manager or udev can ever be reached. Kernel modules are only checked (loadModules: false), never loaded.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    DEFAULT_NODE_PREP_PATHS,
    NodePrepAction,
    NodePrepPaths,
    NodePrepScriptOptions,
    nodePrepScript,
    remoteInvocation,
} from "../components/node-prep";
import { scriptHash, shellQuote } from "../components/node-prep/script";

const BASIC_TOOLS = [
    "bash",
    "sh",
    "cat",
    "mkdir",
    "dirname",
    "mktemp",
    "chmod",
    "mv",
    "rm",
    "ln",
    "grep",
    "id",
    "uname",
];
const PLUGINS = ["bridge", "host-local", "portmap", "loopback"];
/** Host (root namespace) values that must never change. */
const HOST_SYSCTLS = [
    "net/ipv4/ip_forward",
    "net/ipv6/conf/all/forwarding",
    "net/bridge/bridge-nf-call-iptables",
    "net/bridge/bridge-nf-call-ip6tables",
];

function which(tool: string): string | undefined {
    const result = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : undefined;
}

const skipReason =
    process.getuid?.() !== 0
        ? "needs root (network namespaces)"
        : which("ip") === undefined
          ? "needs iproute2 (ip netns)"
          : !fs.existsSync("/proc/sys/net/bridge/bridge-nf-call-iptables")
            ? "needs br_netfilter active on the host (the test only checks it, never loads it)"
            : undefined;

const namespaces: string[] = [];
const temporary: string[] = [];
let counter = 0;

function removeNamespaces(): void {
    for (const name of namespaces.splice(0)) {
        spawnSync("ip", ["netns", "del", name]);
    }
}
process.on("exit", () => {
    removeNamespaces();
    for (const dir of temporary) {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/** A fresh network namespace, removed after the tests. */
function namespace(): string {
    const name = `cn-test-prep-${process.pid}-${counter++}`;
    execFileSync("ip", ["netns", "add", name]);
    namespaces.push(name);
    return name;
}

function inNamespace(ns: string, ...command: string[]): string {
    return execFileSync("ip", ["netns", "exec", ns, ...command], { encoding: "utf8" }).trim();
}

function sysctl(ns: string, key: string): string {
    return inNamespace(ns, "cat", `/proc/sys/${key}`);
}

interface Sandbox {
    readonly root: string;
    /** The only directory on the script's PATH. */
    readonly bin: string;
    /** What the fakes record, one line per call. */
    readonly log: string;
    readonly paths: NodePrepPaths;
}

/** A temporary root with its own file system paths and a PATH of plain tools. */
function sandbox(): Sandbox {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "cn-test-prep-"));
    temporary.push(root);
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    for (const tool of BASIC_TOOLS) {
        fs.symlinkSync(which(tool)!, path.join(bin, tool));
    }
    const paths: NodePrepPaths = {
        modulesLoadFile: path.join(root, "etc/modules-load.d/clusternet.conf"),
        sysctlFile: path.join(root, "etc/sysctl.d/99-clusternet.conf"),
        cniBinDir: path.join(root, "opt/cni/bin"),
        cniSearchDirs: [path.join(root, "usr/lib/cni"), path.join(root, "usr/libexec/cni")],
        udevRuleFile: path.join(root, "etc/udev/rules.d/90-clusternet-vxlan-offload.rules"),
        sysModuleDir: path.join(root, "sys/module"),
    };
    return { root, bin, log: path.join(root, "fakes.log"), paths };
}

/** A fake tool on the sandbox PATH: a bash script that logs its name and arguments, then runs `body`. */
function fake(box: Sandbox, tool: string, body = "exit 0"): void {
    const file = path.join(box.bin, tool);
    fs.writeFileSync(
        file,
        `#!${which("bash")}\nprintf '%s %s\\n' ${shellQuote(tool)} "$*" >> ${shellQuote(box.log)}\n${body}\n`,
    );
    fs.chmodSync(file, 0o755);
}

function fakePlugins(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const plugin of PLUGINS) {
        fs.writeFileSync(path.join(dir, plugin), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    }
}

function fakeLog(box: Sandbox): string[] {
    return fs.existsSync(box.log) ? fs.readFileSync(box.log, "utf8").trim().split("\n") : [];
}

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs the script as the SSH session would (`sh -c <invocation>`, script on stdin), inside `ns`. */
function run(
    ns: string,
    box: Sandbox,
    action: NodePrepAction,
    options: Omit<NodePrepScriptOptions, "paths" | "loadModules"> = {},
    nodeName?: string,
): Run {
    const script = nodePrepScript({ ...options, loadModules: false, paths: box.paths });
    const result = spawnSync(
        "ip",
        [
            "netns",
            "exec",
            ns,
            "/usr/bin/env",
            "-i",
            `PATH=${box.bin}`,
            which("sh")!,
            "-c",
            remoteInvocation(action, nodeName),
        ],
        {
            input: script,
            encoding: "utf8",
            timeout: 60_000,
        },
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stat(file: string): { content: string; mtimeMs: number } {
    return { content: fs.readFileSync(file, "utf8"), mtimeMs: fs.statSync(file).mtimeMs };
}

void describe("node preparation script (real runs in network namespaces)", { skip: skipReason }, () => {
    let hostBefore: string[] = [];
    before(() => {
        hostBefore = HOST_SYSCTLS.map((key) => fs.readFileSync(`/proc/sys/${key}`, "utf8"));
    });
    after(() => {
        removeNamespaces();
        assert.deepEqual(
            HOST_SYSCTLS.map((key) => fs.readFileSync(`/proc/sys/${key}`, "utf8")),
            hostBefore,
            "the host's own sysctls are untouched",
        );
    });

    // One node, prepared, prepared again, then undone: the order matters.
    void describe("on a fresh node whose distribution put the CNI plugins in /usr/lib/cni", () => {
        let ns: string;
        let box: Sandbox;
        let first: Run;
        let filesAfterFirst: Record<string, { content: string; mtimeMs: number }>;
        before(() => {
            ns = namespace();
            box = sandbox();
            fakePlugins(box.paths.cniSearchDirs[0]!);
            // A fresh namespace forwards nothing; turn the bridge hooks off too, so the script must set every value.
            inNamespace(
                ns,
                "sh",
                "-c",
                "echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables; echo 0 > /proc/sys/net/bridge/bridge-nf-call-ip6tables",
            );
            first = run(ns, box, NodePrepAction.Prepare, { ipv6Forwarding: true });
            filesAfterFirst = { modules: stat(box.paths.modulesLoadFile), sysctls: stat(box.paths.sysctlFile) };
        });

        void it("succeeds", () => {
            assert.equal(first.status, 0, first.stderr);
            assert.match(first.stdout, /clusternet node-prep: done: \d+ change\(s\)/);
        });

        void it("sets the sysctls inside the namespace", () => {
            assert.equal(sysctl(ns, "net/bridge/bridge-nf-call-iptables"), "1");
            assert.equal(sysctl(ns, "net/bridge/bridge-nf-call-ip6tables"), "1");
            assert.equal(sysctl(ns, "net/ipv4/ip_forward"), "1");
            assert.equal(sysctl(ns, "net/ipv6/conf/all/forwarding"), "1");
        });

        void it("persists the modules and the sysctls for the next boot", () => {
            assert.equal(
                filesAfterFirst["modules"]!.content,
                "# Kernel modules for Kubernetes pod networking, loaded at boot (written by clusternet).\nbr_netfilter\noverlay\n",
            );
            const lines = filesAfterFirst["sysctls"]!.content.split("\n").filter(
                (line) => line !== "" && !line.startsWith("#"),
            );
            assert.deepEqual(lines, [
                "net.bridge.bridge-nf-call-iptables = 1",
                "net.bridge.bridge-nf-call-ip6tables = 1",
                "net.ipv4.ip_forward = 1",
                "net.ipv6.conf.all.forwarding = 1",
            ]);
            assert.equal(fs.statSync(box.paths.sysctlFile).mode & 0o777, 0o644);
        });

        void it("links the distribution's CNI plugins into the CNI bin directory", () => {
            for (const plugin of PLUGINS) {
                assert.equal(
                    fs.readlinkSync(path.join(box.paths.cniBinDir, plugin)),
                    path.join(box.paths.cniSearchDirs[0]!, plugin),
                );
            }
            assert.deepEqual(fakeLog(box), [], "no package manager was needed");
        });

        void it("changes nothing when run again: same output, same files, same mtimes", () => {
            const second = run(ns, box, NodePrepAction.Prepare, { ipv6Forwarding: true });
            assert.equal(second.status, 0, second.stderr);
            assert.match(second.stdout, /done: 0 change\(s\)/);
            assert.doesNotMatch(second.stdout, /wrote:|set:|linked:/);
            assert.deepEqual(
                { modules: stat(box.paths.modulesLoadFile), sysctls: stat(box.paths.sysctlFile) },
                filesAfterFirst,
            );
            assert.equal(sysctl(ns, "net/ipv4/ip_forward"), "1");
        });

        void it("undoes only clusternet's files, leaving live settings and the CNI plugins", () => {
            const undone = run(ns, box, NodePrepAction.Undo);
            assert.equal(undone.status, 0, undone.stderr);
            assert.ok(!fs.existsSync(box.paths.modulesLoadFile));
            assert.ok(!fs.existsSync(box.paths.sysctlFile));
            assert.equal(sysctl(ns, "net/ipv4/ip_forward"), "1", "pods keep their network");
            assert.ok(fs.existsSync(path.join(box.paths.cniBinDir, "bridge")), "the kubelet keeps its plugins");
            assert.match(undone.stdout, /left in place/);
            // Undo is idempotent too.
            assert.match(run(ns, box, NodePrepAction.Undo).stdout, /done: 0 change\(s\)/);
        });
    });

    void it("leaves IPv6 forwarding alone for an IPv4-only cluster", () => {
        const ns = namespace();
        const box = sandbox();
        fakePlugins(box.paths.cniSearchDirs[0]!);
        const result = run(ns, box, NodePrepAction.Prepare, { ipv6Forwarding: false });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(sysctl(ns, "net/ipv6/conf/all/forwarding"), "0");
        assert.doesNotMatch(fs.readFileSync(box.paths.sysctlFile, "utf8"), /ipv6/);
    });

    void it("installs the distribution's package when the plugins are missing (apt-get on Debian/Ubuntu)", () => {
        const ns = namespace();
        const box = sandbox();
        fake(
            box,
            "apt-get",
            `[ "$1" = install ] || [ "$2" = install ] || [ "$3" = install ] && mkdir -p ${shellQuote(box.paths.cniSearchDirs[0]!)} && for p in ${PLUGINS.join(" ")}; do printf '#!/bin/sh\\n' > ${shellQuote(box.paths.cniSearchDirs[0]!)}/$p; chmod 755 ${shellQuote(box.paths.cniSearchDirs[0]!)}/$p; done; exit 0`,
        );
        const result = run(ns, box, NodePrepAction.Prepare);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(fakeLog(box), [
            "apt-get -q update",
            "apt-get -q install -y --no-install-recommends containernetworking-plugins",
        ]);
        assert.equal(
            fs.readlinkSync(path.join(box.paths.cniBinDir, "portmap")),
            path.join(box.paths.cniSearchDirs[0]!, "portmap"),
        );
    });

    void it("links from /usr/libexec/cni where Fedora's dnf installs them", () => {
        const ns = namespace();
        const box = sandbox();
        const libexec = box.paths.cniSearchDirs[1]!;
        fake(
            box,
            "dnf",
            `mkdir -p ${shellQuote(libexec)} && for p in ${PLUGINS.join(" ")}; do printf '#!/bin/sh\\n' > ${shellQuote(libexec)}/$p; chmod 755 ${shellQuote(libexec)}/$p; done`,
        );
        const result = run(ns, box, NodePrepAction.Prepare);
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(fakeLog(box), ["dnf -q install -y containernetworking-plugins"]);
        assert.equal(fs.readlinkSync(path.join(box.paths.cniBinDir, "loopback")), path.join(libexec, "loopback"));
    });

    void it("fails saying what to do when the package manager cannot install the plugins", () => {
        const ns = namespace();
        const box = sandbox();
        fake(
            box,
            "apt-get",
            `[ "$2" = update ] && exit 0; echo "E: Unable to locate package containernetworking-plugins" >&2; exit 100`,
        );
        const result = run(ns, box, NodePrepAction.Prepare);
        assert.equal(result.status, 1);
        const error = result.stderr.split("\n").find((line) => line.includes("ERROR"));
        assert.equal(
            error,
            `clusternet node-prep: ERROR: the CNI plugins bridge host-local portmap loopback are missing from ${box.paths.cniBinDir} and not in ${box.paths.cniSearchDirs.join(" ")}; ` +
                `installing them: apt-get could not install containernetworking-plugins (exit status 100). Install them yourself: download cni-plugins-linux-${cniArch()}-<version>.tgz ` +
                `from https://github.com/containernetworking/plugins/releases and unpack it into ${box.paths.cniBinDir}, then run pulumi up again`,
        );
    });

    void it("fails saying what to do when no package manager exists", () => {
        const ns = namespace();
        const box = sandbox();
        const result = run(ns, box, NodePrepAction.Prepare);
        assert.equal(result.status, 1);
        assert.match(
            result.stderr,
            /installing them: no supported package manager \(apt-get, dnf, yum, zypper, apk, pacman\) was found\. Install them yourself/,
        );
    });

    void it("says so when the package installed but put no plugins where they are looked for", () => {
        const ns = namespace();
        const box = sandbox();
        fake(box, "apk");
        const result = run(ns, box, NodePrepAction.Prepare);
        assert.equal(result.status, 1);
        assert.deepEqual(fakeLog(box), ["apk add cni-plugins"]);
        assert.match(result.stderr, /installing them: apk installed cni-plugins, but it put none of them in /);
    });

    void describe("VXLAN checksum offload", () => {
        let ns: string;
        let box: Sandbox;
        let first: Run;
        const devices = ["flannel.1", "flannel-v6.1"];
        before(() => {
            ns = namespace();
            box = sandbox();
            fakePlugins(box.paths.cniSearchDirs[0]!);
            // flanneld's IPv4 device exists already; the IPv6 one does not yet.
            inNamespace(ns, "ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dstport", "8472");
            const state = path.join(box.root, "offload-off");
            fake(
                box,
                "ethtool",
                `if [ "$1" = -k ]; then if [ -e ${shellQuote(state)} ]; then echo 'tx-checksum-ip-generic: off'; else echo 'tx-checksum-ip-generic: on'; fi; else : > ${shellQuote(state)}; fi`,
            );
            fake(box, "udevadm");
            first = run(ns, box, NodePrepAction.Prepare, { checksumOffloadDevices: devices });
        });

        void it("turns offload off on the devices that exist, and writes a udev rule for when they appear", () => {
            assert.equal(first.status, 0, first.stderr);
            const ethtool = path.join(box.bin, "ethtool");
            assert.equal(
                fs.readFileSync(box.paths.udevRuleFile, "utf8"),
                "# Turn off tx checksum offload on flannel's VXLAN devices whenever they appear (written by clusternet).\n" +
                    `ACTION=="add", SUBSYSTEM=="net", KERNEL=="flannel.1", RUN+="${ethtool} -K flannel.1 tx-checksum-ip-generic off"\n` +
                    `ACTION=="add", SUBSYSTEM=="net", KERNEL=="flannel-v6.1", RUN+="${ethtool} -K flannel-v6.1 tx-checksum-ip-generic off"\n`,
            );
            assert.deepEqual(fakeLog(box), [
                "udevadm control --reload-rules",
                "ethtool -k flannel.1",
                "ethtool -K flannel.1 tx-checksum-ip-generic off",
            ]);
            assert.match(first.stdout, /flannel-v6\.1 does not exist yet/);
        });

        void it("changes nothing when run again", () => {
            fs.rmSync(box.log);
            const second = run(ns, box, NodePrepAction.Prepare, { checksumOffloadDevices: devices });
            assert.equal(second.status, 0, second.stderr);
            assert.match(second.stdout, /done: 0 change\(s\)/);
            assert.deepEqual(fakeLog(box), ["ethtool -k flannel.1"], "no udev reload, no second -K");
        });

        void it("removes its udev rule when turned off again", () => {
            const off = run(ns, box, NodePrepAction.Prepare, { checksumOffloadDevices: [] });
            assert.equal(off.status, 0, off.stderr);
            assert.ok(!fs.existsSync(box.paths.udevRuleFile));
        });

        void it("fails saying what to do when ethtool is missing and cannot be installed", () => {
            const other = sandbox();
            fakePlugins(other.paths.cniSearchDirs[0]!);
            fake(other, "yum", "exit 1");
            const result = run(ns, other, NodePrepAction.Prepare, { checksumOffloadDevices: devices });
            assert.equal(result.status, 1);
            assert.match(
                result.stderr,
                /ethtool is needed to turn off checksum offload on flannel\.1 flannel-v6\.1, and installing it: yum could not install ethtool \(exit status 1\)\. Install ethtool, then run pulumi up again/,
            );
        });
    });

    void describe("kube-proxy's mode", () => {
        /** A sandbox whose uname and nft print the given versions (the real uname is unlinked, never written). */
        function versions(kernel: string, nft: string | undefined): Sandbox {
            const box = sandbox();
            fakePlugins(box.paths.cniSearchDirs[0]!);
            fs.rmSync(path.join(box.bin, "uname"));
            fake(box, "uname", `if [ "$1" = -r ]; then echo ${shellQuote(kernel)}; else echo x86_64; fi`);
            if (nft !== undefined) {
                fake(box, "nft", `echo ${shellQuote(`nftables v${nft} (Lester Gooch #5)`)}`);
            }
            return box;
        }

        void it("nftables: passes on kernel >= 5.13 with nft >= 1.0.1, and says so", () => {
            const result = run(namespace(), versions("6.1.0-18-amd64", "1.0.6"), NodePrepAction.Prepare, {
                proxyMode: "nftables",
            });
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stdout, /kube-proxy nftables mode: kernel 6\.1\.0-18-amd64, nft 1\.0\.6/);
        });

        void it("nftables: refuses an old kernel, naming the node", () => {
            const result = run(
                namespace(),
                versions("5.10.0-28-amd64", "1.0.6"),
                NodePrepAction.Prepare,
                { proxyMode: "nftables" },
                "worker-2",
            );
            assert.equal(result.status, 1);
            assert.match(result.stderr, /node worker-2: kernel 5\.10\.0-28-amd64 is older than 5\.13/);
        });

        void it("nftables: refuses an old nft, naming the node", () => {
            const result = run(
                namespace(),
                versions("5.15.0", "0.9.8"),
                NodePrepAction.Prepare,
                { proxyMode: "nftables" },
                "cp-1",
            );
            assert.equal(result.status, 1);
            assert.match(result.stderr, /node cp-1: nft 0\.9\.8 is older than 1\.0\.1/);
        });

        void it("nftables: installs nftables when nft is missing", () => {
            const box = versions("6.18.0", undefined);
            fake(
                box,
                "apt-get",
                `if [ "$1" = -q ] && [ "$2" = install ]; then printf '#!/bin/sh\\necho "nftables v1.0.9"\\n' > ${shellQuote(path.join(box.bin, "nft"))}; chmod +x ${shellQuote(path.join(box.bin, "nft"))}; fi`,
            );
            const result = run(namespace(), box, NodePrepAction.Prepare, { proxyMode: "nftables" });
            assert.equal(result.status, 0, result.stderr);
            assert.ok(
                fakeLog(box).some((line) => /^apt-get .*install .*nftables$/.test(line)),
                fakeLog(box).join("\n"),
            );
        });

        void it("iptables: checks nothing more (no nft, any kernel)", () => {
            const result = run(namespace(), versions("4.19.0", undefined), NodePrepAction.Prepare, {});
            assert.equal(result.status, 0, result.stderr);
            assert.doesNotMatch(result.stdout, /nftables/);
        });

        void it("ipvs: persists the ip_vs modules and refuses, naming the node, when one is not loaded", () => {
            const box = versions("6.1.0", undefined);
            fake(box, "ipset");
            for (const module of ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "nf_conntrack"]) {
                fs.mkdirSync(path.join(box.paths.sysModuleDir, module), { recursive: true });
            }
            const missing = run(namespace(), box, NodePrepAction.Prepare, { proxyMode: "ipvs" }, "worker-1");
            assert.equal(missing.status, 1);
            assert.match(missing.stderr, /node worker-1: kernel module ip_vs_sh is not loaded/);
            assert.match(fs.readFileSync(box.paths.modulesLoadFile, "utf8"), /^ip_vs_sh$/m);
            fs.mkdirSync(path.join(box.paths.sysModuleDir, "ip_vs_sh"));
            const loaded = run(namespace(), box, NodePrepAction.Prepare, { proxyMode: "ipvs" }, "worker-1");
            assert.equal(loaded.status, 0, loaded.stderr);
            assert.match(loaded.stdout, /ip_vs modules and ipset present/);
        });
    });

    void it("refuses to run as another user than root", () => {
        const ns = namespace();
        const box = sandbox();
        fs.chmodSync(box.root, 0o755); // so the unprivileged user can reach bash on the sandbox PATH
        const script = nodePrepScript({ loadModules: false, paths: box.paths });
        const result = spawnSync(
            "ip",
            [
                "netns",
                "exec",
                ns,
                which("setpriv") ?? "/usr/bin/setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/env",
                "-i",
                `PATH=${box.bin}`,
                "bash",
                "-s",
                "--",
                "prepare",
            ],
            { input: script, encoding: "utf8" },
        );
        assert.equal(result.status, 1);
        assert.match(result.stderr, /must run as root/);
        assert.ok(!fs.existsSync(box.paths.sysctlFile));
    });
});

function cniArch(): string {
    const machine = os.machine();
    return machine === "x86_64" ? "amd64" : machine === "aarch64" ? "arm64" : machine;
}

void describe("node preparation script (text)", () => {
    void it("quotes every value so bash reads it back unchanged", () => {
        for (const value of ["plain", "it's", "$(reboot)", "`reboot`", "a b\tc", "\\", "'; reboot; '", "\n"]) {
            assert.equal(execFileSync("bash", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" }), value);
        }
    });

    void it("refuses values that could carry shell syntax, naming each one", () => {
        assert.throws(
            () =>
                nodePrepScript({
                    checksumOffloadDevices: ["flannel.1; reboot", "$(reboot)"],
                    paths: {
                        sysctlFile: "/etc/sysctl.d/x'; reboot; '",
                        cniSearchDirs: ["/usr/lib/cni", "relative/dir", "/a/../../etc"],
                    },
                }),
            (error: Error & { problems?: Array<{ key: string }> }) => {
                assert.deepEqual(
                    error.problems!.map((problem) => problem.key),
                    [
                        "options.paths.sysctlFile",
                        "options.paths.cniSearchDirs[1]",
                        "options.paths.cniSearchDirs[2]",
                        "options.checksumOffloadDevices[0]",
                        "options.checksumOffloadDevices[1]",
                    ],
                );
                return true;
            },
        );
    });

    void it("writes its settings as a quoted header over the static body", () => {
        const script = nodePrepScript({ ipv6Forwarding: true, checksumOffloadDevices: ["flannel.1"] });
        assert.ok(script.startsWith("#!/usr/bin/env bash\n"));
        for (const line of [
            `MODULES_LOAD_FILE='${DEFAULT_NODE_PREP_PATHS.modulesLoadFile}'`,
            "SYSCTL_FILE='/etc/sysctl.d/99-clusternet.conf'",
            "CNI_BIN_DIR='/opt/cni/bin'",
            "CNI_SEARCH_DIRS=('/usr/lib/cni' '/usr/libexec/cni')",
            "LOAD_MODULES=1",
            "IPV6_FORWARDING=1",
            "OFFLOAD_DEVICES=('flannel.1')",
        ]) {
            assert.ok(script.includes(`\n${line}\n`), line);
        }
        assert.ok(
            script.trimEnd().endsWith('main "$@"'),
            "the dispatch is the last line, so bash has read everything before it runs",
        );
        assert.equal(spawnSync("bash", ["-n"], { input: script }).status, 0, "valid bash");
    });

    void it("changes its hash when a setting changes, and only then", () => {
        assert.equal(scriptHash(nodePrepScript({})), scriptHash(nodePrepScript({})));
        assert.notEqual(scriptHash(nodePrepScript({})), scriptHash(nodePrepScript({ ipv6Forwarding: true })));
        assert.match(scriptHash(nodePrepScript({})), /^[0-9a-f]{64}$/);
    });

    void it("runs as root directly, or through passwordless sudo", () => {
        assert.equal(
            remoteInvocation(NodePrepAction.Prepare),
            'if [ "$(id -u)" -eq 0 ]; then exec bash -s -- prepare; else exec sudo -n bash -s -- prepare; fi',
        );
        assert.match(remoteInvocation(NodePrepAction.Undo), /bash -s -- undo; fi$/);
    });
});
