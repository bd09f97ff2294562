import type { OfflineRun } from "../../cli/offline";
import { REPO } from "./cli";

let rendered: Promise<OfflineRun> | undefined;

/**
 * The repository's dev stack as `clusternet render --stack dev` registers it (Pulumi.dev.yaml, its plan record as the
 * previous allocation), run under mocks once per test process and shared by every test that reads it. Treat the
 * result as read-only; a test that needs a variant renders its own.
 */
export function devStack(): Promise<OfflineRun> {
    rendered ??= renderDevStack();
    return rendered;
}

async function renderDevStack(): Promise<OfflineRun> {
    // Loaded on first use: the SDK takes a second to load.
    const { PROJECT_NAME, STACK_PROGRAM } = await import("../../cli/main.js");
    const { runOffline } = await import("../../cli/offline.js");
    const { loadStackInput, readPreviousAllocation, resolveStackInput, runtimeConfig } =
        await import("../../cli/stack-input.js");
    const input = resolveStackInput({ stack: "dev" }, REPO);
    const previous = readPreviousAllocation(input.planRecord, false);
    const { source } = loadStackInput(input, previous);
    const { config, secretKeys } = runtimeConfig(source);
    const { log, warn } = console;
    // The SDK's info lines ("no clusternet:kubeconfig is set...") are not test output.
    console.log = console.warn = () => undefined;
    try {
        return await runOffline({
            program: STACK_PROGRAM,
            project: PROJECT_NAME,
            stack: input.stackName,
            config,
            secretKeys,
            previousOutputs: previous ? { nodeSubnets: previous } : {},
        });
    } finally {
        Object.assign(console, { log, warn });
    }
}
