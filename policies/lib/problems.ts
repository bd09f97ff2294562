import { Problem, formatProblem } from "../../components/common";

/**
 * A problem found by a rule of components/rules, as one violation line: who, then the field path, what is wrong and
 * the fix. `Service demo/web spec.ports[1].name: "Web" is not a valid port name (a DNS-1123 label); write ...`.
 */
export function policyMessage(who: string, problem: Problem): string {
    return formatProblem({ ...problem, key: problem.key === "" ? who : `${who} ${problem.key}` });
}
