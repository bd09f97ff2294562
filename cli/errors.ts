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

/** The command ran, and what it checked failed (a mandatory policy, a moved subnet, a lab path): exit 1. */
export class CheckFailed extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CheckFailed";
    }
}

/** Ends the command with another program's exit code (the Pulumi CLI's). */
export class ExitWith extends Error {
    public readonly code: number;

    constructor(code: number) {
        super(`exit ${code}`);
        this.name = "ExitWith";
        this.code = code;
    }
}
