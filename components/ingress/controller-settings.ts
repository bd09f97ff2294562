import { Problem, keyPath, show } from "../common";
import { knownValue, plainOr } from "../common/known";
import { IpFamily } from "../plan";
import { Protocol } from "../services/types";
import type { NodePortClaim } from "../services/validate";
import {
    DEFAULT_HTTPS_NODE_PORT,
    DEFAULT_HTTP_NODE_PORT,
    INGRESS_NGINX_IMAGE,
    IngressControllerSettings,
    IngressApi,
    IngressImplementation,
    IngressMode,
    ResolvedController,
    TRAEFIK_IMAGE,
} from "./types";

/** Applies every default. Call after {@link validateControllerSettings} found no problem. */
export function resolveController(
    settings: IngressControllerSettings = {},
    ipFamilies: readonly IpFamily[] = [IpFamily.IPv4],
    api: IngressApi = IngressApi.Ingress,
): ResolvedController {
    const implementation = settings.implementation ?? IngressImplementation.Traefik;
    const mode = settings.mode ?? IngressMode.NodePort;
    const nodePort = mode === IngressMode.NodePort;
    const traefik = implementation === IngressImplementation.Traefik;
    const defaultImage = traefik ? TRAEFIK_IMAGE : INGRESS_NGINX_IMAGE;
    const httpNodePort = nodePort ? (settings.httpNodePort ?? DEFAULT_HTTP_NODE_PORT) : null;
    const httpsNodePort = nodePort ? (settings.httpsNodePort ?? DEFAULT_HTTPS_NODE_PORT) : null;
    return {
        implementation,
        api,
        mode,
        httpNodePort,
        httpsNodePort,
        httpPort: httpNodePort ?? 80,
        httpsPort: httpsNodePort ?? 443,
        replicas: nodePort ? (settings.replicas ?? 1) : null,
        // An image not known yet (an Output) stands as the default here; IngressController registers the Output.
        image: plainOr(settings.image, defaultImage) ?? defaultImage,
        admissionWebhook: !traefik && (settings.admissionWebhook ?? false),
        ipFamilies: ipFamilies.length > 0 ? [...ipFamilies] : [IpFamily.IPv4],
        ingressClassName: traefik ? "traefik" : "nginx",
        namespace: traefik ? "traefik" : "ingress-nginx",
        publishesStatus: !traefik,
    };
}

/** What Ingress objects need to know about their controller: its class, whether it writes their status, its ports on every node. */
export interface RouteControllerInfo {
    /** The IngressClass every Ingress names. */
    readonly ingressClassName: string;
    /** Whether the controller writes Ingress status, so `pulumi up` can await each Ingress. */
    readonly publishesStatus: boolean;
    /** Where clients reach HTTP on any node. */
    readonly httpPort: number;
    /** Where clients reach HTTPS on any node. */
    readonly httpsPort: number;
}

/** The IngressRoutes args that describe a controller, from its resolved settings: `{ ...routeControllerInfo(resolveController(settings)) }`. */
export function routeControllerInfo(controller: ResolvedController): RouteControllerInfo {
    return {
        ingressClassName: controller.ingressClassName,
        publishesStatus: controller.publishesStatus,
        httpPort: controller.httpPort,
        httpsPort: controller.httpsPort,
    };
}

