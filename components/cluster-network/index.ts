export * from "./clusterNetwork";
export * from "./validate";
