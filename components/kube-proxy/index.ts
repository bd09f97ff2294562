/** kube-proxy: its mode and KubeProxyConfiguration from the plan, the KubeProxy component and its builders. */
export * from "./types";
export * from "./configuration";
export * from "./manifests";
export * from "./validate";
export * from "./kube-proxy";
