import * as fs from "node:fs";
import { PlanRecordRead, parsePlanRecord } from "./record";

/**
 * Reads the plan record file; a missing file is `missing`, not an error. Not exported from the plan barrel: the
 * policy pack loads that barrel, and is compiled without Node's types.
 */
export function readPlanRecord(file: string): PlanRecordRead {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
            return { status: "missing" };
        }
        return {
            status: "damaged",
            problems: [{ key: file, message: `cannot be read (${code ?? String(error)})`, fix: "make it readable" }],
        };
    }
    return parsePlanRecord(text, file);
}
