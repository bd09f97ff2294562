import type { Problem } from "../../components/common";

/**
 * A problem found by a rule of components/rules, as one violation line: who, the field path, what is wrong and the
 * fix. `Service demo/web spec.ports[1].name: "Web" is not a valid port name (a DNS-1123 label); fix: ...`.
 */
export function policyMessage(who: string, problem: Problem): string {
    const where = problem.key === "" ? who : `${who} ${problem.key}`;
    return problem.fix ? `${where}: ${problem.message}; fix: ${problem.fix}` : `${where}: ${problem.message}`;
}
