/**
 * kube-proxy's mode in the lab: read from the rendered kube-system/kube-proxy ConfigMap (config.conf), flannel's
 * EnableNFTables from its net-conf.json; then each node programmed the way that mode does it, and a running lab
 * switched from one mode to the other the way kube-proxy does on restart (the new mode removes the old one's
 * rules). The rules themselves are pure data in ./kube-proxy (iptables) and ./nftables.
 */
import * as path from "node:path";
import { parse } from "yaml";
import { inNetns, mapLimit, writeFileAtomic } from "./exec";
import { restoreDocument } from "./iptables";
import { Endpoint, KUBELET_CHAINS, kubeProxyRules } from "./kube-proxy";
import { LabManifest } from "./model";
import { KUBE_PROXY_NFT_CLEANUP, RulesetSize, flannelNftScript, kubeProxyNftScript } from "./nftables";
import type { LabNode, LabPlan } from "./plan";

export const ProxyMode = { Iptables: "iptables", Nftables: "nftables" } as const;
export type ProxyMode = (typeof ProxyMode)[keyof typeof ProxyMode];

export interface ProxyModeSettings {
    readonly mode: ProxyMode;
    /** flannel's EnableNFTables: its masquerade and forward rules in nftables. */
    readonly flannelNftables: boolean;
    /** The stack's mode when the lab cannot run it and `mode` stands in for it (ipvs). */
    readonly standsInFor?: "ipvs";
}

/** What runs in the lab in words: `iptables mode`, or the stand-in with the mode it replaces. */
export function proxyModeText(settings: Pick<ProxyModeSettings, "mode" | "standsInFor">): string {
    return settings.standsInFor
        ? `${settings.mode} mode in place of the stack's ${settings.standsInFor} mode, which the lab does not model`
        : `${settings.mode} mode`;
}

/**
 * Why ipvs is not modelled: the lab would need the kernel's IPVS (ip_vs modules, ipvsadm) inside each node's
 * namespace, and IPVS mode is deprecated upstream anyway. Not this kernel's only gap: the test machine's kernel has
 * no ip_vs at all.
 */
export const IPVS_NOT_MODELLED =
    "kube-proxy's ipvs mode is not modelled by the lab: it programs iptables mode instead, so lab check proves iptables rules, not IPVS virtual servers (the stack still asks for ipvs on a real cluster)";

/**
 * The mode the rendered stack asks for: config.conf's mode (empty is kube-proxy's default, iptables), iptables when
 * the stack leaves kube-proxy alone. ipvs is modelled as iptables, with a warning.
 */
export function proxyModeOf(manifests: readonly LabManifest[], warnings: string[] = []): ProxyModeSettings {
    let mode: ProxyMode = ProxyMode.Iptables;
    let standsInFor: "ipvs" | undefined;
    const kubeProxy = manifests.find(
        (manifest) =>
            manifest.kind === "ConfigMap" && manifest.name === "kube-proxy" && manifest.namespace === "kube-system",
    );
    const text = (kubeProxy?.object["data"] as Record<string, unknown> | undefined)?.["config.conf"];
    if (typeof text === "string") {
        const written = (parse(text) as { mode?: unknown } | null)?.mode;
        if (written === "nftables") {
            mode = ProxyMode.Nftables;
        } else if (written === "ipvs") {
            standsInFor = "ipvs";
            warnings.push(IPVS_NOT_MODELLED);
        }
    }
    const flannel = manifests.find((manifest) => manifest.kind === "ConfigMap" && manifest.name === "kube-flannel-cfg");
    const netConf = (flannel?.object["data"] as Record<string, unknown> | undefined)?.["net-conf.json"];
    let flannelNftables = false;
    if (typeof netConf === "string") {
        try {
            flannelNftables = (JSON.parse(netConf) as { EnableNFTables?: unknown }).EnableNFTables === true;
        } catch {
            // The model reports a broken net-conf.json.
        }
    }
    return { mode, flannelNftables, ...(standsInFor ? { standsInFor } : {}) };
}

/** The plan's mode: what `up` recorded, else iptables (a state written before modes existed). */
export function planProxyMode(plan: LabPlan): ProxyModeSettings {
    return {
        mode: plan.kubeProxyMode ?? ProxyMode.Iptables,
        flannelNftables: plan.flannelNftables ?? false,
        ...(plan.kubeProxyStandsInFor && plan.kubeProxyMode !== ProxyMode.Nftables
            ? { standsInFor: plan.kubeProxyStandsInFor }
            : {}),
    };
}

