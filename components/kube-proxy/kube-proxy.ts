import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem } from "../common";
import { configHash, kubeProxyConfigText } from "./configuration";
import {
    kubeProxyClusterRoleBinding,
    kubeProxyConfigMap,
    kubeProxyConfigMapPatch,
    kubeProxyConfigReaderRole,
    kubeProxyConfigReaderRoleBinding,
    kubeProxyDaemonSet,
    kubeProxyDaemonSetPatch,
    kubeProxyServiceAccount,
} from "./manifests";
import { KubeProxyArgs, KubeProxyManage } from "./types";
import { ipvsDeprecationWarning, kubeProxyArgsProblems, resolveKubeProxySpec } from "./validate";

/**
 * kube-proxy's mode and config. Default (manage config): takes over kubeadm's kube-system/kube-proxy ConfigMap's
 * config.conf with a ConfigMapPatch and rolls kubeadm's DaemonSet through a pod-template annotation holding the
 * config's hash (a DaemonSetPatch); both are retained on delete, since giving config.conf back would leave
 * kube-proxy without a config at its next start. With manage full it deploys kube-proxy as kubeadm's addon does.
 * In ipvs mode it logs the deprecation warning.
 */
export class KubeProxy extends pulumi.ComponentResource {
    /** The mode kube-proxy runs in. */
    public readonly mode: pulumi.Output<string>;
    /** kube-proxy's clusterCIDR: the pod CIDR(s), comma-separated. */
    public readonly clusterCidr: pulumi.Output<string>;
    /** config.conf, the KubeProxyConfiguration as written. */
    public readonly config: pulumi.Output<string>;
    /** The config's hash on the DaemonSet's pod template: a new value rolls kube-proxy on every node. */
    public readonly configHash: pulumi.Output<string>;

    constructor(name: string, args: KubeProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = kubeProxyArgsProblems(args);
        if (problems.length > 0) {
            throw new pulumi.RunError(
                `KubeProxy "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`,
            );
        }
        super("clusternet:index:KubeProxy", name, {}, opts);
        const spec = resolveKubeProxySpec(args);
        const text = kubeProxyConfigText(spec);
        if (args.mode === "ipvs") {
            void pulumi.log.warn(formatProblem(ipvsDeprecationWarning("mode")), this);
        }
        const child = { parent: this };
        if (spec.manage === KubeProxyManage.Full) {
            const serviceAccount = new k8s.core.v1.ServiceAccount(
                `${name}-service-account`,
                kubeProxyServiceAccount(),
                child,
            );
            const binding = new k8s.rbac.v1.ClusterRoleBinding(
                `${name}-cluster-role-binding`,
                kubeProxyClusterRoleBinding(),
                { parent: this, dependsOn: [serviceAccount] },
            );
            const role = new k8s.rbac.v1.Role(`${name}-config-reader`, kubeProxyConfigReaderRole(), child);
            new k8s.rbac.v1.RoleBinding(`${name}-config-reader`, kubeProxyConfigReaderRoleBinding(), {
                parent: this,
                dependsOn: [role],
            });
            const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, kubeProxyConfigMap(spec), child);
            new k8s.apps.v1.DaemonSet(`${name}-daemon-set`, kubeProxyDaemonSet(spec), {
                parent: this,
                dependsOn: [configMap, binding],
            });
        } else {
            const configMap = new k8s.core.v1.ConfigMapPatch(`${name}-config`, kubeProxyConfigMapPatch(spec), {
                parent: this,
                retainOnDelete: true,
            });
            // The rollout starts only once the new config is in place.
            new k8s.apps.v1.DaemonSetPatch(`${name}-rollout`, kubeProxyDaemonSetPatch(spec), {
                parent: this,
                retainOnDelete: true,
                dependsOn: [configMap],
            });
        }
        this.mode = pulumi.output(spec.mode);
        this.clusterCidr = pulumi.output(spec.clusterCidrs.join(","));
        this.config = pulumi.output(text);
        this.configHash = pulumi.output(configHash(text));
        this.registerOutputs({
            mode: this.mode,
            clusterCidr: this.clusterCidr,
            config: this.config,
            configHash: this.configHash,
        });
    }
}
