import type { ResourceValidationPolicy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { formatProblem } from "../components/common";
import { z } from "zod";
import {
    DEFAULT_NODE_PORT_RANGE,
    HEADLESS_CLUSTER_IP,
    externalNameClusterIpFindings,
    externalNameFindings,
    NodePortRangeSource,
    PROTOCOLS,
    SERVICE_TYPES,
    parseNodePortRange,
    serviceTypeFindings,
    servicePortsFindings,
} from "../components/rules";

export { DEFAULT_NODE_PORT_RANGE, PROTOCOLS, SERVICE_TYPES };
import { configOf, configSchemaOf } from "./lib/config";
import { ResourceLike } from "./lib/kubernetes";
import { policyMessage } from "./lib/problems";
import { ServiceInfo, describePort, fixedNodePorts, serviceOf, servicesOf } from "./lib/services";
import { asArray, asRecord, at } from "./lib/values";

export const SERVICE_PORTS = "service-ports";
export const SERVICE_NODE_PORTS_UNIQUE = "service-node-ports-unique";

const nodePortRange = z
    .string()
    .refine((text) => parseNodePortRange(text).ok, {
        message: "expected the API server's --service-node-port-range, such as 30000-32767",
    })
    .default(DEFAULT_NODE_PORT_RANGE)
    .describe("The API server's --service-node-port-range.");

export const servicePortsConfig = z.strictObject({ nodePortRange });
export type ServicePortsConfig = z.output<typeof servicePortsConfig>;

/** The configured range (validated by the settings schema, so it parses). */
function nodePortSource(text: string): NodePortRangeSource {
    const range = parseNodePortRange(text);
    return {
        range: range.ok ? range.value : { first: 1, last: 65535 },
        text,
        key: `${SERVICE_PORTS}.nodePortRange`,
    };
}

/** The checks Kubernetes' Service validation makes on type and ports (components/rules), plus the node port range. */
export function checkServicePorts(
    service: ServiceInfo,
    config: ServicePortsConfig,
    report: (message: string) => void,
): void {
    const raw = asRecord(at(service.resource.props, "spec")) ?? {};
    const headless = service.clusterIP === HEADLESS_CLUSTER_IP;
    const problems = serviceTypeFindings(raw["type"], headless, "spec");
    if (problems.length > 0 && problems[0]!.key === "spec.type") {
        problems.forEach((problem) => report(policyMessage(service.description, problem)));
        return;
    }
    if (service.type === "ExternalName") {
        [
            ...externalNameFindings(raw["externalName"], "spec.externalName"),
            ...externalNameClusterIpFindings(service.clusterIP, service.clusterIPs, "spec"),
        ].forEach((problem) => report(policyMessage(service.description, problem)));
        return;
    }
    const ports = asArray(raw["ports"]).map((entry) => asRecord(entry) ?? {});
    problems.push(
        ...servicePortsFindings(ports, "spec.ports", {
            type: service.type,
            headless,
            nodePorts: nodePortSource(config.nodePortRange),
        }),
    );
    for (const problem of problems) {
        report(policyMessage(service.description, problem));
    }
}

export const servicePorts: ResourceValidationPolicy = {
    name: SERVICE_PORTS,
    description:
        "Service ports as Kubernetes validates them: names (DNS-1123 labels, required and unique with several ports), unique (protocol, port), targetPorts (1-65535 or an IANA service name), nodePorts inside the node port range.",
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(servicePortsConfig),
    validateResource: (args, reportViolation) => {
        const service = serviceOf(args);
        if (service) {
            checkServicePorts(service, configOf(SERVICE_PORTS, servicePortsConfig, args), reportViolation);
        }
    },
};

/**
 * Node ports are allocated cluster-wide by number: two Services (the Ingress controller's included) cannot share
 * one, whatever the protocol. One pass with a map, so linear in the number of ports.
 */
export function checkNodePortsUnique(resources: readonly ResourceLike[], report: ReportViolation): void {
    const owners = new Map<number, { service: ServiceInfo; index: number }>();
    for (const service of servicesOf(resources)) {
        for (const { index, nodePort } of fixedNodePorts(service)) {
            if (nodePort > 65535) {
                continue; // service-ports reports it
            }
            const owner = owners.get(nodePort);
            if (owner && owner.service !== service) {
                report(
                    formatProblem({
                        key: "",
                        message: `${service.description} ${describePort(service.ports[index]!)} claims nodePort ${nodePort}, already taken by ${owner.service.description} ${describePort(owner.service.ports[owner.index]!)}; node ports are unique across the cluster, so the API server refuses the second`,
                        fix: "give one of them another nodePort, or leave it unset to get a free one",
                    }),
                    service.resource.urn,
                );
            } else if (!owner) {
                owners.set(nodePort, { service, index });
            }
        }
    }
}

export const serviceNodePortsUnique: StackValidationPolicy = {
    name: SERVICE_NODE_PORTS_UNIQUE,
    description: "No two Services in the stack (the Ingress controller's included) claim the same nodePort.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => checkNodePortsUnique(args.resources, reportViolation),
};