/** What one mode's load wrote, for logs and the bench. */
export interface ProgramResult {
    readonly ms: number;
    readonly size: RulesetSize;
}

/** Node rule loads at a time: each is CPU-bound, and the machine has few cores. */
const LOAD_CONCURRENCY = 2;

/**
 * Programs kube-proxy's rules on every node in `mode`, after removing the other mode's (kube-proxy cleans up the
 * mode it does not run on start). nftables: one nft transaction per chunk of Services (see loadNftables); iptables:
 * one iptables-restore per node.
 */
export async function programKubeProxy(
    plan: LabPlan,
    endpoints: Readonly<Record<string, readonly Endpoint[]>>,
    mode: ProxyMode,
    stateDir: string,
): Promise<ProgramResult> {
    const started = Date.now();
    const byId = new Map(Object.entries(endpoints));
    let size: RulesetSize = { chains: 0, rules: 0, elements: 0 };
    if (mode === ProxyMode.Nftables) {
        await mapLimit(plan.nodes, LOAD_CONCURRENCY, async (node) => {
            await removeIptablesKubeProxy(node.netns);
            const script = kubeProxyNftScript(plan.services, byId, {
                clusterCidr: plan.clusterCidr,
                serviceCidr: plan.serviceCidr,
                nodePortAddresses: [node.ip],
            });
            size = script.size;
            writeFileAtomic(path.join(stateDir, "nodes", node.name, "kube-proxy.nft"), script.text);
            await loadNftables(node.netns, script.text);
        });
    } else {
        const tables = kubeProxyRules(plan.services, byId, plan.clusterCidr);
        const rules = restoreDocument(tables);
        size = {
            chains: tables.reduce((sum, table) => sum + table.chains.length, 0),
            rules: tables.reduce((sum, table) => sum + table.rules.length, 0),
            elements: 0,
        };
        await mapLimit(plan.nodes, LOAD_CONCURRENCY, async (node) => {
            await inNetns(node.netns, "nft", ["-f", "-"], { input: KUBE_PROXY_NFT_CLEANUP }).catch(() => undefined);
            writeFileAtomic(path.join(stateDir, "nodes", node.name, "kube-proxy.rules"), rules);
            await loadIptablesOwned(node.netns, rules);
        });
    }
    return { ms: Date.now() - started, size };
}

/** flanneld's rules with EnableNFTables, on one node. */
export async function programFlannelNftables(plan: LabPlan, node: LabNode, stateDir: string): Promise<void> {
    const script = flannelNftScript(plan.flannel.network, node.podCidr, plan.flannel.ipMasq);
    writeFileAtomic(path.join(stateDir, "nodes", node.name, "flannel.nft"), script);
    await inNetns(node.netns, "nft", ["-f", "-"], { input: script });
}

/**
 * Services per nft transaction. One transaction for everything is superlinear: every Service adds an anonymous
 * verdict map (its `numgen random mod N vmap`), and within a transaction the kernel finds each new set by walking
 * the transaction's own list (nft_set_lookup_global, __nft_set_trans_bind), which grows with every command. Chunks
 * keep that walk short; what stays is the kernel's scan of the table's set list per new anonymous set.
 */
export const NFT_SERVICES_PER_TRANSACTION = 1000;

/**
 * Loads a kube-proxy nft script in chunks: the base (table, maps, fixed chains) first, then the Service chains,
 * rules and map elements in transactions of a bounded size. The end state equals loading the script at once.
 */
export async function loadNftables(netns: string, script: string): Promise<void> {
    for (const chunk of nftChunks(script, NFT_SERVICES_PER_TRANSACTION)) {
        await inNetns(netns, "nft", ["-f", "-"], { input: chunk });
    }
}

/**
 * Splits a kubeProxyNftScript text into transactions: the base lines, then groups of per-Service chains and rules
 * (a Service's chains always travel with its rules), then the element statements (already batched).
 */
