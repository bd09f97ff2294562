/**
 * The lab's agent, run inside a network namespace with `ip netns exec NS node agent.js ...`:
 * - `serve CONFIG.json`: a pod's stand-in. Answers on every TCP port (HTTP) and UDP port with the pod's name, the
 *   port and the source address it saw, until SIGTERM.
 * - `probe`: reads ProbeRequest[] as JSON on stdin, runs them concurrently from this namespace, prints
 *   ProbeResult[] as JSON.
 * Self-contained (Node built-ins only) so that the lab can bundle it into one plain JS file that starts fast.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as dgram from "node:dgram";
import * as dnsCallbacks from "node:dns";
import { promises as dns } from "node:dns";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import {
    ANSWER_HEADER,
    ProbeRequest,
    ProbeResult,
    ProbeSpec,
    ServeConfig,
    ServeReport,
    MIN_ATTEMPTS,
    PING_GRACE_MS,
    PROBE_CONCURRENCY,
    RETRY_PAUSE_MS,
    UNTIL_ROUND,
    formatAnswer,
    parseAnswer,
    responderKey,
} from "./protocol";

function serve(config: ServeConfig): void {
    const identity = { pod: config.pod, namespace: config.namespace, node: config.node };
    const bound: string[] = [];
    const failed: Array<{ port: string; error: string }> = [];
    const total = config.tcp.length + config.udp.length;
    const settle = (): void => {
        if (bound.length + failed.length === total) {
            const report: ServeReport = { pid: process.pid, bound, failed };
            fs.writeFileSync(`${config.readyFile}.tmp`, JSON.stringify(report));
            fs.renameSync(`${config.readyFile}.tmp`, config.readyFile);
        }
    };
    for (const port of config.tcp) {
        const server = http.createServer((request, response) => {
            response.setHeader("content-type", "text/plain");
            response.end(
                formatAnswer({
                    ...identity,
                    port,
                    from: request.socket.remoteAddress ?? "?",
                    path: request.url ?? "/",
                }),
            );
        });
        server.on("error", (error) => {
            failed.push({ port: `${port}/TCP`, error: error.message });
            settle();
        });
        server.listen(port, "0.0.0.0", () => {
            bound.push(`${port}/TCP`);
            settle();
        });
    }
    for (const port of config.udp) {
        const socket = dgram.createSocket("udp4");
        socket.on("message", (_message, remote) => {
            socket.send(formatAnswer({ ...identity, port, from: remote.address }), remote.port, remote.address);
        });
        socket.on("error", (error) => {
            failed.push({ port: `${port}/UDP`, error: error.message });
            settle();
        });
        socket.bind(port, "0.0.0.0", () => {
            bound.push(`${port}/UDP`);
            settle();
        });
    }
    settle();
    process.on("SIGTERM", () => process.exit(0));
}

function once(probe: ProbeSpec, timeoutMs: number): Promise<Omit<ProbeResult, "id" | "ms">> {
    return new Promise((resolve) => {
        // ping keeps its own deadline (-W); give it time to report why it failed.
        const limit = probe.kind === "ping" ? timeoutMs + PING_GRACE_MS : timeoutMs;
        // A name (not an address) is looked up first, through the pod's resolv.conf, so a DNS failure says so.
        let resolving = probe.kind === "http" && net.isIP(probe.ip) === 0;
        const timer = setTimeout(
            () =>
                finish({
                    ok: false,
                    error: resolving
                        ? `the name ${probe.ip} did not resolve within ${timeoutMs} ms (DNS)`
                        : `no answer within ${timeoutMs} ms`,
                }),
            limit,
        );
        let done = false;
        let cleanup = (): void => undefined;
        let lookup: ChildProcess | undefined;
        function finish(result: Omit<ProbeResult, "id" | "ms">): void {
            if (!done) {
                done = true;
                clearTimeout(timer);
                cleanup();
                resolve(result);
            }
        }
        switch (probe.kind) {
            case "http": {
                const request = http.get(
                    {
                        host: probe.ip,
                        port: probe.port,
                        path: probe.path,
                        headers: { host: probe.host ?? probe.ip },
                        agent: false,
                        lookup: (
                            hostname: string,
                            options: dnsCallbacks.LookupOptions,
                            callback: (
                                error: NodeJS.ErrnoException | null,
                                address: string | dnsCallbacks.LookupAddress[],
                                family?: number,
                            ) => void,
                        ) => {
                            lookup = resolveName(hostname, (error, addresses) => {
                                resolving = false;
                                if (error) {
                                    callback(error, "", 0);
                                } else if (options.all) {
                                    callback(null, addresses);
                                } else {
                                    callback(null, addresses[0]!.address, addresses[0]!.family);
                                }
                            });
                        },
                    },
                    (response) => {
                        // Real nginx in a pod names itself in a header (its pages are the same in every pod): the
                        // answer's first line, as a stand-in writes it.
                        const answer = response.headers[ANSWER_HEADER.toLowerCase()];
                        let body = typeof answer === "string" ? `${answer}\n` : "";
                        response.setEncoding("utf8");
                        response.on("data", (chunk: string) => (body += chunk));
                        response.on("end", () => finish({ ok: true, status: response.statusCode, body }));
                        response.on("error", (error) => finish({ ok: false, error: error.message }));
                    },
                );
                request.on("error", (error) => finish({ ok: false, error: error.message }));
                cleanup = () => {
                    request.destroy();
                    lookup?.kill("SIGKILL");
                };
                break;
            }
            case "tcp": {
                const socket = net.connect({ host: probe.ip, port: probe.port }, () => finish({ ok: true }));
                socket.on("error", (error) => finish({ ok: false, error: error.message }));
                cleanup = () => socket.destroy();
                break;
            }
            case "udp": {
                const socket = dgram.createSocket("udp4");
                socket.on("message", (message) => finish({ ok: true, body: message.toString("utf8") }));
                // A connected UDP socket reports ICMP port unreachable (kube-proxy's REJECT) as ECONNREFUSED.
                socket.on("error", (error) => finish({ ok: false, error: error.message }));
                socket.connect(probe.port, probe.ip, () => socket.send("clusternet-lab"));
                cleanup = () => socket.close();
                break;
            }
            case "dns": {
                const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
                resolver.setServers([probe.ip]);
                const query =
                    probe.type === "A"
                        ? resolver.resolve4(probe.name)
                        : resolver
                              .resolveSrv(probe.name)
                              .then((records) => records.map((record) => `${record.name}:${record.port}`));
                query.then(
                    (records) => finish({ ok: true, body: [...records].sort().join(",") }),
                    (error: NodeJS.ErrnoException) => finish({ ok: false, error: `${error.code ?? error.message}` }),
                );
                cleanup = () => resolver.cancel();
                break;
            }
            case "ping": {
                const child = spawn(
                    "ping",
                    [
                        "-n",
                        "-c",
                        "1",
                        "-W",
                        String(Math.max(1, Math.ceil(timeoutMs / 1000))),
                        "-M",
                        "do",
                        "-s",
                        String(probe.size),
                        probe.ip,
                    ],
                    { stdio: ["ignore", "pipe", "pipe"] },
                );
                let output = "";
                child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
                child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
                child.on("error", (error) => finish({ ok: false, error: error.message }));
                child.on("close", (code) =>
                    finish(
                        code === 0
                            ? { ok: true, body: output.trim() }
                            : { ok: false, body: output.trim(), error: lastLine(output) || `ping exited ${code}` },
                    ),
                );
                cleanup = () => child.kill();
                break;
            }
        }
    });
}

/**
 * A name looked up as an HTTP client in the pod does: glibc's getaddrinfo (any family) through this namespace's
 * resolv.conf (kubelet's search list and ndots:5), in a `getent ahosts` child. Not node's own lookup: that blocks one
 * of libuv's threads until the resolver's timeouts end (resolv.conf's defaults, 5 s a query, when the cluster DNS
 * is down), long after the probe gave up, and the agent cannot exit before it; a child is killed when the probe ends.
 */
