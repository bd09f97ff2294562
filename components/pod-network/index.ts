/** The flannel pod network: the PodNetwork component, its args, and the pure builders and checks behind it. */
export * from "./constants";
export * from "./types";
export { FlannelNetConf, cniConf, netConf, podMtu } from "./net-conf";
export {
    FLANNEL_METADATA,
    controllerManagerFlags,
    flannelClusterRole,
    flannelClusterRoleBinding,
    flannelConfigMap,
    flannelDaemonSet,
    flannelManifests,
    flannelMetadata,
    flannelNamespace,
    flannelNetConfSecret,
    flannelServiceAccount,
    flanneldArgs,
    nodeCidrPatches,
} from "./manifests";
export { POD_NETWORK_ARGS_KEYS, PodNetworkKeys, resolveFlannelSpec, validatePodNetwork } from "./validate";
export * from "./pod-network";
