/**
 * What each condition type and fixed reason of src/api/condition-vocabulary.ts means, for
 * docs/reference/conditions.md. The generator refuses to run when this table and the vocabulary
 * disagree (a reason without a meaning, or a meaning for a reason the code no longer has).
 */

export interface ReasonMeaning {
  /** Where it appears, e.g. `Ready=False`, `Blocked=True`. */
  readonly appearsAs: readonly string[];
  readonly meaning: string;
}

export interface KindMeanings {
  readonly kind: string;
  readonly types: Readonly<Record<string, string>>;
  readonly reasons: Readonly<Record<string, ReasonMeaning>>;
  /** Reasons that are not fixed: copied from Flux or from an Operation template. */
  readonly dynamic: string;
}

export const APPLICATION_INSTANCE: KindMeanings = {
  kind: "ApplicationInstance",
  types: {
    Ready: "The application is installed and healthy at the current generation.",
    Reconciling: "Flux is working towards the current generation.",
    Degraded: "Flux has stopped retrying (its HelmRelease is Stalled).",
    Suspended: "`spec.suspend` is true: the HelmRelease is suspended.",
    Blocked: "The operator refuses to act on the object until a precondition is met.",
    Deleting: "The object is being deleted and waits for its children.",
  },
  reasons: {
    Deleting: { appearsAs: ["Ready=False", "Deleting=True"], meaning: "Deletion has started (on a placeholder instance: the finalizer is about to be removed)." },
    WaitingForChildResources: { appearsAs: ["Deleting=True"], meaning: "The HelmRelease and chart source still exist; Flux is uninstalling the release." },
    UninstallTimeout: { appearsAs: ["Deleting=True"], meaning: "The uninstall did not finish in time; the finalizer is removed anyway and children may remain." },
    NamespaceNotGated: { appearsAs: ["Ready=False", "Blocked=True"], meaning: "The namespace is not gated (neither label `managed-by` nor `app.vworkspace.io/managed-by` is `vworkspace`)." },
    ClusterMismatch: { appearsAs: ["Ready=False", "Blocked=True"], meaning: "The object's cluster id label names another cluster than this operator's." },
    ValidationFailed: { appearsAs: ["Ready=False", "Blocked=True"], meaning: "The spec does not decode or breaks a rule (the message names the field)." },
    MissingDependencies: { appearsAs: ["Ready=False", "Blocked=True"], meaning: "The Flux APIs the instance needs (HelmRelease and its source kind) are not served." },
    Placeholder: { appearsAs: ["Ready=True"], meaning: "`spec.mode` is `placeholder`: nothing to install, nothing to wait for." },
    HelmReleaseFailed: { appearsAs: ["Ready=False"], meaning: "Writing the chart source or the HelmRelease failed (the message holds the API server's answer)." },
    HelmReleaseReady: { appearsAs: ["Ready=True"], meaning: "The HelmRelease is Ready at the current generation; the message is Flux's." },
    HelmReleaseInstalling: { appearsAs: ["Reconciling=True"], meaning: "The HelmRelease does not exist yet or has no Ready condition." },
    ManuallySuspended: { appearsAs: ["Suspended=True", "Ready=Unknown"], meaning: "`spec.suspend` is true." },
    Active: { appearsAs: ["Suspended=False"], meaning: "The instance is not suspended." },
    Reconciling: { appearsAs: ["Ready=Unknown"], meaning: "Waiting for the HelmRelease to report anything." },
    Progressing: { appearsAs: ["Ready=Unknown", "Reconciling=True"], meaning: "Flux has not yet reported on the current generation." },
    Stable: { appearsAs: ["Reconciling=False"], meaning: "Nothing in flight." },
    Unblocked: { appearsAs: ["Blocked=False"], meaning: "No precondition blocks the instance." },
    Recovered: { appearsAs: ["Degraded=False"], meaning: "The HelmRelease is not Stalled." },
  },
  dynamic:
    "When the HelmRelease fails, `Ready=False` carries Flux's own reason verbatim (for example `InstallFailed`, " +
    "`UpgradeFailed`, `ArtifactFailed`, `SourceNotReady`, `RollbackSucceeded`), `Reconciling=True` Flux's " +
    "Reconciling reason, and `Degraded=True` Flux's Stalled reason (for example `RetriesExceeded`).",
};

