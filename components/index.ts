/** clusternet's public API: the components, their args, and the pure planners and builders behind them. */
export * from "./common";
export * from "./plan";
export * from "./network-plan";
export * from "./services";
export * from "./ingress";
export * from "./pod-network";
export * from "./node-prep";
export * from "./cluster-network";
// Gateway API routes (issue 16): named for the curated export list.
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
export { IngressApi } from "./ingress/types";
