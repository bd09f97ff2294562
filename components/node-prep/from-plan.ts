import * as pulumi from "@pulumi/pulumi";
import { AddressPlan } from "../plan";
import { FlannelBackend, VXLAN_DEFAULT_VNI, vxlanDeviceNames } from "../pod-network/constants";
import { PodNetworkSettings } from "../pod-network/types";
import { NodePrepArgs } from "./node-prep";
import { ProxyMode } from "./script";
import { NodePrepSettings } from "./validate";

/**
 * NodePrep's args for a planned cluster: every planned node at its IP, IPv6 forwarding when the pods have IPv6,
 * and flanneld's VXLAN devices (flannel.<VNI>, flannel-v6.<VNI>) when checksum offload is to be turned off.
 */
export function nodePrepArgsFor(
    plan: AddressPlan,
    settings: NodePrepSettings,
    podNetwork: PodNetworkSettings,
    proxyMode: ProxyMode = "iptables",
): NodePrepArgs {
    const ipv4 = plan.cluster.podCidr !== null;
    const ipv6 = plan.cluster.podCidrV6 !== null;
    const vxlan = (podNetwork.backend ?? FlannelBackend.Vxlan) === FlannelBackend.Vxlan;
    return {
        nodes: plan.nodes.map((node) => {
            const hostKey = settings.hostKeys?.[node.name];
            return { name: node.name, host: node.ip, ...(hostKey !== undefined ? { hostKey } : {}) };
        }),
        user: settings.user,
        port: settings.port,
        privateKey: settings.privateKey,
        ipv6Forwarding: ipv6,
        ...(proxyMode !== "iptables" ? { proxyMode } : {}),
        checksumOffloadDevices: pulumi
            .all([settings.disableVxlanChecksumOffload, podNetwork.vxlan?.vni])
            .apply(([disable, vni]) =>
                disable === true && vxlan ? vxlanDeviceNames(vni ?? VXLAN_DEFAULT_VNI, ipv4, ipv6) : [],
            ),
    };
}
