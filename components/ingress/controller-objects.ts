import type * as k8s from "@pulumi/kubernetes";
import { IpFamily } from "../plan";
import type { GatewayApiObject } from "./gateway-api";

/** Every kind of object an Ingress controller is made of. */
export type ControllerManifest =
    | k8s.types.input.core.v1.Namespace
    | k8s.types.input.core.v1.ServiceAccount
    | k8s.types.input.core.v1.ConfigMap
    | k8s.types.input.core.v1.Service
    | k8s.types.input.rbac.v1.Role
    | k8s.types.input.rbac.v1.RoleBinding
    | k8s.types.input.rbac.v1.ClusterRole
    | k8s.types.input.rbac.v1.ClusterRoleBinding
    | k8s.types.input.apps.v1.Deployment
    | k8s.types.input.apps.v1.DaemonSet
    | k8s.types.input.batch.v1.Job
    | k8s.types.input.networking.v1.IngressClass
    | k8s.types.input.admissionregistration.v1.ValidatingWebhookConfiguration
    | GatewayApiObject;

/** One object of a controller, with what the component needs to register it in the right order. */
export interface ControllerObject {
    /** A stable key, unique within the controller: the Pulumi resource is named `${component}-${key}`. */
    readonly key: string;
    readonly kind: string;
    readonly name: string;
    /** The namespace of a namespaced object. */
    readonly namespace?: string;
    /** The object, as plain data. */
    readonly object: ControllerManifest;
    /** Keys of objects this one must wait for (its namespace is implied for namespaced objects). */
    readonly waitsFor: readonly string[];
    /** Replace by deleting first: for objects whose fixed name a replacement would collide with. */
    readonly deleteBeforeReplace: boolean;
    /** Needs the Gateway API CRDs installed first: a GatewayClass, and the controller that watches those kinds. */
    readonly waitsForGatewayApi: boolean;
}

/** A controller's objects, in apply order. */
export interface ControllerObjects {
    readonly objects: readonly ControllerObject[];
}

export interface ObjectOptions {
    readonly waitsFor?: readonly string[];
    readonly deleteBeforeReplace?: boolean;
    readonly waitsForGatewayApi?: boolean;
}

/** Wraps a built object with its bookkeeping; kind, name and namespace are read from the object itself. */
export function controllerObject(
    key: string,
    object: ControllerManifest,
    options: ObjectOptions = {},
): ControllerObject {
    const kind = object.kind as string;
    const metadata = object.metadata as { name: string; namespace?: string };
    return {
        key,
        kind,
        name: metadata.name,
        ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
        object,
        waitsFor: options.waitsFor ?? [],
        deleteBeforeReplace: options.deleteBeforeReplace ?? false,
        waitsForGatewayApi: options.waitsForGatewayApi ?? false,
    };
}

/** The Service's IP family fields for the cluster's families: single-stack, or PreferDualStack on a dual-stack cluster. */
export function serviceIpFamilies(families: readonly IpFamily[]): { ipFamilies: IpFamily[]; ipFamilyPolicy: string } {
    return families.length > 1
        ? { ipFamilies: [...families], ipFamilyPolicy: "PreferDualStack" }
        : { ipFamilies: [...families], ipFamilyPolicy: "SingleStack" };
}

/**
 * The controller's Service holds fixed node ports: a replacement (e.g. switching implementation, which moves it to
 * another namespace) created before the old one is deleted would find its node ports taken. Likewise a hostPort
 * DaemonSet's new pods could never start beside the old ones, so both are replaced by deleting first.
 */
export const DELETE_BEFORE_REPLACE: ObjectOptions = { deleteBeforeReplace: true };

/** kubeadm taints control-plane nodes; in hostPort mode the controller runs there too, so every node answers on 80/443. */
export const CONTROL_PLANE_TOLERATION: k8s.types.input.core.v1.Toleration = {
    key: "node-role.kubernetes.io/control-plane",
    operator: "Exists",
    effect: "NoSchedule",
};
