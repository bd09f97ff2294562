/**
 * The lab's cluster DNS: dnsmasq (Debian's dnsmasq-base; CoreDNS is not packaged) as the DNS pod behind a
 * `kube-system/kube-dns` Service at the plan's DNS address, answering what CoreDNS's kubernetes plugin answers for
 * the rendered Services: `<service>.<namespace>.svc.<domain>` (the cluster IP; one record per ready pod for a
 * headless Service) and SRV records for named ports. Pods get the resolv.conf kubelet writes. Pure data here; the
 * executor writes the files and runs dnsmasq.
 */
import * as path from "node:path";
import { Endpoint, PlannedService, servicePortId } from "./kube-proxy";
import { Protocol } from "./model";

export const DNS_NAMESPACE = "kube-system";
export const DNS_SERVICE_NAME = "kube-dns";
export const DNS_POD_NAME = "coredns-0";
export const DNS_LABELS: Readonly<Record<string, string>> = { "k8s-app": "kube-dns" };
export const DNS_PORT = 53;

/** The kube-dns Service as kubeadm creates it: UDP and TCP 53 at the DNS address. */
export function dnsService(clusterIP: string): PlannedService {
    const port = (name: string, protocol: Protocol) => ({
        name,
        port: DNS_PORT,
        targetPort: DNS_PORT,
        protocol,
        id: servicePortId(DNS_NAMESPACE, DNS_SERVICE_NAME, name),
    });
    return {
        namespace: DNS_NAMESPACE,
        name: DNS_SERVICE_NAME,
        type: "ClusterIP",
        clusterIP,
        selector: DNS_LABELS,
        ports: [port("dns", Protocol.UDP), port("dns-tcp", Protocol.TCP)],
    };
}

/** The resolv.conf kubelet writes for a pod with dnsPolicy ClusterFirst. */
export function podResolvConf(namespace: string, nameserver: string, domain: string): string {
    return `search ${namespace}.svc.${domain} svc.${domain} ${domain}\nnameserver ${nameserver}\noptions ndots:5\n`;
}

/** A Service's fully qualified name. */
export function serviceName(service: Pick<PlannedService, "namespace" | "name">, domain: string): string {
    return `${service.name}.${service.namespace}.svc.${domain}`;
}

/** The SRV name of a named Service port: `_<port>._<proto>.<service>.<namespace>.svc.<domain>`. */
export function srvName(service: PlannedService, port: { name: string; protocol: string }, domain: string): string {
    return `_${port.name}._${port.protocol.toLowerCase()}.${serviceName(service, domain)}`;
}

export interface DnsRecords {
    /** name → addresses (A records). */
    readonly a: Readonly<Record<string, readonly string[]>>;
    /** SRV name → target and port. */
    readonly srv: Readonly<Record<string, { readonly target: string; readonly port: number }>>;
}

/**
 * What CoreDNS would answer for these Services: the cluster IP, or for a headless Service each ready endpoint's IP
 * (not-ready pods are not published); SRV for every named port (the Service port, or the endpoint port when headless).
 */
export function dnsRecords(
    services: readonly PlannedService[],
    endpoints: Readonly<Record<string, readonly Endpoint[]>>,
    domain: string,
): DnsRecords {
    const a: Record<string, string[]> = {};
    const srv: Record<string, { target: string; port: number }> = {};
    for (const service of services) {
        const name = serviceName(service, domain);
        if (service.clusterIP !== null) {
            a[name] = [service.clusterIP];
        } else {
            const ips = new Set(service.ports.flatMap((port) => (endpoints[port.id] ?? []).map((item) => item.ip)));
            if (ips.size > 0) {
                a[name] = [...ips];
            }
        }
        for (const port of service.ports.filter((item) => item.name !== "")) {
            const target = service.clusterIP !== null ? port.port : endpoints[port.id]?.[0]?.port;
            if (target !== undefined) {
                srv[srvName(service, port, domain)] = { target: name, port: target };
            }
        }
    }
    return { a, srv };
}

/** dnsmasq's hosts file: one line per A record (re-read on SIGHUP, so a sync can change endpoints). */
export function hostsFile(records: DnsRecords): string {
    return Object.entries(records.a)
        .flatMap(([name, ips]) => ips.map((ip) => `${ip} ${name}`))
        .map((line) => `${line}\n`)
        .join("");
}

/** dnsmasq's configuration: authoritative for the cluster domain from files, no upstream, SRV for named ports. */
export function dnsmasqConfig(records: DnsRecords, domain: string, runDir: string): string {
    return [
        "# The lab's cluster DNS (dnsmasq standing in for CoreDNS's kubernetes plugin).",
        "port=53",
        "no-resolv",
        "no-hosts",
        "keep-in-foreground",
        "user=root",
        `addn-hosts=${path.join(runDir, "hosts")}`,
        // The lab keeps the pid (dnsmasq.pid) itself.
        "pid-file=",
        `log-facility=${path.join(runDir, "dnsmasq.log")}`,
        // Names in the cluster domain that no Service has are NXDOMAIN, as CoreDNS answers them.
        `local=/${domain}/`,
        ...Object.entries(records.srv).map(([name, item]) => `srv-host=${name},${item.target},${item.port}`),
        "",
    ].join("\n");
}

/** Where `ip netns exec` finds a namespace's own /etc/resolv.conf (it bind-mounts /etc/netns/<name>/ over /etc). */
export const NETNS_ETC = "/etc/netns";
