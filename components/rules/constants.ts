/**
 * Numbers the cluster's components agree on, stated once for the planner, the components and the policies. This
 * file imports nothing, so the address planner (components/plan) can use it without a cycle.
 */

/** The `kubernetes` Service (the API server) takes the first address of the Service CIDR. */
export const KUBERNETES_SERVICE_INDEX = 1n;
/** kubeadm puts cluster DNS (the kube-dns Service) on the 10th address of the Service CIDR. */
export const DNS_SERVICE_INDEX = 10n;

/**
 * Bytes each flannel backend adds to a packet; flannel subtracts exactly these from the underlay MTU to get the pod
 * MTU (FLANNEL_MTU in subnet.env): vxlan 14 Ethernet + 20 IPv4 + 8 UDP + 8 VXLAN, wireguard 40 IPv6 + 8 UDP + 32
 * WireGuard header and tag, udp 20 IPv4 + 8 UDP, host-gw routes without encapsulation.
 */
export const FLANNEL_BACKEND_OVERHEAD = {
    vxlan: 50,
    "host-gw": 0,
    wireguard: 80,
    udp: 28,
} as const;
