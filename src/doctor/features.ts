/** The third-party pieces the operator drives, per feature: the APIs it needs served and the controllers behind them. */
import { VELERO_BACKUP, VELERO_RESTORE, VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS, REPLICATION_DESTINATION, REPLICATION_SOURCE, WORKFLOW, WORKFLOW_TEMPLATE } from "../engines/common/resources";
import { HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY } from "../flux/types";
import type { ResourceType } from "../kube/types";

export type ApiRef = Pick<ResourceType, "group" | "version" | "plural">;

export interface ControllerRef {
  /** The Deployment's usual name; a Helm release prefix (`<release>-<name>`) also matches. */
  name: string;
  /** Looked in first when several namespaces hold a match. */
  namespace: string;
}

export interface Feature {
  id: "flux" | "velero" | "argo" | "snapshot" | "volsync";
  title: string;
  /** Required features make doctor fail; the others only warn. */
  required: boolean;
  apis: readonly ApiRef[];
  controllers: readonly ControllerRef[];
  /** What to do when the feature is missing. */
  install: string;
}

export function apiKey(api: ApiRef): string {
  return `${api.plural}.${api.group || "core"}/${api.version}`;
}

export function features(settings: { fluxNamespace: string }): Feature[] {
  return [
    {
      id: "flux",
      title: "Flux (ApplicationInstances, helm Operations)",
      required: true,
      apis: [HELM_RELEASE, HELM_REPOSITORY, OCI_REPOSITORY],
      controllers: [
        { name: "source-controller", namespace: settings.fluxNamespace },
        { name: "helm-controller", namespace: settings.fluxNamespace },
      ],
      install: "install Flux's source and helm controllers: flux install --components=source-controller,helm-controller",
    },
    {
      id: "velero",
      title: "Velero (velero Backup and Restore Operations)",
      required: false,
      apis: [VELERO_BACKUP, VELERO_RESTORE],
      controllers: [{ name: "velero", namespace: "velero" }],
      install: "install Velero (velero install, or its Helm chart) to run velero Operations",
    },
    {
      id: "argo",
      title: "Argo Workflows (workflow Operations)",
      required: false,
      apis: [WORKFLOW, WORKFLOW_TEMPLATE],
      controllers: [{ name: "workflow-controller", namespace: "argo" }],
      install: "install Argo Workflows to run workflow Operations",
    },
    {
      id: "snapshot",
      title: "CSI snapshots (snapshot Operations)",
      required: false,
      apis: [VOLUME_SNAPSHOT, VOLUME_SNAPSHOT_CLASS],
      controllers: [{ name: "snapshot-controller", namespace: "kube-system" }],
      install: "install the external-snapshotter CRDs and snapshot-controller, and a CSI driver with snapshot support",
    },
    {
      id: "volsync",
      title: "VolSync (volsync Operations)",
      required: false,
      apis: [REPLICATION_SOURCE, REPLICATION_DESTINATION],
      controllers: [{ name: "volsync", namespace: "volsync-system" }],
      install: "install VolSync (its Helm chart) to run volsync Operations",
    },
  ];
}
