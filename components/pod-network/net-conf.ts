import { BACKEND_OVERHEAD, DEFAULT_UNDERLAY_MTU, FlannelBackend } from "./constants";
import { FlannelSpec } from "./types";

/** flannel's net-conf.json, key for key as flanneld reads it. */
export interface FlannelNetConf {
    Network?: string;
    EnableIPv4?: boolean;
    EnableIPv6?: boolean;
    IPv6Network?: string;
    EnableNFTables: boolean;
    Backend: { Type: FlannelBackend } & Record<string, string | number | boolean>;
}

/** Text as upstream writes its JSON files: two-space indent and a final newline. */
export function jsonText(value: unknown): string {
    return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * net-conf.json from the plan and the backend options. Network is the IPv4 pod CIDR; IPv6 adds EnableIPv6 and
 * IPv6Network; an IPv6-only cluster turns IPv4 off. Backend.Type is always written (flannel falls back to udp
 * without it); options that are not set stay out, so flannel's defaults apply. `psk` is the WireGuard pre-shared
 * key, only for the Secret's copy.
 */
export function netConf(spec: FlannelSpec, psk?: string): FlannelNetConf {
    const options = backendOptions(spec, psk);
    return {
        ...(spec.podCidr !== null ? { Network: spec.podCidr } : { EnableIPv4: false }),
        ...(spec.podCidrV6 !== null ? { EnableIPv6: true, IPv6Network: spec.podCidrV6 } : {}),
        EnableNFTables: spec.enableNFTables ?? false,
        Backend: { Type: spec.backend, ...options },
    };
}

/** The backend's options under flannel's names, only those that are set. */
function backendOptions(spec: FlannelSpec, psk: string | undefined): Record<string, string | number | boolean> {
    let options: Record<string, string | number | boolean | undefined> = {};
    switch (spec.backend) {
        case FlannelBackend.Vxlan:
            options = {
                VNI: spec.vxlan.vni,
                Port: spec.vxlan.port,
                GBP: spec.vxlan.gbp,
                DirectRouting: spec.vxlan.directRouting,
                MTU: spec.mtu,
            };
            break;
        case FlannelBackend.WireGuard:
            options = {
                ListenPort: spec.wireguard.listenPort,
                ListenPortV6: spec.wireguard.listenPortV6,
                PSK: psk,
                PersistentKeepaliveInterval: spec.wireguard.persistentKeepaliveInterval,
                Mode: spec.wireguard.mode,
                MTU: spec.mtu,
            };
            break;
        case FlannelBackend.Udp:
            options = { Port: spec.udp.port };
            break;
        case FlannelBackend.HostGw:
            break;
    }
    return Object.fromEntries(
        Object.entries(options).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined),
    );
}

/**
 * cni-conf.json, installed as /etc/cni/net.d/10-flannel.conflist: the flannel plugin (which hands the bridge plugin
 * the node's subnet from /run/flannel/subnet.env) and portmap for hostPorts, exactly as upstream.
 */
export function cniConf(): Record<string, unknown> {
    return {
        name: "cbr0",
        cniVersion: "0.3.1",
        plugins: [
            { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
            { type: "portmap", capabilities: { portMappings: true } },
        ],
    };
}

/**
 * The pods' MTU: the underlay MTU (default 1500) minus the backend's overhead, as flannel computes FLANNEL_MTU
 * and the bridge plugin sets it on every pod's eth0.
 */
export function podMtu(backend: FlannelBackend, underlayMtu: number = DEFAULT_UNDERLAY_MTU): number {
    return underlayMtu - BACKEND_OVERHEAD[backend];
}
