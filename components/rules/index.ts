/**
 * Kubernetes' own rules, stated once. Each rule works on the object's shape (plain values, any of them possibly
 * absent or wrong) and returns problems at the field path its caller gives, as Kubernetes' `validation` package
 * does: the config validators pass `clusternet:services[0].ports`, the components `args.ports`, the policies
 * `spec.ports`. The Ingress host and path rules (`hostFindings`, `pathFindings`) are shared the same way from
 * components/ingress/routes. The lab (lab/) keeps its own independent reading of the rendered objects as the test
 * oracle, on purpose not built on this module.
 */
export {
    DEFAULT_NODE_PORT_RANGE,
    NodePortRange,
    NodePortRangeSource,
    formatNodePortRange,
    inNodePortRange,
    nodePortRangeFindings,
    parseNodePortRange,
} from "./node-ports";
export { DNS_SERVICE_INDEX, FLANNEL_BACKEND_OVERHEAD, KUBERNETES_SERVICE_INDEX } from "./constants";
export {
    DNS_SERVICE,
    HEADLESS_CLUSTER_IP,
    KUBERNETES_SERVICE,
    ServiceCidrSource,
    clusterIpFindings,
    clusterIpTakenFinding,
    dnsServiceIp,
    externalNameClusterIpFindings,
    externalNameFindings,
    hasRoomForDns,
    kubernetesServiceIp,
    nonCanonicalWarning,
    parseServiceIp,
} from "./service-addresses";
export {
    IANA_SVC_NAME_RULE,
    NODE_PORT_TYPES,
    PROTOCOLS,
    SERVICE_TYPES,
    ServicePortFields,
    ServicePortsContext,
    defaultedProtocol,
    defaultedServiceType,
    isPortNumber,
    isUnsetTargetPort,
    serviceTypeFindings,
    servicePortsFindings,
} from "./service-ports";
export {
    isDns1035Label,
    isDns1123Label,
    isDns1123Subdomain,
    isIanaServiceName,
    isLabelKey,
    isLabelValue,
} from "../common/names";
export { ingressBackendPortNameFindings } from "./ingress-backends";
