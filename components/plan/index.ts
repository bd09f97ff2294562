export * from "./cidr";
export * from "./intervals";
export * from "./allocate";
export * from "./types";
export * from "./plan";
export * from "./record";
