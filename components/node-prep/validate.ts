import * as pulumi from "@pulumi/pulumi";
import { Problem, keyPath, show } from "../common";
import { knownValue } from "../common/known";
import { closest } from "../config/load";
import { AddressPlan } from "../plan";
import { FlannelBackend } from "../pod-network/constants";

/** Node preparation as a cluster configures it (ClusterNetwork's `nodePrep`); the nodes come from the plan. */
export interface NodePrepSettings {
    /** SSH user; other users than root need passwordless sudo. Default root. */
    user?: pulumi.Input<string>;
    /** SSH port. Default 22. */
    port?: pulumi.Input<number>;
    /** The SSH private key's contents (PEM or OpenSSH format); pass a Pulumi secret. Default: the ssh-agent at SSH_AUTH_SOCK. */
    privateKey?: pulumi.Input<string>;
    /** Each node's SSH host key ("ssh-ed25519 AAAA..."), by node name; a node with one refuses any other key. Plain map. Default: not checked. */
    hostKeys?: Record<string, pulumi.Input<string>>;
    /** Turn off tx checksum offload on flannel's VXLAN devices (a known VXLAN bug); vxlan backend only. Default false. */
    disableVxlanChecksumOffload?: pulumi.Input<boolean>;
}

/** Where the settings live, for naming them in problems. */
export interface NodePrepKeys {
    readonly nodePrep: string;
    readonly podNetwork: string;
    readonly nodes: string;
}

/** POSIX user names as useradd accepts them. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/**
 * Checks node preparation settings against the plan and the pod network's backend, before anything is registered.
 * Values that are Outputs (such as secrets) are left to the config layer, which sees them in plain text.
 */
export function validateNodePrep(
    settings: NodePrepSettings,
    plan: AddressPlan,
    backend: FlannelBackend,
    keys: NodePrepKeys,
): Problem[] {
    const problems: Problem[] = [];
    const key = (...segments: Array<string | number>): string => keyPath(keys.nodePrep, ...segments);
    const user = knownValue(settings.user);
    if (user.known && user.value !== undefined) {
        problems.push(...userProblems(user.value, key("user")));
    }
    const port = knownValue(settings.port);
    if (
        port.known &&
        port.value !== undefined &&
        (!Number.isInteger(port.value) || port.value < 1 || port.value > 65535)
    ) {
        problems.push({
            key: key("port"),
            message: `${show(port.value)} is not a TCP port`,
            fix: "use a port from 1 to 65535, e.g. 22",
        });
    }
    const privateKey = knownValue(settings.privateKey);
    if (privateKey.known && privateKey.value !== undefined) {
        problems.push(...privateKeyProblems(privateKey.value, key("privateKey")));
    }
    const names = plan.nodes.map((node) => node.name);
    for (const [name, hostKey] of Object.entries(settings.hostKeys ?? {})) {
        if (!names.includes(name)) {
            const suggestion = closest(name, names);
            problems.push({
                key: key("hostKeys", name),
                message: `names no node of this cluster`,
                fix: suggestion
                    ? `did you mean ${suggestion}?`
                    : `use a node name from ${keys.nodes}: ${names.join(", ")}`,
            });
            continue;
        }
        const value = knownValue(hostKey);
        if (value.known && value.value !== undefined) {
            problems.push(...hostKeyProblems(value.value, key("hostKeys", name)));
        }
    }
    const offload = knownValue(settings.disableVxlanChecksumOffload);
    if (offload.known && offload.value === true && backend !== FlannelBackend.Vxlan) {
        problems.push({
            key: key("disableVxlanChecksumOffload"),
            message: `works around a VXLAN bug, but the backend is ${backend}, which creates no VXLAN device`,
            fix: `remove it, or set ${keyPath(keys.podNetwork, "backend")}: vxlan`,
        });
    }
    return problems;
}

export function userProblems(user: string, key: string): Problem[] {
    return USER_NAME.test(user)
        ? []
        : [
              {
                  key,
                  message: `${show(user)} is not a user name`,
                  fix: "use lowercase letters, digits, '_' and '-', starting with a letter or '_', e.g. root",
              },
          ];
}

/** The key's contents are needed, not its path or its public half. */
export function privateKeyProblems(privateKey: string, key: string): Problem[] {
    const text = privateKey.trim();
    if (
        /^-----BEGIN (?:OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]+-----END (?:OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----$/.test(
            text,
        )
    ) {
        return /ENCRYPTED/.test(text) || openSshCipher(text) !== "none"
            ? [
                  {
                      key,
                      message: "is encrypted with a passphrase, which clusternet cannot pass on",
                      fix: "use an unencrypted key (ssh-keygen -p -N '' -f KEY on a copy), or an ssh-agent",
                  },
              ]
            : [];
    }
    if (HOST_KEY_TYPES.some((type) => text.startsWith(`${type} `))) {
        return [
            {
                key,
                message: "holds a public key",
                fix: "set the private key instead: cat ~/.ssh/id_ed25519 | pulumi config set --secret --path 'clusternet:nodePrep.privateKey'",
            },
        ];
    }
    if (/^[~/.]/.test(text) && !text.includes("\n")) {
        return [
            {
                key,
                message: "looks like a file path; the key's contents are needed",
                fix: `cat ${text} | pulumi config set --secret --path 'clusternet:nodePrep.privateKey'`,
            },
        ];
    }
    return [
        {
            key,
            message:
                "is not an SSH private key (expected -----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)",
            fix: "set the whole key file: cat ~/.ssh/id_ed25519 | pulumi config set --secret --path 'clusternet:nodePrep.privateKey'",
        },
    ];
}

/** The cipher an OpenSSH-format key is encrypted with ("none" when it is not, or when the key is PEM). */
function openSshCipher(text: string): string {
    if (!text.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----")) {
        return "none";
    }
    const body = Buffer.from(text.split("\n").slice(1, -1).join(""), "base64");
    const magic = "openssh-key-v1\0";
    if (body.subarray(0, magic.length).toString("latin1") !== magic || body.length < magic.length + 4) {
        return "none"; // not parseable: leave it to ssh, which names the problem itself
    }
    const length = body.readUInt32BE(magic.length);
    return body.subarray(magic.length + 4, magic.length + 4 + length).toString("latin1");
}

/** A host key as `ssh-keyscan` prints it, without the host name: "ssh-ed25519 AAAA...". */
export function hostKeyProblems(hostKey: string, key: string): Problem[] {
    const fields = hostKey.trim().split(/\s+/);
    const typeAt = fields.findIndex((field) => HOST_KEY_TYPES.includes(field));
    if (typeAt === 0 && fields.length >= 2 && /^[A-Za-z0-9+/]+={0,2}$/.test(fields[1]!)) {
        return [];
    }
    if (typeAt === 1) {
        return [
            {
                key,
                message: `starts with the host name ${show(fields[0])}, as ssh-keyscan prints it`,
                fix: `remove the host name: ${fields.slice(1, 3).join(" ")}`,
            },
        ];
    }
    return [
        {
            key,
            message: `${show(hostKey.length > 40 ? `${hostKey.slice(0, 40)}...` : hostKey)} is not an SSH host key`,
            fix: "write it as ssh-keyscan prints it without the host name, e.g. ssh-ed25519 AAAAC3Nza...",
        },
    ];
}
