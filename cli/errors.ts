import { Problem, formatProblem } from "../components/common";

/** Exit codes, as DESIGN.md fixes them. */
export const ExitCode = {
    Ok: 0,
    /** A mandatory policy (or a lab check) failed. */
    Failed: 1,
    /** Bad input or usage. */
    BadInput: 2,
    /** clusternet itself failed: a bug to report. */
    Internal: 3,
} as const;

/** A command line that cannot be run as given. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Input that fails validation: one line per problem. */
export class InputError extends Error {
    public readonly problems: readonly Problem[];

    constructor(problems: readonly Problem[]) {
        super(problems.map(formatProblem).join("\n"));
        this.name = "InputError";
        this.problems = problems;
    }
}

/** `clusternet check` found mandatory policy violations (already printed). */
export class ChecksFailed extends Error {
    constructor(public readonly count: number) {
        super(`${count} mandatory policy violation(s)`);
        this.name = "ChecksFailed";
    }
}
