import { ControllerObject, ControllerObjects } from "./controller-objects";
import { buildIngressNginx } from "./ingress-nginx";
import { buildTraefik } from "./traefik";
import { IngressImplementation, ResolvedController } from "./types";

/** The chosen controller's objects: one interface, two implementations. */
export function buildController(settings: ResolvedController): ControllerObjects {
    switch (settings.implementation) {
        case IngressImplementation.Traefik:
            return buildTraefik(settings);
        case IngressImplementation.IngressNginx:
            return buildIngressNginx(settings);
    }
}

/**
 * The objects in an order where each comes after everything it waits for (its namespace, its waitsFor),
 * otherwise keeping the builder's order. Throws on an unknown key or a cycle: both are bugs in a builder.
 */
export function dependencyOrder(objects: readonly ControllerObject[]): ControllerObject[] {
    const byKey = new Map(objects.map((object) => [object.key, object]));
    const prerequisites = (object: ControllerObject): string[] => [
        ...(object.namespace !== undefined && byKey.has("namespace") ? ["namespace"] : []),
        ...object.waitsFor,
    ];
    for (const object of objects) {
        for (const key of prerequisites(object)) {
            if (!byKey.has(key)) {
                throw new Error(`controller object ${object.key} waits for ${key}, which the controller does not have`);
            }
        }
    }
    const ordered: ControllerObject[] = [];
    const placed = new Set<string>();
    while (ordered.length < objects.length) {
        const next = objects.find(
            (object) => !placed.has(object.key) && prerequisites(object).every((key) => placed.has(key)),
        );
        if (!next) {
            throw new Error(
                `controller objects wait for each other in a cycle: ${objects
                    .filter((object) => !placed.has(object.key))
                    .map((object) => object.key)
                    .join(", ")}`,
            );
        }
        ordered.push(next);
        placed.add(next.key);
    }
    return ordered;
}
