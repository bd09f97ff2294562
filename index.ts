/**
 * The clusternet stack: reads and validates the `clusternet:*` config, builds one ClusterNetwork, and exports the
 * plan and the Services' port maps. Wiring only; the logic lives in components/.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterNetwork, formatProblem } from "./components";
import { SECRET_PLACEHOLDER, loadStack, readRuntimeConfig, validateConfigShape } from "./components/config";
import { NodeSubnets } from "./components/plan";

/** Where manifests go when no kubeconfig is configured: `pulumi up` then touches no cluster. */
const RENDER_DIRECTORY = `rendered/pulumi-${pulumi.getStack()}`;

// Not in the SDK's typings, but exported by its runtime: whether a config key holds a secret.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };

function invalid(lines: readonly string[]): pulumi.RunError {
    return new pulumi.RunError(`clusternet: the stack config has ${lines.length} problem(s):\n${lines.join("\n")}`);
}

/** This stack's own last `nodeSubnets` output: the memory that keeps node subnets from moving. */
async function previousAllocation(): Promise<Record<string, NodeSubnets> | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    try {
        const details = await self.getOutputDetails("nodeSubnets");
        return (details.value ?? undefined) as Record<string, NodeSubnets> | undefined;
    } catch (error) {
        await pulumi.log.warn(
            `could not read this stack's previous outputs (${String(error)}); unpinned nodes get the lowest free subnets`,
        );
        return undefined;
    }
}

export = async () => {
    const source = readRuntimeConfig(pulumi.runtime.allConfig(), (key) => runtime.isConfigSecret?.(key) ?? false);
    const shape = validateConfigShape(source);
    if (shape.problems.length > 0) {
        throw invalid(shape.problems.map(formatProblem));
    }
    const loaded = loadStack(source, await previousAllocation());
    if (!loaded.ok) {
        throw invalid(loaded.problems.map(formatProblem));
    }
    const { config, args } = loaded.value;

    const kubeconfig = config.kubeconfig;
    if (kubeconfig === undefined) {
        await pulumi.log.info(
            `no clusternet:kubeconfig is set: manifests are rendered to ${RENDER_DIRECTORY} and no cluster is touched`,
        );
    }
    const provider = new k8s.Provider(
        "kubernetes",
        kubeconfig === undefined
            ? { renderYamlToDirectory: RENDER_DIRECTORY }
            : {
                  kubeconfig: pulumi.secret(typeof kubeconfig === "string" ? kubeconfig : SECRET_PLACEHOLDER),
                  context: config.context,
              },
    );

    const network = new ClusterNetwork(config.cluster.name, args, { providers: { kubernetes: provider } });
    return {
        plan: loaded.value.plan,
        nodeSubnets: network.nodeSubnets,
        kubernetesServiceIp: network.kubernetesServiceIp,
        dnsServiceIp: network.dnsServiceIp,
        capacity: network.capacity,
        portMaps: network.portMaps,
        ingressRoutes: network.ingressRoutes,
        podMtu: network.podMtu,
        kubeProxyMode: network.kubeProxyMode,
        ...(network.controllerManagerFlags ? { controllerManagerFlags: network.controllerManagerFlags } : {}),
    };
};
