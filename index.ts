/**
 * The clusternet stack: reads and validates the `clusternet:*` config, finds the allocation's memory (the plan
 * record, its own last outputs, the live Nodes), builds one ClusterNetwork, and exports the plan and the Services'
 * port maps. Wiring only; the logic lives in components/.
 */
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterNetwork, formatProblem } from "./components";
import { SECRET_PLACEHOLDER, loadStack, readRuntimeConfig, validateConfigShape } from "./components/config";
import { NodeSubnets, PLAN_RECORD_CONFIG, PlanRecordRead, liveNodeProblems, resolveMemory } from "./components/plan";
import { readPlanRecord } from "./components/plan/record-file";
import { RENDERED_PATCH_ANNOTATION, renderedPatchNote } from "./components/pod-network/constants";
import { readLiveNodes, readNodesFromApiServer } from "./components/pod-network/live-nodes";

/** Where manifests go when no kubeconfig is configured: `pulumi up` then touches no cluster. */
const RENDER_DIRECTORY = `rendered/pulumi-${pulumi.getStack()}`;
/** NodePatches go to their own folder there, so `kubectl apply -f` of the manifests never creates bare Nodes. */
const NODE_PATCH_DIRECTORY = `${RENDER_DIRECTORY}/node-patches`;

// Not in the SDK's typings, but exported by its runtime: whether a config key holds a secret.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };

function invalid(lines: readonly string[]): pulumi.RunError {
    return new pulumi.RunError(`clusternet: the stack config has ${lines.length} problem(s):\n${lines.join("\n")}`);
}

function stopped(what: string, lines: readonly string[]): pulumi.RunError {
    return new pulumi.RunError(`clusternet: ${what}:\n${lines.join("\n")}`);
}

/**
 * This stack's own last `nodeSubnets` and `retiredSubnets` outputs (nothing on a new stack). No catch: on the real
 * engine a failed read of them fails the update anyway, and carrying on without them could move subnets.
 */
async function lastOutputs(): Promise<Record<string, NodeSubnets>> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const [nodes, retired] = await Promise.all([
        self.getOutputDetails("nodeSubnets"),
        self.getOutputDetails("retiredSubnets"),
    ]);
    return {
        ...((retired.value ?? {}) as Record<string, NodeSubnets>),
        ...((nodes.value ?? {}) as Record<string, NodeSubnets>),
    };
}

/** The record file the clusternet CLI names ("" for none) when it runs this program offline; else undefined. */
function offlineRecordFile(): string | undefined {
    const [namespace, key] = PLAN_RECORD_CONFIG.split(":") as [string, string];
    return new pulumi.Config(namespace).get(key);
}

/** The plan record this run reads: the one the clusternet CLI names, else `plans/<stack>.json` beside this file. */
function planRecord(): { file: string; read: PlanRecordRead } {
    const file = offlineRecordFile() ?? path.join(__dirname, "plans", `${pulumi.getStack()}.json`);
    return { file, read: file === "" ? { status: "missing" } : readPlanRecord(file) };
}

