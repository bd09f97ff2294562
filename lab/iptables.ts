/**
 * iptables rules as data, and the iptables-restore document that applies them. The lab applies each agent's rules
 * (flanneld's, kube-proxy's) with one `iptables-restore --noflush` per node namespace: atomic per table, fast, and
 * it leaves chains that others made (the CNI portmap plugin's) alone.
 */

export const Table = { Filter: "filter", Nat: "nat" } as const;
export type Table = (typeof Table)[keyof typeof Table];

export interface IptablesRule {
    readonly chain: string;
    /** Everything after `-A <chain>`, one argument per element (no shell quoting). */
    readonly args: readonly string[];
}

export interface IptablesTable {
    readonly table: Table;
    /** User-defined chains to create (or flush, when they exist). */
    readonly chains: readonly string[];
    readonly rules: readonly IptablesRule[];
}

const BUILTIN_CHAINS = new Set(["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]);

/** Quotes an argument the way iptables-save prints one, when it needs quoting. */
function quote(arg: string): string {
    return /^[A-Za-z0-9_./:!=,+-]+$/.test(arg) ? arg : `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function ruleLine(rule: IptablesRule): string {
    return ["-A", rule.chain, ...rule.args.map(quote)].join(" ");
}

/**
 * The iptables-restore input for these tables (one block per table, in order, tables merged by name). Linear in
 * the number of chains and rules: chains are deduplicated and looked up through sets (a list's `includes` made
 * this quadratic, 16 s for 5,000 Services), and the text is joined once.
 */
export function restoreDocument(tables: readonly IptablesTable[]): string {
    const merged = new Map<Table, { chains: Set<string>; rules: IptablesRule[] }>();
    for (const table of tables) {
        let entry = merged.get(table.table);
        if (!entry) {
            entry = { chains: new Set(), rules: [] };
            merged.set(table.table, entry);
        }
        for (const chain of table.chains) {
            entry.chains.add(chain);
        }
        for (const rule of table.rules) {
            entry.rules.push(rule);
        }
    }
    const lines: string[] = [];
    for (const [table, { chains, rules }] of merged) {
        for (const rule of rules) {
            if (!BUILTIN_CHAINS.has(rule.chain) && !chains.has(rule.chain)) {
                throw new Error(`iptables table ${table}: chain ${rule.chain} is used but not declared`);
            }
        }
        lines.push(`*${table}`);
        for (const chain of chains) {
            lines.push(`:${chain} - [0:0]`);
        }
        for (const rule of rules) {
            lines.push(ruleLine(rule));
        }
        lines.push("COMMIT");
    }
    return `${lines.join("\n")}\n`;
}
