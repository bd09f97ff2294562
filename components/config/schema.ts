import { z } from "zod";
import { DEFAULT_CLUSTER_NAME, DEFAULT_DNS_DOMAIN, DEFAULT_NODE_MASK_SIZE, DEFAULT_NODE_MASK_SIZE_V6 } from "../plan";
import { DEFAULT_NODE_PORT_RANGE } from "../rules/node-ports";

/**
 * The schema of every `clusternet:*` stack config key, in one place. It checks shapes (types, enums, unknown
 * keys); what needs arithmetic or cross-references (CIDRs, overlaps, port names) is checked by the capability
 * that owns it, which reports with the same key paths. `npm run schema` writes the JSON Schema for editors.
 */

/** The config namespace, which is also the Pulumi project name. */
export const CONFIG_NAMESPACE = "clusternet";

/** A value stored as a Pulumi secret: plain text at run time, `{ secure: <ciphertext> }` in a stack file. */
export const secretString = z
    .union([z.string(), z.strictObject({ secure: z.string() })], {
        error: "expected a secret (pulumi config set --secret ...)",
    })
    .describe("A secret: set it with `pulumi config set --secret --path ...`.");

const port = z.int().min(1).max(65535);
const protocol = z.enum(["TCP", "UDP", "SCTP"]);
/**
 * Explicit empty values the API server's defaulting treats as unset (pkg/apis/core/v1/defaults.go: an empty
 * protocol is TCP, an empty type ClusterIP, a zero or empty targetPort the port): the default applies, and what
 * renders is the same as with the key left out.
 */
const defaultedProtocol = z
    .enum(["TCP", "UDP", "SCTP", ""])
    .optional()
    .transform((value) => value || "TCP");
const unsetWhenEmpty = z
    .string()
    .optional()
    .transform((value) => value || undefined);
/** Drops the keys an empty value left unset, so the parsed object equals the one with the keys left out. */
function withoutUnset<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
const portReference = z.union([port, z.string()], { error: "expected a port number (1-65535) or a port name" });
const quantity = z.union([z.string(), z.number()], { error: "expected a Kubernetes quantity such as 100m or 128Mi" });
const resources = z
    .strictObject({
        requests: z
            .record(z.string(), quantity)
            .optional()
            .describe("Resource requests, e.g. { cpu: 100m, memory: 50Mi }."),
        limits: z.record(z.string(), quantity).optional().describe("Resource limits, e.g. { memory: 128Mi }."),
    })
    .describe("Container resources, as in a Kubernetes container spec.");