export = async () => {
    const source = readRuntimeConfig(pulumi.runtime.allConfig(), (key) => runtime.isConfigSecret?.(key) ?? false);
    const shape = validateConfigShape(source);
    if (shape.problems.length > 0) {
        throw invalid(shape.problems.map(formatProblem));
    }
    const { kubeconfig, context, nodes = [], cluster } = shape.parsed;
    const offline = offlineRecordFile() !== undefined;

    // With a cluster at hand, the API server is asked first, before anything is registered: a planned Node that
    // does not exist stops the run with a line naming it (a NodePatch would create a bare Node, and the engine's
    // own failed read cannot be caught). Offline the kubeconfig is a placeholder: the mocks answer the reads below.
    const fromApiServer =
        typeof kubeconfig === "string" && kubeconfig !== SECRET_PLACEHOLDER
            ? await readNodesFromApiServer({
                  kubeconfig,
                  context,
                  names: nodes.map((node) => node.name),
                  keys: {
                      kubeconfig: "clusternet:kubeconfig",
                      context: "clusternet:context",
                      nodes: "clusternet:nodes",
                  },
              })
            : undefined;
    if (fromApiServer !== undefined && fromApiServer.problems.length > 0) {
        // A config that is wrong on its own is said first (a misspelt node is "not in the cluster" too); the
        // allocation's memory only adds constraints, so none is needed to find those problems.
        const alone = loadStack(source, undefined);
        if (!alone.ok) {
            throw invalid(alone.problems.map(formatProblem));
        }
        throw stopped(
            `reading the planned Nodes from the cluster stopped the ${pulumi.runtime.isDryRun() ? "preview" : "update"}; nothing was registered`,
            fromApiServer.problems.map(formatProblem),
        );
    }

    const provider = new k8s.Provider(
        "kubernetes",
        kubeconfig === undefined
            ? { renderYamlToDirectory: RENDER_DIRECTORY }
            : {
                  kubeconfig: pulumi.secret(typeof kubeconfig === "string" ? kubeconfig : SECRET_PLACEHOLDER),
                  context,
              },
    );

    // The same Nodes read through the provider, so `pulumi preview` shows the reads; awaited, so no NodePatch is
    // registered before they are done. The API server's answer above is the live word where there is one.
    const live =
        kubeconfig === undefined
            ? undefined
            : {
                  ...(await readLiveNodes(
                      `${cluster?.name ?? "lab"}-live-node`,
                      nodes.map((node) => node.name),
                      provider,
                  )),
                  ...fromApiServer?.live,
              };
    const memory = resolveMemory({ record: planRecord(), state: await lastOutputs(), live });
    if (memory.problems.length > 0) {
        throw stopped("the allocation's memories disagree or are damaged", memory.problems.map(formatProblem));
    }
    for (const note of memory.notes) {
        await pulumi.log.warn(`clusternet: ${note}`);
    }

    const loaded = loadStack(source, memory.memory);
    if (!loaded.ok) {
        throw invalid(loaded.problems.map(formatProblem));
    }
    const { config, args, plan } = loaded.value;
    if (live !== undefined) {
        const problems = liveNodeProblems(plan, live, { nodes: "clusternet:nodes" });
        if (problems.length > 0) {
            throw stopped("the live Nodes do not match the plan; nothing was changed", problems.map(formatProblem));
        }
    }

    if (config.kubeconfig === undefined) {
        // Rendered, a NodePatch would read as a whole Node that `kubectl apply` creates or rewrites: it goes to its
        // own folder, marked as a patch with the command that applies it.
        const patchProvider = new k8s.Provider("kubernetes-node-patches", {
            renderYamlToDirectory: NODE_PATCH_DIRECTORY,
        });
        pulumi.runtime.registerStackTransformation((resource) => {
            if (resource.type !== "kubernetes:core/v1:NodePatch") {
                return undefined;
            }
            const metadata = pulumi.output(
                resource.props["metadata"] as pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>,
            );
            return {
                props: {
                    ...resource.props,
                    metadata: metadata.apply((meta) => ({
                        ...meta,
                        annotations: {
                            ...meta.annotations,
                            [RENDERED_PATCH_ANNOTATION]: renderedPatchNote(meta.name ?? ""),
                        },
                    })),
                },
                opts: { ...resource.opts, provider: patchProvider },
            };
        });
        if (!offline) {
            await pulumi.log.info(
                pulumi.runtime.isDryRun()
                    ? `no clusternet:kubeconfig is set: pulumi up will render manifests to ${RENDER_DIRECTORY} (NodePatches to ${NODE_PATCH_DIRECTORY}) and touch no cluster`
                    : `no clusternet:kubeconfig is set: manifests are rendered to ${RENDER_DIRECTORY} (NodePatches to ${NODE_PATCH_DIRECTORY}) and no cluster is touched`,
            );
        }
    }

    const network = new ClusterNetwork(config.cluster.name, args, { providers: { kubernetes: provider } });
    return {
        plan,
        nodeSubnets: network.nodeSubnets,
        retiredSubnets: Object.fromEntries(
            plan.retired.map((node) => [
                node.name,
                {
                    ...(node.podCidr ? { podCidr: node.podCidr } : {}),
                    ...(node.podCidrV6 ? { podCidrV6: node.podCidrV6 } : {}),
                },
            ]),
        ),
        // IPv6-only clusters have only the IPv6 addresses: export those rather than nothing.
        kubernetesServiceIp: plan.kubernetesServiceIp ?? plan.kubernetesServiceIpV6,
        dnsServiceIp: plan.dnsServiceIp ?? plan.dnsServiceIpV6,
        ...(plan.kubernetesServiceIpV6 ? { kubernetesServiceIpV6: plan.kubernetesServiceIpV6 } : {}),
        ...(plan.dnsServiceIpV6 ? { dnsServiceIpV6: plan.dnsServiceIpV6 } : {}),
        capacity: network.capacity,
        portMaps: network.portMaps,
        ingressRoutes: network.ingressRoutes,
        podMtu: network.podMtu,
        kubeProxyMode: network.kubeProxyMode,
        ...(network.controllerManagerFlags ? { controllerManagerFlags: network.controllerManagerFlags } : {}),
    };
};
