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

/**
 * Quotes an argument the way iptables-save prints one, when it needs quoting. iptables-restore reads one rule per
 * line and has no escape for a line break: control characters become '?', so no value can start another rule.
 */
export function quote(arg: string): string {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the document
    const oneLine = arg.replace(/[\u0000-\u001f\u007f]/g, "?");
    return /^[A-Za-z0-9_./:!=,+-]+$/.test(oneLine)
        ? oneLine
        : `"${oneLine.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function ruleLine(rule: IptablesRule): string {
    return ["-A", rule.chain, ...rule.args.map(quote)].join(" ");
}

/** The iptables-restore input for these tables (one block per table, in order, tables merged by name). */
export function restoreDocument(tables: readonly IptablesTable[]): string {
    const merged = new Map<Table, { chains: string[]; rules: IptablesRule[] }>();
    for (const table of tables) {
        const entry = merged.get(table.table) ?? { chains: [], rules: [] };
        entry.chains.push(...table.chains.filter((chain) => !entry.chains.includes(chain)));
        entry.rules.push(...table.rules);
        merged.set(table.table, entry);
    }
    const lines: string[] = [];
    for (const [table, { chains, rules }] of merged) {
        const undeclared = rules
            .map((rule) => rule.chain)
            .find((chain) => !BUILTIN_CHAINS.has(chain) && !chains.includes(chain));
        if (undeclared !== undefined) {
            throw new Error(`iptables table ${table}: chain ${undeclared} is used but not declared`);
        }
        lines.push(`*${table}`, ...chains.map((chain) => `:${chain} - [0:0]`), ...rules.map(ruleLine), "COMMIT");
    }
    return `${lines.join("\n")}\n`;
}
