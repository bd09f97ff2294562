/**
 * Switching kube-proxy's mode on a lab that is up, as on a running cluster: kube-proxy restarts in the new mode,
 * removes the old mode's rules and writes its own; pods and their endpoints stay. See docs/kube-proxy.md.
 */
import * as path from "node:path";
import { writeFileAtomic } from "./exec";
import { LabContext, loadState } from "./lab";
import { ProgramResult, ProxyMode, programKubeProxy } from "./proxy-mode";
import { STATE_FILE } from "./state";

export async function labSwitchProxyMode(
    context: Pick<LabContext, "stateDir" | "prefix">,
    mode: ProxyMode,
): Promise<ProgramResult & { readonly from: ProxyMode }> {
    const state = loadState(context);
    const from = state.plan.kubeProxyMode ?? ProxyMode.Iptables;
    const result = await programKubeProxy(state.plan, state.endpoints, mode, context.stateDir);
    const next = { ...state, plan: { ...state.plan, kubeProxyMode: mode } };
    writeFileAtomic(path.join(context.stateDir, STATE_FILE), `${JSON.stringify(next, null, 2)}\n`);
    return { ...result, from };
}
