/**
 * Converts a valibot schema into a structural OpenAPI v3 schema for a CRD.
 *
 * Only what the API server can enforce identically is accepted: an action or schema type without an
 * OpenAPI counterpart is an error, so decoding in TypeScript and validation by the API server never drift.
 */

import type * as v from "valibot";
import type { KubeExtensions } from "../kube-schema";
import type { JSONSchemaProps } from "./types";

// The public shape of valibot schema and action objects, as far as the walker reads it.
interface SchemaNode {
  readonly kind: "schema";
  readonly type: string;
  readonly pipe?: readonly PipeItem[];
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly item?: SchemaNode;
  readonly wrapped?: SchemaNode;
  readonly value?: SchemaNode;
  readonly options?: readonly unknown[];
  readonly default?: unknown;
}

interface ActionNode {
  readonly kind: "validation" | "transformation" | "metadata";
  readonly type: string;
  readonly requirement?: unknown;
  readonly description?: string;
  readonly metadata?: { readonly kube?: KubeExtensions };
}

type PipeItem = SchemaNode | ActionNode;

export function openApiSchemaOf(schema: v.GenericSchema): JSONSchemaProps {
  return convert(schema as unknown as SchemaNode, "");
}

function convert(schema: SchemaNode, path: string): JSONSchemaProps {
  const { base, actions } = unpipe(schema, path);
  const extensions = kubeExtensionsOf(actions);
  const node = extensions.preserveUnknownFields ? freeform(base, actions, path) : convertBase(base, path);
  for (const action of actions) applyAction(node, action, path);
  return node;
}

/** Splits nested pipes into the innermost schema and the actions applied to it, in order. */
function unpipe(schema: SchemaNode, path: string): { base: SchemaNode; actions: ActionNode[] } {
  if (!schema.pipe) return { base: schema, actions: [] };
  const [first, ...rest] = schema.pipe;
  if (!first || first.kind !== "schema") fail(path, "valibot pipe without a leading schema");
  const inner = unpipe(first, path);
  return { base: inner.base, actions: [...inner.actions, ...(rest as ActionNode[])] };
}

function kubeExtensionsOf(actions: readonly ActionNode[]): KubeExtensions {
  return Object.assign({}, ...actions.map((action) => action.metadata?.kube ?? {}));
}

// The only place a custom schema is allowed: the API server checks nothing there but `type: object`.
function freeform(base: SchemaNode, actions: readonly ActionNode[], path: string): JSONSchemaProps {
  if (base.type !== "custom") fail(path, `preserveUnknownFields needs a custom object schema, not ${base.type}`);
  if (actions.some((action) => action.kind !== "metadata")) fail(path, "a free-form object cannot carry validations");
  return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
}

function convertBase(schema: SchemaNode, path: string): JSONSchemaProps {
  switch (schema.type) {
    case "string":
      return { type: "string" };
    case "number":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "picklist":
      return { type: "string", enum: stringOptions(schema, path) };
    case "array":
      return { type: "array", items: convert(required(schema.item, path), `${path}[]`) };
    case "object":
      return convertObject(required(schema.entries, path), path);
    case "optional":
      return convertOptional(schema, path);
    default:
      return fail(path, `valibot schema "${schema.type}" has no structural OpenAPI form`);
  }
}

function convertObject(entries: Readonly<Record<string, SchemaNode>>, path: string): JSONSchemaProps {
  const keys = Object.keys(entries).sort();
  const properties = Object.fromEntries(keys.map((key) => [key, convert(entries[key]!, join(path, key))]));
  const requiredKeys = keys.filter((key) => entries[key]!.type !== "optional");
  return { type: "object", properties, ...(requiredKeys.length > 0 ? { required: requiredKeys } : {}) };
}

function convertOptional(schema: SchemaNode, path: string): JSONSchemaProps {
  const node = convert(required(schema.wrapped, path), path);
  if (schema.default === undefined) return node;
  if (typeof schema.default === "function") fail(path, "computed defaults cannot be expressed in a CRD");
  return { ...node, default: schema.default };
}

function applyAction(node: JSONSchemaProps, action: ActionNode, path: string): void {
  switch (action.type) {
    case "description":
      node.description = action.description;
      return;
    case "metadata":
      applyKubeExtensions(node, action.metadata?.kube ?? {});
      return;
    case "integer":
      node.type = "integer";
      return;
    case "min_value":
      node.minimum = numberRequirement(action, path);
      return;
    case "max_value":
      node.maximum = numberRequirement(action, path);
      return;
    case "min_length":
      if (node.type === "array") node.minItems = numberRequirement(action, path);
      else node.minLength = numberRequirement(action, path);
      return;
    case "max_length":
      if (node.type === "array") node.maxItems = numberRequirement(action, path);
      else node.maxLength = numberRequirement(action, path);
      return;
    case "regex":
      node.pattern = patternOf(action, path);
      return;
    case "iso_timestamp":
      node.format = "date-time";
      return;
    default:
      fail(path, `valibot action "${action.type}" has no OpenAPI form`);
  }
}

function applyKubeExtensions(node: JSONSchemaProps, extensions: KubeExtensions): void {
  if (extensions.format) node.format = extensions.format;
  if (extensions.listType) node["x-kubernetes-list-type"] = extensions.listType;
  if (extensions.listMapKeys) node["x-kubernetes-list-map-keys"] = [...extensions.listMapKeys];
  if (extensions.validations) node["x-kubernetes-validations"] = extensions.validations.map((rule) => ({ ...rule }));
}

function stringOptions(schema: SchemaNode, path: string): string[] {
  const options = required(schema.options, path);
  if (!options.every((option) => typeof option === "string")) fail(path, "picklist options must be strings");
  return [...(options as readonly string[])];
}

function numberRequirement(action: ActionNode, path: string): number {
  if (typeof action.requirement !== "number") fail(path, `${action.type} needs a numeric requirement`);
  return action.requirement as number;
}

// RegExp.source escapes "/", which RE2 accepts but nobody wants to read in a CRD.
function patternOf(action: ActionNode, path: string): string {
  const regex = action.requirement;
  if (!(regex instanceof RegExp) || regex.flags !== "") fail(path, "regex must be a RegExp without flags");
  return (regex as RegExp).source.replaceAll("\\/", "/");
}

function required<T>(value: T | undefined, path: string): T {
  if (value === undefined) fail(path, "malformed valibot schema");
  return value as T;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function fail(path: string, problem: string): never {
  throw new Error(`CRD schema at ${path || "<root>"}: ${problem}`);
}