export const clusterSchema = z
    .strictObject({
        name: z
            .string()
            .default(DEFAULT_CLUSTER_NAME)
            .describe(`The cluster's name, a DNS-1123 label. Default \`${DEFAULT_CLUSTER_NAME}\`.`),
        podCidr: z
            .string()
            .optional()
            .describe("The IPv4 pod network (flannel's Network), e.g. 10.244.0.0/16. Omit for an IPv6-only cluster."),
        podCidrV6: z
            .string()
            .optional()
            .describe("The IPv6 pod network, e.g. fd00:10:244::/56. With podCidr the cluster is dual-stack."),
        nodeMaskSize: z
            .int()
            .default(DEFAULT_NODE_MASK_SIZE)
            .describe(`Prefix length of each node's IPv4 pod subnet. Default ${DEFAULT_NODE_MASK_SIZE}.`),
        nodeMaskSizeV6: z
            .int()
            .default(DEFAULT_NODE_MASK_SIZE_V6)
            .describe(`Prefix length of each node's IPv6 pod subnet. Default ${DEFAULT_NODE_MASK_SIZE_V6}.`),
        serviceCidr: z
            .string()
            .optional()
            .describe("The IPv4 Service network. Default 10.96.0.0/12 when the cluster has IPv4 pods."),
        serviceCidrV6: z
            .string()
            .optional()
            .describe("The IPv6 Service network, e.g. fd00:10:96::/112. Required for an IPv6-only cluster."),
        nodeNetwork: z
            .string()
            .optional()
            .describe("The hosts' own network, e.g. 192.168.56.0/24. When set, every node IP must lie inside it."),
        reserved: z
            .array(
                z.strictObject({
                    name: z.string().describe("A short name for messages, e.g. office-vpn."),
                    cidr: z.string().describe("The range, e.g. 10.8.0.0/16."),
                }),
            )
            .default([])
            .describe("Ranges nothing in the cluster may overlap: VPNs, offices, peered clusters."),
        dnsDomain: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
                error: "expected a DNS domain of lowercase labels, e.g. cluster.local",
            })
            .default(DEFAULT_DNS_DOMAIN)
            .describe(
                `The cluster's DNS domain (kubelet's --cluster-domain, CoreDNS's zone): Services resolve as <service>.<namespace>.svc.<dnsDomain>. Default \`${DEFAULT_DNS_DOMAIN}\`.`,
            ),
        nodePortRange: z
            .string()
            .default(DEFAULT_NODE_PORT_RANGE)
            .describe(`The API server's --service-node-port-range. Default ${DEFAULT_NODE_PORT_RANGE}.`),
        loadBalancer: z
            .boolean()
            .default(false)
            .describe("True when something (e.g. MetalLB) gives LoadBalancer Services an address. Default false."),
        released: z
            .array(z.string())
            .optional()
            .describe(
                "Removed nodes whose subnets may be given to other nodes again. A node removed from clusternet:nodes keeps its subnet reserved (retired, shown by clusternet plan) until it is listed here; list it only once its Node is deleted (kubectl delete node NAME). Default: none.",
            ),
        kubernetesVersion: z
            .string()
            .optional()
            .describe(
                "The cluster's Kubernetes version, e.g. 1.34.2: kube-proxy's image tag with kubeProxy.manage: full, and which kube-proxy modes exist. Default: unknown (required for kubeProxy.manage: full).",
            ),
    })
    .describe("Cluster-wide address settings.");

export const nodeSchema = z.strictObject({
    name: z.string().describe("The Kubernetes Node name."),
    ip: z.string().describe("The node's address on the node network."),
    podCidr: z.string().optional().describe("Pins this node's IPv4 pod subnet; otherwise one is allocated."),
    podCidrV6: z.string().optional().describe("Pins this node's IPv6 pod subnet; otherwise one is allocated."),
});

export const nodesSchema = z
    .array(nodeSchema)
    .min(1, { error: "expected at least one node" })
    .describe("The cluster's nodes.");

