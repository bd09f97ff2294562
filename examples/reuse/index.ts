/**
 * A second stack that reuses one clusternet component: an app behind a NodePort Service on a cluster whose network
 * another stack (or kubeadm) already set up. `import ... from "clusternet"` is what a stack that installed the
 * package writes; inside this repository it resolves to components/index.ts through package.json "exports".
 */
import * as pulumi from "@pulumi/pulumi";
import { AppService, ServiceType } from "clusternet";

const config = new pulumi.Config();

const whoami = new AppService("whoami", {
    name: "whoami",
    namespace: "tools",
    type: ServiceType.NodePort,
    app: {
        image: "traefik/whoami:v1.11.0",
        replicas: 2,
        containerPorts: [{ name: "http", port: 80 }],
        readinessPath: "/health",
    },
    ports: [{ name: "http", port: 8080, targetPortName: "http", nodePort: config.getNumber("nodePort") ?? 30900 }],
    cluster: {
        serviceCidr: "10.96.0.0/12",
        nodes: [
            { name: "cp-1", ip: "192.168.56.10" },
            { name: "worker-1", ip: "192.168.56.11" },
        ],
    },
});

export const portMap = whoami.portMap;
