import * as pulumi from "@pulumi/pulumi";
import { InvalidInputError, Problem, keyPath, show } from "../common";
import { knownValue } from "../common/known";
import { AddressPlan, parseAddress } from "../plan";
import {
    BACKEND_OVERHEAD,
    DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE,
    DEFAULT_FLANNEL_IMAGE,
    DEFAULT_FLANNEL_REQUESTS,
    FLANNEL_BACKENDS,
    FlannelBackend,
    MAX_MTU,
    MIN_POD_MTU_IPV4,
    MIN_POD_MTU_IPV6,
    VXLAN_MAX_VNI,
    WIREGUARD_DEFAULT_PORT,
    WIREGUARD_DEFAULT_PORT_V6,
    WIREGUARD_MAX_KEEPALIVE,
    WIREGUARD_MODES,
    WireGuardMode,
} from "./constants";
import { FlannelResources, FlannelSpec, PodNetworkSettings } from "./types";

/** Where the settings live, for naming them in problems: config keys in a stack, `args...` in a component. */
export interface PodNetworkKeys {
    /** The pod network settings' root, e.g. `clusternet:podNetwork` or `args`. */
    readonly podNetwork: string;
    /** The cluster settings (pod CIDRs, node network), e.g. `clusternet:cluster` or `args.cluster`. */
    readonly cluster: string;
    /** The node list, e.g. `clusternet:nodes` or `args.nodes`. */
    readonly nodes: string;
}

/** Keys for a PodNetwork built directly from args. */
export const POD_NETWORK_ARGS_KEYS: PodNetworkKeys = {
    podNetwork: "args",
    cluster: "args.cluster",
    nodes: "args.nodes",
};

const OPTION_SECTIONS = {
    vxlan: FlannelBackend.Vxlan,
    wireguard: FlannelBackend.WireGuard,
    udp: FlannelBackend.Udp,
} as const;

/**
 * Checks pod network settings against the plan before anything is registered: one problem per mistake, each
 * naming its key and the fix. Values that are Outputs are checked once they resolve (see {@link resolveFlannelSpec}).
 */