export const podNetworkSchema = z
    .strictObject({
        backend: z
            .enum(["vxlan", "host-gw", "wireguard", "udp"])
            .default("vxlan")
            .describe(
                "flannel's backend: vxlan (default), host-gw (nodes on one layer-2 network; needs cluster.nodeNetwork), wireguard (encrypted), udp (debugging only, IPv4 and amd64 only).",
            ),
        mtu: z
            .int()
            .optional()
            .describe(
                "The underlay (node interface) MTU; the pods get it minus the backend's overhead (vxlan 50, wireguard 80, udp 28, host-gw 0). Written as Backend.MTU for vxlan and wireguard. Default: the interface's MTU, assumed 1500.",
            ),
        iface: z
            .string()
            .optional()
            .describe(
                "flanneld --iface: the interface name (e.g. eth1) carrying pod traffic, for multi-NIC VMs. Default: the default route's interface.",
            ),
        enableNFTables: z
            .boolean()
            .optional()
            .describe(
                "flannel's EnableNFTables: its masquerade rules in nftables instead of iptables. Default: true when kubeProxy.mode is nftables, else false, so one node does not mix both.",
            ),
        assignNodeCidrs: z
            .boolean()
            .default(true)
            .describe(
                "Patch each Node's spec.podCIDR(s) from the plan. false: kube-controller-manager assigns them and the stack exports the flags it needs (controllerManagerFlags). Default true.",
            ),
        vxlan: z
            .strictObject({
                vni: z
                    .int()
                    .optional()
                    .describe("VXLAN network identifier, 0-16777215; the device is flannel.<vni>. Default 1."),
                port: port.optional().describe("UDP port of the VXLAN tunnel. Default 8472 (the Linux kernel's)."),
                directRouting: z
                    .boolean()
                    .optional()
                    .describe("Route directly (like host-gw) to nodes on the same subnet. Default false."),
                gbp: z.boolean().optional().describe("VXLAN Group Based Policy. Default false."),
            })
            .optional()
            .describe("Options of the vxlan backend; only with backend vxlan."),
        wireguard: z
            .strictObject({
                listenPort: port.optional().describe("UDP port of the IPv4 tunnel. Default 51820."),
                listenPortV6: port
                    .optional()
                    .describe(
                        "UDP port of the IPv6 tunnel; must differ from listenPort in a dual-stack cluster. Default 51821.",
                    ),
                psk: secretString
                    .optional()
                    .describe(
                        "Pre-shared key (`wg genpsk`), only as a secret; net-conf.json then goes into a Secret instead of the ConfigMap.",
                    ),
                persistentKeepaliveInterval: z
                    .int()
                    .min(0)
                    .optional()
                    .describe("Seconds between keepalives, 0-65535. Default 0 (off)."),
                mode: z
                    .enum(["separate", "auto", "ipv4", "ipv6"])
                    .optional()
                    .describe(
                        "Tunnels per IP family: separate (one each, default), auto, ipv4 or ipv6 (one tunnel over that family).",
                    ),
            })
            .optional()
            .describe("Options of the wireguard backend; only with backend wireguard."),
        udp: z
            .strictObject({
                port: port.optional().describe("UDP port. Default 8285."),
            })
            .optional()
            .describe("Options of the udp backend (debugging only); only with backend udp."),
        images: z
            .strictObject({
                flannel: z
                    .string()
                    .optional()
                    .describe(
                        "flanneld's image, pinned by tag (not latest) or digest. Default ghcr.io/flannel-io/flannel:v0.28.9.",
                    ),
                cniPlugin: z
                    .string()
                    .optional()
                    .describe(
                        "The flannel CNI plugin's image, pinned. Default ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3.",
                    ),
            })
            .optional()
            .describe("Image overrides, pinned by tag or digest."),
        resources: resources
            .optional()
            .describe(
                "flanneld's resources (cpu, memory, ephemeral-storage). Default requests 100m CPU, 50Mi memory; given requests replace them.",
            ),
        nodeSelector: z
            .record(z.string(), z.string())
            .optional()
            .describe(
                "Node labels a node needs to run flannel (added to the DaemonSet's pods). Default: every Linux node.",
            ),
    })
    .default({ backend: "vxlan", assignNodeCidrs: true })
    .describe("The flannel pod network.");

export const nodePrepSchema = z
    .strictObject({
        enabled: z
            .boolean()
            .default(false)
            .describe(
                "Prepare every node over SSH before flannel starts: kernel modules, sysctls, CNI plugins. Default false.",
            ),
        user: z.string().default("root").describe("SSH user. Default root; other users need passwordless sudo."),
        port: port.default(22).describe("SSH port. Default 22."),
        privateKey: secretString
            .optional()
            .describe("The SSH private key's contents, only as a secret. Default: the ssh-agent at SSH_AUTH_SOCK."),
        hostKeys: z
            .record(z.string(), z.string())
            .optional()
            .describe(
                "Each node's SSH host key by node name, as ssh-keyscan prints it without the host name (ssh-ed25519 AAAA...); a node with one refuses any other key. Default: not checked.",
            ),
        disableVxlanChecksumOffload: z
            .boolean()
            .default(false)
            .describe(
                "Turn off tx checksum offload on flannel's VXLAN devices now and whenever they appear (a known VXLAN bug); vxlan only. Default false.",
            ),
    })
    .default({ enabled: false, user: "root", port: 22, disableVxlanChecksumOffload: false })
    .describe("Node preparation over SSH: kernel modules, sysctls, CNI plugins.");

