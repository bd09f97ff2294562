/** clusternet's public API: the components, their args, and the pure planners and builders behind them. */
export * from "./common";
export * from "./plan";
export * from "./network-plan";
export * from "./services";
export * from "./ingress";
export * from "./pod-network";
export * from "./node-prep";
export * from "./cluster-network";
export * from "./rules";
