export * from "./network-plan";
