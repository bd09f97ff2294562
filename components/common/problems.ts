/**
 * A problem found in the input: where (a config key path such as `clusternet:nodes[1].ip`), what is wrong, and
 * what would be right. Every validator in clusternet returns these as values instead of throwing, so a run can
 * report every problem at once, one line each.
 */
export interface Problem {
    /**
     * Where: the key path of the offending value, e.g. `clusternet:nodes[1].ip`; for a policy, the resource and
     * its field (`Service demo/web spec.ports[1].name`). `""` when the message names its subject itself, or for a
     * single value's problem that its caller places (see `Result` in result.ts).
     */
    readonly key: string;
    /** What is wrong, naming the offending value. */
    readonly message: string;
    /** What would be right, phrased as an instruction. */
    readonly fix?: string;
}

/** One line: `key: message; fix` (`message; fix` when the key is empty). The only formatter of problems. */
export function formatProblem(problem: Problem): string {
    const line = problem.key === "" ? problem.message : `${problem.key}: ${problem.message}`;
    return problem.fix ? `${line}; ${problem.fix}` : line;
}

/** Thrown when input is invalid; its message is one line per problem. */
export class InvalidInputError extends Error {
    public readonly problems: readonly Problem[];

    constructor(problems: readonly Problem[]) {
        super(problems.map(formatProblem).join("\n"));
        this.name = "InvalidInputError";
        this.problems = problems;
    }
}

/**
 * Builds key paths: `keyPath("clusternet:nodes", 1, "ip")` is `clusternet:nodes[1].ip`.
 * Numbers become indexes, strings become properties.
 */
export function keyPath(root: string, ...segments: ReadonlyArray<string | number>): string {
    let path = root;
    for (const segment of segments) {
        path += typeof segment === "number" ? `[${segment}]` : path === "" ? segment : `.${segment}`;
    }
    return path;
}

/** Quotes a value for a message: strings in double quotes, everything else as JSON. */
export function show(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (typeof value === "bigint") {
        return value.toString();
    }
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
}
