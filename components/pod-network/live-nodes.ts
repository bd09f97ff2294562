import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LiveNodeSpec } from "../plan";

/** Resolves with an Output's value, or undefined where it stays unknown (a preview that cannot read it). */
function settled<T>(output: pulumi.Output<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
        output.apply((value) => {
            resolve(value);
            return value;
        });
        // Not in the SDK's typings, but set on every Output: whether its value will be known.
        const isKnown = (output as unknown as { isKnown?: Promise<boolean> }).isKnown;
        isKnown?.then((known) => (known ? undefined : resolve(undefined)), reject);
    });
}

/**
 * Reads each named Node from the cluster (a Read, which `pulumi preview` runs too, so a pull request already fails
 * on it) and resolves with their pod CIDRs by name. A Node that does not exist fails its read, and with it the
 * update, before any NodePatch could create a bare Node. The reads are named `<prefix>-<node>`.
 */
export async function readLiveNodes(
    prefix: string,
    names: readonly string[],
    provider: k8s.Provider,
): Promise<Record<string, LiveNodeSpec | undefined>> {
    const reads = names.map((name) => k8s.core.v1.Node.get(`${prefix}-${name}`, name, { provider }));
    const specs = await Promise.all(
        reads.map((node) =>
            settled(
                node.spec.apply((spec) => ({
                    ...(spec?.podCIDR ? { podCIDR: spec.podCIDR } : {}),
                    ...(spec?.podCIDRs ? { podCIDRs: [...spec.podCIDRs] } : {}),
                })),
            ),
        ),
    );
    return Object.fromEntries(names.map((name, index) => [name, specs[index]]));
}
