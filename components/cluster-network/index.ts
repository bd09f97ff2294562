export * from "./clusterNetwork";
export * from "./validate";
export * from "./ingressPlan";
