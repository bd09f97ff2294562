export * from "./networkPlan";
