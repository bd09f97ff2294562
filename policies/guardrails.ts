/**
 * Every policy of the clusternet-guardrails pack, in the order they run, with the schema of its settings. Importing
 * this starts nothing (unlike the pack entry, index.ts), so the offline `clusternet check`, the tests and the
 * benchmark use it.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { z } from "zod";
import { FLANNEL_NET_CONF, flannelNetConf, flannelNetConfConfig } from "./flannel-net-conf";
import {
    HOST_NETWORK_RESTRICTED,
    HOST_PORT_CONFLICTS,
    hostNetworkRestricted,
    hostNetworkRestrictedConfig,
    hostPortConflicts,
    hostPortConflictsConfig,
} from "./host-network";
import {
    INGRESS_BACKEND_EXISTS,
    INGRESS_CLASS,
    ingressBackendExists,
    ingressBackendExistsConfig,
    ingressClass,
    ingressClassConfig,
    ingressUniqueHostPath,
} from "./ingress-stack";
import { ingressHost, ingressPaths } from "./ingress-rules";
import {
    GATEWAY_CLASS_EXISTS,
    GATEWAY_ROUTE_BACKENDS,
    gatewayClassExists,
    gatewayClassExistsConfig,
    gatewayRouteBackends,
    gatewayRouteBackendsConfig,
    gatewayRouteHostnames,
    gatewayRouteParents,
    gatewayRouteUniqueHostPath,
} from "./gateway-routes";
import { KUBE_PROXY_CONFIG, kubeProxyConfig, kubeProxyConfigConfig, kubeProxyIpvsDeprecated } from "./kube-proxy";
import { NO_OVERLAPPING_RANGES, noOverlappingRanges, noOverlappingRangesConfig } from "./no-overlapping-ranges";
import { serviceBackendsReady, serviceSelectsPods, serviceTargetPortExists } from "./service-backends";
import {
    SERVICE_CLUSTER_IP_IN_RANGE,
    SERVICE_IP_FAMILIES,
    SERVICE_LOAD_BALANCER_AVAILABLE,
    serviceClusterIpConfig,
    serviceClusterIpInRange,
    serviceIpFamilies,
    serviceLoadBalancerAvailable,
    serviceLoadBalancerConfig,
} from "./service-cluster-ip";
import {
    serviceHasBackends,
    serviceLocalTrafficCoverage,
    serviceSelectorTooBroad,
    serviceTargetPortDeclared,
} from "./service-workloads";
import { flannelConfigNamespace, hostNetworkDnsPolicy, networkPolicyEnforced } from "./cluster-advice";
import { ingressTlsHosts } from "./ingress-tls";
import { SERVICE_NO_EXTERNAL_IPS, serviceNoExternalIps, serviceNoExternalIpsConfig } from "./service-external-ips";
import { SERVICE_PORTS, serviceNodePortsUnique, servicePorts, servicePortsConfig } from "./service-ports";

export const PACK_NAME = "clusternet-guardrails";

export type GuardrailPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const policies: readonly GuardrailPolicy[] = [
    noOverlappingRanges,
    flannelNetConf,
    kubeProxyConfig,
    kubeProxyIpvsDeprecated,
    flannelConfigNamespace,
    servicePorts,
    serviceNodePortsUnique,
    serviceNoExternalIps,
    serviceClusterIpInRange,
    serviceIpFamilies,
    serviceLoadBalancerAvailable,
    serviceHasBackends,
    serviceSelectsPods,
    serviceTargetPortExists,
    serviceTargetPortDeclared,
    serviceSelectorTooBroad,
    serviceLocalTrafficCoverage,
    serviceBackendsReady,
    ingressHost,
    ingressPaths,
    ingressTlsHosts,
    ingressClass,
    ingressUniqueHostPath,
    ingressBackendExists,
    gatewayRouteHostnames,
    gatewayRouteParents,
    gatewayRouteBackends,
    gatewayRouteUniqueHostPath,
    gatewayClassExists,
    hostNetworkRestricted,
    hostNetworkDnsPolicy,
    hostPortConflicts,
    networkPolicyEnforced,
];

/** The zod schema of each configurable policy's settings (the same schema its configSchema was made from). */
export const configSchemas: Readonly<Record<string, z.ZodType>> = {
    [NO_OVERLAPPING_RANGES]: noOverlappingRangesConfig,
    [FLANNEL_NET_CONF]: flannelNetConfConfig,
    [KUBE_PROXY_CONFIG]: kubeProxyConfigConfig,
    [SERVICE_PORTS]: servicePortsConfig,
    [SERVICE_NO_EXTERNAL_IPS]: serviceNoExternalIpsConfig,
    [SERVICE_CLUSTER_IP_IN_RANGE]: serviceClusterIpConfig,
    [SERVICE_IP_FAMILIES]: serviceClusterIpConfig,
    [SERVICE_LOAD_BALANCER_AVAILABLE]: serviceLoadBalancerConfig,
    [INGRESS_CLASS]: ingressClassConfig,
    [INGRESS_BACKEND_EXISTS]: ingressBackendExistsConfig,
    [GATEWAY_ROUTE_BACKENDS]: gatewayRouteBackendsConfig,
    [GATEWAY_CLASS_EXISTS]: gatewayClassExistsConfig,
    [HOST_NETWORK_RESTRICTED]: hostNetworkRestrictedConfig,
    [HOST_PORT_CONFLICTS]: hostPortConflictsConfig,
};
