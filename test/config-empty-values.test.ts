/**
 * Explicit empty values in the stack config that the API server's defaulting treats as unset (an empty type or
 * protocol, a zero or empty targetPort, an empty clusterIP or TLS Secret): accepted, and the stack renders exactly
 * what it renders with the keys left out.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { configSchemas } from "../components/config/schema";
import { parse } from "yaml";
import { REPO, devConfig, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";

/** The rendered manifests, file name to content, of a stack with these config values. */
async function rendered(config: Record<string, unknown>): Promise<Map<string, string>> {
    return (await renderedWithStderr(config)).files;
}

async function renderedWithStderr(
    config: Record<string, unknown>,
): Promise<{ files: Map<string, string>; stderr: string }> {
    const project = temporaryDirectory();
    fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
    writeStackFile(project, "dev", config);
    const result = await runCli(["render", "--stack", "dev", "--out", "out"], project);
    assert.equal(result.code, 0, result.stderr);
    const out = path.join(project, "out");
    const files = new Map(
        fs
            .readdirSync(out, { recursive: true, encoding: "utf8" })
            .filter((file) => fs.statSync(path.join(out, file)).isFile())
            .sort()
            .map((file) => [file, fs.readFileSync(path.join(out, file), "utf8")]),
    );
    return { files, stderr: result.stderr };
}

// A ClusterIP Service without an app, so that a zero or empty targetPort (the port itself) needs no container port.
const PLAIN = { name: "api", namespace: "demo", selector: { app: "api" } };

void describe("explicit empty values are unset, as after the API server's defaulting", () => {
    void it("the schema drops them, so the parsed Service equals the one with the keys left out", () => {
        const empty = configSchemas.services.parse([
            {
                ...PLAIN,
                type: "",
                clusterIP: "",
                ports: [
                    { name: "a", port: 80, protocol: "", targetPort: 0 },
                    { name: "b", port: 81, targetPort: "" },
                ],
            },
        ]);
        const omitted = configSchemas.services.parse([
            {
                ...PLAIN,
                ports: [
                    { name: "a", port: 80 },
                    { name: "b", port: 81 },
                ],
            },
        ]);
        assert.deepEqual(empty, omitted);
        assert.equal(omitted[0]?.type, "ClusterIP");
        assert.equal(omitted[0]?.ports[0]?.protocol, "TCP");
    });

    void it("other values stay errors", () => {
        for (const [field, value] of [
            ["type", "clusterip"],
            ["type", " "],
        ] as const) {
            assert.ok(!configSchemas.services.safeParse([{ ...PLAIN, [field]: value, ports: [{ port: 80 }] }]).success);
        }
        for (const [field, value] of [
            ["protocol", "tcp"],
            ["targetPort", -1],
            ["targetPort", 65536],
        ] as const) {
            assert.ok(!configSchemas.services.safeParse([{ ...PLAIN, ports: [{ port: 80, [field]: value }] }]).success);
        }
    });

    void it("clusternet render writes the same manifests as with the keys left out", async () => {
        const base = devConfig();
        const withPlain = (service: Record<string, unknown>, tlsSecret?: string): Record<string, unknown> => ({
            ...base,
            services: [...(base["services"] as unknown[]), service],
            ingress: {
                ...base["ingress"],
                routes: [
                    {
                        host: "api.lab.example",
                        paths: [{ service: "api", port: 80 }],
                        ...(tlsSecret !== undefined ? { tlsSecret } : {}),
                    },
                ],
            },
        });
        const empty = await rendered(
            withPlain(
                {
                    ...PLAIN,
                    type: "",
                    clusterIP: "",
                    ports: [
                        { name: "a", port: 80, protocol: "", targetPort: 0 },
                        { name: "b", port: 81, targetPort: "" },
                    ],
                },
                "",
            ),
        );
        const omitted = await rendered(
            withPlain({
                ...PLAIN,
                ports: [
                    { name: "a", port: 80 },
                    { name: "b", port: 81 },
                ],
            }),
        );
        assert.deepEqual([...empty.keys()], [...omitted.keys()]);
        for (const [file, content] of omitted) assert.equal(empty.get(file), content, file);
        assert.ok(
            [...omitted.keys()].some((file) => /api/.test(file)),
            [...omitted.keys()].join(" "),
        );
    });
});

void describe("a non-canonical IPv6 clusterIP, as the API server: accepted with a warning", () => {
    void it("clusternet render warns on stderr and the Service carries the canonical form", async () => {
        const base = devConfig();
        const config = (clusterIP: string): Record<string, unknown> => ({
            ...base,
            cluster: { ...base["cluster"], podCidrV6: "fd00:10:244::/56", serviceCidrV6: "fd00:10:96::/112" },
            services: [...(base["services"] as unknown[]), { ...PLAIN, clusterIP, ports: [{ port: 80 }] }],
        });
        const serviceOf = (files: Map<string, string>): { spec: { clusterIP?: string } } => {
            const found = [...files.entries()].find(([file]) => /api/.test(file) && /service/i.test(file));
            assert.ok(found, [...files.keys()].join(" "));
            return parse(found[1]) as { spec: { clusterIP?: string } };
        };
        const canonical = await renderedWithStderr(config("fd00:10:96::50"));
        assert.equal(serviceOf(canonical.files).spec.clusterIP, "fd00:10:96::50");
        assert.doesNotMatch(canonical.stderr, /canonical/);
        for (const spelling of ["fd00:10:96:0::50", "FD00:10:96::50", "fd00:0010:0096:0000:0000:0000:0000:0050"]) {
            const written = await renderedWithStderr(config(spelling));
            assert.equal(serviceOf(written.files).spec.clusterIP, "fd00:10:96::50", spelling);
            assert.match(written.stderr, /clusternet:services\[1\]\.clusterIP/, spelling);
            assert.match(written.stderr, /canonical form/, spelling);
            assert.deepEqual(written.files, canonical.files, spelling);
        }
    });

    void it("a non-canonical IPv4 clusterIP stays an error (leading zeros are ambiguous)", async () => {
        const base = devConfig();
        const project = temporaryDirectory();
        fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
        writeStackFile(project, "dev", {
            ...base,
            services: [
                ...(base["services"] as unknown[]),
                { ...PLAIN, clusterIP: "10.96.0.050", ports: [{ port: 80 }] },
            ],
        });
        const result = await runCli(["check", "--stack", "dev"], project);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /clusternet:services\[1\]\.clusterIP/);
    });
});