function resolveName(
    hostname: string,
    done: (error: NodeJS.ErrnoException | null, addresses: dnsCallbacks.LookupAddress[]) => void,
): ChildProcess {
    const child = spawn("getent", ["ahosts", "--", hostname], { stdio: ["ignore", "pipe", "ignore"] });
    let output = "";
    let answered = false;
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const fail = (code: string): void =>
        done(Object.assign(new Error(`the name ${hostname} did not resolve: ${code} (DNS)`), { code }), []);
    // A getent that cannot start is the lab's machine, not DNS: said so, once ('close' follows 'error').
    child.on("error", (error) => {
        answered = true;
        done(new Error(`getent (libc-bin) could not run to look up ${hostname}: ${error.message}`), []);
    });
    child.on("close", (code) => {
        if (answered) {
            return;
        }
        // getent's output: one line per address and socket type, in getaddrinfo's order.
        const addresses = [...new Set(output.split("\n").map((line) => line.split(/\s+/)[0] ?? ""))]
            .filter((address) => net.isIP(address) !== 0)
            .map((address) => ({ address, family: net.isIP(address) }));
        if (code === 0 && addresses.length > 0) {
            done(null, addresses);
        } else {
            // Exit 2: getaddrinfo found no such name, or could not get an answer (getent does not say which).
            fail(code === 2 ? "ENOTFOUND" : `getent exited ${code ?? "on a signal"}`);
        }
    });
    return child;
}

