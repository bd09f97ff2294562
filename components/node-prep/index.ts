export * from "./script";
export * from "./validate";
export * from "./nodePrep";
export * from "./fromPlan";
