/**
 * clusternet's public API, by name: the components, their args and output types, and the few pure planners and
 * builders a stack reusing them calls. Everything else is internal: the stack, the CLI, the policies, the lab and
 * the tests import it from its own module (`components/<capability>/...`), so it may change without notice.
 */

// Problems as values: what the planners return and the components' RunErrors list.
export { Problem, formatProblem } from "./common/problems";
export { Result } from "./common/result";

// The address plan: the pure planner, its input and its result.
export { IpFamily } from "./plan/cidr";
export {
    ClusterSpec,
    NodeSpec,
    NodeSubnets,
    PreviousAllocation,
    ReservedRange,
    SubnetSource,
    PlannedNode,
    FamilyCapacity,
    AddressPlan,
} from "./plan/types";
export {
    PlanInput,
    planNetwork,
    nodeSubnetsOf,
    DEFAULT_CLUSTER_NAME,
    DEFAULT_NODE_MASK_SIZE,
    DEFAULT_NODE_MASK_SIZE_V6,
    DEFAULT_SERVICE_CIDR,
} from "./plan/plan";
export { NetworkPlan, NetworkPlanArgs, CapacityOutput, PlanCapacity } from "./network-plan/network-plan";

// The flannel pod network.
export { PodNetwork } from "./pod-network/pod-network";
export {
    PodNetworkArgs,
    PodNetworkSettings,
    VxlanOptions,
    WireGuardOptions,
    UdpOptions,
    FlannelImages,
    FlannelResources,
} from "./pod-network/types";
export { FlannelBackend, WireGuardMode, FLANNEL_VERSION } from "./pod-network/constants";
export { controllerManagerFlags } from "./pod-network/manifests";
export { podMtu } from "./pod-network/net-conf";
export { readNodesFromApiServer, ApiServerReadArgs, ApiServerNodes, LiveNodeKeys } from "./pod-network/live-nodes";

// Node preparation over SSH.
export { NodePrep, NodePrepArgs, NodePrepTarget } from "./node-prep/node-prep";
export { NodePrepSettings } from "./node-prep/validate";
export { nodePrepArgsFor } from "./node-prep/from-plan";

// Services, the workloads behind them, and their port maps.
export { AppService, AppServiceArgs, AppArgs, ServiceClusterArgs, ServiceNodeArgs } from "./services/app-service";
export {
    AppServiceSpec,
    AppSpec,
    ContainerPortSpec,
    ServicePortSpec,
    ResourcesSpec,
    ServiceClusterSpec,
    ServiceNodeAddress,
    ServiceType,
    Protocol,
} from "./services/types";
export { PortMapEntry } from "./services/port-map";

// Ingress: the controller and the routes it serves.
export { IngressController, IngressControllerArgs } from "./ingress/ingress-controller";
export { IngressRoutes, IngressRoutesArgs } from "./ingress/ingress-routes";
export {
    IngressControllerSettings,
    IngressImplementation,
    IngressMode,
    PathType,
    IngressPathSpec,
    IngressRouteSpec,
    ClusterIngressSettings,
    BackendService,
    ResolvedController,
} from "./ingress/types";
export { IngressApi } from "./ingress/types";
export { RoutePlan, RoutePathPlan } from "./ingress/ingress-plan";
// Gateway API routes from the same route spec.
export { GatewayRoutes, GatewayRoutesArgs } from "./ingress/gateway-routes";
export {
    GATEWAY_API_CRDS_FILE,
    GATEWAY_API_VERSION,
    GatewaySettings,
    buildGateway,
    buildHttpRoute,
    buildReferenceGrants,
    validateGatewayRoutes,
} from "./ingress/gateway-api";
export { resolveController, routeControllerInfo, RouteControllerInfo } from "./ingress/controller-settings";

// kube-proxy: its mode and configuration from the plan.
export {
    KubeProxy,
    KubeProxyArgs,
    KubeProxyConntrack,
    KubeProxyIpvs,
    KubeProxyManage,
    KubeProxyMode,
    KubeProxySettings,
    kubeProxyConfiguration,
} from "./kube-proxy";

// Everything at once, from args shaped like the stack config.
export { ClusterNetwork, ClusterNetworkArgs } from "./cluster-network/cluster-network";
