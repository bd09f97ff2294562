/** Node preparation over SSH: the NodePrep component, its args, the script and its checks. */
export {
    DEFAULT_NODE_PREP_PATHS,
    NodePrepAction,
    NodePrepPaths,
    NodePrepScriptOptions,
    ProxyMode,
    nodePrepScript,
    remoteInvocation,
} from "./script";
export { NodePrepKeys, NodePrepSettings, validateNodePrep } from "./validate";
export * from "./node-prep";
export * from "./from-plan";
