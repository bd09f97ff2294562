import type { ResourceValidationPolicy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { z } from "zod";
import { parseNodePortRange } from "../components/services/network";
import { DEFAULT_NODE_PORT_RANGE } from "../components/services/types";

export { DEFAULT_NODE_PORT_RANGE };
import { isDns1123Label, isIanaServiceName } from "../components/common";
import { configOf, configSchemaOf } from "./lib/config";
import { ResourceLike } from "./lib/kubernetes";
import {
    HEADLESS,
    NODE_PORT_TYPES,
    ServiceInfo,
    describePort,
    fixedNodePorts,
    serviceOf,
    servicesOf,
} from "./lib/services";
import { shown } from "./lib/values";

export const SERVICE_PORTS = "service-ports";
export const SERVICE_NODE_PORTS_UNIQUE = "service-node-ports-unique";

export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
export const PROTOCOLS = ["TCP", "UDP", "SCTP"];

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
function nodePortBounds(text: string): { low: number; high: number } {
    const range = parseNodePortRange(text);
    return range.ok ? { low: range.value.first, high: range.value.last } : { low: 1, high: 65535 };
}

function isPort(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** The checks Kubernetes' Service validation makes on ports, plus the node port range. */
export function checkServicePorts(
    service: ServiceInfo,
    config: ServicePortsConfig,
    report: (message: string) => void,
): void {
    const who = service.description;
    const { low, high } = nodePortBounds(config.nodePortRange);
    if (!SERVICE_TYPES.includes(service.type)) {
        report(`${who} has type ${shown(service.type)}; fix: use one of ${SERVICE_TYPES.join(", ")}`);
        return;
    }
    if (service.type === "ExternalName") {
        return;
    }
    const headless = service.clusterIP === HEADLESS;
    if (headless && NODE_PORT_TYPES.includes(service.type)) {
        report(
            `${who} is headless (clusterIP: None) but of type ${service.type}, which Kubernetes rejects; fix: use type ClusterIP for a headless Service, or drop clusterIP: None`,
        );
    }
    if (service.ports.length === 0 && !headless) {
        report(`${who} has no ports; Kubernetes requires at least one for a non-headless Service; fix: add a port`);
    }
    const names = new Map<string, number>();
    const portKeys = new Map<string, number>();
    const nodePortKeys = new Map<string, number>();
    const many = service.ports.length > 1;
    for (const port of service.ports) {
        const where = `${who} ports[${port.index}]`;
        if (port.name === undefined || port.name === "") {
            if (many) {
                report(
                    `${where} (${describePort(port)}) has no name; with more than one port every port needs a name; fix: name it, e.g. ${typeof port.port === "number" ? `"port-${port.port}"` : '"http"'}`,
                );
            }
        } else if (!isDns1123Label(port.name)) {
            report(
                `${where} name ${shown(port.name)} is not a DNS-1123 label; fix: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
            );
        } else if (names.has(port.name)) {
            report(
                `${where} name ${shown(port.name)} is also the name of ports[${names.get(port.name)}]; fix: give each port its own name`,
            );
        } else {
            names.set(port.name, port.index);
        }
        if (!PROTOCOLS.includes(port.protocol)) {
            report(
                `${where} protocol ${shown(port.protocol)} is not one of ${PROTOCOLS.join(", ")}; fix: use TCP, UDP or SCTP (uppercase)`,
            );
        }
        if (!isPort(port.port)) {
            report(`${where} port ${shown(port.port)} is not a port number; fix: use a whole number from 1 to 65535`);
        } else {
            const key = `${port.protocol}/${port.port}`;
            if (portKeys.has(key)) {
                report(
                    `${where} repeats ${key} of ports[${portKeys.get(key)}]; Kubernetes rejects duplicate (protocol, port) pairs; fix: remove the duplicate or change its port`,
                );
            } else {
                portKeys.set(key, port.index);
            }
        }
        const target = port.targetPort;
        if (target !== undefined && target !== 0 && target !== "") {
            if (typeof target === "number") {
                if (!isPort(target)) {
                    report(
                        `${where} targetPort ${shown(target)} is not a port number; fix: use a whole number from 1 to 65535, or a container port's name`,
                    );
                }
            } else if (typeof target === "string") {
                if (!isIanaServiceName(target)) {
                    const numeric = /^\d+$/.test(target)
                        ? `; a number written as a string is read as a port name: write ${target} without quotes`
                        : "";
                    report(
                        `${where} targetPort ${shown(target)} is neither a port number nor a valid port name (an IANA service name: at most 15 lowercase letters, digits and single '-', with a letter)${numeric}; fix: use the container port's number or its name`,
                    );
                }
            } else {
                report(
                    `${where} targetPort ${shown(target)} is neither a number nor a name; fix: use the container port's number or its name`,
                );
            }
        }
        const nodePort = port.nodePort;
        if (nodePort === undefined || nodePort === 0) {
            continue;
        }
        if (!NODE_PORT_TYPES.includes(service.type)) {
            report(
                `${where} sets nodePort ${shown(nodePort)}, but ${service.type} Services have no node ports; fix: remove nodePort, or make the Service type NodePort`,
            );
            continue;
        }
        if (!isPort(nodePort) || nodePort < low || nodePort > high) {
            report(
                `${where} nodePort ${shown(nodePort)} lies outside the node port range ${config.nodePortRange}; the API server refuses it; fix: choose a port from ${low} to ${high}, or leave nodePort unset to get a free one`,
            );
            continue;
        }
        const key = `${port.protocol}/${nodePort}`;
        if (nodePortKeys.has(key)) {
            report(
                `${where} repeats nodePort ${key} of ports[${nodePortKeys.get(key)}]; fix: give each port its own nodePort`,
            );
        } else {
            nodePortKeys.set(key, port.index);
        }
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
                    `${service.description} ${describePort(service.ports[index]!)} claims nodePort ${nodePort}, already taken by ${owner.service.description} ${describePort(owner.service.ports[owner.index]!)}; node ports are unique across the cluster, so the API server refuses the second; fix: give one of them another nodePort, or leave it unset to get a free one`,
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
