/**
 * ingress-nginx compared with upstream's v1.15.1 bare-metal manifest (test/fixtures, an unmodified copy of
 * ../shared/reference/ingress-nginx-baremetal-v1.15.1.yaml), field by field. Every difference must be listed
 * below with its reason (and in docs/ingress.md); a listed difference that no longer occurs fails too.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import {
    IngressImplementation,
    IngressMode,
    buildController,
    dependencyOrder,
    resolveController,
} from "../components/ingress";
import { schemaErrors } from "./helpers/kubernetes-schema";

type Json = Record<string, any>;

/** These fields of each item, as rows to compare. */
function pick(items: Json[], ...fields: string[]): unknown[][] {
    return items.map((item) => fields.map((field) => item[field] as unknown));
}

const REFERENCE_FILE = path.join(__dirname, "fixtures", "ingress-nginx-baremetal-v1.15.1.yaml");
/** Kubernetes treats an explicit null like an absent field (`data: null` on the ConfigMap); compare without them. */
function withoutNulls(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutNulls);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, item]) => item !== null)
                .map(([key, item]) => [key, withoutNulls(item)]),
        );
    }
    return value;
}
const reference: Json[] = parseAllDocuments(fs.readFileSync(REFERENCE_FILE, "utf8")).map(
    (document) => withoutNulls(document.toJS()) as Json,
);
const id = (object: Json): string => `${object.kind}/${object.metadata.name}`;

const REMOVED = Symbol("removed");
interface Difference {
    readonly object: string;
    readonly path: ReadonlyArray<string | number>;
    /** Our value at that path, or REMOVED. */
    readonly value: unknown;
    readonly why: string;
}

/** Differences in the default NodePort mode, with the admission webhook on (everything upstream has). */
const WEBHOOK_ON: Difference[] = [
    {
        object: "Service/ingress-nginx-controller",
        path: ["spec", "ports", 0, "nodePort"],
        value: 30080,
        why: "fixed HTTP node port from config (upstream lets the cluster pick)",
    },
    {
        object: "Service/ingress-nginx-controller",
        path: ["spec", "ports", 1, "nodePort"],
        value: 30443,
        why: "fixed HTTPS node port from config",
    },
    {
        object: "Deployment/ingress-nginx-controller",
        path: ["spec", "replicas"],
        value: 1,
        why: "replicas from config, written explicitly (upstream relies on the default 1)",
    },
    {
        object: "Job/ingress-nginx-admission-create",
        path: ["spec", "ttlSecondsAfterFinished"],
        value: REMOVED,
        why: "a Job deleted by its TTL is dropped on refresh and re-created by the next up",
    },
    {
        object: "Job/ingress-nginx-admission-patch",
        path: ["spec", "ttlSecondsAfterFinished"],
        value: REMOVED,
        why: "same as the create Job",
    },
];

const ADMISSION_OBJECTS = [
    "ServiceAccount/ingress-nginx-admission",
    "Role/ingress-nginx-admission",
    "ClusterRole/ingress-nginx-admission",
    "RoleBinding/ingress-nginx-admission",
    "ClusterRoleBinding/ingress-nginx-admission",
    "Service/ingress-nginx-controller-admission",
    "Job/ingress-nginx-admission-create",
    "Job/ingress-nginx-admission-patch",
    "ValidatingWebhookConfiguration/ingress-nginx-admission",
];

const container = ["spec", "template", "spec", "containers", 0];
/** Differences with the webhook off (the default): the admission objects are gone, and so is the controller's webhook wiring. */
const WEBHOOK_OFF: Difference[] = [
    ...WEBHOOK_ON.filter((difference) => !ADMISSION_OBJECTS.includes(difference.object)),
    {
        object: "Deployment/ingress-nginx-controller",
        path: [...container, "args"],
        value: [
            "/nginx-ingress-controller",
            "--election-id=ingress-nginx-leader",
            "--controller-class=k8s.io/ingress-nginx",
            "--ingress-class=nginx",
            "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
        ],
        why: "no --validating-webhook* flags without the webhook",
    },
    {
        object: "Deployment/ingress-nginx-controller",
        path: [...container, "ports"],
        value: [
            { containerPort: 80, name: "http", protocol: "TCP" },
            { containerPort: 443, name: "https", protocol: "TCP" },
        ],
        why: "no webhook port",
    },
    {
        object: "Deployment/ingress-nginx-controller",
        path: [...container, "volumeMounts"],
        value: REMOVED,
        why: "no webhook certificate to mount",
    },
    {
        object: "Deployment/ingress-nginx-controller",
        path: ["spec", "template", "spec", "volumes"],
        value: REMOVED,
        why: "no webhook certificate Secret",
    },
];

function at(object: Json, segments: ReadonlyArray<string | number>): unknown {
    return segments.reduce<any>((node, segment): unknown => node?.[segment], object);
}

