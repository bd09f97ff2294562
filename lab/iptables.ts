/**
 * iptables rules as data, and the iptables-restore document that applies them. The lab applies each agent's rules
 * (flanneld's, kube-proxy's) with one `iptables-restore --noflush` per node namespace: atomic per table, fast, and
 * it leaves chains that others made (the CNI portmap plugin's) alone.
 */

export const Table = { Filter: "filter", Nat: "nat", Mangle: "mangle" } as const;
export type Table = (typeof Table)[keyof typeof Table];

export interface IptablesRule {
    readonly chain: string;
    /** Everything after `-A <chain>`, one argument per element (no shell quoting). */
    readonly args: readonly string[];
    /**
     * A jump into a built-in chain that goes to the top of it, as kube-proxy and kubelet put theirs
     * (`iptables -I`, in this rule's order among the table's inserted rules); default: appended.
     */
    readonly insert?: boolean;
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

/** The jump target and comment of a rule: what tells two jumps into a built-in chain apart. */
function ruleKey(chain: string, args: readonly string[]): string {
    const jump = args.indexOf("-j");
    const comment = args.indexOf("--comment");
    return [
        chain,
        jump >= 0 ? args[jump + 1] : "",
        comment >= 0 ? args[comment + 1] : "",
        args.includes("-s") ? args[args.indexOf("-s") + 1] : "",
    ].join("\u0000");
}

/** Splits an iptables-save line into its arguments (double quotes as iptables-save writes them). */
export function splitRuleLine(line: string): string[] {
    const args: string[] = [];
    const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
        args.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2]!);
    }
    return args;
}

/** The keys of the rules already in the built-in chains of an `iptables-save` output, by table. */
export function presentBuiltinRules(saved: string): Map<string, Set<string>> {
    const present = new Map<string, Set<string>>();
    let table = "";
    for (const line of saved.split("\n")) {
        if (line.startsWith("*")) {
            table = line.slice(1).trim();
        } else if (line.startsWith("-A ")) {
            const [, chain, ...args] = splitRuleLine(line);
            if (chain !== undefined && BUILTIN_CHAINS.has(chain)) {
                const keys = present.get(table) ?? new Set<string>();
                keys.add(ruleKey(chain, args));
                present.set(table, keys);
            }
        }
    }
    return present;
}

/**
 * The iptables-restore input for these tables (one block per table, in order, tables merged by name). With what
 * `iptables-save` printed, it is idempotent as kube-proxy's sync is: user chains are declared (so flushed and
 * rewritten), and a jump into a built-in chain that is already there is not added twice. Linear in the number of
 * chains and rules: chains are deduplicated through sets (a list's `includes` made this quadratic, 16 s for 5,000
 * Services), and the text is joined once.
 */
export function restoreDocument(tables: readonly IptablesTable[], saved?: string): string {
    const present = saved === undefined ? new Map<string, Set<string>>() : presentBuiltinRules(saved);
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
        const inserted = new Map<string, number>();
        const line = (rule: IptablesRule): string => {
            if (!rule.insert) {
                return ruleLine(rule);
            }
            const position = (inserted.get(rule.chain) ?? 0) + 1;
            inserted.set(rule.chain, position);
            return ["-I", rule.chain, String(position), ...rule.args.map(quote)].join(" ");
        };
        lines.push(`*${table}`);
        for (const chain of chains) {
            lines.push(`:${chain} - [0:0]`);
        }
        for (const rule of rules) {
            // A jump into a built-in chain that is already there is not added twice.
            if (!BUILTIN_CHAINS.has(rule.chain) || !present.get(table)?.has(ruleKey(rule.chain, rule.args))) {
                lines.push(line(rule));
            }
        }
        lines.push("COMMIT");
    }
    return `${lines.join("\n")}\n`;
}
