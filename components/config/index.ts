export * from "./schema";
export * from "./load";
export * from "./stack";
export * from "./json-schema";
export * from "./args";
