import type { Problem } from "./problems";

/**
 * The outcome of every parse and validation in clusternet: the value, or every problem found (never thrown, so a
 * run reports them all at once, one line each through {@link formatProblem}).
 *
 * Who names the key: a function that parses a single value without knowing where it came from (`parseCidr`,
 * `parseAddress`, `parseNodePortRange`, the policies' readers of one field) returns problems with the key `""`,
 * and its caller places them at its own key with {@link problemAt}, adding its own fix where the parser has none.
 * A function that validates a whole input (a stack, a component's args, a lab plan) returns problems at their full
 * key paths.
 */
export type Result<T> =
    { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

/** A success. */
export function ok<T>(value: T): Result<T> {
    return { ok: true, value };
}

/** A failure with one or more problems. */
export function fail(problems: Problem | readonly Problem[]): Result<never> {
    return { ok: false, problems: Array.isArray(problems) ? problems : [problems as Problem] };
}

/**
 * A single value's problem (key `""`) placed at the caller's key, with the caller's fix when the problem has none.
 */
export function problemAt(problem: Problem, key: string, fix?: string): Problem {
    const chosen = problem.fix ?? fix;
    return chosen === undefined ? { key, message: problem.message } : { key, message: problem.message, fix: chosen };
}
