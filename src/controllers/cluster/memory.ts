/**
 * What the Cluster reconciler remembers between passes for the honoured Cluster. Kept in one object and
 * replaced as a whole when another Cluster becomes the honoured one, so nothing learnt about one Cluster
 * leaks into the handling of the next.
 */
import type { ClusterStatus, ConnectivityMode } from "../../api/cluster";
import type { Backoff } from "../../kube/backoff";
import { fullJitterBackoff } from "../../agent/transport/retry";
import type { HandOverRecord } from "./handover-plan";
import type { ModeHealth } from "./health";
import type { RegistrationFact } from "./status";

export type RegisteredStatus = Pick<ClusterStatus, "observedToken" | "credentialsSecretRef" | "credentialStatus">;

export interface ClusterMemory {
  /** The Cluster this memory is about; undefined before the first honoured one and after its deletion. */
  readonly honouredUid: string | undefined;
  registration: RegistrationFact;
  /** Inputs of a refused exchange: no new attempt until one of them changes. */
  blockedRegistration: string | undefined;
  /** The resourceVersion an exchange was made at: the cache may not show our own writes yet. */
  exchangedAt: string | undefined;
  /** Fingerprint of the token exchanged last: a one-time token cannot be exchanged twice. */
  exchangedToken: string | undefined;
  /** What the last exchange recorded in status, so a pass on a stale cached copy cannot drop it. */
  registered: RegisteredStatus | undefined;
  readonly registrationBackoff: Backoff;
  /** The last ControllersHealthy verdict and when it was taken; dropped when the mode changes. */
  health: { at: number; verdict: ModeHealth } | undefined;
  /** The connectivity mode in effect: set once a pass recorded it in status and announced the switch. */
  mode: ConnectivityMode | undefined;
  /** The last field-ownership hand-over started, so a finished one is not repeated and an interrupted one is resumed or reversed. */
  handOver: HandOverRecord | undefined;
  /** Token fingerprint and endpoint already warned about (once each, not per pass). */
  deprecatedWarned: string | undefined;
  insecureWarned: string | undefined;
  /** False after a keypair was generated to replace a published one, until a rotation announced it. */
  keypairAnnounced: boolean;
  /** The generation whose `spec.rotateCredentials` was acted on. */
  specRotationGeneration: number | undefined;
}

export function freshMemory(honouredUid: string | undefined): ClusterMemory {
  return {
    honouredUid,
    registration: { state: "none" },
    blockedRegistration: undefined,
    exchangedAt: undefined,
    exchangedToken: undefined,
    registered: undefined,
    registrationBackoff: fullJitterBackoff(),
    health: undefined,
    mode: undefined,
    handOver: undefined,
    deprecatedWarned: undefined,
    insecureWarned: undefined,
    keypairAnnounced: true,
    specRotationGeneration: undefined,
  };
}
