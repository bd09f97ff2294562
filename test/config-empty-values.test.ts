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
import { REPO, devConfig, runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";

/** The rendered manifests, file name to content, of a stack with these config values. */
async function rendered(config: Record<string, unknown>): Promise<Map<string, string>> {
    const project = temporaryDirectory();
    fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
    writeStackFile(project, "dev", config);
    const result = await runCli(["render", "--stack", "dev", "--out", "out"], project);
    assert.equal(result.code, 0, result.stderr);
    const out = path.join(project, "out");
    return new Map(
        fs
            .readdirSync(out, { recursive: true, encoding: "utf8" })
            .filter((file) => fs.statSync(path.join(out, file)).isFile())
            .sort()
            .map((file) => [file, fs.readFileSync(path.join(out, file), "utf8")]),
    );
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
