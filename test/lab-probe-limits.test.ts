/**
 * The probe agent's time limit follows from its requests (a 5,000-Service lab's first probe pod has 25,000 probes):
 * never shorter than the time its probes may take by their own limits, so load alone cannot cut a check off.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
    MIN_ATTEMPTS,
    PROBE_CONCURRENCY,
    ProbeRequest,
    RETRY_PAUSE_MS,
    agentTimeLimitMs,
    probeBoundMs,
} from "../lab/protocol";

const http = (id: number, attempts = 1): ProbeRequest => ({
    id: String(id),
    probe: { kind: "http", ip: "10.96.0.1", port: 80, path: "/" },
    timeoutMs: 2500,
    attempts,
});

void describe("lab probe agent: time limits", () => {
    void it("bounds one probe by every attempt timing out, with the pauses", () => {
        assert.equal(probeBoundMs(http(1)), MIN_ATTEMPTS * (2500 + RETRY_PAUSE_MS));
        assert.equal(probeBoundMs(http(1, 3)), 3 * (2500 + RETRY_PAUSE_MS));
        assert.equal(
            probeBoundMs({ ...http(1), until: { responders: ["a", "b"], max: 21 } }),
            Math.ceil(21 / 4) * MIN_ATTEMPTS * (2500 + RETRY_PAUSE_MS),
        );
        assert.ok(
            probeBoundMs({
                id: "p",
                probe: { kind: "ping", ip: "10.244.1.2", size: 1422 },
                timeoutMs: 1000,
                attempts: 1,
            }) >
                MIN_ATTEMPTS * (1000 + RETRY_PAUSE_MS),
            "ping gets its grace",
        );
    });

    void it("gives 2,000 probes the time they may take through the pool, doubled, and more than the old fixed 120 s", () => {
        const batch = Array.from({ length: 2000 }, (_, index) => http(index));
        const spread = Math.ceil((2000 * probeBoundMs(http(0))) / PROBE_CONCURRENCY);
        assert.equal(agentTimeLimitMs(batch), 60_000 + 2 * spread);
        assert.ok(agentTimeLimitMs(batch) > 120_000);
        assert.equal(agentTimeLimitMs([]), 60_000);
    });

    void it("is never shorter than any one probe's bound, and grows with the requests", () => {
        fc.assert(
            fc.property(
                fc.array(
                    fc.record({ attempts: fc.integer({ min: 1, max: 5 }), max: fc.integer({ min: 0, max: 40 }) }),
                    {
                        minLength: 1,
                        maxLength: 200,
                    },
                ),
                (shapes) => {
                    const requests = shapes.map(({ attempts, max }, index) => ({
                        ...http(index, attempts),
                        ...(max > 0 ? { until: { responders: ["a"], max } } : {}),
                    }));
                    const limit = agentTimeLimitMs(requests);
                    assert.ok(requests.every((request) => limit >= probeBoundMs(request)));
                    assert.ok(agentTimeLimitMs([...requests, http(-1)]) >= limit);
                },
            ),
        );
    });
});
