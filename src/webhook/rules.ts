/**
 * The rule registry: one `KindWebhook` per admitted kind (docs/operations.md#admission-webhooks table), each in its own module.
 * Rules read cluster facts only through `AdmissionFacts`, which the server backs with informer caches.
 */
import type { KindDefinition } from "../api/groups";
import type { OperationAdmissionFacts } from "./operation-facts";
import type { AdmissionRequest, Verdict } from "./review";

export interface AdmissionFacts {
  /**
   * The shared gate predicate (docs/concepts.md#namespace-gate): answered at once from the informer cache; a
   * cache miss may do one GET, bounded by `signal`, and only then is the answer a promise.
   */
  namespaceGated(namespace: string, signal: AbortSignal): boolean | Promise<boolean>;
  /** A namespace's labels (its Flux tenant), from the same cache; undefined when it does not exist. */
  namespaceLabels(namespace: string, signal: AbortSignal): Promise<Readonly<Record<string, string>> | undefined>;
  /** The honoured cluster id (docs/concepts.md#cluster-identity); empty skips the identity check. */
  clusterId(): string;
  /** Targets, Velero Backups, Namespace annotations and the approval secret for rules OP-6 … OP-16. */
  operations?: OperationAdmissionFacts;
}

export interface KindWebhook {
  /** Webhook name in the configuration, e.g. `vapplicationinstance.kb.io`. */
  readonly name: string;
  /** Go-compatible path, e.g. `/validate-apps-vworkspace-io-v1alpha1-applicationinstance`. */
  readonly path: string;
  readonly type: WebhookType;
  /** CEL conditions the API server evaluates before calling the webhook; absent: every write of the kind. */
  readonly matchConditions?: readonly MatchCondition[];
  /**
   * Runs after the docs/operations.md#responses-and-exemptions exemptions; never mutates. A verdict reached
   * without waiting on any fact is returned as it is, so the common request costs no timer or promise.
   */
  validate(request: AdmissionRequest, facts: AdmissionFacts, signal: AbortSignal): Verdict | Promise<Verdict>;
}

/** Calls `next` with `value` now when it is known, else once it resolves. */
export function whenKnown<T, R>(value: T | Promise<T>, next: (known: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** What a webhook needs of its kind: the resource it is registered for and the singular its path names. */
export type WebhookType = Pick<KindDefinition, "group" | "version" | "kind" | "plural" | "singular">;

/** An admissionregistration.k8s.io/v1 match condition. */
export interface MatchCondition {
  name: string;
  expression: string;
}

/** Path naming of controller-runtime: `/validate-<group with dashes>-<version>-<singular>`. */
export function webhookPath(type: WebhookType): string {
  return `/validate-${type.group.replaceAll(".", "-")}-${type.version}-${type.singular}`;
}

/** A request whose kind is not the webhook's is a registration error, not a client's fault: deny loudly. */
export function wrongKind(webhook: KindWebhook, request: AdmissionRequest): string | undefined {
  const { group, version, kind } = request.kind;
  const { type } = webhook;
  if (group === type.group && version === type.version && kind === type.kind) return undefined;
  return `webhook ${webhook.name} admits ${type.group}/${type.version} ${type.kind}, got ${group}/${version} ${kind}`;
}
