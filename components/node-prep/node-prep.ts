import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem, isDns1123Subdomain, keyPath, Problem, show } from "../common";
import { knownValue } from "../common/known";
import { KubeProxyMode } from "../kube-proxy/types";
import { NodePrepAction, nodePrepScript, nodePrepScriptProblems, remoteInvocation, scriptHash } from "./script";
import { hostKeyProblems, privateKeyProblems, userProblems } from "./validate";

/** One node to prepare. */
export interface NodePrepTarget {
    /** The Kubernetes Node name; names its command. */
    name: string;
    /** The address to connect to over SSH. */
    host: pulumi.Input<string>;
    /** The node's SSH host key ("ssh-ed25519 AAAA..."); when given, any other key is refused. Default: not checked. */
    hostKey?: pulumi.Input<string>;
}

export interface NodePrepArgs {
    /** The nodes to prepare. Plain, not an Input: each becomes a command. */
    nodes: NodePrepTarget[];
    /** SSH user; other users than root need passwordless sudo. Default root. */
    user?: pulumi.Input<string>;
    /** SSH port. Default 22. */
    port?: pulumi.Input<number>;
    /** The SSH private key's contents; pass a Pulumi secret (a plain string is made one). Default: the ssh-agent at SSH_AUTH_SOCK. */
    privateKey?: pulumi.Input<string>;
    /** Also turn on IPv6 forwarding (clusters with IPv6 pods). Default false. */
    ipv6Forwarding?: pulumi.Input<boolean>;
    /** Interfaces whose tx checksum offload is turned off now and whenever they appear, e.g. ["flannel.1"]. Default none. */
    checksumOffloadDevices?: pulumi.Input<string[]>;
    /** kube-proxy's mode: nftables checks kernel and nft versions per node, ipvs loads ip_vs and installs ipset. Default iptables. */
    proxyMode?: pulumi.Input<KubeProxyMode>;
}

/** The SSH connection of one node's command (`hostKey` makes the provider check the node's host key). */
type NodeConnection = command.types.input.remote.ConnectionArgs;

/**
 * Prepares every node for the flannel pod network over SSH, with one idempotent script per node (see
 * prepare.sh): kernel modules, sysctls, CNI plugins, and optionally VXLAN checksum offload. A changed script
 * replaces the commands (undo, then prepare); deleting them removes clusternet's files but leaves live settings.
 */
export class NodePrep extends pulumi.ComponentResource {
    /** One command per node, in the order of `args.nodes`. */
    public readonly commands: command.remote.Command[];
    /** The script every node runs (on stdin of `bash -s -- prepare`). */
    public readonly script: pulumi.Output<string>;
    /** The script's SHA-256: the commands' trigger. */
    public readonly scriptHash: pulumi.Output<string>;

    constructor(name: string, args: NodePrepArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = nodePrepArgsProblems(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(
                `NodePrep "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
            );
        }
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:NodePrep", name, {}, opts);
        this.script = pulumi
            .all([args.ipv6Forwarding, args.checksumOffloadDevices, args.proxyMode])
            .apply(([ipv6Forwarding, devices, proxyMode]) =>
                nodePrepScript({
                    ipv6Forwarding: ipv6Forwarding ?? false,
                    checksumOffloadDevices: devices ?? [],
                    ...(proxyMode !== undefined && proxyMode !== "iptables" ? { proxyMode } : {}),
                }),
            );
        this.scriptHash = this.script.apply(scriptHash);
        const privateKey = args.privateKey === undefined ? undefined : pulumi.secret(args.privateKey);
        this.commands = args.nodes.map((node) => {
            const connection: NodeConnection = {
                host: node.host,
                port: args.port ?? 22,
                user: args.user ?? "root",
                ...(privateKey !== undefined ? { privateKey } : {}),
                ...(node.hostKey !== undefined ? { hostKey: node.hostKey } : {}),
            };
            return new command.remote.Command(
                `${name}-${node.name}`,
                {
                    connection,
                    create: remoteInvocation(NodePrepAction.Prepare, node.name),
                    delete: remoteInvocation(NodePrepAction.Undo, node.name),
                    stdin: this.script,
                    triggers: [this.scriptHash],
                },
                // Undo must run before the new prepare, or it would delete the files the new script just wrote.
                { parent: this, deleteBeforeReplace: true },
            );
        });
        this.registerOutputs({ script: this.script, scriptHash: this.scriptHash });
    }
}

/** The component's own checks (when built directly; ClusterNetwork checks its settings with config keys first). */
export function nodePrepArgsProblems(args: NodePrepArgs): Problem[] {
    const problems: Problem[] = [];
    if (args.nodes.length === 0) {
        problems.push({ key: "args.nodes", message: "is empty", fix: "list at least one node" });
    }
    const seen = new Set<string>();
    args.nodes.forEach((node, index) => {
        if (!isDns1123Subdomain(node.name)) {
            problems.push({
                key: keyPath("args.nodes", index, "name"),
                message: `${show(node.name)} is not a Node name`,
                fix: "use lowercase letters, digits, '-' and '.'",
            });
        } else if (seen.has(node.name)) {
            problems.push({
                key: keyPath("args.nodes", index, "name"),
                message: `"${node.name}" is listed twice`,
                fix: "list each node once",
            });
        }
        seen.add(node.name);
        const hostKey = knownValue(node.hostKey);
        if (hostKey.known && hostKey.value !== undefined) {
            problems.push(...hostKeyProblems(hostKey.value, keyPath("args.nodes", index, "hostKey")));
        }
    });
    const user = knownValue(args.user);
    if (user.known && user.value !== undefined) {
        problems.push(...userProblems(user.value, "args.user"));
    }
    const privateKey = knownValue(args.privateKey);
    if (privateKey.known && privateKey.value !== undefined) {
        problems.push(...privateKeyProblems(privateKey.value, "args.privateKey"));
    }
    const devices = knownValue(args.checksumOffloadDevices);
    if (devices.known && devices.value !== undefined) {
        problems.push(...nodePrepScriptProblems({ checksumOffloadDevices: devices.value }, "args"));
    }
    return problems;
}
