import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ControllerObject } from "./controller-objects";

/** Registers one built object as the typed @pulumi/kubernetes resource of its kind. */
export function registerControllerObject(
    name: string,
    item: ControllerObject,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const object = item.object;
    switch (item.kind) {
        case "Namespace":
            return new k8s.core.v1.Namespace(name, object as k8s.core.v1.NamespaceArgs, opts);
        case "ServiceAccount":
            return new k8s.core.v1.ServiceAccount(name, object as k8s.core.v1.ServiceAccountArgs, opts);
        case "ConfigMap":
            return new k8s.core.v1.ConfigMap(name, object as k8s.core.v1.ConfigMapArgs, opts);
        case "Service":
            return new k8s.core.v1.Service(name, object as k8s.core.v1.ServiceArgs, opts);
        case "Role":
            return new k8s.rbac.v1.Role(name, object as k8s.rbac.v1.RoleArgs, opts);
        case "RoleBinding":
            return new k8s.rbac.v1.RoleBinding(name, object as k8s.rbac.v1.RoleBindingArgs, opts);
        case "ClusterRole":
            return new k8s.rbac.v1.ClusterRole(name, object as k8s.rbac.v1.ClusterRoleArgs, opts);
        case "ClusterRoleBinding":
            return new k8s.rbac.v1.ClusterRoleBinding(name, object as k8s.rbac.v1.ClusterRoleBindingArgs, opts);
        case "Deployment":
            return new k8s.apps.v1.Deployment(name, object as k8s.apps.v1.DeploymentArgs, opts);
        case "DaemonSet":
            return new k8s.apps.v1.DaemonSet(name, object as k8s.apps.v1.DaemonSetArgs, opts);
        case "Job":
            return new k8s.batch.v1.Job(name, object as k8s.batch.v1.JobArgs, opts);
        case "IngressClass":
            return new k8s.networking.v1.IngressClass(name, object as k8s.networking.v1.IngressClassArgs, opts);
        case "ValidatingWebhookConfiguration":
            return new k8s.admissionregistration.v1.ValidatingWebhookConfiguration(
                name,
                object as k8s.admissionregistration.v1.ValidatingWebhookConfigurationArgs,
                opts,
            );
        case "GatewayClass":
            return new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, opts);
        default:
            throw new Error(`clusternet cannot register a ${item.kind} (${item.key})`);
    }
}
