/** The apiextensions.k8s.io/v1 shapes we emit, and what a kind module declares to get a CRD. */

import type * as v from "valibot";
import type { KubeObject } from "../../kube/types";
import type { KindDefinition } from "../groups";
import type { CelRule } from "../kube-schema";

export type OpenApiType = "object" | "array" | "string" | "integer" | "number" | "boolean";

/** The subset of JSONSchemaProps a structural schema of ours can contain. */
export interface JSONSchemaProps {
  type: OpenApiType;
  description?: string;
  format?: string;
  enum?: string[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: true;
  "x-kubernetes-list-type"?: "atomic" | "map" | "set";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: CelRule[];
}

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  /** 0 (default): always shown; greater: only with `kubectl get -o wide`. */
  priority?: number;
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: PrinterColumn[];
}

export interface CustomResourceDefinitionNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
}

export interface CustomResourceDefinition extends KubeObject {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  spec: {
    group: string;
    names: CustomResourceDefinitionNames;
    scope: "Namespaced" | "Cluster";
    versions: CustomResourceDefinitionVersion[];
  };
}

/** What a kind module exports so that the generator can emit its CRD. */
export interface CrdSource {
  readonly kind: KindDefinition;
  readonly description: string;
  readonly printerColumns: readonly PrinterColumn[];
  /** Object schema with the `spec` and `status` entries; apiVersion, kind and metadata are added. */
  readonly body: v.GenericSchema;
}