export function nftChunks(script: string, servicesPerChunk: number): string[] {
    const lines = script.split("\n").filter((line) => line !== "");
    const perService =
        /^add (?:chain|rule) ip kube-proxy (?:service|external|endpoint)-[A-Z2-7]{8}-([^\s]+?)\/(?:tcp|udp|sctp)\//;
    const base: string[] = [];
    const elements: string[] = [];
    const groups = new Map<string, { chains: string[]; rules: string[] }>();
    for (const line of lines) {
        const match = perService.exec(line);
        if (line.startsWith("add element ")) {
            elements.push(line);
        } else if (match) {
            let group = groups.get(match[1]!);
            if (!group) {
                group = { chains: [], rules: [] };
                groups.set(match[1]!, group);
            }
            (line.startsWith("add chain") ? group.chains : group.rules).push(line);
        } else {
            base.push(line);
        }
    }
    const chunks = [base];
    const all = [...groups.values()];
    for (let start = 0; start < all.length; start += servicesPerChunk) {
        const slice = all.slice(start, start + servicesPerChunk);
        chunks.push([...slice.flatMap((group) => group.chains), ...slice.flatMap((group) => group.rules)]);
    }
    chunks.push(elements);
    return chunks.filter((chunk) => chunk.length > 0).map((chunk) => `${chunk.join("\n")}\n`);
}

/**
 * kube-proxy's iptables chains are named KUBE-*, except kubelet's (KUBE-FIREWALL, its canary and hint chains), which
 * kube-proxy never removes: a line is kube-proxy's when it declares, fills or jumps to one of its chains.
 */
export function touchesOwned(line: string): boolean {
    const owned = (chain: string | undefined): boolean =>
        chain !== undefined && chain.startsWith("KUBE-") && !KUBELET_CHAINS.has(chain);
    return (
        owned(/^:(\S+)/.exec(line)?.[1]) ||
        owned(/^-[AI] (\S+)/.exec(line)?.[1]) ||
        owned(/ -[jg] (\S+)/.exec(line)?.[1])
    );
}

/**
 * Loads kube-proxy's iptables rules into a node as one full iptables-restore (no --noflush): the node's current
 * nat and filter tables are saved, kube-proxy's old chains and jumps dropped, the new rules appended, and the
 * whole tables restored at once. `iptables-restore --noflush` of 15,000 new chains looks each chain up by name in
 * a list (strcmp-bound in xtables-nft 1.8.9): 106 s at 5,000 Services here, against 4 s for a full restore.
 * Everyone else's chains and rules (flannel's, CNI portmap's) are kept, in their order.
 */
export async function loadIptablesOwned(netns: string, document: string): Promise<void> {
    const { stdout } = await inNetns(netns, "iptables-save", []);
    await inNetns(netns, "iptables-restore", [], { input: mergeRestore(stdout, document) });
}

/** Removes kube-proxy's iptables chains and jumps from a node (nftables mode's start-up cleanup). */
export async function removeIptablesKubeProxy(netns: string): Promise<void> {
    await loadIptablesOwned(netns, "");
}

/**
 * The saved tables without kube-proxy's lines, with `document`'s tables merged in (our declarations after the
 * saved ones, our rules after the saved rules). Tables the document does not name are written back as saved.
 */
export function mergeRestore(saved: string, document: string): string {
    const tables = new Map<string, { declarations: string[]; rules: string[] }>();
    const order: string[] = [];
    const section = (name: string): { declarations: string[]; rules: string[] } => {
        let entry = tables.get(name);
        if (!entry) {
            entry = { declarations: [], rules: [] };
            tables.set(name, entry);
            order.push(name);
        }
        return entry;
    };
    const read = (text: string, dropOwned: boolean): void => {
        let current: { declarations: string[]; rules: string[] } | undefined;
        for (const line of text.split("\n")) {
            if (line.startsWith("*")) {
                current = section(line.slice(1));
            } else if (!current || line === "COMMIT" || line.startsWith("#") || line === "") {
                continue;
            } else if (dropOwned && touchesOwned(line)) {
                continue;
            } else if (line.startsWith(":")) {
                current.declarations.push(line);
            } else {
                current.rules.push(line);
            }
        }
    };
    read(saved, true);
    read(document, false);
    // Joined per table, not spread into one array: `push(...rules)` overflows the call stack at about 125,000 rules
    // (20,000 Services).
    const out = order.map((name) => {
        const { declarations, rules } = tables.get(name)!;
        return [`*${name}`, declarations.join("\n"), rules.join("\n"), "COMMIT"]
            .filter((part) => part !== "")
            .join("\n");
    });
    return `${out.join("\n")}\n`;
}
