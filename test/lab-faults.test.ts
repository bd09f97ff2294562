// The lab's fault table (root only), part 1 of test/helpers/lab-faults.ts' FAULT_PARTS: see
// test/helpers/lab-fault-table.ts. Also: the parts hold every fault exactly once.
import assert from "node:assert/strict";
import { it } from "node:test";
import { faultTable } from "./helpers/lab-fault-table";
import { DEV_FAULTS, FAULT_PARTS, faultPart } from "./helpers/lab-faults";

void it("the fault table's parts hold every fault exactly once", () => {
    assert.deepEqual(
        FAULT_PARTS.flat().sort((a, b) => a - b),
        DEV_FAULTS.map((_fault, index) => index),
    );
});

faultTable(faultPart(0), "fa");