export function validatePodNetwork(settings: PodNetworkSettings, plan: AddressPlan, keys: PodNetworkKeys): Problem[] {
    const problems: Problem[] = [];
    const key = (...segments: Array<string | number>): string => keyPath(keys.podNetwork, ...segments);
    const hasIpv4 = plan.cluster.podCidr !== null;
    const hasIpv6 = plan.cluster.podCidrV6 !== null;
    const backend = settings.backend ?? FlannelBackend.Vxlan;

    if (!FLANNEL_BACKENDS.includes(backend)) {
        problems.push({
            key: key("backend"),
            message: `${show(backend)} is not a flannel backend`,
            fix: `use one of ${FLANNEL_BACKENDS.join(", ")}`,
        });
        return problems;
    }
    for (const [section, owner] of Object.entries(OPTION_SECTIONS)) {
        if (settings[section as keyof typeof OPTION_SECTIONS] !== undefined && owner !== backend) {
            problems.push({
                key: key(section),
                message: `sets ${owner} options, but the backend is ${backend}, which would ignore them`,
                fix: `remove ${key(section)}, or set ${key("backend")}: ${owner}`,
            });
        }
    }

    // What the backend cannot do at all.
    if (backend === FlannelBackend.Udp && hasIpv6) {
        problems.push({
            key: key("backend"),
            message: `flannel's udp backend carries IPv4 only, but the cluster has the IPv6 pod CIDR ${plan.cluster.podCidrV6}`,
            fix: `use vxlan, host-gw or wireguard, or remove ${keyPath(keys.cluster, "podCidrV6")}`,
        });
    }
    if (backend === FlannelBackend.HostGw && plan.cluster.nodeNetwork === null) {
        problems.push({
            key: key("backend"),
            message:
                "host-gw routes each node's pod subnet via that node's IP, so all nodes must share one layer-2 network, and without a node network that cannot be checked",
            fix: `set ${keyPath(keys.cluster, "nodeNetwork")} to the subnet the nodes share (e.g. 192.168.56.0/24), or use vxlan`,
        });
    }

    // MTU: the pods' MTU must stay usable for every family the pods have.
    const mtu = knownValue(settings.mtu);
    if (mtu.known && mtu.value !== undefined) {
        const underlay = mtu.value;
        const overhead = BACKEND_OVERHEAD[backend];
        const minimum = hasIpv6 ? MIN_POD_MTU_IPV6 : MIN_POD_MTU_IPV4;
        if (typeof underlay !== "number" || !Number.isInteger(underlay)) {
            problems.push({
                key: key("mtu"),
                message: `${show(underlay)} is not a whole number`,
                fix: "write the node interface's MTU, e.g. 1500",
            });
        } else if (underlay > MAX_MTU) {
            problems.push({
                key: key("mtu"),
                message: `${underlay} is more than Linux allows on an interface`,
                fix: `use at most ${MAX_MTU}`,
            });
        } else if (underlay - overhead < minimum) {
            problems.push({
                key: key("mtu"),
                message: `leaves the pods an MTU of ${underlay - overhead} (${underlay} minus ${overhead} for ${backend}), below the ${minimum} ${hasIpv6 ? "IPv6" : "IPv4"} requires`,
                fix: `use an underlay MTU of at least ${minimum + overhead}`,
            });
        }
    }

    // --iface: one value for every node, so it must name an interface, not one node's address.
    const iface = knownValue(settings.iface);
    if (iface.known && iface.value !== undefined) {
        const address = parseAddress(iface.value);
        if (address.ok) {
            if (plan.nodes.length > 1) {
                problems.push({
                    key: key("iface"),
                    message: `${iface.value} is one node's address, but every node's flanneld gets the same --iface`,
                    fix: "name the interface instead (e.g. eth1), which every node has",
                });
            }
        } else if (!isInterfaceName(iface.value)) {
            problems.push({
                key: key("iface"),
                message: `${show(iface.value)} is not a network interface name: ${interfaceNameFault(iface.value)}`,
                fix: "use the interface's name as `ip link` shows it, e.g. eth1 (1 to 15 letters, digits, '_', '.' and '-')",
            });
        }
    }

    // Backend options.
    const vxlan = settings.vxlan ?? {};
    checkInteger(problems, vxlan.vni, key("vxlan", "vni"), 0, VXLAN_MAX_VNI, "a VXLAN network identifier (24 bits)");
    checkInteger(problems, vxlan.port, key("vxlan", "port"), 1, 65535, "a UDP port");
    const wireguard = settings.wireguard ?? {};
    checkInteger(problems, wireguard.listenPort, key("wireguard", "listenPort"), 1, 65535, "a UDP port");
    checkInteger(problems, wireguard.listenPortV6, key("wireguard", "listenPortV6"), 1, 65535, "a UDP port");
    checkInteger(
        problems,
        wireguard.persistentKeepaliveInterval,
        key("wireguard", "persistentKeepaliveInterval"),
        0,
        WIREGUARD_MAX_KEEPALIVE,
        "a number of seconds",
    );
    const mode = knownValue(wireguard.mode);
    if (mode.known && mode.value !== undefined) {
        if (!WIREGUARD_MODES.includes(mode.value)) {
            problems.push({
                key: key("wireguard", "mode"),
                message: `${show(mode.value)} is not a wireguard mode`,
                fix: `use one of ${WIREGUARD_MODES.join(", ")}`,
            });
        } else if (mode.value === WireGuardMode.IPv6 && !hasIpv6) {
            problems.push({
                key: key("wireguard", "mode"),
                message:
                    "tunnels between the nodes' IPv6 addresses, but the cluster has no IPv6 pod CIDR, so flannel knows no IPv6 node addresses",
                fix: "use separate (the default) or ipv4",
            });
        } else if (mode.value === WireGuardMode.IPv4 && !hasIpv4) {
            problems.push({
                key: key("wireguard", "mode"),
                message: "tunnels between the nodes' IPv4 addresses, but the cluster is IPv6-only",
                fix: "use separate (the default) or ipv6",
            });
        }
    }
    const separateTunnels =
        (mode.known ? (mode.value ?? WireGuardMode.Separate) : undefined) === WireGuardMode.Separate;
    const port4 = knownValue(wireguard.listenPort);
    const port6 = knownValue(wireguard.listenPortV6);
    if (backend === FlannelBackend.WireGuard && separateTunnels && hasIpv4 && hasIpv6 && port4.known && port6.known) {
        const v4 = port4.value ?? WIREGUARD_DEFAULT_PORT;
        const v6 = port6.value ?? WIREGUARD_DEFAULT_PORT_V6;
        if (v4 === v6) {
            problems.push({
                key: key("wireguard", "listenPortV6"),
                message: `${v6} is also the IPv4 tunnel's port, but a dual-stack cluster runs two tunnels that cannot share a port`,
                fix: `use another port, e.g. ${v4 === WIREGUARD_DEFAULT_PORT_V6 ? WIREGUARD_DEFAULT_PORT : WIREGUARD_DEFAULT_PORT_V6}`,
            });
        }
    }
    const psk = knownValue(wireguard.psk);
    if (psk.known && psk.value !== undefined) {
        const problem = pskProblem(psk.value, key("wireguard", "psk"));
        if (problem) {
            problems.push(problem);
        }
    }
    checkInteger(problems, settings.udp?.port, key("udp", "port"), 1, 65535, "a UDP port");

    // Images: pinned, so every node runs the same flannel.
    const images = settings.images ?? {};
    for (const field of ["flannel", "cniPlugin"] as const) {
        const image = knownValue(images[field]);
        if (image.known && image.value !== undefined) {
            const problem = imageProblem(
                image.value,
                key("images", field),
                field === "flannel" ? DEFAULT_FLANNEL_IMAGE : DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE,
            );
            if (problem) {
                problems.push(problem);
            }
        }
    }

    const resources = knownValue(settings.resources);
    if (resources.known && resources.value !== undefined) {
        problems.push(...resourcesProblems(resources.value, key("resources")));
    }
    const nodeSelector = knownValue(settings.nodeSelector);
    if (nodeSelector.known && nodeSelector.value !== undefined) {
        for (const [label, value] of Object.entries(nodeSelector.value)) {
            problems.push(...labelProblems(label, value, key("nodeSelector", label)));
        }
    }

    // Without NodePatches, kube-controller-manager picks each node's subnet and cannot honour a pin.
    if (settings.assignNodeCidrs === false) {
        plan.nodes.forEach((node, index) => {
            for (const [field, source] of [
                ["podCidr", node.podCidrSource],
                ["podCidrV6", node.podCidrV6Source],
            ] as const) {
                if (source === "pinned") {
                    problems.push({
                        key: keyPath(keys.nodes, index, field),
                        message: `pins node "${node.name}"'s subnet, but ${key("assignNodeCidrs")} is false, so kube-controller-manager picks each node's subnet and ignores the pin`,
                        fix: `remove the pin, or set ${key("assignNodeCidrs")}: true`,
                    });
                }
            }
        });
    }
    return problems;
}

