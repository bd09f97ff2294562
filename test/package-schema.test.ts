import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "./helpers/cli";

/** Every ComponentResource class declared under components/, with its source. */
function declaredComponents(): Array<{ name: string; file: string; source: string }> {
    const found: Array<{ name: string; file: string; source: string }> = [];
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.name.endsWith(".ts")) {
                const source = fs.readFileSync(full, "utf8");
                for (const match of source.matchAll(/export class (\w+) extends pulumi\.ComponentResource\b/g)) {
                    found.push({ name: match[1]!, file: path.relative(REPO, full), source });
                }
            }
        }
    };
    walk(path.join(REPO, "components"));
    return found.sort((a, b) => a.name.localeCompare(b.name));
}

describe("clusternet as a Pulumi component package", () => {
    const components = declaredComponents();

    it("declares each component with the token clusternet:index:<ClassName>, no inputs of its own to serialize, and a constructor parameter named args", () => {
        assert.ok(components.length >= 2);
        for (const { name, file, source } of components) {
            assert.match(
                source,
                new RegExp(`super\\("clusternet:index:${name}", name, \\{\\}, opts\\)`),
                `${file}: ${name}'s token`,
            );
            assert.match(
                source,
                new RegExp(
                    `constructor\\(name: string, args: ${name}Args, opts\\?: pulumi\\.ComponentResourceOptions\\)`,
                ),
                `${file}: ${name}'s constructor`,
            );
        }
    });

    it("exports every component from the package entry point", async () => {
        const entry = (await import("../components/index.js")) as Record<string, unknown>;
        for (const { name } of components) {
            assert.equal(typeof entry[name], "function", `${name} is exported from components/index.ts`);
        }
    });

    it("has a schema Pulumi's own analyzer can derive, with a description on every input and output", async () => {
        const { Analyzer } = await import("@pulumi/pulumi/provider/experimental/analyzer.js");
        const packageJson = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
        const result = new Analyzer(
            REPO,
            "clusternet",
            packageJson,
            new Set(components.map((component) => component.name)),
        ).analyze();
        assert.deepEqual(
            Object.keys(result.components).sort(),
            components.map((component) => component.name),
        );
        for (const component of Object.values(result.components)) {
            for (const [kind, properties] of [
                ["input", component.inputs],
                ["output", component.outputs],
            ] as const) {
                for (const [property, definition] of Object.entries(properties)) {
                    assert.ok(definition.description, `${component.name} ${kind} ${property} has a JSDoc description`);
                }
            }
        }
        for (const type of Object.values(result.typeDefinitions)) {
            for (const [property, definition] of Object.entries(type.properties ?? {})) {
                assert.ok(definition.description, `type ${type.name} property ${property} has a JSDoc description`);
            }
        }
    });

    it("ships a PulumiPlugin.yaml for `pulumi package add`", () => {
        assert.match(fs.readFileSync(path.join(REPO, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
    });
});
