/**
 * The lab serving Gateway API routes: HTTPRoutes read into the route table (hostnames, PathPrefix/Exact, backends
 * by port number, wildcards of any depth), and on this kernel (root) `lab check` proving every route in `gateway`
 * and `both` modes, with the Gateway API's precedence: the longest path wins, Exact before PathPrefix.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { decideRoute, routeTable, wildcardMatches } from "../lab/ingress";
import { IngressModel, PathType } from "../lab/model";
import { labDown, LabContext } from "../lab/lab";
import { runCli, temporaryDirectory, writeStackFile } from "./helpers/cli";
import { labSkipReason, uniquePrefix } from "./helpers/lab";

const httpRoute: IngressModel = {
    api: "HTTPRoute",
    parents: ["traefik/traefik"],
    namespace: "demo",
    name: "web.lab.example",
    rules: [
        {
            host: "web.lab.example",
            paths: [
                { path: "/", pathType: PathType.Prefix, backend: { service: "web", port: 8080 } },
                { path: "/api", pathType: PathType.Prefix, backend: { service: "api", port: 80 } },
                { path: "/api/v1", pathType: PathType.Exact, backend: { service: "web", port: 8080 } },
            ],
        },
    ],
};
const wildcardRoute: IngressModel = {
    api: "HTTPRoute",
    parents: ["traefik/traefik"],
    namespace: "demo",
    name: "wildcard.apps.lab.example",
    rules: [
        {
            host: "*.apps.lab.example",
            paths: [{ path: "/", pathType: PathType.Prefix, backend: { service: "api", port: 80 } }],
        },
    ],
};

void describe("the lab's route table with HTTPRoutes", () => {
    const table = routeTable([httpRoute, wildcardRoute]);
    const served = (host: string, requestPath: string): string => {
        const decision = decideRoute(table, host, requestPath);
        return decision.kind === "backend" ? decision.route.backend!.service : "404";
    };

    void it("decides by the Gateway API's precedence: longest path, Exact before PathPrefix", () => {
        assert.equal(served("web.lab.example", "/"), "web");
        assert.equal(served("web.lab.example", "/api/x"), "api");
        assert.equal(served("web.lab.example", "/api/v1"), "web", "Exact /api/v1 before PathPrefix /api");
        assert.equal(served("web.lab.example", "/api/v1/x"), "api", "Exact does not match below itself");
        assert.equal(served("web.lab.example", "/apix"), "web", "PathPrefix matches by element");
    });

    void it("matches an HTTPRoute wildcard at any depth, an Ingress wildcard at one label", () => {
        assert.equal(served("a.apps.lab.example", "/"), "api");
        assert.equal(served("a.b.apps.lab.example", "/"), "api");
        assert.equal(served("apps.lab.example", "/"), "404");
        assert.ok(wildcardMatches("*.apps.lab.example", "a.b.apps.lab.example", true));
        assert.ok(!wildcardMatches("*.apps.lab.example", "a.b.apps.lab.example"));
    });

    void it("with both APIs, the same path from an Ingress and an HTTPRoute is one route, no warning", () => {
        const ingress: IngressModel = {
            namespace: "demo",
            name: "web.lab.example",
            className: "traefik",
            rules: [
                {
                    host: "web.lab.example",
                    paths: [{ path: "/", pathType: PathType.Prefix, backend: { service: "web", port: "http" } }],
                },
            ],
        };
        const both = routeTable([ingress, httpRoute]);
        assert.deepEqual(both.shadowed, []);
        assert.equal(both.hosts.length, 1);
        assert.deepEqual(
            both.hosts[0]!.paths.map((route) => [route.api, route.path]),
            [
                ["Ingress", "/"],
                ["HTTPRoute", "/api"],
                ["HTTPRoute", "/api/v1"],
            ],
        );
    });
});

const skip = labSkipReason();
const work = temporaryDirectory("clusternet-lab-gateway-");
const contexts: LabContext[] = [];

/** Two Services, a host with nested paths (Exact inside a prefix) and a wildcard host, in the given API. */
function gatewayStack(api: string): string {
    return writeStackFile(work, `gw-${api}`, {
        cluster: { name: "lab", podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", nodeNetwork: "192.168.56.0/24" },
        nodes: [
            { name: "cp-1", ip: "192.168.56.10" },
            { name: "worker-1", ip: "192.168.56.11" },
        ],
        services: [
            {
                name: "web",
                namespace: "demo",
                app: { image: "nginx:1.27.5", replicas: 1, containerPorts: [{ name: "http", port: 80 }] },
                ports: [{ name: "http", port: 8080, targetPort: "http" }],
            },
            {
                name: "api",
                namespace: "demo",
                app: { image: "nginx:1.27.5", replicas: 1, containerPorts: [{ name: "http", port: 80 }] },
                ports: [{ name: "http", port: 80, targetPort: "http" }],
            },
        ],
        ingress: {
            api,
            controller: { implementation: "traefik", httpNodePort: 30080, httpsNodePort: 30443 },
            routes: [
                {
                    host: "web.lab.example",
                    paths: [
                        { path: "/", service: "web", port: "http" },
                        { path: "/api", service: "api", port: "http" },
                        { path: "/api/v1", pathType: "Exact", service: "web", port: 8080 },
                    ],
                },
                { host: "*.apps.lab.example", paths: [{ path: "/", service: "api", port: "http" }] },
            ],
        },
    });
}

/** The passing `LAN → Ingress` rows of a lab check, as `host+path → backend`. */
function routeRows(output: string): string[] {
    return output
        .split("\n")
        .filter((line) => /^pass\s+LAN → Ingress/.test(line))
        .map((line) => /http:\/\/(\S+) via .* → (\S+)/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => `${match[1]} → ${match[2]}`)
        .sort();
}

void describe("lab check with the Gateway API (root)", { skip: skip ?? false }, () => {
    after(async () => {
        for (const context of contexts) {
            await labDown(context).catch(() => undefined);
        }
    });

    for (const api of ["gateway", "both"]) {
        void it(`api: ${api}: every route answers from the backend the Gateway API's precedence picks`, async () => {
            const context = {
                prefix: uniquePrefix(`g${api[0]}`),
                stateDir: path.join(work, `state-${api}`),
                log: () => undefined,
            };
            contexts.push(context);
            const options = ["--prefix", context.prefix, "--state-dir", context.stateDir];
            const stackFile = gatewayStack(api);
            const up = await runCli(["lab", "up", "--config-file", stackFile, "--no-save", ...options]);
            assert.equal(up.code, 0, up.stderr + up.stdout);
            const check = await runCli(["lab", "check", "--config-file", stackFile, ...options]);
            assert.equal(check.code, 0, check.stderr + check.stdout);
            assert.match(check.stdout, /lab check: (\d+) of \1 paths work, 0 fail/);
            const rows = routeRows(check.stdout);
            for (const expected of [
                "web.lab.example/ → demo/web:http",
                "web.lab.example/api/lab-check → demo/api:http",
                "web.lab.example/api/v1 → demo/web:http",
                "web.lab.example/api/v1/lab-check → demo/api:http",
                "lab.apps.lab.example/ → demo/api:http",
                "deep.lab.apps.lab.example/ → demo/api:http",
            ]) {
                assert.ok(rows.includes(expected), `${expected} in\n${rows.join("\n")}`);
            }
            const down = await runCli(["lab", "down", ...options]);
            assert.equal(down.code, 0, down.stderr);
        });
    }
});
