/**
 * Readers for untyped resource properties. The engine hands policies plain JSON wrapped in a proxy that throws
 * `UnknownValueError` when a value is unknown at preview; these readers only look at types and never catch, so
 * that error reaches the engine, which then skips the policy with an advisory note instead of failing.
 */

export type Props = Record<string, unknown>;

export function asRecord(value: unknown): Props | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Props) : undefined;
}

export function asArray(value: unknown): readonly unknown[] {
    return Array.isArray(value) ? (value as unknown[]) : [];
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
    return typeof value === "boolean" ? value : undefined;
}

/** A label map (selector, labels): string values only, as Kubernetes requires. */
export function asStringMap(value: unknown): Record<string, string> {
    const record = asRecord(value);
    const result: Record<string, string> = {};
    if (record) {
        for (const [key, item] of Object.entries(record)) {
            if (typeof item === "string") {
                result[key] = item;
            }
        }
    }
    return result;
}

/** `props.a.b.c` without throwing on missing levels (unknown values still throw, on purpose). */
export function at(value: unknown, ...path: string[]): unknown {
    let current = value;
    for (const key of path) {
        const record = asRecord(current);
        if (!record) {
            return undefined;
        }
        current = record[key];
    }
    return current;
}

/** A value for a message: strings quoted, everything else as JSON. */
export function shown(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
}

/** `a, b and c` */
export function listed(items: readonly string[]): string {
    if (items.length <= 1) {
        return items.join("");
    }
    return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** The first `limit` items listed, and how many more there are. */
export function listedAtMost(items: readonly string[], limit: number): string {
    if (items.length <= limit) {
        return listed(items);
    }
    return `${items.slice(0, limit).join(", ")} and ${items.length - limit} more`;
}

/**
 * A value computed on first use. Stack policies read thousands of objects through the engine's proxy, most of them
 * for one field or two, so the readers compute each field only when a policy asks for it.
 */
export function lazy<T>(compute: () => T): () => T {
    let done = false;
    let value: T;
    return () => {
        if (!done) {
            value = compute();
            done = true;
        }
        return value;
    };
}
