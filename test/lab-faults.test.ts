// The lab's fault table (root only), the first four faults of test/helpers/lab-faults.ts: see test/helpers/lab-fault-table.ts.
import { faultTable } from "./helpers/lab-fault-table";
import { DEV_FAULTS } from "./helpers/lab-faults";

faultTable(DEV_FAULTS.slice(0, 4), "fa");
