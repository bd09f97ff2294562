// The lab's fault table (root only), part 3 of test/helpers/lab-faults.ts' FAULT_PARTS: see
// test/helpers/lab-fault-table.ts.
import { faultTable } from "./helpers/lab-fault-table";
import { faultPart } from "./helpers/lab-faults";

faultTable(faultPart(2), "fc");
