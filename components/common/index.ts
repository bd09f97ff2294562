export * from "./problems";
export * from "./result";
export * from "./names";
export * from "./keys";
export * from "./url";
