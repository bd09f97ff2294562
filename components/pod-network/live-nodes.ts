import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Problem } from "../common/problems";
import { LiveNodeSpec } from "../plan";

/** Resolves with an Output's value, or undefined where it stays unknown (a preview that cannot read it). */
function settled<T>(output: pulumi.Output<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
        output.apply((value) => {
            resolve(value);
            return value;
        });
        // Not in the SDK's typings, but set on every Output: whether its value will be known.
        const isKnown = (output as unknown as { isKnown?: Promise<boolean> }).isKnown;
        isKnown?.then((known) => (known ? undefined : resolve(undefined)), reject);
    });
}

/**
 * Registers a read of each named Node (`k8s.core.v1.Node.get`, named `<prefix>-<node>`), which `pulumi preview`
 * shows and runs too, and resolves with their pod CIDRs by name once every read is done: the caller registers no
 * NodePatch before that. Call it only for Nodes known to exist (see `readNodesFromApiServer`): a failed read fails
 * the whole update with the engine's own message, which a program cannot catch.
 */
export async function readLiveNodes(
    prefix: string,
    names: readonly string[],
    provider: k8s.Provider,
): Promise<Record<string, LiveNodeSpec | undefined>> {
    const reads = names.map((name) => k8s.core.v1.Node.get(`${prefix}-${name}`, name, { provider }));
    const specs = await Promise.all(
        reads.map((node) =>
            settled(
                node.spec.apply((spec) => ({
                    ...(spec?.podCIDR ? { podCIDR: spec.podCIDR } : {}),
                    ...(spec?.podCIDRs ? { podCIDRs: [...spec.podCIDRs] } : {}),
                })),
            ),
        ),
    );
    return Object.fromEntries(names.map((name, index) => [name, specs[index]]));
}

/** The config keys the API server reads' problems point at. */
export interface LiveNodeKeys {
    /** The kubeconfig, e.g. `clusternet:kubeconfig`. */
    readonly kubeconfig: string;
    /** The context override, e.g. `clusternet:context`. */
    readonly context: string;
    /** The node list, e.g. `clusternet:nodes` (a missing Node is `<nodes>[i].name`). */
    readonly nodes: string;
}

export interface ApiServerReadArgs {
    /** The kubeconfig's content, or a path to it (`~/` allowed), as the Kubernetes provider takes it. */
    readonly kubeconfig: string;
    /** The context to use instead of the kubeconfig's current-context. Default: its current-context. */
    readonly context?: string;
    /** The planned Nodes' names, in config order (their index names the key of a missing one). */
    readonly names: readonly string[];
    readonly keys: LiveNodeKeys;
    /** How long one read may wait for the API server. Default 30 s (client-go's dial timeout). */
    readonly timeoutMs?: number;
}