/**
 * The settings as plain values with defaults applied, for the builders. Validates them again, now that every
 * Output has resolved, and throws (naming each key) if anything is wrong. The PSK itself stays out of the spec
 * (only `hasPsk`), so nothing built from the spec but the Secret carries it.
 */
export function resolveFlannelSpec(
    settings: pulumi.Unwrap<PodNetworkSettings>,
    plan: AddressPlan,
    hasPsk: boolean,
    keys: PodNetworkKeys = POD_NETWORK_ARGS_KEYS,
): FlannelSpec {
    const problems = validatePodNetwork(settings, plan, keys);
    if (problems.length > 0) {
        throw new InvalidInputError(problems);
    }
    const quantities = (record: Record<string, string | number> | undefined): Record<string, string> | undefined =>
        record === undefined
            ? undefined
            : Object.fromEntries(Object.entries(record).map(([name, value]) => [name, String(value)]));
    const wireguard = settings.wireguard ?? {};
    return {
        podCidr: plan.cluster.podCidr,
        podCidrV6: plan.cluster.podCidrV6,
        backend: settings.backend ?? FlannelBackend.Vxlan,
        mtu: settings.mtu,
        iface: settings.iface,
        ...(settings.enableNFTables === true ? { enableNFTables: true } : {}),
        vxlan: { ...settings.vxlan },
        wireguard: {
            listenPort: wireguard.listenPort,
            listenPortV6: wireguard.listenPortV6,
            hasPsk,
            persistentKeepaliveInterval: wireguard.persistentKeepaliveInterval,
            mode: wireguard.mode,
        },
        udp: { ...settings.udp },
        images: {
            flannel: settings.images?.flannel ?? DEFAULT_FLANNEL_IMAGE,
            cniPlugin: settings.images?.cniPlugin ?? DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE,
        },
        resources: {
            requests: quantities(settings.resources?.requests) ?? { ...DEFAULT_FLANNEL_REQUESTS },
            ...(settings.resources?.limits !== undefined ? { limits: quantities(settings.resources.limits) } : {}),
        },
        ...(settings.nodeSelector !== undefined ? { nodeSelector: { ...settings.nodeSelector } } : {}),
    };
}

function checkInteger(
    problems: Problem[],
    input: pulumi.Input<number> | undefined,
    key: string,
    min: number,
    max: number,
    what: string,
): void {
    const value = knownValue(input);
    if (!value.known || value.value === undefined) {
        return;
    }
    if (typeof value.value !== "number" || !Number.isInteger(value.value)) {
        problems.push({
            key,
            message: `${show(value.value)} is not a whole number`,
            fix: `write ${what} from ${min} to ${max}`,
        });
    } else if (value.value < min || value.value > max) {
        problems.push({ key, message: `${value.value} is out of range`, fix: `use ${what} from ${min} to ${max}` });
    }
}

/** A WireGuard key: 32 bytes in standard base64, as `wg genpsk` prints it. */
export function pskProblem(psk: string, key: string): Problem | undefined {
    if (/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(psk)) {
        return undefined;
    }
    return {
        key,
        message:
            "is not a WireGuard key (32 bytes in base64, 44 characters ending in '='), so flanneld would fail with \"could not parse psk\"",
        fix: "generate one with `wg genpsk` and set it with pulumi config set --secret",
    };
}