export const kubeProxySchema = z
    .strictObject({
        mode: z
            .enum(["iptables", "nftables", "ipvs"])
            .default("iptables")
            .describe(
                "kube-proxy's mode: iptables (default; first-packet cost grows with the number of Services), nftables (GA since 1.33; verdict maps, flat cost; needs kernel >= 5.13 and nft >= 1.0.1 on every node), ipvs (deprecated since 1.35, removal targeted at 1.38: use nftables).",
            ),
        manage: z
            .enum(["config", "full"])
            .default("config")
            .describe(
                "config (default): take over kubeadm's kube-system/kube-proxy ConfigMap and roll its DaemonSet when the config changes. full: deploy kube-proxy as kubeadm's addon does, for clusters set up with kubeadm init --skip-phases=addon/kube-proxy (needs cluster.kubernetesVersion).",
            ),
        nodePortAddresses: z
            .array(z.string())
            .optional()
            .describe(
                "CIDRs (or the word primary) of the node addresses that accept NodePort traffic, e.g. [192.168.56.0/24]. Default: every local address.",
            ),
        conntrack: z
            .strictObject({
                maxPerCore: z
                    .int()
                    .min(0)
                    .optional()
                    .describe("Conntrack entries per CPU core; 0 leaves the kernel's limit alone. Default 32768."),
                min: z
                    .int()
                    .min(0)
                    .optional()
                    .describe("The least conntrack entries, whatever the cores. Default 131072."),
                tcpEstablishedTimeout: z
                    .string()
                    .optional()
                    .describe("Idle timeout of established TCP connections, a duration such as 24h0m0s. Default 24h."),
                tcpCloseWaitTimeout: z
                    .string()
                    .optional()
                    .describe("Timeout of TCP connections in CLOSE_WAIT, e.g. 1h0m0s. Default 1h."),
            })
            .optional()
            .describe("kube-proxy's conntrack settings. Default: kube-proxy's."),
        ipvs: z
            .strictObject({
                strictARP: z
                    .boolean()
                    .optional()
                    .describe(
                        "Answer ARP only for addresses on the receiving interface (MetalLB L2 needs it). Default false.",
                    ),
                scheduler: z.string().optional().describe("The IPVS scheduler, e.g. rr, wrr, lc, sh. Default rr."),
            })
            .optional()
            .describe("IPVS settings; only with mode ipvs."),
        image: z
            .string()
            .optional()
            .describe(
                "kube-proxy's image with manage: full, pinned. Default registry.k8s.io/kube-proxy:v<cluster.kubernetesVersion>.",
            ),
        apiServer: z
            .string()
            .optional()
            .describe(
                "The API server URL kube-proxy talks to with manage: full (its kubeconfig's server), e.g. https://192.168.56.10:6443. Default https://<first node's IP>:6443.",
            ),
    })
    .optional()
    .describe(
        "kube-proxy: its mode and config (clusterCIDR always comes from the plan's pod CIDR(s)). Omit to leave kube-proxy alone (assumed iptables mode).",
    );

export const containerPortSchema = z.strictObject({
    name: z.string().optional().describe("Port name (an IANA service name, at most 15 characters)."),
    port: port.describe("The port the container listens on."),
    protocol: protocol.default("TCP").describe("TCP, UDP or SCTP. Default TCP."),
});

export const servicePortSchema = z
    .strictObject({
        name: z
            .string()
            .optional()
            .describe("Port name (a DNS-1123 label); required when the Service has more than one port."),
        port: port.describe("The Service's port (on its cluster IP)."),
        targetPort: z
            .union([port, z.literal(0), z.string()], { error: "expected a port number (1-65535) or a port name" })
            .optional()
            .transform((value) => (value === 0 || value === "" ? undefined : value))
            .describe(
                "The pod's port: a number or a container port's name. Default: the same as port (also when 0 or empty).",
            ),
        protocol: defaultedProtocol.describe("TCP, UDP or SCTP. Default TCP (also when empty)."),
        nodePort: port
            .optional()
            .describe(
                "A fixed node port for NodePort and LoadBalancer Services, inside cluster.nodePortRange and unique in the stack; otherwise the cluster picks one.",
            ),
    })
    .transform(withoutUnset);

