/** Cluster: the schema of spec and status (docs/connectivity.md#the-cluster-resource, docs/connectivity.md#the-cluster-resource) and everything derived from it. */

import * as v from "valibot";
import type { KubeObject } from "../kube/types";
import { conditionsSchema } from "./condition";
import type { CrdSource } from "./crd/types";
import { decodeWith, type DecodeResult } from "./decode";
import { CLUSTER } from "./groups";
import { dateTime, int32 } from "./kube-schema";
import { kubeObjectSchema } from "./meta";
import { HTTP_URL, NON_EMPTY } from "./patterns";

export const CONNECTIVITY_MODES = ["pull", "push", "gitops"] as const;
export const PAYLOAD_PROTECTION_MODES = ["disabled", "warn", "enforce"] as const;
export const CLUSTER_PHASES = [
  "Pending",
  "Registering",
  "Connected",
  "Disconnected",
  "Active",
  "Error",
  "Ignored",
  "Terminating",
] as const;

const secretName = () => v.pipe(v.string(), v.description("Secret name in the operator namespace."));

// Every Secret reference resolves in the operator namespace, so none carries a namespace field.
function secretKeyRef(description: string, defaultKey: string) {
  return v.pipe(
    v.object({
      name: secretName(),
      key: v.optional(v.pipe(v.string(), v.description("Key in the Secret.")), defaultKey),
    }),
    v.description(description),
  );
}

const connectivityMode = (description: string) => v.pipe(v.picklist(CONNECTIVITY_MODES), v.description(description));

const payloadSigningSchema = v.pipe(
  v.object({
    mode: v.optional(
      v.pipe(v.picklist(PAYLOAD_PROTECTION_MODES), v.description("Signature check of job payloads.")),
      "warn",
    ),
    trustedKeysSecretRef: v.optional(secretKeyRef("JWKS of the control plane's signing keys.", "jwks.json")),
    maxAgeSeconds: v.optional(
      v.pipe(int32(), v.minValue(60), v.description("Oldest acceptable signature iat, in seconds.")),
      86400,
    ),
    clockSkewSeconds: v.optional(
      v.pipe(int32(), v.minValue(0), v.maxValue(600), v.description("Tolerance applied to iat checks.")),
      60,
    ),
  }),
  v.description("Verification of signed job payloads."),
);

const securitySchema = v.pipe(
  v.object({
    mtls: v.optional(
      v.pipe(
        v.object({
          secretRef: v.pipe(
            v.object({ name: secretName() }),
            v.description("Secret with tls.crt, tls.key and optional ca.crt."),
          ),
        }),
        v.description("Client certificate for the control plane; presence enables mTLS."),
      ),
    ),
    caBundleSecretRef: v.optional(secretKeyRef("PEM bundle replacing the system roots for the CP.", "ca.crt")),
    payloadSigning: v.optional(payloadSigningSchema, {}),
    payloadEncryption: v.optional(
      v.pipe(
        v.object({
          mode: v.optional(
            v.pipe(v.picklist(PAYLOAD_PROTECTION_MODES), v.description("Encryption requirement for job payloads.")),
            "disabled",
          ),
        }),
        v.description("Encryption of job payloads to the cluster key."),
      ),
      {},
    ),
  }),
  v.description("Transport and payload security towards the control plane."),
);

export const clusterSpecSchema = v.pipe(
  v.object({
    clusterId: v.optional(v.pipe(v.string(), v.description("Control-plane cluster id; filled at registration."))),
    controlPlaneEndpoint: v.optional(
      v.pipe(
        v.string(),
        v.regex(HTTP_URL, "must start with http:// or https://"),
        v.description("Control-plane base URL."),
      ),
    ),
    controlPlaneBaseUrl: v.optional(
      v.pipe(v.string(), v.description("Deprecated alias of controlPlaneEndpoint, used when that is empty.")),
    ),
    registrationTokenSecretRef: v.optional(
      secretKeyRef("One-time registration token in the operator namespace.", "registrationToken"),
    ),
    registrationToken: v.optional(
      v.pipe(v.string(), v.description("Deprecated inline registration token; cleared after registration.")),
    ),
    capabilities: v.optional(
      v.pipe(
        v.object({ flux: v.optional(v.boolean()), velero: v.optional(v.boolean()) }),
        v.description("Reserved: stored, not reconciled."),
      ),
    ),
    rotateCredentials: v.optional(
      v.pipe(v.boolean(), v.description("One-shot request to rotate the bearer token; reset once confirmed.")),
    ),
    connectivityMode: v.optional(connectivityMode("Transport for intent."), "pull"),
    heartbeatIntervalSeconds: v.optional(
      v.pipe(int32(), v.minValue(10), v.maxValue(600), v.description("Heartbeat and controller-health period.")),
      30,
    ),
    security: v.optional(securitySchema, {}),
    gitops: v.optional(
      v.pipe(
        v.object({
          helmReleasesAuthoritative: v.optional(
            v.pipe(
              v.boolean(),
              v.description(
                "In gitops mode: HelmReleases committed to Git (labelled as control-plane managed, in gated namespaces) " +
                  "are authoritative; ApplicationInstances are not materialised into HelmReleases.",
              ),
            ),
            false,
          ),
        }),
        v.description("Settings of the gitops connectivity mode."),
      ),
    ),
    allowedJobKinds: v.optional(
      v.pipe(
        v.array(
          v.object({
            group: v.optional(v.pipe(v.string(), v.description('API group; "" is the core group.')), ""),
            kind: v.pipe(v.string(), v.minLength(1, NON_EMPTY)),
          }),
        ),
        v.maxLength(64),
        v.description("Kinds pull-mode jobs may write; replaces the default allow-list when set."),
      ),
    ),
  }),
  v.description("Configuration of this operator installation."),
);

