import { Problem, Result, fail, ok, show } from "../common";

/** The API server's default --service-node-port-range. */
export const DEFAULT_NODE_PORT_RANGE = "30000-32767";

/** An inclusive range of node ports. */
export interface NodePortRange {
    readonly first: number;
    readonly last: number;
}

/** Go's strconv.Atoi on a port: decimal digits with an optional '+' sign (leading zeros allowed). */
const ATOI = /^\+?\d+$/;

/**
 * Parses a node port range as kube-apiserver parses --service-node-port-range (apimachinery's
 * `util/net.PortRange.Set`): surrounding spaces trimmed, `FIRST-LAST` or a single port `N` (the range N-N), each end
 * 0-65535, FIRST <= LAST. Empty text is the API server's default range, as if the flag were not given. `FIRST+SIZE`
 * is refused: upstream leaves it as a TODO and refuses it too.
 */
export function parseNodePortRange(text: string): Result<NodePortRange> {
    const value = text.trim();
    if (value === "") {
        return parseNodePortRange(DEFAULT_NODE_PORT_RANGE);
    }
    const hyphen = value.indexOf("-");
    const parts = hyphen < 0 ? [value, value] : [value.slice(0, hyphen), value.slice(hyphen + 1)];
    if (!parts.every((part) => ATOI.test(part))) {
        return fail({
            key: "",
            message: `${show(text)} is not a port range (the API server takes FIRST-LAST or one port)`,
            fix: `write FIRST-LAST, e.g. ${DEFAULT_NODE_PORT_RANGE}`,
        });
    }
    const [first, last] = parts.map(Number) as [number, number];
    if (first > 65535 || last > 65535) {
        return fail({
            key: "",
            message: `${show(text)} goes beyond port 65535`,
            fix: `keep both ends within 1-65535, e.g. ${DEFAULT_NODE_PORT_RANGE}`,
        });
    }
    if (first > last) {
        return fail({ key: "", message: `${show(text)} starts after it ends`, fix: `write ${last}-${first}` });
    }
    return ok({ first, last });
}

/** `30000-32767`, the canonical spelling of a range. */
export function formatNodePortRange(range: NodePortRange): string {
    return `${range.first}-${range.last}`;
}

/** Whether a node port lies in the range. */
export function inNodePortRange(nodePort: number, range: NodePortRange): boolean {
    return nodePort >= range.first && nodePort <= range.last;
}

/** Where the node port range comes from, for messages: its text and the key or setting that sets it. */
export interface NodePortRangeSource {
    readonly range: NodePortRange;
    /** The range as configured, e.g. `30000-32767`. */
    readonly text: string;
    /** The key or setting it comes from, e.g. `clusternet:cluster.nodePortRange`. */
    readonly key: string;
}

/**
 * A fixed node port outside the range is refused by the API server (`provided port is not in the valid range`).
 * `orOmit` adds that leaving it out lets the cluster choose.
 */
export function nodePortRangeFindings(
    nodePort: number,
    source: NodePortRangeSource,
    path: string,
    { orOmit = true }: { orOmit?: boolean } = {},
): Problem[] {
    if (inNodePortRange(nodePort, source.range)) {
        return [];
    }
    return [
        {
            key: path,
            message: `${nodePort} is outside the node port range ${source.text} (${source.key}); the API server refuses it ("provided port is not in the valid range")`,
            fix: `pick a port from ${source.range.first} to ${source.range.last}${orOmit ? ", or leave it out to let the cluster choose" : ""}`,
        },
    ];
}
