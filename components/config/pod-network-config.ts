import type * as pulumi from "@pulumi/pulumi";
import { Problem, SectionKeys, keyPath } from "../common";
import { NodePrepSettings, privateKeyProblems } from "../node-prep/validate";
import { PodNetworkSettings } from "../pod-network/types";
import { pskProblem } from "../pod-network/validate";
import { resourcesArgs } from "./args";
import { SECRET_PLACEHOLDER } from "./load";
import { ClusternetConfig, NodePrepConfig, PodNetworkConfig, SecretValue } from "./schema";

/** A secret config value as a secret Input: plain text under Pulumi, the placeholder offline. */
function secretInput(value: SecretValue | undefined): pulumi.Output<string> | undefined {
    if (value === undefined) {
        return undefined;
    }
    // Loaded only when a secret is set: the CLI's plan reads config without the SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { secret } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    return secret(typeof value === "string" ? value : SECRET_PLACEHOLDER);
}

/** `clusternet:podNetwork` as PodNetwork settings; the WireGuard PSK becomes a secret, quantities strings. */
export function podNetworkSettingsFromConfig(config: PodNetworkConfig): PodNetworkSettings {
    const { wireguard, resources, ...rest } = config;
    return {
        ...rest,
        ...(wireguard !== undefined ? { wireguard: { ...wireguard, psk: secretInput(wireguard.psk) } } : {}),
        ...(resources !== undefined ? { resources: resourcesArgs(resources) } : {}),
    };
}

/** `clusternet:nodePrep` as NodePrep settings when enabled, else undefined; the private key becomes a secret. */
export function nodePrepSettingsFromConfig(config: NodePrepConfig): NodePrepSettings | undefined {
    if (!config.enabled) {
        return undefined;
    }
    return {
        user: config.user,
        port: config.port,
        privateKey: secretInput(config.privateKey),
        hostKeys: config.hostKeys,
        disableVxlanChecksumOffload: config.disableVxlanChecksumOffload,
    };
}

/**
 * Checks the secrets' contents where they are plain text (under Pulumi; offline they are placeholders): the
 * components only ever see them as secret Outputs.
 */
export function podNetworkSecretProblems(config: Partial<ClusternetConfig>, keys: SectionKeys): Problem[] {
    const problems: Problem[] = [];
    const psk = config.podNetwork?.wireguard?.psk;
    if (typeof psk === "string" && psk !== SECRET_PLACEHOLDER) {
        const problem = pskProblem(psk, keyPath(keys.podNetwork, "wireguard", "psk"));
        if (problem) {
            problems.push(problem);
        }
    }
    const privateKey = config.nodePrep?.enabled ? config.nodePrep.privateKey : undefined;
    if (typeof privateKey === "string" && privateKey !== SECRET_PLACEHOLDER) {
        problems.push(...privateKeyProblems(privateKey, keyPath(keys.nodePrep, "privateKey")));
    }
    return problems;
}
