/** The bench's pure parts: its Services, statistics, kube-proxy's partial iptables update, the table and the chart. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    BenchReport,
    BenchRow,
    benchChart,
    benchServices,
    benchTable,
    benchVerdict,
    iptablesPartialUpdate,
    latencyStats,
} from "../lab/bench";
import { serviceChain } from "../lab/kube-proxy";

function row(mode: "iptables" | "nftables", services: number, lastUs: number): BenchRow {
    return {
        mode,
        services,
        programMs: services / 10,
        updateMs: 5,
        first: { medianUs: 20, p99Us: 40, samples: 1000 },
        last: { medianUs: lastUs, p99Us: lastUs * 2, samples: 1000 },
        size: { chains: services * 3, rules: services * 8, elements: mode === "nftables" ? services * 2 : 0 },
    };
}

const REPORT: BenchReport = {
    kernel: "6.18.0",
    nft: "nftables v1.0.6",
    iptables: "iptables v1.8.9 (nf_tables)",
    connects: 1000,
    rows: [row("iptables", 10, 23), row("iptables", 10000, 200), row("nftables", 10, 22), row("nftables", 10000, 22.4)],
    totalMs: 60000,
};

describe("lab bench", () => {
    it("makes N Services with distinct cluster IPs in the Service CIDR, each with the two endpoints", () => {
        const { services, endpoints } = benchServices(10000);
        assert.equal(new Set(services.map((service) => service.clusterIP)).size, 10000);
        assert.equal(services[0]!.clusterIP, "10.96.0.20");
        assert.equal(services[9999]!.clusterIP, "10.96.39.35");
        assert.ok([...endpoints.values()].every((list) => list.length === 2));
    });

    it("takes the median and the 99th percentile in microseconds", () => {
        const samples = Array.from({ length: 1000 }, (_, index) => (index + 1) * 1000);
        assert.deepEqual(latencyStats(samples), { medianUs: 501, p99Us: 991, samples: 1000 });
    });

    it("updates one Service as kube-proxy's partial sync does: KUBE-SERVICES whole, that Service's chains, nothing else", () => {
        const { services, endpoints } = benchServices(50);
        const changed = services[0]!;
        const document = iptablesPartialUpdate(services, endpoints, changed, "10.244.0.0/16");
        const declared = document.split("\n").filter((line) => line.startsWith(":"));
        assert.ok(declared.includes(":KUBE-SERVICES - [0:0]"));
        assert.ok(declared.includes(`:${serviceChain(changed.ports[0]!)} - [0:0]`));
        assert.equal(declared.length, 1 + 1 + 2, "KUBE-SERVICES, the Service chain, its two endpoint chains");
        assert.equal(document.split("\n").filter((line) => line.startsWith("-A KUBE-SERVICES")).length, 51);
        assert.ok(
            !document.includes(`:${serviceChain(services[1]!.ports[0]!)} `),
            "other Services' chains stay as they are",
        );
    });

    it("prints a row per mode and size, and the growth to the last Service per mode", () => {
        const table = benchTable(REPORT);
        assert.equal(table.trim().split("\n").length, 1 + 4);
        assert.match(table, /iptables\s+10000\s+1000 ms\s+5 ms\s+20 \/ 40\s+200 \/ 400/);
        assert.deepEqual(benchVerdict(REPORT), [
            "iptables: connect to the last Service 23 µs at 10 → 200 µs at 10000 (8.70x)",
            "nftables: connect to the last Service 22 µs at 10 → 22.4 µs at 10000 (1.02x)",
        ]);
    });

    it("draws both modes in both panels as an SVG", () => {
        const svg = benchChart(REPORT);
        assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
        assert.match(svg, /kernel 6\.18\.0/);
    });
});