export const serviceSchema = z
    .strictObject({
        name: z.string().describe("The Service's name (a DNS-1035 label)."),
        namespace: z.string().default("default").describe("Its namespace. Default default."),
        createNamespace: z
            .boolean()
            .default(true)
            .describe(
                "Create the namespace (once, however many Services share it); false when it already exists. Built-in namespaces are never created. Default true.",
            ),
        type: z
            .enum(["ClusterIP", "NodePort", "LoadBalancer", ""], {
                error: 'expected ClusterIP, NodePort or LoadBalancer ("" is the default, ClusterIP)',
            })
            .optional()
            .transform((value) => value || "ClusterIP")
            .describe("The Service type. Default ClusterIP (also when empty)."),
        headless: z
            .boolean()
            .default(false)
            .describe("A headless Service (clusterIP: None), only with type ClusterIP. Default false."),
        clusterIP: unsetWhenEmpty.describe(
            "A fixed cluster IP inside the Service CIDR, not the kubernetes or DNS Service's IP. Default (also when empty): the cluster picks one.",
        ),
        selector: z
            .record(z.string(), z.string())
            .optional()
            .describe("Pod labels to select when there is no app; with an app the selector comes from it."),
        app: z
            .strictObject({
                image: z.string().describe("Container image, pinned by tag or digest."),
                replicas: z.int().min(0).default(1).describe("Pod count. Default 1."),
                containerPorts: z.array(containerPortSchema).min(1).describe("The ports the container listens on."),
                readinessPath: z
                    .string()
                    .optional()
                    .describe("HTTP readiness probe path; default is a TCP probe on the first TCP container port."),
                readinessPort: portReference
                    .optional()
                    .describe("The readiness probe's port, by number or name. Default: the first TCP container port."),
                resources: resources.optional().describe("The container's requests and limits. Default: none."),
                env: z.record(z.string(), z.string()).optional().describe("Environment variables."),
                waitForReady: z
                    .boolean()
                    .default(true)
                    .describe(
                        "Let pulumi up wait for Ready pods and endpoints. Default true; false sets pulumi.com/skipAwait.",
                    ),
                readyTimeoutSeconds: z
                    .int()
                    .min(1)
                    .default(300)
                    .describe("Seconds pulumi up waits for Ready pods and endpoints before failing. Default 300."),
            })
            .optional()
            .describe("The workload behind the Service: a Deployment."),
        ports: z
            .array(servicePortSchema)
            .min(1, { error: "expected at least one port" })
            .describe("The Service's ports."),
    })
    .transform(withoutUnset);

export const servicesSchema = z.array(serviceSchema).default([]).describe("Services and the workloads behind them.");

export const ingressRoutePathSchema = z.strictObject({
    path: z.string().default("/").describe("The request path. Default /."),
    pathType: z
        .enum(["Prefix", "Exact", "ImplementationSpecific"])
        .default("Prefix")
        .describe(
            "How the path matches: Prefix (by path element), Exact, or ImplementationSpecific (up to the controller). Default Prefix.",
        ),
    service: z.string().describe("The backend: a Service of this stack (clusternet:services), by name."),
    port: portReference.describe("That Service's port, by name or number (its port, not its targetPort or nodePort)."),
    namespace: z
        .string()
        .optional()
        .describe("The Service's namespace, needed only when Services in two namespaces share the name."),
});

export const ingressRouteSchema = z
    .strictObject({
        host: z
            .string()
            .describe(
                "A DNS name clients use (never an IP address, no port); a wildcard only as the whole first label, e.g. *.lab.example.",
            ),
        paths: z
            .array(ingressRoutePathSchema)
            .min(1)
            .describe("Paths routed to backend Services, all in one namespace: the route becomes one Ingress there."),
        tlsSecret: unsetWhenEmpty.describe(
            "A kubernetes.io/tls Secret in the route's namespace with this host's certificate. Default (also when empty): none.",
        ),
    })
    .transform(withoutUnset);