function isPort(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** An image reference pinned by a tag other than `latest`, or by digest. */
export function isPinnedImage(image: string): boolean {
    if (/\s/.test(image) || image.length === 0) {
        return false;
    }
    if (/@sha256:[a-f0-9]{64}$/.test(image)) {
        return true;
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (colon < 0) {
        return false;
    }
    const tag = lastSegment.slice(colon + 1);
    return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) && tag !== "latest";
}

/**
 * Checks the controller's own settings: known implementation and mode, whole positive replicas, a pinned image,
 * node ports only where they mean something, the webhook only where it exists. Never throws.
 */
export function validateControllerSettings(settings: IngressControllerSettings, root: string): Problem[] {
    const problems: Problem[] = [];
    const key = (field: string): string => keyPath(root, field);
    const implementations = Object.values(IngressImplementation) as string[];
    const modes = Object.values(IngressMode) as string[];
    if (settings.implementation !== undefined && !implementations.includes(settings.implementation)) {
        problems.push({
            key: key("implementation"),
            message: `${show(settings.implementation)} is not a supported Ingress controller`,
            fix: `use ${implementations.join(" or ")}`,
        });
    }
    if (settings.mode !== undefined && !modes.includes(settings.mode)) {
        problems.push({
            key: key("mode"),
            message: `${show(settings.mode)} is not a mode`,
            fix: `use ${modes.join(" or ")}`,
        });
    }
    const hostPort = settings.mode === IngressMode.HostPort;
    for (const field of ["httpNodePort", "httpsNodePort"] as const) {
        const value = settings[field];
        if (value === undefined) {
            continue;
        }
        if (hostPort) {
            problems.push({
                key: key(field),
                message:
                    "has no effect in hostPort mode: the controller listens on ports 80 and 443 of every node and needs no NodePort Service",
                fix: `remove ${field}, or use mode: NodePort`,
            });
        } else if (!isPort(value)) {
            problems.push({
                key: key(field),
                message: `${show(value)} is not a port number`,
                fix: "use a whole number inside the cluster's node port range",
            });
        }
    }
    if (settings.replicas !== undefined) {
        if (hostPort) {
            problems.push({
                key: key("replicas"),
                message: "has no effect in hostPort mode: the controller runs as a DaemonSet, one pod per node",
                fix: "remove replicas, or use mode: NodePort",
            });
        } else if (!Number.isInteger(settings.replicas) || settings.replicas < 1) {
            problems.push({
                key: key("replicas"),
                message: `${show(settings.replicas)} is not a replica count`,
                fix: "use a whole number, at least 1",
            });
        }
    }
    const image = knownValue(settings.image);
    if (image.known && image.value !== undefined && !isPinnedImage(image.value)) {
        problems.push({
            key: key("image"),
            message: `${show(image.value)} is not pinned`,
            fix: "name a tag other than latest (e.g. traefik:v3.7.11) or a digest (…@sha256:…), so every node runs the same build",
        });
    }
    if (
        settings.admissionWebhook === true &&
        (settings.implementation ?? IngressImplementation.Traefik) === IngressImplementation.Traefik
    ) {
        problems.push({
            key: key("admissionWebhook"),
            message: "Traefik has no admission webhook; this setting belongs to ingress-nginx",
            fix: "remove admissionWebhook, or use implementation: ingress-nginx",
        });
    }
    return problems;
}

/**
 * Checks `api` (at `key`) and that the controller implements it: only Traefik serves the Gateway API (its
 * kubernetesgateway provider); ingress-nginx never did. Never throws.
 */
export function validateApi(api: unknown, implementation: unknown, key: string): Problem[] {
    const apis = Object.values(IngressApi) as unknown[];
    if (api === undefined) {
        return [];
    }
    if (!apis.includes(api)) {
        return [{ key, message: `${show(api)} is not an API`, fix: `use ${apis.join(", ")}` }];
    }
    if (api !== IngressApi.Ingress && implementation === IngressImplementation.IngressNginx) {
        return [
            {
                key,
                message: `${show(api)} needs a Gateway API controller, but ingress-nginx serves Ingress only`,
                fix: "use implementation: traefik (its kubernetesgateway provider serves HTTPRoutes), or api: ingress",
            },
        ];
    }
    return [];
}

/**
 * The node ports the controller's NodePort Service claims (none in hostPort mode), for the stack-wide node port
 * check the Services' validator runs over every claim: inside the cluster's range, and never claimed twice.
 */
export function controllerNodePortClaims(settings: IngressControllerSettings, controllerKey: string): NodePortClaim[] {
    if ((settings.mode ?? IngressMode.NodePort) === IngressMode.HostPort) {
        return [];
    }
    const ports = [
        {
            field: "httpNodePort",
            port: settings.httpNodePort ?? DEFAULT_HTTP_NODE_PORT,
            defaulted: settings.httpNodePort === undefined,
        },
        {
            field: "httpsNodePort",
            port: settings.httpsNodePort ?? DEFAULT_HTTPS_NODE_PORT,
            defaulted: settings.httpsNodePort === undefined,
        },
    ];
    // Reported by validateControllerSettings when not a port.
    return ports
        .filter(({ port }) => isPort(port))
        .map(({ field, port, defaulted }) => ({
            nodePort: port,
            defaulted,
            protocol: Protocol.TCP,
            owner: "the Ingress controller",
            key: keyPath(controllerKey, field),
            clusterChoosesWhenOmitted: false,
        }));
}
