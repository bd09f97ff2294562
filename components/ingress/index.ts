/** Ingress on bare metal: an Ingress controller (Traefik or ingress-nginx) and the routes it serves, as Ingress or Gateway API objects. */
export * from "./types";
export * from "./controller-settings";
export * from "./routes";
export * from "./controller-objects";
export * from "./traefik";
export * from "./ingress-nginx";
export * from "./build";
export * from "./ingress-plan";
export * from "./validate";
export * from "./ingress-controller";
export * from "./ingress-routes";
export * from "./gateway-api";
export * from "./gateway-routes";