/** The live Nodes' pod CIDRs by name, or the problems that stop the update (one line each). */
export interface ApiServerNodes {
    readonly live: Record<string, LiveNodeSpec>;
    readonly problems: readonly Problem[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Reads in flight at once: enough for a lab, gentle on an API server with many planned Nodes. */
const CONCURRENCY = 16;

type ClientModule = typeof import("@kubernetes/client-node");

/**
 * The kubeconfig's text: as the Kubernetes provider does, a value naming a file that exists (after expanding `~`)
 * is read from that file; anything else is the content itself.
 */
export function kubeconfigText(value: string, key: string): { text: string } | { problem: Problem } {
    const expanded =
        value === "~" ? os.homedir() : value.startsWith("~/") ? path.join(os.homedir(), value.slice(2)) : value;
    if (value.includes("\n") || !fs.existsSync(expanded)) {
        return { text: value };
    }
    try {
        return { text: fs.readFileSync(expanded, "utf8") };
    } catch (error) {
        return {
            problem: {
                key,
                message: `names the file ${expanded}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
                fix: "make the file readable, or set the kubeconfig's content: pulumi config set --secret clusternet:kubeconfig < FILE",
            },
        };
    }
}

/**
 * Why a kubeconfig could not be loaded, without quoting it: a YAML error says only its reason and line (the YAML
 * parser's own message shows the text around the error, and the kubeconfig is a secret).
 */
function loadError(error: unknown): string {
    const yaml = error as { name?: string; reason?: string; mark?: { line?: number } };
    if (yaml.name === "YAMLException") {
        return `is not valid YAML (${yaml.reason ?? "syntax error"}${yaml.mark?.line !== undefined ? ` at line ${yaml.mark.line + 1}` : ""})`;
    }
    return `is not a valid kubeconfig (${error instanceof Error ? error.message : String(error)})`;
}

/** The server's scheme, host and port: never its path or any user:password in it. */
function serverOrigin(server: string): string {
    try {
        return new URL(server).origin;
    } catch {
        return "(its server address)";
    }
}

/** The API server's own reason, from a Kubernetes Status body. */
function statusOf(body: unknown): { reason?: string; message?: string; kind?: string; detailsKind?: string } {
    try {
        const status = (typeof body === "string" ? JSON.parse(body) : body) as {
            kind?: string;
            reason?: string;
            message?: string;
            details?: { kind?: string };
        };
        return { kind: status.kind, reason: status.reason, message: status.message, detailsKind: status.details?.kind };
    } catch {
        return {};
    }
}

const TLS_CODES = new Set([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** What went wrong reading one Node, as the one line the user sees (the same line for every Node it hit). */
export function readErrorProblem(
    error: unknown,
    at: { readonly name: string; readonly index: number; readonly server: string; readonly timeoutMs: number },
    keys: LiveNodeKeys,
): Problem {
    const server = serverOrigin(at.server);
    const failure = error as { code?: unknown; body?: unknown; name?: string; message?: string };
    const reach =
        "check that the API server is up and that the kubeconfig's server address is reachable from here (kubectl get nodes with the same kubeconfig)";
    if (typeof failure.code === "number") {
        const status = statusOf(failure.body);
        if (failure.code === 404 && status.kind === "Status" && status.reason === "NotFound") {
            return {
                key: `${keys.nodes}[${at.index}].name`,
                message: `node ${at.name} is not in the cluster`,
                fix: `join it first (e.g. kubeadm join on ${at.name}), then run again (no bare Node is created for it)`,
            };
        }
        if (failure.code === 401) {
            return {
                key: keys.kubeconfig,
                message: `the API server ${server} refused the kubeconfig's credentials (401 Unauthorized)`,
                fix: "renew the user's token or client certificate in the kubeconfig and set it again: pulumi config set --secret clusternet:kubeconfig < FILE",
            };
        }
        if (failure.code === 403) {
            return {
                key: keys.kubeconfig,
                message: `the kubeconfig's user may not read Nodes (403 Forbidden${status.message ? `: ${status.message}` : ""})`,
                fix: "give that user get and patch on nodes (a ClusterRole bound to it), or use a kubeconfig of a user who has them",
            };
        }
        return {
            key: keys.kubeconfig,
            message:
                failure.code === 404
                    ? `${server} answered 404 without a Kubernetes Status: it does not look like an API server`
                    : `the API server ${server} answered ${failure.code}${status.reason ? ` ${status.reason}` : ""}${status.message ? `: ${status.message}` : ""}`,
            fix:
                failure.code === 404
                    ? "point the kubeconfig's server at the API server (https://HOST:6443 on kubeadm)"
                    : "check the API server's health (kubectl get --raw /readyz) and run again",
        };
    }
    if (failure.name === "AbortError") {
        return {
            key: keys.kubeconfig,
            message: `the API server ${server} did not answer within ${Math.round(at.timeoutMs / 1000)} s`,
            fix: reach,
        };
    }
    if (typeof failure.code === "string" && TLS_CODES.has(failure.code)) {
        return {
            key: keys.kubeconfig,
            message: `the API server ${server} has a certificate the kubeconfig does not trust (${failure.code})`,
            fix: "put the cluster's CA in the cluster's certificate-authority-data (kubeadm: /etc/kubernetes/pki/ca.crt) and use a server name the certificate was issued for",
        };
    }
    if (typeof failure.code === "string") {
        return { key: keys.kubeconfig, message: `cannot reach the API server ${server} (${failure.code})`, fix: reach };
    }
    // The client's own errors (an http:// server without insecure-skip-tls-verify, a failed exec plugin): its first
    // line, which names no credential.
    const first = (failure.message ?? String(error)).split("\n")[0]!.slice(0, 200);
    return {
        key: keys.kubeconfig,
        message: `the API server ${server} cannot be read: ${first}`,
        fix: "fix the kubeconfig until kubectl get nodes works with it, then set it again",
    };
}

/**
 * Reads each planned Node straight from the API server (GET /api/v1/nodes/NAME), before the program registers
 * anything: a Node that does not exist is one problem naming it and the fix (join it first), since a NodePatch
 * on it would create a bare Node; an unreadable kubeconfig, an unknown context, an unreachable server, refused
 * credentials or missing rights are one line each, never quoting the kubeconfig. Uses `@kubernetes/client-node`,
 * which honours the kubeconfig's context, certificates, tokens and exec plugins as kubectl does.
 */
export async function readNodesFromApiServer(args: ApiServerReadArgs): Promise<ApiServerNodes> {
    const { keys } = args;
    const timeoutMs = args.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const read = kubeconfigText(args.kubeconfig, keys.kubeconfig);
    if ("problem" in read) {
        return { live: {}, problems: [read.problem] };
    }
    // ESM only: loaded on demand, and only where a cluster is at hand.
    const client: ClientModule = await import("@kubernetes/client-node");
    const config = new client.KubeConfig();
    try {
        config.loadFromString(read.text);
    } catch (error) {
        return {
            live: {},
            problems: [
                {
                    key: keys.kubeconfig,
                    message: loadError(error),
                    fix: "set a kubeconfig kubectl can use: pulumi config set --secret clusternet:kubeconfig < FILE",
                },
            ],
        };
    }
    if (args.context !== undefined) {
        if (config.getContextObject(args.context) === null) {
            return {
                live: {},
                problems: [
                    {
                        key: keys.context,
                        message: `the kubeconfig has no context "${args.context}"`,
                        fix: "use one of its contexts (kubectl config get-contexts with that kubeconfig), or unset clusternet:context for its current-context",
                    },
                ],
            };
        }
        config.setCurrentContext(args.context);
    }
    const cluster = config.getCurrentCluster();
    if (cluster === null) {
        const single = !read.text.includes("\n") && !read.text.includes(":");
        return {
            live: {},
            problems: [
                {
                    key: keys.kubeconfig,
                    message: single
                        ? "is neither a kubeconfig nor the path of a file that exists"
                        : "names no cluster to use (no current-context, or its context names a cluster it does not have)",
                    fix: single
                        ? "set the kubeconfig's content: pulumi config set --secret clusternet:kubeconfig < FILE"
                        : "set current-context in the kubeconfig, or clusternet:context to one of its contexts",
                },
            ],
        };
    }
    const api = config.makeApiClient(client.CoreV1Api);
    // A request that hangs (a server that drops packets) ends after timeoutMs instead of the OS's connect timeout.
    const timeout = {
        pre: (context: import("@kubernetes/client-node").RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs));
            return new client.Observable(Promise.resolve(context));
        },
        post: (context: import("@kubernetes/client-node").ResponseContext) =>
            new client.Observable(Promise.resolve(context)),
    };
    const live: Record<string, LiveNodeSpec> = {};
    // By line, so a failure every read meets (an unreachable server) is said once; each with the first index it hit.
    const lines = new Map<string, { index: number; problem: Problem }>();
    for (let start = 0; start < args.names.length; start += CONCURRENCY) {
        await Promise.all(
            args.names.slice(start, start + CONCURRENCY).map(async (name, offset) => {
                try {
                    const node = await api.readNode(
                        { name },
                        { middleware: [timeout], middlewareMergeStrategy: "append" },
                    );
                    live[name] = {
                        ...(node.spec?.podCIDR ? { podCIDR: node.spec.podCIDR } : {}),
                        ...(node.spec?.podCIDRs ? { podCIDRs: [...node.spec.podCIDRs] } : {}),
                    };
                } catch (error) {
                    const problem = readErrorProblem(
                        error,
                        { name, index: start + offset, server: cluster.server, timeoutMs },
                        keys,
                    );
                    const line = `${problem.key}\n${problem.message}`;
                    const index = Math.min(start + offset, lines.get(line)?.index ?? Infinity);
                    lines.set(line, { index, problem });
                }
            }),
        );
    }
    // In config order, however the reads interleaved.
    const problems = [...lines.values()].sort((a, b) => a.index - b.index).map((entry) => entry.problem);
    return { live, problems };
}
