import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Command } from "commander";
import { buildProgram } from "../cli/main";
import { REPO } from "./helpers/cli";

/**
 * Pages other work is writing: a link to one of them may point at nothing until it lands. The integrator empties
 * this list once they exist; every other relative link must resolve.
 */
export const PENDING_PAGES: readonly string[] = [];

/** The manual: README.md, DEVELOPMENT.md and every page in docs/ (repository-relative, "/"-separated). */
export function documentationFiles(): string[] {
    const docs = fs
        .readdirSync(path.join(REPO, "docs"))
        .filter((name) => name.endsWith(".md"))
        .sort()
        .map((name) => `docs/${name}`);
    return ["README.md", "DEVELOPMENT.md", ...docs];
}

/** The text a reader would type: inline code spans and shell code blocks, not prose nor program source. */
export function codeOf(markdown: string): string[] {
    const pieces: string[] = [];
    const withoutBlocks = markdown.replace(/^```([^\n]*)\n([\s\S]*?)^```/gm, (_, info: string, block: string) => {
        if (["", "sh", "bash", "shell", "console", "text"].includes(info.trim())) {
            pieces.push(...block.split("\n"));
        }
        return "";
    });
    // Spans may wrap across one line break in prose.
    for (const match of withoutBlocks.matchAll(/`([^`]+)`/g)) {
        pieces.push(match[1]!.replace(/\n/g, " "));
    }
    return pieces;
}

export interface CommandMention {
    readonly words: string[];
    readonly options: string[];
    readonly text: string;
}

/** Each `clusternet <command> [<subcommand>] [--options]` in a piece of code, up to `&&`, `;`, a pipe or `#`. */
export function commandMentions(code: string): CommandMention[] {
    const mentions: CommandMention[] = [];
    for (const match of code.matchAll(/(?:^|[\s(`])clusternet\s+([a-z][^&;#]*)/g)) {
        const text = match[1]!.trim();
        const tokens = text.split(/[\s[\]|]+/).filter((token) => token !== "");
        const words: string[] = [];
        for (const token of tokens) {
            if (!/^[a-z][a-z-]*$/.test(token)) {
                break;
            }
            words.push(token);
        }
        // What follows a bare `--` is passed on (to pulumi), not parsed by clusternet.
        const own = tokens.includes("--") ? tokens.slice(0, tokens.indexOf("--")) : tokens;
        const options = own.filter((token) => /^--?[a-z][a-z-]*(=.*)?$/.test(token)).map((t) => t.split("=")[0]!);
        mentions.push({ words, options, text });
    }
    return mentions;
}

function optionNames(command: Command): Set<string> {
    const names = new Set<string>(["--help", "-h"]);
    for (const option of command.options) {
        for (const flag of [option.long, option.short]) {
            if (flag) {
                names.add(flag);
            }
        }
    }
    return names;
}

/** Problems with one mention: unknown command or subcommand, an argument outside its choices, an unknown option. */
export function mentionProblems(program: Command, mention: CommandMention): string[] {
    const [name, next] = mention.words;
    const command = program.commands.find((candidate) => candidate.name() === name);
    if (!command) {
        return [`clusternet ${name ?? mention.text}: no such command`];
    }
    let target = command;
    if (command.commands.length > 0) {
        if (next === undefined) {
            return [];
        }
        const sub = command.commands.find((candidate) => candidate.name() === next);
        if (!sub) {
            return [`clusternet ${name} ${next}: no such subcommand`];
        }
        target = sub;
    } else if (next !== undefined) {
        const choices = command.registeredArguments[0]?.argChoices;
        if (choices && !choices.includes(next)) {
            return [`clusternet ${name} ${next}: not one of ${choices.join(", ")}`];
        }
    }
    const known = new Set([...optionNames(program), ...optionNames(command), ...optionNames(target)]);
    return mention.options.filter((option) => !known.has(option)).map((option) => `clusternet ${name}: ${option}?`);
}

/** Each `npm run <script>` in a text (prose included). */
export function npmScripts(markdown: string): string[] {
    return [...markdown.matchAll(/\bnpm run ([a-z][a-z:-]*)/g)].map((match) => match[1]!);
}

/** Each relative link target of a markdown text, without its #fragment. */
export function relativeLinks(markdown: string): string[] {
    return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1]!)
        .filter((target) => !/^(?:[a-z]+:|#)/.test(target))
        .map((target) => target.split("#")[0]!);
}

const program = buildProgram({ stdout: () => {}, stderr: () => {}, cwd: REPO });
const scripts = Object.keys(
    (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { scripts: Record<string, string> })
        .scripts,
);

describe("the manual", () => {
    const files = documentationFiles();

    it("covers README.md, DEVELOPMENT.md and one page per capability", () => {
        for (const page of ["address-plan", "pod-network", "services", "ingress", "policies", "lab"]) {
            assert.ok(files.includes(`docs/${page}.md`), page);
        }
        assert.ok(files.includes("docs/configuration.md"));
    });

    for (const file of files) {
        const text = fs.readFileSync(path.join(REPO, file), "utf8");

        it(`${file}: every clusternet command exists with the options it is given`, () => {
            const mentions = codeOf(text).flatMap(commandMentions);
            const problems = mentions.flatMap((mention) => mentionProblems(program, mention));
            assert.deepEqual(problems, []);
        });

        it(`${file}: every npm run script exists`, () => {
            const missing = npmScripts(text).filter((script) => !scripts.includes(script));
            assert.deepEqual(missing, []);
        });

        it(`${file}: every relative link points at a file`, () => {
            const broken = relativeLinks(text)
                .map((target) => path.posix.normalize(path.posix.join(path.posix.dirname(file), target)))
                .filter((target) => !PENDING_PAGES.includes(target) && !fs.existsSync(path.join(REPO, target)));
            assert.deepEqual(broken, []);
        });
    }

    it("the README starts with the two set-up commands", () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
        assert.deepEqual(
            block
                .trim()
                .split("\n")
                .map((line) => line.replace(/\s*#.*$/, "")),
            ["npm ci && npm start", "npm test"],
        );
        assert.ok(readme.indexOf("```sh") < readme.indexOf("\n## "), "before the first section");
    });

    it("the README's reuse example is examples/reuse/index.ts, which a test runs", () => {
        const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
        const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
        assert.equal(example, fs.readFileSync(path.join(REPO, "examples", "reuse", "index.ts"), "utf8"));
    });
});

describe("the manual's checks can fail", () => {
    it("finds commands in code only, with their subcommands and options", () => {
        const code = codeOf("clusternet plans prose\n`clusternet lab up --prefix x && clusternet plan -f json`\n");
        assert.deepEqual(
            code.flatMap(commandMentions).map(({ words, options }) => ({ words, options })),
            [
                { words: ["lab", "up"], options: ["--prefix"] },
                { words: ["plan"], options: ["-f"] },
            ],
        );
    });

    it("refuses an unknown command, subcommand, choice or option", () => {
        const problems = [
            "clusternet deploy",
            "clusternet lab restart",
            "clusternet pulumi apply",
            "clusternet plan --fromat json",
            "clusternet lab up --prefix x --stack dev",
            "clusternet pulumi up --stack dev -- --yes",
        ].flatMap((line) => commandMentions(line).flatMap((mention) => mentionProblems(program, mention)));
        assert.deepEqual(problems, [
            "clusternet deploy: no such command",
            "clusternet lab restart: no such subcommand",
            "clusternet pulumi apply: not one of preview, up, refresh, destroy",
            "clusternet plan: --fromat?",
        ]);
    });

    it("reads scripts and relative links", () => {
        assert.deepEqual(npmScripts("run `npm run schema`, then npm run up"), ["schema", "up"]);
        assert.deepEqual(relativeLinks("[a](docs/x.md#y) [b](https://e.org) [c](#z) [d](../DEVELOPMENT.md)"), [
            "docs/x.md",
            "../DEVELOPMENT.md",
        ]);
    });
});
