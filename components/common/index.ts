export * from "./problems";
export * from "./names";
export * from "./keys";
export * from "./url";
