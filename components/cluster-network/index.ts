export * from "./cluster-network";
export * from "./validate";
export * from "./ingress-plan";
