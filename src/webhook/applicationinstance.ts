/** The ApplicationInstance webhook: decodes the review's objects and runs AI-1 … AI-17 (docs/operations.md#applicationinstance-rules). */
import { decodeApplicationInstance, type ApplicationInstance } from "../api/applicationinstance";
import { formatDecodeIssues } from "../api/decode";
import { APPLICATION_INSTANCE } from "../api/groups";
import { validateApplicationInstanceAdmission, type ApplicationInstanceAdmission } from "../api/validation/applicationinstance";
import { denial, type AdmissionRequest, type Denial, type Verdict } from "./review";
import { webhookPath, whenKnown, type AdmissionFacts, type KindWebhook } from "./rules";

export const applicationInstanceWebhook: KindWebhook = {
  name: "vapplicationinstance.kb.io",
  path: webhookPath(APPLICATION_INSTANCE),
  type: APPLICATION_INSTANCE,

  validate(request: AdmissionRequest, facts: AdmissionFacts, signal: AbortSignal): Verdict | Promise<Verdict> {
    const object = decode("object", request.object);
    if (!object.value) return { denial: object.schemaDenial };
    const old = request.operation === "UPDATE" ? decode("oldObject", request.oldObject) : undefined;
    // A stored object may predate today's schema: it still counts for AI-3/AI-4 as long as it has a spec.
    if (old && !old.value) return { denial: old.schemaDenial };
    const value = object.value;
    const namespace = value.metadata.namespace ?? request.namespace ?? "";
    return whenKnown(facts.namespaceGated(namespace, signal), (namespaceGated) =>
      judge(object.schemaDenial, { object: value, ...(old?.value ? { oldObject: old.value } : {}), namespaceGated, clusterId: facts.clusterId() }),
    );
  },
};

function judge(schemaDenial: Denial | undefined, input: ApplicationInstanceAdmission): Verdict {
  try {
    const violation = validateApplicationInstanceAdmission(input);
    if (violation) return { denial: denial(violation.reason, violation.message) };
  } catch (err) {
    // The rules assume the CRD's shape; on an object that lacks it the schema's complaint is the answer.
    if (schemaDenial) return { denial: schemaDenial };
    throw err;
  }
  return schemaDenial ? { denial: schemaDenial } : {};
}

interface Decoded {
  /** The decoded object, or the raw one when only the schema objects to it (rules give the exact messages). */
  value?: ApplicationInstance;
  schemaDenial?: Denial;
}

function decode(field: "object" | "oldObject", raw: unknown): Decoded {
  const decoded = decodeApplicationInstance(raw);
  if (decoded.ok) return { value: decoded.value };
  const schemaDenial = denial("ValidationFailed", `request.${field} is not a valid ApplicationInstance: ${formatDecodeIssues(decoded.issues)}`);
  return hasSpec(raw) ? { value: raw, schemaDenial } : { schemaDenial };
}

function hasSpec(raw: unknown): raw is ApplicationInstance {
  const object = raw as { metadata?: unknown; spec?: unknown } | null;
  return isObject(object?.metadata) && isObject(object?.spec);
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
