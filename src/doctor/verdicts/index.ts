/**
 * The whole report from the facts, pure. Required (fail, exit 1): the API server answering, our three CRDs,
 * Flux's APIs and controllers (ApplicationInstances need them), and a registered webhook that can answer.
 * Everything else warns: Velero, Argo Workflows, CSI snapshots and VolSync serve single Operation engines,
 * and GitOps commit verification being off.
 */
import { customResourceDefinitions } from "../../api/crd/generate";
import type { Check } from "../check";
import { versionFingerprint } from "../crd-fingerprint";
import type { DoctorFacts, DoctorSettings } from "../facts";
import { features } from "../features";
import { apiServerChecks, crdChecks, registrationChecks, type ExpectedCrd } from "./core";
import { featureChecks, lockdownChecks } from "./features";
import { gitopsChecks } from "./gitops";
import { webhookChecks } from "./webhook";

/** This binary's CRDs, as doctor compares them with the installed ones. */
export function expectedCrds(): ExpectedCrd[] {
  return customResourceDefinitions().map((crd) => ({
    name: crd.metadata.name,
    versions: crd.spec.versions.map((version) => ({ name: version.name, served: version.served, storage: version.storage, fingerprint: versionFingerprint(version) })),
  }));
}

export function diagnose(facts: DoctorFacts, settings: DoctorSettings, expected: readonly ExpectedCrd[] = expectedCrds()): Check[] {
  const api = apiServerChecks(facts.apiServer);
  if (!facts.apiServer.reachable) return api;
  const featureLines = features(settings).flatMap((feature) => [
    ...featureChecks(feature, facts),
    ...(feature.id === "flux" ? lockdownChecks(facts, settings.fluxNamespace) : []),
  ]);
  return [
    ...api,
    ...crdChecks(facts.crds, expected),
    ...featureLines,
    ...webhookChecks(facts, settings),
    ...registrationChecks(facts.clusters, facts.nowMs),
    ...gitopsChecks(facts, settings),
  ];
}
