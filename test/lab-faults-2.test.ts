// The lab's fault table (root only), the faults after the first four of test/helpers/lab-faults.ts: see test/helpers/lab-fault-table.ts.
import { faultTable } from "./helpers/lab-fault-table";
import { DEV_FAULTS } from "./helpers/lab-faults";

faultTable(DEV_FAULTS.slice(4), "fb");
