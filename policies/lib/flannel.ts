import { Result, fail, ok } from "../../components/common";
import { ResourceLike, ResourceType } from "./kubernetes";
import { Props, asBoolean, asRecord, asString, at } from "./values";

/** flannel's ConfigMap, as upstream names it. */
export const FLANNEL_CONFIG_MAP = "kube-flannel-cfg";
export const NET_CONF_KEY = "net-conf.json";
export const CNI_CONF_KEY = "cni-conf.json";

/** flannel's ConfigMap: named kube-flannel-cfg, or any ConfigMap holding a net-conf.json. */
export function isFlannelConfigMap(resource: ResourceLike): boolean {
    if (resource.type !== ResourceType.ConfigMap) {
        return false;
    }
    return (
        at(resource.props, "metadata", "name") === FLANNEL_CONFIG_MAP ||
        at(resource.props, "data", NET_CONF_KEY) !== undefined
    );
}

/** The top-level keys flannel's subnet config reads (pkg/subnet/config.go); any other key is ignored by flannel. */
export const NET_CONF_KEYS = [
    "Network",
    "Networks",
    "IPv6Network",
    "IPv6Networks",
    "EnableIPv4",
    "EnableIPv6",
    "EnableNFTables",
    "SubnetLen",
    "SubnetMin",
    "SubnetMax",
    "IPv6SubnetLen",
    "IPv6SubnetMin",
    "IPv6SubnetMax",
    "Backend",
] as const;

/**
 * A key of a JSON object as Go's encoding/json finds it: the exact name first, else a case-insensitive match
 * (flannel reads net-conf.json that way, so `network` works as well as `Network`).
 */
export function goField(object: Props, name: string): { key: string; value: unknown } | undefined {
    if (Object.prototype.hasOwnProperty.call(object, name)) {
        return { key: name, value: object[name] };
    }
    const lower = name.toLowerCase();
    const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
    return key === undefined ? undefined : { key, value: object[key] };
}

export interface NetConf {
    readonly object: Props;
    readonly network?: unknown;
    readonly ipv6Network?: unknown;
    /** flannel's defaults: IPv4 on, IPv6 off. */
    readonly enableIPv4: boolean;
    readonly enableIPv6: boolean;
    readonly backend?: unknown;
    /** Keys flannel does not know (probably typos), as written. */
    readonly unknownKeys: readonly string[];
}

/** net-conf.json read as flannel reads it; a problem's message reads after the file's name (key `""`). */
export function parseNetConf(text: string): Result<NetConf> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        return fail({ key: "", message: `is not valid JSON (${(error as Error).message})` });
    }
    const object = asRecord(parsed);
    if (!object) {
        return fail({
            key: "",
            message: `is ${Array.isArray(parsed) ? "an array" : JSON.stringify(parsed)}, not a JSON object`,
        });
    }
    const known = new Set(NET_CONF_KEYS.map((key) => key.toLowerCase()));
    const field = (name: string): unknown => goField(object, name)?.value;
    return ok({
        object,
        network: field("Network"),
        ipv6Network: field("IPv6Network"),
        enableIPv4: asBoolean(field("EnableIPv4")) ?? true,
        enableIPv6: asBoolean(field("EnableIPv6")) ?? false,
        backend: field("Backend"),
        unknownKeys: Object.keys(object).filter((key) => !known.has(key.toLowerCase())),
    });
}

/** The net-conf.json text of a flannel ConfigMap, if it has one. */
export function netConfTextOf(resource: ResourceLike): string | undefined {
    return asString(at(resource.props, "data", NET_CONF_KEY));
}