function lastLine(text: string): string {
    const lines = text
        .trim()
        .split("\n")
        .filter((line) => line.trim() !== "");
    return lines.find((line) => /error|too long|unreachable|frag/i.test(line)) ?? lines[lines.length - 1] ?? "";
}

async function probeWithRetries(request: ProbeRequest): Promise<ProbeResult> {
    const started = Date.now();
    const attempts = Math.max(MIN_ATTEMPTS, request.attempts);
    let result: Omit<ProbeResult, "id" | "ms"> = { ok: false, error: "not run" };
    for (let attempt = 1; attempt <= attempts; attempt++) {
        result = await once(request.probe, request.timeoutMs);
        // Beyond the attempts the request asked for, a refusal is an answer (no endpoints, a port nobody
        // serves): trying again would only repeat it. Readiness probes ask for more, and wait for a bind.
        if (result.ok || (attempt >= request.attempts && /ECONNREFUSED/.test(result.error ?? ""))) {
            break;
        }
        if (attempt < attempts) {
            await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
        }
    }
    return { id: request.id, ...result, ms: Date.now() - started };
}

/** A probe sent until every expected responder answered (or `max` tries): which endpoints a Service really reaches. */
async function probeUntil(request: ProbeRequest): Promise<ProbeResult> {
    const started = Date.now();
    const { responders, max, round: perRound = UNTIL_ROUND } = request.until!;
    const seen: Record<string, number> = {};
    const failures: string[] = [];
    let tries = 0;
    let first: Omit<ProbeResult, "id" | "ms"> | undefined;
    const missing = (): boolean => responders.some((key) => seen[key] === undefined);
    while (tries < max && (missing() || tries === 0) && !(request.until!.stopOnFailure && failures.length > 0)) {
        const round = Math.min(Math.max(1, perRound), max - tries);
        // Each request retried as a single probe is (a lost UDP datagram is not a broken path).
        const results = await Promise.all(
            Array.from({ length: round }, async () => {
                const { id: _id, ms: _ms, ...result } = await probeWithRetries(request);
                return result;
            }),
        );
        tries += round;
        for (const result of results) {
            first ??= result;
            if (result.ok) {
                const answer = parseAnswer(result.body ?? "");
                const key =
                    answer.pod !== undefined ? responderKey(answer) : JSON.stringify((result.body ?? "").slice(0, 40));
                seen[key] = (seen[key] ?? 0) + 1;
            } else {
                failures.push(result.error ?? "failed");
            }
        }
    }
    const firstOk = first ?? { ok: false, error: "not run" };
    return {
        id: request.id,
        ...firstOk,
        ok: firstOk.ok && failures.length === 0,
        ms: Date.now() - started,
        spread: { tries, seen, failures },
    };
}

/** Runs `work` over `items`, at most `limit` at a time, results in order. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(limit, items.length) }, async () => {
            while (next < items.length) {
                const index = next++;
                results[index] = await work(items[index]!);
            }
        }),
    );
    return results;
}

async function probeAll(): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
    }
    const requests = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ProbeRequest[];
    const results = await pooled(requests, PROBE_CONCURRENCY, (request) =>
        request.until ? probeUntil(request) : probeWithRetries(request),
    );
    process.stdout.write(JSON.stringify(results));
}

const [command, argument] = process.argv.slice(2);
if (command === "serve" && argument !== undefined) {
    serve(JSON.parse(fs.readFileSync(argument, "utf8")) as ServeConfig);
} else if (command === "probe") {
    probeAll().catch((error: unknown) => {
        process.stderr.write(`clusternet lab agent: ${String(error)}\n`);
        process.exit(1);
    });
} else {
    process.stderr.write("usage: agent serve CONFIG.json | agent probe < requests.json\n");
    process.exit(2);
}
