/**
 * Where each section of a cluster's settings lives, for naming them in problems: in the stack they are config keys
 * (`clusternet:nodes[1].ip`), in a component they are args (`args.nodes[1].ip`).
 */
export interface SectionKeys {
    readonly cluster: string;
    readonly nodes: string;
    readonly podNetwork: string;
    readonly nodePrep: string;
    readonly kubeProxy: string;
    readonly services: string;
    readonly ingress: string;
    /** The source of the previous allocation. */
    readonly previous: string;
    /** How a port given by name is keyed, see {@link PortNameField}. */
    readonly portNameField: PortNameField;
}

/**
 * The key of a port given by name, from the key of the port given by number. Component args split such a port in
 * two fields (`targetPort: 80` or `targetPortName: "http"`), so other Pulumi languages get plain types; the stack
 * config keeps one key that takes either (`targetPort: http`), and problems name the key the user wrote.
 */
export type PortNameField = (numberField: string) => string;

/** Args: `targetPort` / `targetPortName`, `readinessPort` / `readinessPortName`, `port` / `portName`. */
export const SPLIT_PORT_FIELDS: PortNameField = (numberField) => `${numberField}Name`;
/** The stack config: one key for a number or a name. */
export const COMBINED_PORT_FIELDS: PortNameField = (numberField) => numberField;

export function sectionKeys(prefix: string, previous: string, portNameField: PortNameField): SectionKeys {
    return {
        cluster: `${prefix}cluster`,
        nodes: `${prefix}nodes`,
        podNetwork: `${prefix}podNetwork`,
        nodePrep: `${prefix}nodePrep`,
        kubeProxy: `${prefix}kubeProxy`,
        services: `${prefix}services`,
        ingress: `${prefix}ingress`,
        previous,
        portNameField,
    };
}

/** Keys as the stack's config names them. */
export const STACK_KEYS: SectionKeys = sectionKeys("clusternet:", "previous allocation", COMBINED_PORT_FIELDS);
/** Keys as a component's args name them. */
export const ARGS_KEYS: SectionKeys = sectionKeys("args.", "args.previous", SPLIT_PORT_FIELDS);
