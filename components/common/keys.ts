/**
 * Where each section of a cluster's settings lives, for naming them in problems: in the stack they are config keys
 * (`clusternet:nodes[1].ip`), in a component they are args (`args.nodes[1].ip`).
 */
export interface SectionKeys {
    readonly cluster: string;
    readonly nodes: string;
    readonly podNetwork: string;
    readonly nodePrep: string;
    readonly services: string;
    readonly ingress: string;
    /** The source of the previous allocation. */
    readonly previous: string;
}

export function sectionKeys(prefix: string, previous: string): SectionKeys {
    return {
        cluster: `${prefix}cluster`,
        nodes: `${prefix}nodes`,
        podNetwork: `${prefix}podNetwork`,
        nodePrep: `${prefix}nodePrep`,
        services: `${prefix}services`,
        ingress: `${prefix}ingress`,
        previous,
    };
}

/** Keys as the stack's config names them. */
export const STACK_KEYS: SectionKeys = sectionKeys("clusternet:", "previous allocation");
/** Keys as a component's args name them. */
export const ARGS_KEYS: SectionKeys = sectionKeys("args.", "args.previous");
