/**
 * The clusternet-guardrails policy pack, as the Pulumi engine loads it: `pulumi preview --policy-pack ./policies`.
 * Building a PolicyPack starts the analyzer's gRPC server, so nothing else imports this file; tests, the offline
 * `clusternet check` and the benchmark import ./guardrails instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./guardrails";

new PolicyPack(PACK_NAME, {
    description:
        "CIDR-aware guardrails for a Kubernetes lab cluster's network: address ranges, flannel, Services, Ingress and host networking.",
    // Every policy sets its own level; a policy added without one is mandatory.
    enforcementLevel: "mandatory",
    policies: [...policies],
});