/** Linux interface names: 1-15 bytes, no whitespace, '/' or ':', not "." or "..". */
/** What breaks the interface-name rule, in the rule's own words. */
function interfaceNameFault(name: string): string {
    if (name.length === 0 || name.length > 15) {
        return `it has ${name.length} characters (1 to 15)`;
    }
    if (name === "." || name === "..") {
        return "'.' and '..' are not names";
    }
    const bad = [...new Set(name.replace(/[A-Za-z0-9_.-]/g, ""))];
    return `${bad.map((character) => JSON.stringify(character)).join(", ")} is not a letter, digit, '_', '.' or '-'`;
}

export function isInterfaceName(name: string): boolean {
    return /^[A-Za-z0-9_.-]{1,15}$/.test(name) && name !== "." && name !== "..";
}

const IMAGE_REFERENCE =
    /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** An image reference must parse and be pinned: a tag other than latest, or a digest. */
export function imageProblem(image: string, key: string, example: string): Problem | undefined {
    const match = IMAGE_REFERENCE.exec(image);
    if (!match) {
        return {
            key,
            message: `${show(image)} is not an image reference`,
            fix: `write registry/repository:tag, e.g. ${example}`,
        };
    }
    const { tag, digest } = match.groups ?? {};
    if (digest === undefined && (tag === undefined || tag === "latest")) {
        return {
            key,
            message: `${show(image)} is not pinned, so nodes could run different flannel versions`,
            fix: `add a version tag or @sha256 digest, e.g. ${example}`,
        };
    }
    return undefined;
}

const RESOURCE_NAMES = ["cpu", "memory", "ephemeral-storage"];
const QUANTITY = /^(?<number>\d+(?:\.\d*)?|\.\d+)(?<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SUFFIX_FACTORS: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** A Kubernetes quantity's value ("100m" is 0.1, "50Mi" is 52428800), or undefined when it is not one. */
export function parseQuantity(value: string | number): number | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) && value >= 0 ? value : undefined;
    }
    const match = QUANTITY.exec(value);
    if (!match) {
        return undefined;
    }
    const { number, suffix = "" } = match.groups as { number: string; suffix?: string };
    const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_FACTORS[suffix]!;
    return Number(number) * factor;
}

function resourcesProblems(resources: FlannelResources, root: string): Problem[] {
    const problems: Problem[] = [];
    const parsed: Record<"requests" | "limits", Record<string, number>> = { requests: {}, limits: {} };
    for (const section of ["requests", "limits"] as const) {
        for (const [name, value] of Object.entries(resources[section] ?? {})) {
            const key = keyPath(root, section, name);
            if (!RESOURCE_NAMES.includes(name)) {
                problems.push({
                    key,
                    message: `${show(name)} is not a resource flanneld uses`,
                    fix: `use ${RESOURCE_NAMES.join(", ")}`,
                });
                continue;
            }
            const quantity = parseQuantity(value);
            if (quantity === undefined) {
                problems.push({
                    key,
                    message: `${show(value)} is not a Kubernetes quantity`,
                    fix: name === "cpu" ? "write e.g. 100m or 0.5" : "write e.g. 50Mi or 1Gi",
                });
                continue;
            }
            parsed[section][name] = quantity;
        }
    }
    for (const [name, request] of Object.entries(parsed.requests)) {
        const limit = parsed.limits[name];
        if (limit !== undefined && request > limit) {
            problems.push({
                key: keyPath(root, "requests", name),
                message: `${show(resources.requests![name])} is more than the limit ${show(resources.limits![name])}, which Kubernetes refuses`,
                fix: "lower the request or raise the limit",
            });
        }
    }
    return problems;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Label keys (an optional DNS-subdomain prefix and a name) and values as Kubernetes checks them. */
export function labelProblems(label: string, value: string, key: string): Problem[] {
    const problems: Problem[] = [];
    const slash = label.indexOf("/");
    const prefix = slash >= 0 ? label.slice(0, slash) : undefined;
    const name = slash >= 0 ? label.slice(slash + 1) : label;
    if ((prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) || !LABEL_NAME.test(name)) {
        problems.push({
            key,
            message: `${show(label)} is not a label key`,
            fix: "write an optional DNS prefix and a name of letters, digits, '-', '_' and '.', e.g. node-role.kubernetes.io/worker",
        });
    }
    if (typeof value !== "string" || (value !== "" && !LABEL_NAME.test(value))) {
        problems.push({
            key,
            message: `${show(value)} is not a label value`,
            fix: "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        });
    }
    return problems;
}
