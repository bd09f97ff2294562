import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { FLANNEL_NET_CONF, flannelNetConf } from "../policies/flannel-net-conf";
import {
    CNI_CONF,
    NET_CONF,
    flannelConfigMap,
    messages,
    service,
    urnOf,
    violationsOf,
    NAMES_A_FIX,
} from "./helpers/policy-fixtures";
import { REPO } from "./helpers/cli";

const CONFIG_MAP_URN = urnOf("kubernetes:core/v1:ConfigMap", "lab-flannel-cfg");

async function found(netConf: unknown, cniConf: unknown = CNI_CONF): Promise<string[]> {
    const violations = await violationsOf(flannelNetConf, [flannelConfigMap(netConf, cniConf)]);
    for (const violation of violations) {
        assert.equal(violation.policyName, FLANNEL_NET_CONF);
        assert.equal(violation.urn, CONFIG_MAP_URN);
    }
    return messages(violations);
}

void describe("flannel-net-conf", () => {
    void it("passes upstream v0.28.9's ConfigMap as shipped", async () => {
        const manifest = fs.readFileSync(path.join(REPO, "test", "fixtures", "kube-flannel-v0.28.9.yml"), "utf8");
        const configMap = parseAllDocuments(manifest)
            .map((document) => document.toJS() as Record<string, any>)
            .find((object) => object?.["kind"] === "ConfigMap");
        assert.ok(configMap, "the reference manifest has a ConfigMap");
        const resource = {
            type: "kubernetes:core/v1:ConfigMap",
            name: "kube-flannel-cfg",
            urn: CONFIG_MAP_URN,
            props: configMap,
        };
        assert.deepEqual(messages(await violationsOf(flannelNetConf, [resource])), []);
    });

    void it("passes dual-stack, IPv6-only, every known backend, and keys in any case (flannel reads JSON like Go does)", async () => {
        assert.deepEqual(await found({ ...NET_CONF, EnableIPv6: true, IPv6Network: "fd00:10:244::/56" }), []);
        assert.deepEqual(
            await found({
                EnableIPv4: false,
                EnableIPv6: true,
                IPv6Network: "fd00:10:244::/56",
                Backend: { Type: "vxlan" },
            }),
            [],
        );
        for (const type of ["vxlan", "host-gw", "wireguard", "udp", "ipip"]) {
            assert.deepEqual(await found({ Network: "10.244.0.0/16", Backend: { Type: type } }), [], type);
        }
        assert.deepEqual(
            await found({ network: "10.244.0.0/16", backend: { type: "vxlan", port: 4789, vni: 4096 } }),
            [],
        );
    });

    const refusals: Array<[string, unknown, RegExp]> = [
        ["invalid JSON", '{"Network": "10.244.0.0/16",}', /net-conf\.json is not valid JSON/],
        ["a JSON array", "[]", /net-conf\.json is an array, not a JSON object/],
        [
            "no Backend (flannel falls back to udp)",
            { Network: "10.244.0.0/16" },
            /has no Backend, and flannel then falls back to the udp backend/,
        ],
        ["a Backend without Type", { Network: "10.244.0.0/16", Backend: {} }, /Backend has no Type/],
        [
            "an unknown backend",
            { Network: "10.244.0.0/16", Backend: { Type: "vxlan2" } },
            /Backend\.Type "vxlan2" is not a known backend/,
        ],
        [
            "an uppercase backend",
            { Network: "10.244.0.0/16", Backend: { Type: "VXLAN" } },
            /backend types are lowercase: "vxlan"/,
        ],
        [
            "a bad vxlan port",
            { Network: "10.244.0.0/16", Backend: { Type: "vxlan", Port: 70000 } },
            /Backend\.Port is 70000/,
        ],
        ["no Network for IPv4", { Backend: { Type: "vxlan" } }, /EnableIPv4 \(on by default\) but no Network/],
        [
            "an unaligned Network",
            { Network: "10.244.0.1/16", Backend: { Type: "vxlan" } },
            /Network "10\.244\.0\.1\/16" has host bits set beyond the \/16 prefix; write 10\.244\.0\.0\/16/,
        ],
        [
            "an IPv6 range in Network",
            { Network: "fd00::/56", Backend: { Type: "vxlan" } },
            /Network is fd00::\/56, an IPv6 range/,
        ],
        ["IPv6 enabled without IPv6Network", { ...NET_CONF, EnableIPv6: true }, /EnableIPv6 true but no IPv6Network/],
        [
            "IPv6Network without EnableIPv6",
            { ...NET_CONF, IPv6Network: "fd00:10:244::/56" },
            /sets IPv6Network "fd00:10:244::\/56" but EnableIPv6 is not true, so flannel ignores it/,
        ],
        ["a misspelt key", { ...NET_CONF, Netwrok: "10.244.0.0/16" }, /the key "Netwrok", which flannel does not know/],
        ["both families disabled", { EnableIPv4: false, Backend: { Type: "vxlan" } }, /disables both IPv4 and IPv6/],
    ];
    for (const [what, netConf, expected] of refusals) {
        void it(`refuses ${what}`, async () => {
            const result = await found(netConf);
            assert.ok(
                result.some(
                    (message) =>
                        expected.test(message) &&
                        message.startsWith("ConfigMap kube-flannel/kube-flannel-cfg") &&
                        NAMES_A_FIX.test(message),
                ),
                result.join("\n"),
            );
        });
    }

    void it("refuses a cni-conf.json without flannel or portmap, or not JSON", async () => {
        const noPortmap = await found(NET_CONF, { ...CNI_CONF, plugins: [CNI_CONF.plugins[0]] });
        assert.ok(
            noPortmap.some((message) =>
                /no "portmap" plugin, so hostPort mappings .* silently do nothing/.test(message),
            ),
            noPortmap.join("\n"),
        );
        const noFlannel = await found(NET_CONF, { ...CNI_CONF, plugins: [CNI_CONF.plugins[1]] });
        assert.ok(
            noFlannel.some((message) => /no plugin of type "flannel"/.test(message)),
            noFlannel.join("\n"),
        );
        const broken = await found(NET_CONF, "{");
        assert.ok(
            broken.some((message) => /cni-conf\.json is not valid JSON/.test(message)),
            broken.join("\n"),
        );
    });

    void it("refuses kube-flannel-cfg without net-conf.json, and ignores other ConfigMaps and resources", async () => {
        const configMap = flannelConfigMap();
        delete (configMap.props["data"] as Record<string, unknown>)["net-conf.json"];
        const missing = messages(await violationsOf(flannelNetConf, [configMap]));
        assert.ok(
            missing.some((message) => /has no net-conf\.json/.test(message)),
            missing.join("\n"),
        );
        const other = {
            ...flannelConfigMap(),
            props: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "app-settings", namespace: "demo" },
                data: { "settings.json": "{" },
            },
        };
        assert.deepEqual(
            await violationsOf(flannelNetConf, [other, service({ name: "web", ports: [{ port: 80 }] })]),
            [],
        );
    });

    void it("takes the accepted backends from its config", async () => {
        const settings = { [FLANNEL_NET_CONF]: { properties: { backends: ["host-gw"] } } };
        const result = messages(await violationsOf(flannelNetConf, [flannelConfigMap()], settings));
        assert.ok(
            result.some((message) =>
                /Backend\.Type "vxlan" is not a known backend; use one of "host-gw"/.test(message),
            ),
            result.join("\n"),
        );
    });
});
