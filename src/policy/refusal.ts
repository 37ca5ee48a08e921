/**
 * The answer of a write policy: a refusal with the wire errorCode and a detail that names objects and fields
 * but never quotes payload values, or nothing (the write may go ahead).
 */
import type { JobErrorCode } from "../protocol";

export type Refusal = { code: JobErrorCode; detail: string };

/** A policy that may also normalise the object (e.g. set a field that must hold one value). */
export type PolicyOutcome<T> = { refusal: Refusal } | { object: T };
