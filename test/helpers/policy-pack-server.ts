/**
 * Starts the policy pack exactly as the Pulumi CLI does (the Node.js language host runs
 * `@pulumi/pulumi/cmd/run-policy-pack` in the pack folder, which compiles the TypeScript with ts-node and prints the
 * analyzer's gRPC port) and talks to it over the engine's Analyzer protocol.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { REPO } from "./cli";

// The generated protobuf modules are untyped JavaScript: their values are `any` by nature.
/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerProto = require("@pulumi/pulumi/proto/analyzer_pb");
const emptyProto = require("google-protobuf/google/protobuf/empty_pb");
const structProto = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

export const PACK_DIRECTORY = path.join(REPO, "policies");

/** The engine's sentinel for an unknown string at preview. */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface Diagnostic {
    policyName: string;
    enforcementLevel: "advisory" | "mandatory" | "disabled" | "remediate";
    message: string;
    urn: string;
}

export interface ResourceMessage {
    type: string;
    name: string;
    urn: string;
    props: Record<string, unknown>;
    parent?: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function options(parent?: string): any {
    const result = new analyzerProto.AnalyzerResourceOptions();
    result.setProtect(false);
    if (parent) {
        result.setParent(parent);
    }
    return result;
}

function diagnosticsOf(response: any): Diagnostic[] {
    return response.getDiagnosticsList().map((diagnostic: any) => ({
        policyName: diagnostic.getPolicyname(),
        enforcementLevel: LEVELS[diagnostic.getEnforcementlevel() as number]!,
        message: diagnostic.getMessage(),
        urn: diagnostic.getUrn(),
    }));
}

export class PolicyPackServer {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        public readonly stderr: () => string,
    ) {}

    /** Starts the pack; resolves once its analyzer listens. */
    static async start(timeoutMs = 120_000): Promise<PolicyPackServer> {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIRECTORY] });
        const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
            cwd: PACK_DIRECTORY,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`the policy pack did not start within ${timeoutMs} ms:\n${stderr}`)),
                timeoutMs,
            );
            child.stdout.on("data", (chunk: Buffer) => {
                stdout += chunk.toString();
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) {
                    clearTimeout(timer);
                    resolve(Number(match[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the policy pack exited with ${code}:\n${stderr}`));
            });
        });
        const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PolicyPackServer(child, client, () => stderr);
    }

    private call<T>(method: string, request: unknown): Promise<T> {
        return new Promise<T>((resolve, reject) =>
            this.client[method](request, (error: Error | null, response: T) =>
                error ? reject(error) : resolve(response),
            ),
        );
    }

    async info(): Promise<{
        name: string;
        version: string;
        policies: Array<{ name: string; enforcementLevel: string; configSchema?: Record<string, unknown> }>;
    }> {
        const response: any = await this.call("getAnalyzerInfo", new emptyProto.Empty());
        return {
            name: response.getName(),
            version: response.getVersion(),
            policies: response.getPoliciesList().map((policy: any) => ({
                name: policy.getName(),
                enforcementLevel: LEVELS[policy.getEnforcementlevel() as number]!,
                configSchema: policy.getConfigschema()?.getProperties()?.toJavaScript(),
            })),
        };
    }

    /** The engine's per-resource analysis (inputs). */
    async analyze(resource: ResourceMessage): Promise<Diagnostic[]> {
        const request = new analyzerProto.AnalyzeRequest();
        request.setType(resource.type);
        request.setName(resource.name);
        request.setUrn(resource.urn);
        request.setProperties(structProto.Struct.fromJavaScript(resource.props));
        request.setOptions(options(resource.parent));
        return diagnosticsOf(await this.call("analyze", request));
    }

    /** The engine's whole-stack analysis (outputs). */
    async analyzeStack(resources: readonly ResourceMessage[]): Promise<Diagnostic[]> {
        const request = new analyzerProto.AnalyzeStackRequest();
        request.setResourcesList(
            resources.map((resource) => {
                const message = new analyzerProto.AnalyzerResource();
                message.setType(resource.type);
                message.setName(resource.name);
                message.setUrn(resource.urn);
                message.setProperties(structProto.Struct.fromJavaScript(resource.props));
                message.setOptions(options(resource.parent));
                if (resource.parent) {
                    message.setParent(resource.parent);
                }
                return message;
            }),
        );
        return diagnosticsOf(await this.call("analyzeStack", request));
    }

    /** What `--policy-pack-config` sends: per policy, an enforcement level and properties. */
    async configure(
        config: Record<
            string,
            { enforcementLevel: "advisory" | "mandatory" | "disabled"; properties: Record<string, unknown> }
        >,
    ): Promise<void> {
        const request = new analyzerProto.ConfigureAnalyzerRequest();
        const map = request.getPolicyconfigMap();
        for (const [name, settings] of Object.entries(config)) {
            const policyConfig = new analyzerProto.PolicyConfig();
            policyConfig.setEnforcementlevel(LEVELS.indexOf(settings.enforcementLevel));
            policyConfig.setProperties(structProto.Struct.fromJavaScript(settings.properties));
            map.set(name, policyConfig);
        }
        await this.call("configure", request);
    }

    async pluginVersion(): Promise<string> {
        const response: any = await this.call("getPluginInfo", new emptyProto.Empty());
        return response.getVersion();
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }
}
