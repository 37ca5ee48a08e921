/** Builds the CustomResourceDefinition objects of our kinds from their valibot schemas (docs/concepts.md#schemas-and-generated-crds). */

import { applicationInstanceCrd } from "../applicationinstance";
import { clusterCrd } from "../cluster";
import { operationCrd } from "../operation";
import { openApiSchemaOf } from "./openapi";
import type { CrdSource, CustomResourceDefinition, JSONSchemaProps } from "./types";

/** `kubectl get vworkspace` lists all our objects. */
const CATEGORIES = ["vworkspace"];

const SOURCES: readonly CrdSource[] = [applicationInstanceCrd, operationCrd, clusterCrd];

export function customResourceDefinitions(): CustomResourceDefinition[] {
  return SOURCES.map(customResourceDefinition);
}

function customResourceDefinition(source: CrdSource): CustomResourceDefinition {
  const { kind } = source;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${kind.plural}.${kind.group}` },
    spec: {
      group: kind.group,
      names: {
        kind: kind.kind,
        listKind: kind.listKind,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: [...CATEGORIES],
      },
      scope: kind.namespaced ? "Namespaced" : "Cluster",
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema(source) },
          subresources: { status: {} },
          additionalPrinterColumns: source.printerColumns.map((column) => ({ ...column })),
        },
      ],
    },
  };
}

function rootSchema(source: CrdSource): JSONSchemaProps {
  const body = openApiSchemaOf(source.body);
  return {
    ...body,
    description: source.description,
    properties: {
      apiVersion: { type: "string", description: "Versioned schema of this representation of an object." },
      kind: { type: "string", description: "REST resource this object represents." },
      metadata: { type: "object" },
      ...body.properties,
    },
  };
}