export const OPERATION: KindMeanings = {
  kind: "Operation",
  types: {
    Accepted: "The preconditions passed and the engine's child was created.",
    Running: "The engine's child is working.",
    Succeeded: "The engine finished successfully (terminal).",
    Failed: "The engine failed, timed out or lost its child (terminal).",
    Cancelled: "The Operation was cancelled (terminal).",
    Blocked: "A precondition fails; the Operation stays Pending and is re-checked.",
    Degraded: "It succeeded, but not completely (a Velero backup that PartiallyFailed).",
  },
  reasons: {
    AdmissionPassed: { appearsAs: ["Accepted=True"], meaning: "All preconditions passed; the child was created." },
    Unblocked: { appearsAs: ["Blocked=False"], meaning: "No precondition blocks the Operation any more." },
    EngineFinished: { appearsAs: ["Running=False"], meaning: "The engine's work ended (see Succeeded, Failed or Cancelled for how)." },
    EngineNotStarted: { appearsAs: ["Running=False"], meaning: "The engine never started (cancelled before start, or its child could not be created)." },
    EngineFailed: { appearsAs: ["Failed=True"], meaning: "The child could not be created, permanently, or the engine is not available in this operator." },
    Timeout: { appearsAs: ["Failed=True"], meaning: "`spec.timeoutSeconds` (or the template's default) passed while Running." },
    WorkloadMissing: { appearsAs: ["Failed=True"], meaning: "The child vanished and did not come back within the grace period." },
    WorkloadOwnershipConflict: { appearsAs: ["Failed=True"], meaning: "An object with the child's name exists and is not owned by this Operation." },
    UserCancelled: { appearsAs: ["Cancelled=True"], meaning: "The annotation `ops.vworkspace.io/cancel=true` was set." },
    PartialFailure: { appearsAs: ["Degraded=True"], meaning: "The engine succeeded partially (Velero `PartiallyFailed`)." },
    NamespaceNotGated: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The namespace is not gated (neither label `managed-by` nor `app.vworkspace.io/managed-by` is `vworkspace`), or a restore maps into such a namespace." },
    ClusterMismatch: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The object's cluster id label names another cluster." },
    ValidationFailed: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "Target basics are wrong or the type is unknown." },
    OperationTypeNotAllowed: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The namespace's `ops.vworkspace.io/allowed-types` annotation does not list the type." },
    TemplateNotFound: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "No built-in template exists for this type and engine." },
    TargetNotReady: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The target ApplicationInstance is missing, being deleted or (for a Helm upgrade) suspended." },
    CapabilityMissing: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The target lacks the capability annotation that names this engine." },
    InvalidParameters: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "`spec.parameters` do not match the template's parameter schema." },
    InlineSecretMaterialRejected: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "A parameter holds what looks like a secret value; use a Secret reference." },
    TargetIncompatible: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The target cannot run this template (no release, values not inline, ...)." },
    BackupNotOwned: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "A restore names a backup that does not exist or was not taken from this namespace." },
    DependencyMissing: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The engine's API, namespace, runner ServiceAccount or snapshot class is missing." },
    AwaitingApproval: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "The Operation needs an approval claim that is missing or does not verify." },
    ConflictingOperation: { appearsAs: ["Accepted=False", "Blocked=True"], meaning: "Another Operation holds the same target; this one waits its turn." },
  },
  dynamic:
    "`Running=True`, `Succeeded=True` and `Failed=True` carry the template's progress, success and failure reasons " +
    "(for example `BackupInProgress`, `BackupCompleted`, `BackupFailed`); docs/operations.md lists the templates.",
};

