import type { ResourceValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { z } from "zod";
import { IpFamily, formatCidr, parseCidr } from "../components/plan";
import { configOf, configSchemaOf } from "./lib/config";
import {
    CNI_CONF_KEY,
    FLANNEL_CONFIG_MAP,
    NET_CONF_KEY,
    NetConf,
    goField,
    isFlannelConfigMap,
    parseNetConf,
} from "./lib/flannel";
import { ResourceLike, describe } from "./lib/kubernetes";
import { asArray, asNumber, asRecord, asString, at, listed, shown } from "./lib/values";

export const FLANNEL_NET_CONF = "flannel-net-conf";

/** The backends of flannel v0.28 worth running on a lab cluster (see FACTS.md); `udp` is for debugging only. */
export const DEFAULT_BACKENDS = ["vxlan", "host-gw", "wireguard", "udp", "ipip"];

export const flannelNetConfConfig = z.strictObject({
    backends: z
        .array(z.string().min(1))
        .min(1)
        .default(DEFAULT_BACKENDS)
        .describe("The Backend.Type values accepted. Default: vxlan, host-gw, wireguard, udp, ipip."),
});
export type FlannelNetConfConfig = z.output<typeof flannelNetConfConfig>;

function checkNetwork(netConf: NetConf, family: IpFamily, report: (message: string) => void, who: string): void {
    const key = family === IpFamily.IPv4 ? "Network" : "IPv6Network";
    const enabled = family === IpFamily.IPv4 ? netConf.enableIPv4 : netConf.enableIPv6;
    const flag = family === IpFamily.IPv4 ? "EnableIPv4" : "EnableIPv6";
    const value = family === IpFamily.IPv4 ? netConf.network : netConf.ipv6Network;
    if (!enabled) {
        if (value !== undefined && value !== "") {
            report(
                formatProblem({
                    key: who,
                    message: `net-conf.json sets ${key} ${shown(value)} but ${flag} is ${family === IpFamily.IPv4 ? "false" : "not true"}, so flannel ignores it`,
                    fix: `set ${flag}: true, or remove ${key}`,
                }),
            );
        }
        return;
    }
    if (value === undefined || value === "") {
        report(
            formatProblem({
                key: who,
                message: `net-conf.json has ${flag} ${family === IpFamily.IPv4 ? "(on by default)" : "true"} but no ${key}; flanneld exits without it`,
                fix: `set ${key} to the cluster's ${family} pod CIDR${family === IpFamily.IPv4 ? ", e.g. 10.244.0.0/16 (or set EnableIPv4: false for an IPv6-only cluster)" : ", e.g. fd00:10:244::/56"}`,
            }),
        );
        return;
    }
    if (typeof value !== "string") {
        report(
            formatProblem({
                key: who,
                message: `net-conf.json ${key} is ${shown(value)}, not a CIDR string`,
                fix: `write it as a string such as ${family === IpFamily.IPv4 ? '"10.244.0.0/16"' : '"fd00:10:244::/56"'}`,
            }),
        );
        return;
    }
    const parsed = parseCidr(value);
    if (!parsed.ok) {
        report(
            formatProblem({
                key: who,
                message: `net-conf.json ${key} ${parsed.problems[0]!.message}`,
                fix:
                    parsed.problems[0]!.fix ??
                    `write the cluster's ${family} pod CIDR, e.g. ${family === IpFamily.IPv4 ? "10.244.0.0/16" : "fd00:10:244::/56"}`,
            }),
        );
    } else if (parsed.value.family !== family) {
        report(
            formatProblem({
                key: who,
                message: `net-conf.json ${key} is ${formatCidr(parsed.value)}, an ${parsed.value.family} range`,
                fix: `put ${parsed.value.family === IpFamily.IPv4 ? "IPv4 ranges in Network" : "IPv6 ranges in IPv6Network (with EnableIPv6: true)"}`,
            }),
        );
    }
}

function checkBackend(
    netConf: NetConf,
    backends: readonly string[],
    report: (message: string) => void,
    who: string,
): void {
    const backend = netConf.backend;
    if (backend === undefined || backend === null) {
        // flannel's code falls back to udp (a debugging backend) when Backend is missing, whatever the docs say.
        report(
            formatProblem({
                key: who,
                message:
                    "net-conf.json has no Backend, and flannel then falls back to the udp backend (debugging only)",
                fix: `add "Backend": {"Type": "vxlan"}`,
            }),
        );
        return;
    }
    const object = asRecord(backend);
    if (!object) {
        report(
            formatProblem({
                key: who,
                message: `net-conf.json Backend is ${shown(backend)}, not an object`,
                fix: `write "Backend": {"Type": "vxlan"}`,
            }),
        );
        return;
    }
    const type = goField(object, "Type")?.value;
    if (type === undefined || type === "") {
        report(
            formatProblem({
                key: who,
                message: "net-conf.json Backend has no Type",
                fix: `set Backend.Type to one of ${listed(backends.map((name) => JSON.stringify(name)))}`,
            }),
        );
        return;
    }
    if (typeof type !== "string" || !backends.includes(type)) {
        const lowercase =
            typeof type === "string" && backends.includes(type.toLowerCase())
                ? ` (backend types are lowercase: "${type.toLowerCase()}")`
                : "";
        report(
            formatProblem({
                key: who,
                message: `net-conf.json Backend.Type ${shown(type)} is not a known backend${lowercase}`,
                fix: `use one of ${listed(backends.map((name) => JSON.stringify(name)))}`,
            }),
        );
    }
    for (const field of ["Port", "VNI", "MTU"]) {
        const found = goField(object, field);
        if (found === undefined) {
            continue;
        }
        const number = asNumber(found.value);
        const max = field === "Port" ? 65535 : field === "VNI" ? 16777215 : 65535;
        if (number === undefined || !Number.isInteger(number) || number < (field === "VNI" ? 0 : 1) || number > max) {
            report(
                formatProblem({
                    key: who,
                    message: `net-conf.json Backend.${found.key} is ${shown(found.value)}`,
                    fix: `use a whole number from ${field === "VNI" ? 0 : 1} to ${max}`,
                }),
            );
        }
    }
}

/** cni-conf.json: a conflist whose plugins are flannel, then portmap (without portmap, hostPort does nothing). */
function checkCniConf(text: unknown, report: (message: string) => void, who: string): void {
    if (typeof text !== "string") {
        report(
            formatProblem({
                key: who,
                message: `${CNI_CONF_KEY} is ${shown(text)}, not a string`,
                fix: "store the CNI conflist as JSON text",
            }),
        );
        return;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        report(
            formatProblem({
                key: who,
                message: `${CNI_CONF_KEY} is not valid JSON (${(error as Error).message})`,
                fix: `correct the JSON (upstream: {"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel",...},{"type":"portmap",...}]})`,
            }),
        );
        return;
    }
    const plugins = asArray(at(parsed, "plugins"));
    const types = plugins.map((plugin) => asString(at(plugin, "type")));
    if (!types.includes("flannel")) {
        report(
            formatProblem({
                key: who,
                message: `${CNI_CONF_KEY} has no plugin of type "flannel" in its plugins list; kubelet would not wire pods into the flannel network`,
                fix: `list {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}} first`,
            }),
        );
    }
    if (!types.includes("portmap")) {
        report(
            formatProblem({
                key: who,
                message: `${CNI_CONF_KEY} has no "portmap" plugin, so hostPort mappings (e.g. an Ingress controller in hostPort mode) silently do nothing`,
                fix: `add {"type": "portmap", "capabilities": {"portMappings": true}} after flannel`,
            }),
        );
    }
}

/** The checks on one flannel ConfigMap, for the policy and for tests. */
export function checkFlannelConfigMap(
    resource: ResourceLike,
    config: FlannelNetConfConfig,
    report: (message: string) => void,
): void {
    const who = describe(resource);
    const data = asRecord(at(resource.props, "data"));
    const text = data?.[NET_CONF_KEY];
    if (text === undefined) {
        report(
            formatProblem({
                key: "",
                message: `${who} has no ${NET_CONF_KEY}; flanneld reads its network from it and exits without it`,
                fix: `add ${NET_CONF_KEY} with Network and Backend, e.g. {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}`,
            }),
        );
        return;
    }
    if (typeof text !== "string") {
        report(
            formatProblem({
                key: who,
                message: `${NET_CONF_KEY} is ${shown(text)}, not a string`,
                fix: "store the JSON as text",
            }),
        );
        return;
    }
    const parsed = parseNetConf(text);
    if (!parsed.ok) {
        report(
            formatProblem({
                key: who,
                message: `${NET_CONF_KEY} ${parsed.problems[0]!.message}`,
                fix: `write a JSON object such as {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}`,
            }),
        );
        return;
    }
    const netConf = parsed.value;
    for (const key of netConf.unknownKeys) {
        report(
            formatProblem({
                key: who,
                message: `${NET_CONF_KEY} has the key ${JSON.stringify(key)}, which flannel does not know and ignores (a typo?)`,
                fix: "remove it or use one of Network, IPv6Network, EnableIPv4, EnableIPv6, EnableNFTables, Backend",
            }),
        );
    }
    if (!netConf.enableIPv4 && !netConf.enableIPv6) {
        report(
            formatProblem({
                key: who,
                message: `${NET_CONF_KEY} disables both IPv4 and IPv6`,
                fix: "enable at least one family",
            }),
        );
    }
    checkNetwork(netConf, IpFamily.IPv4, report, who);
    checkNetwork(netConf, IpFamily.IPv6, report, who);
    checkBackend(netConf, config.backends, report, who);
    if (data?.[CNI_CONF_KEY] !== undefined) {
        checkCniConf(data[CNI_CONF_KEY], report, who);
    }
}

export const flannelNetConf: ResourceValidationPolicy = {
    name: FLANNEL_NET_CONF,
    description: `flannel's ConfigMap (${FLANNEL_CONFIG_MAP}): net-conf.json is valid JSON with a known Backend.Type, Network for IPv4 and IPv6Network for IPv6; cni-conf.json chains flannel and portmap.`,
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(flannelNetConfConfig),
    validateResource: (args, reportViolation) => {
        if (!isFlannelConfigMap(args)) {
            return;
        }
        checkFlannelConfigMap(args, configOf(FLANNEL_NET_CONF, flannelNetConfConfig, args), reportViolation);
    },
};