export const ingressControllerSchema = z
    .strictObject({
        implementation: z
            .enum(["traefik", "ingress-nginx"])
            .default("traefik")
            .describe(
                "traefik (v3.7, maintained; default) or ingress-nginx (v1.15.1, retired March 2026, no security fixes).",
            ),
        mode: z
            .enum(["NodePort", "hostPort"])
            .default("NodePort")
            .describe(
                "How the controller is reached: a NodePort Service with fixed node ports, or ports 80/443 on every node (a DaemonSet with hostPorts). Default NodePort.",
            ),
        httpNodePort: port.optional().describe("The fixed HTTP node port (NodePort mode only). Default 30080."),
        httpsNodePort: port.optional().describe("The fixed HTTPS node port (NodePort mode only). Default 30443."),
        replicas: z
            .int()
            .min(1)
            .optional()
            .describe("Controller replicas (NodePort mode only; hostPort runs one per node). Default 1."),
        image: z
            .string()
            .optional()
            .describe(
                "Controller image override, pinned by tag or digest. Default traefik:v3.7.11 or ingress-nginx v1.15.1.",
            ),
        admissionWebhook: z
            .boolean()
            .default(false)
            .describe("ingress-nginx only: its validating admission webhook and certgen Jobs. Default false."),
    })
    .default({ implementation: "traefik", mode: "NodePort", admissionWebhook: false })
    .describe("The Ingress controller.");

export const ingressSchema = z
    .strictObject({
        api: z
            .enum(["ingress", "gateway", "both"])
            .default("ingress")
            .describe(
                "Which API the routes are written in: ingress (networking.k8s.io/v1 Ingress; default), gateway (Gateway API v1.5.1: the CRDs, a GatewayClass, one Gateway, one HTTPRoute per host; Traefik only), or both (the same routes through both, for a migration).",
            ),
        controller: ingressControllerSchema,
        routes: z
            .array(ingressRouteSchema)
            .default([])
            .describe("Hosts and paths, each host one Ingress routed to Services of this stack. Default: none."),
    })
    .optional()
    .describe("Ingress and its controller; omit for none.");

/** Every known key, by its name under the `clusternet:` namespace. */
export const configSchemas = {
    cluster: clusterSchema,
    nodes: nodesSchema,
    podNetwork: podNetworkSchema,
    nodePrep: nodePrepSchema,
    kubeProxy: kubeProxySchema,
    services: servicesSchema,
    ingress: ingressSchema,
    kubeconfig: secretString
        .optional()
        .describe("A kubeconfig (as a secret). Absent: render manifests to a directory and touch no cluster."),
    context: z.string().optional().describe("The kubeconfig context to use."),
} as const;

export type ConfigKey = keyof typeof configSchemas;
export const CONFIG_KEYS = Object.keys(configSchemas) as ConfigKey[];
/** Keys that must be set. */
export const REQUIRED_KEYS: readonly ConfigKey[] = ["cluster", "nodes"];
/** Keys whose values are strings, not structured YAML (Pulumi stores them unparsed). */
export const STRING_KEYS: readonly ConfigKey[] = ["kubeconfig", "context"];

/** The validated configuration, defaults applied. */
export type ClusternetConfig = { [K in ConfigKey]: z.output<(typeof configSchemas)[K]> };
export type ClusterConfig = z.output<typeof clusterSchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
export type PodNetworkConfig = z.output<typeof podNetworkSchema>;
export type NodePrepConfig = z.output<typeof nodePrepSchema>;
export type KubeProxyConfig = z.output<typeof kubeProxySchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type ServicePortConfig = z.output<typeof servicePortSchema>;
export type IngressConfig = NonNullable<z.output<typeof ingressSchema>>;
export type IngressRouteConfig = z.output<typeof ingressRouteSchema>;
export type SecretValue = z.output<typeof secretString>;
