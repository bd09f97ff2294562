import { Problem, Result, SectionKeys, fail, formatProblem, keyPath, ok } from "../common";
import { plainOr } from "../common/known";
import { controllerNodePortClaims } from "../ingress/controller-settings";
import { IngressMode } from "../ingress/types";
import { validateIngress } from "../ingress/validate";
import { validateKubeProxy } from "../kube-proxy/validate";
import { validateNodePrep } from "../node-prep/validate";
import {
    FlannelBackend,
    UDP_DEFAULT_PORT,
    VXLAN_DEFAULT_PORT,
    WIREGUARD_DEFAULT_PORT,
    WIREGUARD_DEFAULT_PORT_V6,
} from "../pod-network/constants";
import { validatePodNetwork } from "../pod-network/validate";
import { AddressPlan, planNetwork } from "../plan";
import { serviceClusterOf } from "../services/network";
import { parseNodePortRange } from "../services/network";
import {
    KUBERNETES_NODE_LISTENERS,
    NodeListener,
    nodeListenerProblems,
    nodePortRangeWarnings,
} from "../services/node-ports";
import { DEFAULT_NODE_PORT_RANGE, Protocol, ServiceType } from "../services/types";
import {
    serviceClusterIpWarnings,
    servicesKeys,
    serviceNodePortClaims,
    validateNodePorts,
    validateServices,
} from "../services/validate";
import type { ClusterNetworkArgs } from "./cluster-network";

/**
 * Validates everything a ClusterNetwork would build, before anything is registered: the address plan, then each
 * capability's settings against it. Every problem is returned at once, named by `keys`.
 */
export function validateClusterNetwork(args: ClusterNetworkArgs, keys: SectionKeys): Result<AddressPlan> {
    const planned = planNetwork({ cluster: args.cluster, nodes: args.nodes, previous: args.previous }, keys);
    const problems: Problem[] = planned.ok ? [] : [...planned.problems];
    // Checks that do not need the plan run even when it failed, so one run reports every problem.
    if (args.ingress !== undefined) {
        problems.push(...validateIngress(args.ingress, { services: args.services }, keys));
    }
    if (args.kubeProxy !== undefined) {
        problems.push(...validateKubeProxy(args.kubeProxy, args.cluster, keys));
    }
    if (planned.ok) {
        const podNetwork = args.podNetwork ?? {};
        problems.push(...validatePodNetwork(podNetwork, planned.value, keys));
        if (args.nodePrep !== undefined) {
            problems.push(
                ...validateNodePrep(args.nodePrep, planned.value, podNetwork.backend ?? FlannelBackend.Vxlan, keys),
            );
        }
    }
    // Services, and node ports stack-wide: the ingress controller's count too. Without a plan, only the node ports.
    const claims = args.ingress
        ? controllerNodePortClaims(args.ingress.controller ?? {}, keyPath(keys.ingress, "controller"))
        : [];
    if (planned.ok) {
        problems.push(
            ...validateServices(
                args.services ?? [],
                serviceClusterOf(planned.value, args.cluster),
                servicesKeys(keys),
                {
                    extraNodePortClaims: claims,
                },
            ),
        );
    } else {
        problems.push(
            ...validateNodePorts(args.services ?? [], claims, args.cluster.nodePortRange, servicesKeys(keys)),
        );
    }
    // Node ports that would take over what the nodes themselves listen on; a range that covers such ports.
    const listeners = nodeListeners(args);
    const rangeText = args.cluster.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    const range = parseNodePortRange(rangeText);
    problems.push(
        ...nodeListenerProblems(
            [...serviceNodePortClaims(args.services ?? [], servicesKeys(keys)), ...claims],
            listeners,
            range.ok ? range.value : undefined,
        ),
    );
    if (!planned.ok || problems.length > 0) {
        return fail(problems);
    }
    const warnings: Problem[] = [
        ...(range.ok
            ? nodePortRangeWarnings(range.value, rangeText, keyPath(keys.cluster, "nodePortRange"), listeners)
            : []),
        ...loadBalancerWarnings(args, keys),
        ...serviceClusterIpWarnings(args.services ?? [], servicesKeys(keys)),
    ];
    return ok({ ...planned.value, warnings: [...planned.value.warnings, ...warnings.map(formatProblem)] });
}

/**
 * Everything that listens on every node's own addresses in this stack: Kubernetes' own ports, flannel's tunnel
 * and health ports (flanneld runs in the host network), and the Ingress controller in hostPort mode.
 */
export function nodeListeners(args: Pick<ClusterNetworkArgs, "podNetwork" | "ingress">): NodeListener[] {
    const listeners: NodeListener[] = [
        ...KUBERNETES_NODE_LISTENERS,
        { port: 8081, protocol: Protocol.TCP, what: "flanneld's health check" },
    ];
    const podNetwork = args.podNetwork ?? {};
    const udpPort = (port: number | undefined, what: string): void => {
        if (port !== undefined) {
            listeners.push({ port, protocol: Protocol.UDP, what });
        }
    };
    switch (podNetwork.backend ?? FlannelBackend.Vxlan) {
        case FlannelBackend.Vxlan:
            udpPort(plainOr(podNetwork.vxlan?.port, VXLAN_DEFAULT_PORT), "flannel's VXLAN tunnel");
            break;
        case FlannelBackend.WireGuard:
            udpPort(plainOr(podNetwork.wireguard?.listenPort, WIREGUARD_DEFAULT_PORT), "flannel's WireGuard tunnel");
            udpPort(
                plainOr(podNetwork.wireguard?.listenPortV6, WIREGUARD_DEFAULT_PORT_V6),
                "flannel's IPv6 WireGuard tunnel",
            );
            break;
        case FlannelBackend.Udp:
            udpPort(plainOr(podNetwork.udp?.port, UDP_DEFAULT_PORT), "flannel's UDP tunnel");
            break;
    }
    if (args.ingress && (args.ingress.controller?.mode ?? IngressMode.NodePort) === IngressMode.HostPort) {
        listeners.push(
            { port: 80, protocol: Protocol.TCP, what: "the Ingress controller (hostPort mode)" },
            { port: 443, protocol: Protocol.TCP, what: "the Ingress controller (hostPort mode)" },
        );
    }
    return listeners;
}

/** A LoadBalancer Service on a cluster without a load-balancer provider keeps its address pending forever. */
function loadBalancerWarnings(args: ClusterNetworkArgs, keys: SectionKeys): Problem[] {
    if (args.cluster.loadBalancer === true) {
        return [];
    }
    return (args.services ?? []).flatMap((spec, index) =>
        spec.type === ServiceType.LoadBalancer
            ? [
                  {
                      key: keyPath(servicesKeys(keys).service(index), "type"),
                      message: `Service ${spec.namespace ?? "default"}/${spec.name} is a LoadBalancer, but nothing on bare metal gives it an address (${keyPath(keys.cluster, "loadBalancer")} is false): its EXTERNAL-IP stays <pending>; it is still reachable on its node ports`,
                      fix: `write NodePort, or set ${keyPath(keys.cluster, "loadBalancer")}: true once MetalLB (or another provider) runs`,
                  },
              ]
            : [],
    );
}
