import { isLabelValue } from "../common";

/** The recommended `app.kubernetes.io/*` label keys. */
export const AppLabel = {
    Name: "app.kubernetes.io/name",
    Instance: "app.kubernetes.io/instance",
    Component: "app.kubernetes.io/component",
    Version: "app.kubernetes.io/version",
    PartOf: "app.kubernetes.io/part-of",
    ManagedBy: "app.kubernetes.io/managed-by",
} as const;

/** What every object clusternet creates says about itself. */
export const PART_OF = "clusternet";
export const MANAGED_BY = "pulumi";
/** The component label of an AppService's workload. */
export const WORKLOAD_COMPONENT = "server";

/** Who an app is, for its labels. */
export interface AppIdentity {
    /** The app's name: the Service's name. */
    readonly name: string;
    /** Which installation of it: the cluster's name under ClusterNetwork, else the Service's name. */
    readonly instance: string;
    /** Its role; omitted for a Service without an app. */
    readonly component?: string;
    /** Its version (the image tag), when it is a valid label value. */
    readonly version?: string;
}

export interface AppLabels {
    /**
     * The Service's selector and the Deployment's `spec.selector.matchLabels`: only labels that never change on an
     * upgrade, because a Deployment's selector is immutable.
     */
    readonly selector: Record<string, string>;
    /** Every label of the objects and the pod template; always a superset of `selector`. */
    readonly labels: Record<string, string>;
}

/**
 * The one place that makes an app's labels. The selector is taken from the same value as the pod labels, so the
 * two cannot drift apart (a Service whose selector matches no pod has no endpoints).
 */
export function appLabels(identity: AppIdentity): AppLabels {
    const selector = { [AppLabel.Name]: identity.name, [AppLabel.Instance]: identity.instance };
    const labels: Record<string, string> = { ...selector };
    if (identity.component !== undefined) {
        labels[AppLabel.Component] = identity.component;
    }
    if (identity.version !== undefined) {
        labels[AppLabel.Version] = identity.version;
    }
    labels[AppLabel.PartOf] = PART_OF;
    labels[AppLabel.ManagedBy] = MANAGED_BY;
    return { selector, labels };
}

/** Labels of objects that belong to no single app, such as a Namespace. */
export function sharedLabels(): Record<string, string> {
    return { [AppLabel.PartOf]: PART_OF, [AppLabel.ManagedBy]: MANAGED_BY };
}

/** An image reference split into repository, tag and digest (`registry:5000/a/b:1.2@sha256:...`). */
export interface ImageReference {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

export function parseImage(image: string): ImageReference {
    const at = image.indexOf("@");
    const withoutDigest = at < 0 ? image : image.slice(0, at);
    const digest = at < 0 ? undefined : image.slice(at + 1);
    // A colon after the last slash is a tag; one before it belongs to a registry's port.
    const colon = withoutDigest.lastIndexOf(":");
    const tagged = colon > withoutDigest.lastIndexOf("/");
    return {
        repository: tagged ? withoutDigest.slice(0, colon) : withoutDigest,
        tag: tagged ? withoutDigest.slice(colon + 1) : undefined,
        digest,
    };
}

/** The image's tag as an `app.kubernetes.io/version` value, when it is one (a digest is not). */
export function imageVersion(image: string): string | undefined {
    const { tag } = parseImage(image);
    return tag !== undefined && tag !== "" && isLabelValue(tag) ? tag : undefined;
}