function applied(object: Json, differences: readonly Difference[]): Json {
    const copy = structuredClone(object);
    for (const difference of differences) {
        const parent = at(copy, difference.path.slice(0, -1)) as Json;
        const last = difference.path[difference.path.length - 1]!;
        if (difference.value === REMOVED) {
            delete parent[last];
        } else {
            parent[last] = structuredClone(difference.value);
        }
    }
    return copy;
}

function build(admissionWebhook: boolean, mode: IngressMode = IngressMode.NodePort): Json[] {
    const settings = resolveController({ implementation: IngressImplementation.IngressNginx, admissionWebhook, mode });
    return buildController(settings).objects.map((item) => item.object as Json);
}

function compareWithReference(ours: Json[], differences: readonly Difference[], expectedIds: readonly string[]): void {
    assert.deepEqual(ours.map(id).sort(), [...expectedIds].sort(), "the same objects as upstream");
    const referenceById = new Map(reference.map((object) => [id(object), object]));
    for (const object of ours) {
        const upstream = referenceById.get(id(object))!;
        const mine = differences.filter((difference) => difference.object === id(object));
        for (const difference of mine) {
            const upstreamValue = at(upstream, difference.path);
            assert.notDeepEqual(
                upstreamValue,
                difference.value === REMOVED ? undefined : difference.value,
                `listed difference ${id(object)} ${difference.path.join(".")} does not differ`,
            );
        }
        assert.deepEqual(
            object,
            applied(upstream, mine),
            `${id(object)} differs from upstream beyond the listed differences`,
        );
    }
}

void describe("ingress-nginx against upstream's v1.15.1 bare-metal manifest", () => {
    void it("with the admission webhook on: every upstream object, equal but for the listed differences", () => {
        compareWithReference(build(true), WEBHOOK_ON, reference.map(id));
    });

    void it("with the admission webhook off (the default): no webhook objects, and the controller without webhook wiring", () => {
        const ours = build(false);
        assert.deepEqual(
            build(resolveController({ implementation: IngressImplementation.IngressNginx }).admissionWebhook),
            ours,
            "off by default",
        );
        compareWithReference(
            ours,
            WEBHOOK_OFF,
            reference.map(id).filter((objectId) => !ADMISSION_OBJECTS.includes(objectId)),
        );
        for (const object of ours) {
            assert.ok(!JSON.stringify(object).includes("admission"), `${id(object)} mentions the webhook`);
        }
    });

    void it("keeps upstream's object order", () => {
        assert.deepEqual(build(true).map(id), reference.map(id));
    });

    void it("registers the webhook pieces in an order that never refuses an Ingress: certificate, controller, webhook, CA patch", () => {
        const order = dependencyOrder(
            buildController(
                resolveController({ implementation: IngressImplementation.IngressNginx, admissionWebhook: true }),
            ).objects,
        ).map((item) => item.key);
        const before = (a: string, b: string): void =>
            assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}`);
        before("admission-create-job", "deployment");
        before("deployment", "validating-webhook-configuration");
        before("validating-webhook-configuration", "admission-patch-job");
        before("admission-service-account", "admission-create-job");
        before("namespace", "service-account");
    });

    void it("in hostPort mode: a DaemonSet with hostPorts 80/443 on every node (control plane included) behind a ClusterIP Service", () => {
        const objects = build(false, IngressMode.HostPort);
        assert.ok(!objects.some((object) => object.kind === "Deployment"));
        const daemonSet = objects.find((object) => object.kind === "DaemonSet")!;
        const deployment = reference.find((object) => id(object) === "Deployment/ingress-nginx-controller")!;
        assert.equal(daemonSet.metadata.name, "ingress-nginx-controller");
        assert.deepEqual(daemonSet.spec.selector, deployment.spec.selector);
        const pod = daemonSet.spec.template.spec;
        assert.deepEqual(pick(pod.containers[0].ports, "name", "containerPort", "hostPort"), [
            ["http", 80, 80],
            ["https", 443, 443],
        ]);
        assert.deepEqual(pod.tolerations, [
            { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
        ]);
        assert.deepEqual(daemonSet.spec.updateStrategy, {
            rollingUpdate: { maxUnavailable: 1 },
            type: "RollingUpdate",
        });
        const service = objects.find((object) => id(object) === "Service/ingress-nginx-controller")!;
        assert.equal(service.spec.type, "ClusterIP");
        assert.ok(service.spec.ports.every((port: Json) => port.nodePort === undefined));
    });

    void it("builds objects the Kubernetes 1.34 schemas accept, in every variant", async () => {
        const variants = [
            build(true),
            build(false),
            build(false, IngressMode.HostPort),
            build(true, IngressMode.HostPort),
        ];
        for (const object of variants.flat()) {
            assert.deepEqual(await schemaErrors(object), [], id(object));
        }
    });
});
