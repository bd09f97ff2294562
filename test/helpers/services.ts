import { AppServiceSpec } from "../../components/services";

/** The seed's web Service (namespace demo, NodePort, 8080 -> http on 30808, 443 -> https); each test changes one thing. */
export function web(overrides: Partial<AppServiceSpec> = {}): AppServiceSpec {
    return {
        name: "web",
        namespace: "demo",
        type: "NodePort",
        app: {
            image: "nginx:1.27.5",
            replicas: 2,
            containerPorts: [
                { name: "http", port: 80 },
                { name: "https", port: 443 },
            ],
        },
        ports: [
            { name: "http", port: 8080, targetPortName: "http", nodePort: 30808 },
            { name: "https", port: 443, targetPortName: "https" },
        ],
        ...overrides,
    };
}
