/** Generated stacks of any size, for the end-to-end bench and the tests that a big stack still plans. */

/** A generated stack: `nodes` nodes, `services` NodePort Services (one port and a one-replica app each). */
export interface StackSize {
    readonly nodes: number;
    readonly services: number;
    readonly dualStack: boolean;
}

function ipv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

/** The stack file's config of a generated cluster; valid by construction (pod CIDR room for 32,768 nodes). */
export function generatedStack(size: StackSize): Record<string, unknown> {
    const nodeBase = (192 << 24) | (168 << 16);
    return {
        "clusternet:cluster": {
            name: "bench",
            podCidr: "10.128.0.0/9",
            nodeMaskSize: 24,
            serviceCidr: "10.96.0.0/12",
            nodeNetwork: "192.168.0.0/16",
            ...(size.dualStack ? { podCidrV6: "fd00:10:244::/48", serviceCidrV6: "fd00:10:96::/112" } : {}),
        },
        "clusternet:nodes": Array.from({ length: size.nodes }, (_, i) => ({
            name: `node-${String(i).padStart(5, "0")}`,
            ip: ipv4(nodeBase + 10 + i),
        })),
        "clusternet:services": Array.from({ length: size.services }, (_, i) => ({
            name: `svc-${String(i).padStart(4, "0")}`,
            namespace: `ns-${i % 10}`,
            type: "NodePort",
            app: { image: "nginx:1.27.5", replicas: 1, containerPorts: [{ name: "http", port: 80 }] },
            ports: [{ name: "http", port: 8080, targetPort: "http", nodePort: 30000 + i }],
        })),
    };
}

/**
 * A lab-sized stack with many Services: three nodes (or `nodes`) and ten namespaces, one app of one replica per
 * namespace behind its first Service, and every other Service selecting its namespace's app (so the lab runs 10
 * pods, however many Services). Every tenth Service is a NodePort (node ports from 30000 on: up to 27,680
 * Services), the rest ClusterIP. Names are fixed-width, so every Service adds the same to what is rendered.
 */
export function labServicesStack(services: number, nodes = 3): Record<string, unknown> {
    const name = (index: number): string => `svc-${String(index).padStart(5, "0")}`;
    return {
        "clusternet:cluster": {
            name: "bench",
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            nodeNetwork: "192.168.56.0/24",
        },
        "clusternet:nodes": Array.from({ length: nodes }, (_, index) => ({
            name: `node-${index}`,
            ip: `192.168.56.${10 + index}`,
        })),
        "clusternet:services": Array.from({ length: services }, (_, index) => {
            const nodePort = index % 10 === 0;
            const port = { name: "http", port: 8080, ...(nodePort ? { nodePort: 30000 + index / 10 } : {}) };
            return {
                name: name(index),
                namespace: `ns-${index % 10}`,
                type: nodePort ? "NodePort" : "ClusterIP",
                ...(index < 10
                    ? {
                          app: { image: "nginx:1.27.5", replicas: 1, containerPorts: [{ name: "http", port: 80 }] },
                          ports: [{ ...port, targetPort: "http" }],
                      }
                    : {
                          selector: {
                              "app.kubernetes.io/name": name(index % 10),
                              "app.kubernetes.io/instance": "bench",
                          },
                          ports: [{ ...port, targetPort: 80 }],
                      }),
            };
        }),
    };
}
