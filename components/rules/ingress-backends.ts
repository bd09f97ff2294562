import { Problem, isIanaServiceName, show } from "../common";
import { IANA_SVC_NAME_RULE } from "./service-ports";

/**
 * An Ingress backend that names its Service port: networking/v1 validation checks `backend.service.port.name` as an
 * IANA service name (`validation.ValidatePortName`), a stricter rule than the Service's own port names (DNS-1123
 * labels). So a Service port named `http-alternative` is valid, but an Ingress naming it is refused.
 */
export function ingressBackendPortNameFindings(name: unknown, path: string, portNumber?: number): Problem[] {
    if (typeof name === "string" && isIanaServiceName(name)) {
        return [];
    }
    return [
        {
            key: path,
            message: `${show(name)} is not a valid Ingress backend port name (${IANA_SVC_NAME_RULE}); the API server refuses the Ingress`,
            fix:
                portNumber === undefined
                    ? "name the Service's port with at most 15 characters, or give the backend the port's number"
                    : `give the port's number (${portNumber}) instead, or rename the Service's port with at most 15 characters`,
        },
    ];
}
