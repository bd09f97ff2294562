/**
 * What the lab's in-namespace agent speaks: how a pod answers (`pod=web-0 namespace=demo node=cp-1 port=80
 * from=10.244.1.0 path=/`), the probes it runs, and their results. Shared by the agent and the checks.
 */

export interface Answer {
    readonly pod?: string;
    readonly namespace?: string;
    readonly node?: string;
    readonly port?: number;
    /** The source address the server saw: shows masquerading. */
    readonly from?: string;
    readonly path?: string;
    readonly [key: string]: string | number | undefined;
}

/**
 * The response header in which real nginx in a pod names itself (`pod=web-0 namespace=demo node=cp-1 port=80
 * from=10.244.1.0 path=/`): the default config's pages are the same in every pod, and the checks must tell the
 * endpoints apart, on a 404 too. The agent puts it first in the answer's body (lab/nginx-pod.ts writes it).
 */
export const ANSWER_HEADER = "X-Clusternet-Lab-Answer";

export function formatAnswer(fields: Readonly<Record<string, string | number>>): string {
    return `${Object.entries(fields)
        .map(([key, value]) => `${key}=${value}`)
        .join(" ")}\n`;
}

export function parseAnswer(text: string): Answer {
    const fields: Record<string, string | number> = {};
    for (const token of text.trim().split(/\s+/)) {
        const equals = token.indexOf("=");
        if (equals > 0) {
            const key = token.slice(0, equals);
            const value = token.slice(equals + 1);
            fields[key] = key === "port" && /^\d+$/.test(value) ? Number(value) : value;
        }
    }
    return fields;
}

/** What a pod's stand-in serves: its identity and the ports it answers on. */
export interface ServeConfig {
    readonly pod: string;
    readonly namespace: string;
    readonly node: string;
    readonly tcp: readonly number[];
    readonly udp: readonly number[];
    /** Written (atomically) once every port is bound or has failed. */
    readonly readyFile: string;
}

export interface ServeReport {
    readonly pid: number;
    readonly bound: readonly string[];
    readonly failed: ReadonlyArray<{ readonly port: string; readonly error: string }>;
}

export type ProbeSpec =
    | {
          readonly kind: "http";
          readonly ip: string;
          readonly port: number;
          readonly path: string;
          readonly host?: string;
      }
    | { readonly kind: "tcp"; readonly ip: string; readonly port: number }
    | { readonly kind: "udp"; readonly ip: string; readonly port: number }
    /** One ICMP echo of `size` payload bytes with Don't Fragment set (ping -M do -s size). */
    | { readonly kind: "ping"; readonly ip: string; readonly size: number }
    /** A DNS query (UDP) to `ip`:53; the answer's body is the sorted records, comma-separated (SRV: target:port). */
    | { readonly kind: "dns"; readonly ip: string; readonly name: string; readonly type: "A" | "SRV" };

export interface ProbeRequest {
    readonly id: string;
    readonly probe: ProbeSpec;
    readonly timeoutMs: number;
    /** The namespace to send it from, when not the case's source (the MTU check's one-byte-more probe). */
    readonly netns?: string;
    /** Tries before giving up (a readiness probe retries like kubelet's failureThreshold). */
    readonly attempts: number;
    /**
     * Send the probe again (each time a new connection, so kube-proxy balances it anew) until each of these
     * responders (`namespace/pod:port`) answered once, at most `max` times. Every request must be answered.
     */
    readonly until?: {
        readonly responders: readonly string[];
        readonly max: number;
        /** Stop after the round in which a request failed (the path is broken; a check needs no more). */
        readonly stopOnFailure?: boolean;
        /**
         * Requests sent at once (default UNTIL_ROUND). `max` sends them all at once: when every request must be sent
         * anyway (diagnose counts the packets each rule saw), a failing path then costs one timeout, not one a round.
         */
        readonly round?: number;
    };
}

/**
 * Probes in flight at once from one namespace. Firing thousands at once (5,000 Services) made each probe's timeout
 * include its wait behind the others, and overflowed the stand-ins' accept queues: false failures. A bounded pool
 * starts each probe's clock when the probe starts.
 */
export const PROBE_CONCURRENCY = 32;
/**
 * Every probe gets at least this many attempts: one lost SYN or datagram on a busy machine must not fail a path.
 * A real failure (refused, the wrong pod, no route, too big) fails on every attempt, and the last attempt is what
 * the check judges, so real failures are still reported.
 */
export const MIN_ATTEMPTS = 2;
/** The pause between two attempts of one probe. */
export const RETRY_PAUSE_MS = 150;
/** A repeated probe (`until`) sends this many requests at once, then looks at who answered. */
export const UNTIL_ROUND = 4;
/** ping keeps its own deadline; the agent gives it this much more to report why it failed. */
export const PING_GRACE_MS = 2000;

/**
 * The longest one probe request can take in the agent: every attempt of every round timing out, with the pauses.
 * The agent enforces each attempt's limit itself, so this is a bound, not a guess.
 */
export function probeBoundMs(request: ProbeRequest): number {
    const attempt = request.timeoutMs + (request.probe.kind === "ping" ? PING_GRACE_MS : 0) + RETRY_PAUSE_MS;
    const rounds = request.until ? Math.ceil(request.until.max / (request.until.round ?? UNTIL_ROUND)) : 1;
    return rounds * Math.max(MIN_ATTEMPTS, request.attempts) * attempt;
}

/**
 * How long an agent process may run for these requests before it counts as hung: the requests' bounds spread over
 * the pool (the longest one at least), doubled for a machine whose timers fire late under load, plus a minute for
 * the process to start. Derived from the requests, so a big source (25,000 probes at 5,000 Services) is not cut
 * off by a fixed limit that only a small lab fits in.
 */
export function agentTimeLimitMs(requests: readonly ProbeRequest[]): number {
    const bounds = requests.map(probeBoundMs);
    const total = bounds.reduce((sum, bound) => sum + bound, 0);
    return 60_000 + 2 * Math.max(Math.max(0, ...bounds), Math.ceil(total / PROBE_CONCURRENCY));
}

/** What a repeated probe saw. */
export interface Spread {
    readonly tries: number;
    /** Answers by responder (`namespace/pod:port`, or the raw body's start). */
    readonly seen: Readonly<Record<string, number>>;
    /** Requests that got no answer, with why. */
    readonly failures: readonly string[];
}

export function responderKey(answer: { namespace?: string; pod?: string; port?: number }): string {
    return `${answer.namespace ?? "?"}/${answer.pod ?? "?"}:${answer.port ?? "?"}`;
}

export interface ProbeResult {
    readonly id: string;
    readonly ok: boolean;
    /** HTTP status, when there was one. */
    readonly status?: number;
    /** The answer's body (HTTP, UDP) or ping's output. */
    readonly body?: string;
    readonly error?: string;
    readonly ms: number;
    readonly spread?: Spread;
}

export function describeProbe(probe: ProbeSpec): string {
    switch (probe.kind) {
        case "http":
            return `http://${probe.host ?? probe.ip}${probe.port === 80 ? "" : `:${probe.port}`}${probe.path}${probe.host ? ` via ${probe.ip}:${probe.port}` : ""}`;
        case "tcp":
            return `tcp ${probe.ip}:${probe.port}`;
        case "udp":
            return `udp ${probe.ip}:${probe.port}`;
        case "ping":
            return `ping -M do -s ${probe.size} ${probe.ip}`;
        case "dns":
            return `dig @${probe.ip} ${probe.name} ${probe.type}`;
    }
}
