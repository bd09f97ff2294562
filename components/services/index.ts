/** Services with their port mappings, and the workloads behind them. */
export * from "./types";
export * from "./labels";
export * from "./network";
export * from "./resolve";
export * from "./validate";
export * from "./builders";
export * from "./port-map";
export * from "./backend";
export * from "./app-service";
export * from "./node-ports";