export const CLUSTER: KindMeanings = {
  kind: "Cluster",
  types: {
    Connected: "The operator talks to the control plane.",
    Disconnected: "Heartbeats have stopped being answered.",
    Authenticated: "The control plane accepts this cluster's credentials.",
    ControllersHealthy: "The controllers the operator depends on (Flux, ...) are present and available.",
    BufferOverflow: "Events to the control plane were dropped because the buffer was full.",
    PayloadsVerified: "Signed jobs verify against the trusted keys (absent when signing is disabled).",
    PayloadsEncrypted: "Jobs arrive encrypted to this cluster's key as required.",
    Ignored: "Whether the operator acts on this Cluster object (only the oldest one is honoured).",
  },
  reasons: {
    ControlPlaneReachable: { appearsAs: ["Connected=True"], meaning: "The registration token was just exchanged for credentials." },
    RoundTripOK: { appearsAs: ["Connected=True"], meaning: "The last heartbeat was answered (kept through one or two misses; the message counts them)." },
    ControlPlaneUnreachable: { appearsAs: ["Connected=False"], meaning: "Three heartbeats in a row went unanswered." },
    TLSHandshakeFailed: { appearsAs: ["Connected=False"], meaning: "As ControlPlaneUnreachable, and the last failure was TLS verification or the handshake." },
    TLSConfigInvalid: { appearsAs: ["Connected=False"], meaning: "The mTLS or CA Secret is missing or unusable, or TLS settings were given for an `http://` endpoint." },
    RegistrationPending: { appearsAs: ["Connected=False"], meaning: "The registration token cannot be read yet, or the exchange failed." },
    CredentialMissing: { appearsAs: ["Connected=False", "Authenticated=False"], meaning: "No credentials Secret and no registration token." },
    CredentialRejected: { appearsAs: ["Connected=False", "Authenticated=False"], meaning: "The control plane answered 401/403; the agent paused, or `spec.clusterId` differs from the registered id." },
    StatusChannelDisabled: { appearsAs: ["Connected=Unknown", "Disconnected=False"], meaning: "Push or GitOps mode without agent credentials: no status channel." },
    NoRecentRoundTrip: { appearsAs: ["Disconnected=True"], meaning: "Three consecutive heartbeats missed." },
    Connected: { appearsAs: ["Disconnected=False"], meaning: "A heartbeat round trip happened (any answer, 401 and 503 included)." },
    GitOpsMode: { appearsAs: ["Disconnected=False"], meaning: "GitOps mode has no heartbeat." },
    RegistrationComplete: { appearsAs: ["Authenticated=True"], meaning: "The registration token was exchanged for credentials." },
    CredentialAccepted: { appearsAs: ["Authenticated=True"], meaning: "A request with the current token succeeded." },
    CredentialRotated: { appearsAs: ["Authenticated=True"], meaning: "The agent rotated its token (sent to the control plane as an event)." },
    TokenSecretMissing: { appearsAs: ["Authenticated=False"], meaning: "The registration token Secret does not resolve and there are no credentials." },
    RegistrationFailed: { appearsAs: ["Authenticated=False"], meaning: "The control plane refused the registration (400/401/403)." },
    CredentialExpired: { appearsAs: ["Authenticated=False"], meaning: "The token's expiry passed without a successful rotation." },
    RotationFailed: { appearsAs: ["Authenticated=False"], meaning: "Credential rotation failed; stays until a rotation succeeds." },
    AllControllersReady: { appearsAs: ["ControllersHealthy=True"], meaning: "Every required controller is present and available." },
    ControllerMissing: { appearsAs: ["ControllersHealthy=False"], meaning: "A required controller (its API or Deployment) is absent." },
    ControllerDegraded: { appearsAs: ["ControllersHealthy=False"], meaning: "A required controller exists but is not available." },
    GitRepositoryStalled: { appearsAs: ["ControllersHealthy=False"], meaning: "GitOps: the GitRepository is Stalled." },
    GitRepositoryNotReady: { appearsAs: ["ControllersHealthy=False"], meaning: "GitOps: the GitRepository is not Ready." },
    KustomizationNotReady: { appearsAs: ["ControllersHealthy=False"], meaning: "GitOps: the Kustomization is not Ready." },
    EventBufferFull: { appearsAs: ["BufferOverflow=True"], meaning: "Events were dropped; the message gives the count. A resync follows." },
    BufferDrained: { appearsAs: ["BufferOverflow=False"], meaning: "Nothing dropped since the last completed resync." },
    TrustedKeysLoaded: { appearsAs: ["PayloadsVerified=True"], meaning: "Trusted keys are loaded; no job verified yet." },
    SignatureVerified: { appearsAs: ["PayloadsVerified=True"], meaning: "The last job's signature verified." },
    JobPayloadSignatureInvalid: { appearsAs: ["PayloadsVerified=False"], meaning: "The last job failed verification (message: job id, cause, failures in the last 24 h)." },
    TrustedKeysUnavailable: { appearsAs: ["PayloadsVerified=False"], meaning: "Signing is on but no trusted key source resolves." },
    KeypairReady: { appearsAs: ["PayloadsEncrypted=True"], meaning: "The cluster keypair exists and is published; the last job complied." },
    JobPayloadDecryptionFailed: { appearsAs: ["PayloadsEncrypted=False"], meaning: "The last job could not be decrypted." },
    JobPayloadNotEncrypted: { appearsAs: ["PayloadsEncrypted=False"], meaning: "The last job was plaintext while encryption is `warn` or `enforce`." },
    DuplicateCluster: { appearsAs: ["Ignored=True"], meaning: "An older Cluster object exists; this one is ignored." },
    Honoured: { appearsAs: ["Ignored=False"], meaning: "This is the Cluster object the operator acts on." },
  },
  dynamic: "Cluster conditions use only the reasons above.",
};

export const ALL_KINDS: readonly KindMeanings[] = [APPLICATION_INSTANCE, OPERATION, CLUSTER];
