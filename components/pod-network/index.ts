export * from "./constants";
export * from "./types";
export * from "./netConf";
export * from "./manifests";
export * from "./validate";
export * from "./podNetwork";
