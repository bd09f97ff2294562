export * from "./model";
export * from "./names";
export * from "./plan";
export * from "./state";
export * from "./checks";
export {
    labUp,
    labCheck,
    labSync,
    labDown,
    planFor,
    loadState,
    lookAround,
    podTable,
    defaultStateDir,
    resolveStateDir,
    environmentProblem,
    LabEnvironmentError,
    LabInputError,
    APT_PACKAGES,
    CNI_PATH,
} from "./lab";
export type { LabContext, UpResult, CheckResult, DownResult } from "./lab";
export { readManifestFiles } from "./manifest-files";
