/**
 * The batch/v1 Job of a RunCommand (container `runner`) or Migration (container `hook`) Operation
 * (docs/operations.md#job, docs/operations.md#helmhookjob): restricted security context, env passed through as a list, the
 * Operation as controlling owner so the Job follows it on deletion.
 */
import type { KubeObject, OwnerReference } from "../../kube/types";
import { childLabels, type ChildOwner } from "../common/labels";
import { containerSecurityContext, podSecurityContext } from "../common/security";
import { RUNNER_SERVICE_ACCOUNT } from "../../operations/parameters";

interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

/** As the parameter schema admits it: exactly one of `value` and `valueFrom` (checked at admission). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef; fieldRef?: { fieldPath: string } };
}

/** The parameters shared by `runCommand.job` and `migration.helmHookJob` (docs/operations.md#parameter-schemas). */
export interface JobParameters {
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  ttlSecondsAfterFinished?: number;
  serviceAccountName?: string;
  runAsUser?: number;
  runAsGroup?: number;
}

export const DEFAULT_BACKOFF_LIMIT = 0;
export const DEFAULT_TTL_SECONDS_AFTER_FINISHED = 86_400;

export interface JobInput {
  name: string;
  namespace: string;
  owner: ChildOwner;
  ownerReference: OwnerReference;
  containerName: "runner" | "hook";
  parameters: JobParameters;
  /** The Operation's timeout; the Job's own deadline when the parameter is absent (docs/operations.md#timeouts). */
  timeoutSeconds: number;
  /** Extra labels on the Job and its pod template (the hook name for Migrations). */
  extraLabels?: Record<string, string>;
}

export function buildJob(input: JobInput): KubeObject {
  const { parameters: p } = input;
  const labels = { ...childLabels(input.owner), ...input.extraLabels };
  const container = {
    name: input.containerName,
    image: p.image,
    ...(p.command ? { command: p.command } : {}),
    ...(p.args ? { args: p.args } : {}),
    ...(p.env ? { env: p.env } : {}),
    securityContext: containerSecurityContext(),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: input.name, namespace: input.namespace, labels, ownerReferences: [input.ownerReference] },
    spec: {
      backoffLimit: p.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
      activeDeadlineSeconds: p.activeDeadlineSeconds ?? input.timeoutSeconds,
      ttlSecondsAfterFinished: p.ttlSecondsAfterFinished ?? DEFAULT_TTL_SECONDS_AFTER_FINISHED,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: p.serviceAccountName ?? RUNNER_SERVICE_ACCOUNT,
          restartPolicy: "Never",
          securityContext: podSecurityContext(p),
          containers: [container],
        },
      },
    },
  };
}