export const clusterStatusSchema = v.pipe(
  v.object({
    phase: v.optional(v.pipe(v.picklist(CLUSTER_PHASES), v.description("Connection lifecycle phase."))),
    conditions: v.optional(
      conditionsSchema(
        "Connected, Disconnected, Authenticated, ControllersHealthy, BufferOverflow, PayloadsVerified, " +
          "PayloadsEncrypted, Ignored.",
      ),
    ),
    connectivityMode: v.optional(connectivityMode("Mode currently in effect; may lag the spec during a switch.")),
    lastHeartbeat: v.optional(v.pipe(dateTime(), v.description("Last heartbeat answered with 204."))),
    credentialStatus: v.optional(
      v.pipe(
        v.object({
          secretName: v.optional(v.string()),
          secretNamespace: v.optional(v.string()),
          registeredAt: v.optional(dateTime()),
          registrationTokenConsumed: v.optional(v.boolean()),
          lastRotatedAt: v.optional(dateTime()),
          expiresAt: v.optional(dateTime()),
        }),
        v.description("State of the agent credentials."),
      ),
    ),
    credentialsSecretRef: v.optional(
      v.pipe(v.object({ name: v.string(), namespace: v.string() }), v.description("The credentials Secret.")),
    ),
    observedToken: v.optional(
      v.pipe(v.string(), v.description("First 16 hex characters of the SHA-256 of the last consumed token.")),
    ),
    publicKey: v.optional(
      v.pipe(
        v.object({
          kty: v.string(),
          crv: v.string(),
          x: v.string(),
          kid: v.optional(v.string()),
          use: v.optional(v.string()),
          alg: v.optional(v.string()),
        }),
        v.description("The cluster's public JWK for payload encryption."),
      ),
    ),
    managedNamespaces: v.optional(
      v.pipe(
        v.array(
          v.object({
            name: v.string(),
            allowedOperationTypes: v.optional(v.array(v.string())),
            pushAccess: v.optional(v.boolean()),
          }),
        ),
        v.description("Gated namespaces, sorted by name."),
      ),
    ),
  }),
  v.description("Observed state of the connection to the control plane."),
);

export type ConnectivityMode = (typeof CONNECTIVITY_MODES)[number];
export type PayloadProtectionMode = (typeof PAYLOAD_PROTECTION_MODES)[number];
export type ClusterPhase = (typeof CLUSTER_PHASES)[number];
export type ClusterSpec = v.InferOutput<typeof clusterSpecSchema>;
export type ClusterStatus = v.InferOutput<typeof clusterStatusSchema>;

export interface Cluster extends KubeObject {
  spec: ClusterSpec;
  status?: ClusterStatus;
}

// spec defaults to {} so that the nested defaults materialise even on a Cluster written without one.
const body = v.object({ spec: v.optional(clusterSpecSchema, {}), status: v.optional(clusterStatusSchema) });
const clusterSchema: v.GenericSchema<unknown, Cluster> = kubeObjectSchema(CLUSTER, body.entries);

/** Decodes an object read from the API server, applying the CRD defaults; never throws. */
export function decodeCluster(obj: unknown): DecodeResult<Cluster> {
  return decodeWith(clusterSchema, obj);
}

export const clusterCrd: CrdSource = {
  kind: CLUSTER,
  description: "Configuration and connection state of this operator installation towards the vWorkspace control plane.",
  body,
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Mode", type: "string", jsonPath: ".status.connectivityMode" },
    { name: "Connected", type: "string", jsonPath: '.status.conditions[?(@.type=="Connected")].status' },
    { name: "Last Heartbeat", type: "date", jsonPath: ".status.lastHeartbeat" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};
