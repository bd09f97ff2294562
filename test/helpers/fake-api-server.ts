import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";

const FIXTURES = path.join(__dirname, "..", "fixtures", "api-server");
const CERT = fs.readFileSync(path.join(FIXTURES, "tls.crt"), "utf8");
const KEY = fs.readFileSync(path.join(FIXTURES, "tls.key"), "utf8");

/** The token the fake server accepts; any other bearer gets 401. */
export const FAKE_TOKEN = "clusternet-test-token";

/** A Node's spec as the fake server holds it. */
export interface FakeNodeSpec {
    podCIDR?: string;
    podCIDRs?: string[];
}

export interface FakeApiServerOptions {
    /** The Nodes that exist, by name; any other name answers 404 NotFound. */
    readonly nodes: Readonly<Record<string, FakeNodeSpec>>;
    /** Answer every request with this status and a Kubernetes Status body (401, 403, 500...). */
    readonly status?: number;
    /** Never answer (a server that drops requests). */
    readonly silent?: boolean;
}

export interface FakeApiServer {
    /** https://127.0.0.1:PORT */
    readonly url: string;
    /** The paths of every request, in order. */
    readonly requests: string[];
    /** A kubeconfig for it: its CA, a token user, and the context `fake` (or `name`) as current-context. */
    kubeconfig(options?: { token?: string; context?: string; server?: string }): string;
    close(): Promise<void>;
}

function status(code: number, reason: string, message: string, details?: Record<string, string>): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Status",
        metadata: {},
        status: "Failure",
        message,
        reason,
        ...(details ? { details } : {}),
        code,
    });
}

const REASONS: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 500: "InternalError" };

/**
 * A tiny Kubernetes API server over TLS (the client refuses plain http without insecure-skip-tls-verify), answering
 * GET /api/v1/nodes/NAME as kube-apiserver does: the Node, or 404 with a NotFound Status; a wrong bearer token
 * gets 401.
 */
export async function startFakeApiServer(options: FakeApiServerOptions): Promise<FakeApiServer> {
    const requests: string[] = [];
    const server = https.createServer({ cert: CERT, key: KEY }, (request, response) => {
        requests.push(request.url ?? "");
        if (options.silent) {
            return;
        }
        response.setHeader("content-type", "application/json");
        const code = options.status ?? (request.headers.authorization === `Bearer ${FAKE_TOKEN}` ? undefined : 401);
        if (code !== undefined) {
            response.statusCode = code;
            response.end(
                status(
                    code,
                    REASONS[code] ?? "Unknown",
                    code === 403
                        ? 'nodes is forbidden: User "viewer" cannot get resource "nodes" in API group "" at the cluster scope'
                        : (REASONS[code] ?? "error"),
                ),
            );
            return;
        }
        const match = /^\/api\/v1\/nodes\/([^/?]+)$/.exec((request.url ?? "").split("?")[0]!);
        const name = match ? decodeURIComponent(match[1]!) : undefined;
        const spec = name === undefined ? undefined : options.nodes[name];
        if (request.method !== "GET" || name === undefined || spec === undefined) {
            response.statusCode = 404;
            response.end(
                name === undefined
                    ? status(404, "NotFound", "the server could not find the requested resource")
                    : status(404, "NotFound", `nodes "${name}" not found`, { name, kind: "nodes" }),
            );
            return;
        }
        response.end(JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name }, spec }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
        url,
        requests,
        kubeconfig: ({ token = FAKE_TOKEN, context = "fake", server: address = url } = {}) =>
            [
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "  - name: fake",
                "    cluster:",
                `      server: ${address}`,
                `      certificate-authority-data: ${Buffer.from(CERT).toString("base64")}`,
                "users:",
                "  - name: fake",
                `    user: { token: ${token} }`,
                "contexts:",
                `  - name: ${context}`,
                "    context: { cluster: fake, user: fake }",
                `current-context: ${context}`,
                "",
            ].join("\n"),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
