import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARGS_KEYS, formatProblem } from "../common";
import { childDependsOn } from "../common/depends-on";
import { AddressPlan, planNetwork } from "../plan";
import {
    controllerManagerFlags,
    flannelClusterRole,
    flannelClusterRoleBinding,
    flannelConfigMap,
    flannelDaemonSet,
    flannelMetadata,
    nodeCidrPatches,
} from "./manifests";
import { jsonText, netConf, podMtu } from "./net-conf";
import { FlannelSpec, PodNetworkArgs, PodNetworkSettings } from "./types";
import { POD_NETWORK_ARGS_KEYS, resolveFlannelSpec, validatePodNetwork } from "./validate";

/** The address plan of valid args; otherwise a RunError listing every problem, thrown before anything is registered. */
function validPlan(name: string, args: PodNetworkArgs): AddressPlan {
    const planned = planNetwork(args, ARGS_KEYS);
    const problems = planned.ok ? validatePodNetwork(args, planned.value, POD_NETWORK_ARGS_KEYS) : planned.problems;
    if (!planned.ok || problems.length > 0) {
        throw new pulumi.RunError(`PodNetwork "${name}" has invalid args:\n${problems.map(formatProblem).join("\n")}`);
    }
    return planned.value;
}

/**
 * The cluster's pod network: flannel as upstream v0.28.9 deploys it (Namespace, RBAC, ConfigMap, DaemonSet),
 * configured from the address plan of its cluster and nodes (the pure planNetwork, as NetworkPlan uses it), plus
 * one NodePatch per node giving it the plan's podCIDR(s). Validates its args before registering anything.
 *
 * flanneld waits for the NodePatches and for whatever `opts.dependsOn` names (the SDK does not pass a component's
 * dependsOn to its children, so this one hands it to the DaemonSet): e.g. a NodePrep, so it starts on prepared nodes.
 */
export class PodNetwork extends pulumi.ComponentResource {
    /** The kube-flannel Namespace; every namespaced object waits for it. */
    public readonly namespace: k8s.core.v1.Namespace;
    /** kube-flannel-cfg: cni-conf.json and (without a WireGuard PSK) net-conf.json. */
    public readonly configMap: k8s.core.v1.ConfigMap;
    /** kube-flannel-net-conf: net-conf.json with the WireGuard PSK; only when a PSK is set. */
    public readonly netConfSecret?: k8s.core.v1.Secret;
    /** kube-flannel-ds. */
    public readonly daemonSet: k8s.apps.v1.DaemonSet;
    /** One per node when assignNodeCidrs is true (retained on delete: podCIDR cannot be unset). */
    public readonly nodePatches: k8s.core.v1.NodePatch[];
    /** The pods' MTU: the underlay MTU (1500 unless configured) minus the backend's overhead. */
    public readonly podMtu: pulumi.Output<number>;
    /** net-conf.json as flanneld reads it; a secret when it holds a WireGuard PSK. */
    public readonly netConf: pulumi.Output<string>;
    /** The kube-controller-manager flags matching the plan; only when assignNodeCidrs is false. */
    public readonly controllerManagerFlags?: pulumi.Output<string[]>;

    constructor(name: string, args: PodNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = validPlan(name, args);
        // Its inputs stay with its children: the SDK would serialize args (node lists, Services) once more per component.
        super("clusternet:index:PodNetwork", name, {}, opts);
        const { cluster: _cluster, nodes: _nodes, previous: _previous, wireguard, ...otherSettings } = args;
        const psk = wireguard?.psk;
        const hasPsk = psk !== undefined;
        // The PSK stays out of `spec`, so only the Secret (not the ConfigMap or the DaemonSet) is built from a secret.
        const { psk: _psk, ...wireguardWithoutPsk } = wireguard ?? {};
        const settings: PodNetworkSettings = {
            ...otherSettings,
            ...(wireguard !== undefined ? { wireguard: wireguardWithoutPsk } : {}),
        };
        const spec: pulumi.Output<FlannelSpec> = pulumi
            .output(settings)
            .apply((resolved) => resolveFlannelSpec(resolved, plan, hasPsk));

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: flannelMetadata("namespace") },
            { parent: this },
        );
        const inNamespace: pulumi.CustomResourceOptions = { parent: this, dependsOn: [this.namespace] };
        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            { metadata: flannelMetadata("serviceAccount") },
            inNamespace,
        );
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-role`,
            { metadata: flannelMetadata("clusterRole"), rules: flannelClusterRole().rules },
            { parent: this },
        );
        const binding = flannelClusterRoleBinding();
        const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-role-binding`,
            { metadata: flannelMetadata("clusterRoleBinding"), roleRef: binding.roleRef, subjects: binding.subjects },
            { parent: this, dependsOn: [clusterRole, serviceAccount] },
        );
        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: flannelMetadata("configMap"),
                data: spec.apply((resolved) => flannelConfigMap(resolved).data ?? {}),
            },
            inNamespace,
        );

        if (hasPsk) {
            const secretText = pulumi.secret(
                pulumi.all([spec, psk]).apply(([resolved, key]) => jsonText(netConf(resolved, key))),
            );
            this.netConfSecret = new k8s.core.v1.Secret(
                `${name}-net-conf`,
                {
                    metadata: flannelMetadata("netConfSecret"),
                    type: "Opaque",
                    stringData: { "net-conf.json": secretText },
                },
                inNamespace,
            );
            this.netConf = secretText;
        } else {
            this.netConf = spec.apply((resolved) => jsonText(netConf(resolved)));
        }

        const assignNodeCidrs = args.assignNodeCidrs ?? true;
        this.nodePatches = assignNodeCidrs
            ? nodeCidrPatches(plan).map(
                  (patch) =>
                      // Retained on delete: giving podCIDR back would ask the API server to unset an immutable field.
                      new k8s.core.v1.NodePatch(
                          `${name}-node-${patch.metadata!.name!}`,
                          { metadata: patch.metadata, spec: patch.spec },
                          { parent: this, retainOnDelete: true },
                      ),
              )
            : [];
        if (!assignNodeCidrs) {
            this.controllerManagerFlags = pulumi.output(controllerManagerFlags(plan));
        }

        // flanneld exits on a node without a podCIDR and needs the node prepared: it starts after both.
        this.daemonSet = new k8s.apps.v1.DaemonSet(
            `${name}-daemon-set`,
            { metadata: flannelMetadata("daemonSet"), spec: spec.apply((resolved) => flannelDaemonSet(resolved).spec) },
            {
                parent: this,
                dependsOn: childDependsOn(
                    [
                        this.namespace,
                        serviceAccount,
                        clusterRoleBinding,
                        this.configMap,
                        ...(this.netConfSecret ? [this.netConfSecret] : []),
                        ...this.nodePatches,
                    ],
                    opts?.dependsOn,
                ),
            },
        );

        this.podMtu = spec.apply((resolved) => podMtu(resolved.backend, resolved.mtu));
        this.registerOutputs({
            podMtu: this.podMtu,
            netConf: this.netConf,
            ...(this.controllerManagerFlags ? { controllerManagerFlags: this.controllerManagerFlags } : {}),
        });
    }
}
