import { describe, expect, test } from "bun:test";
import { customResourceDefinitions } from "../../../src/api/crd/generate";
import type { JSONSchemaProps } from "../../../src/api/crd/types";

interface LocatedRule {
  kind: string;
  path: string;
  node: JSONSchemaProps;
  rule: string;
  message: string;
}

function* nodes(schema: JSONSchemaProps, path = ""): Generator<[string, JSONSchemaProps]> {
  yield [path, schema];
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* nodes(child, path ? `${path}.${key}` : key);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
}

const rules: LocatedRule[] = customResourceDefinitions().flatMap((crd) =>
  [...nodes(crd.spec.versions[0]!.schema.openAPIV3Schema)].flatMap(([path, node]) =>
    (node["x-kubernetes-validations"] ?? []).map((rule) => ({ kind: crd.spec.names.kind, path, node, ...rule })),
  ),
);

// docs/concepts.md#schemas-and-generated-crds, verbatim.
const EXPECTED: [string, string, string][] = [
  ["ApplicationInstance", "spec", "spec.release.name and spec.release.namespace are immutable once set"],
  ["ApplicationInstance", "spec", "spec.chart and spec.values must not be set in placeholder mode"],
  ["ApplicationInstance", "spec.values", "spec.values must set exactly the field named by spec.values.source"],
  ["ApplicationInstance", "spec.chart", "spec.chart.url scheme does not match spec.chart.sourceType"],
  ["Operation", "spec", "spec.type, spec.engine and spec.targetRef are immutable"],
];

function ruleWith(message: string): LocatedRule {
  const found = rules.find((rule) => rule.message === message);
  if (!found) throw new Error(`no CEL rule with message ${message}`);
  return found;
}

/** Field paths a rule mentions, relative to its node: `self.release.name` → ["release", "name"]; methods dropped. */
/** Kubernetes escapes property names that are CEL reserved words: `namespace` is read as `__namespace__`. */
const unescapeProperty = (field: string) => field.replace(/^__([a-z]+)__$/, "$1");

function fieldsReadBy(rule: string): string[][] {
  return [...rule.matchAll(/\b(?:self|oldSelf)((?:\.[A-Za-z_]\w*)+)(\()?/g)].map((match) => {
    const fields = match[1]!.slice(1).split(".").map(unescapeProperty);
    return match[2] ? fields.slice(0, -1) : fields;
  });
}

/** Like fieldsReadBy, but without has() arguments: those test presence and never read a value. */
function valuesReadBy(rule: string): string[][] {
  return fieldsReadBy(rule.replace(/has\([^)]*\)/g, "true"));
}

function resolve(node: JSONSchemaProps, fields: string[]): JSONSchemaProps | undefined {
  return fields.reduce<JSONSchemaProps | undefined>((current, field) => current?.properties?.[field], node);
}

describe("CEL rules (x-kubernetes-validations)", () => {
  test("exactly the rules of docs/concepts.md#schemas-and-generated-crds, at their locations, with their messages", () => {
    const actual = rules.map((rule) => [rule.kind, rule.path, rule.message]);
    expect(actual.sort()).toEqual([...EXPECTED].sort());
  });

  test("transition rules use oldSelf; the others do not", () => {
    const transition = rules.filter((rule) => rule.rule.includes("oldSelf")).map((rule) => rule.message);
    expect(transition.sort()).toEqual([
      "spec.release.name and spec.release.namespace are immutable once set",
      "spec.type, spec.engine and spec.targetRef are immutable",
    ]);
  });

  test("release immutability: removal is caught, an unset old release allows anything", () => {
    const { rule } = ruleWith("spec.release.name and spec.release.namespace are immutable once set");
    expect(rule).toStartWith("!has(oldSelf.release) || (has(self.release) && ");
    expect(rule).toContain("self.release.name == oldSelf.release.name");
    expect(rule).toContain("self.release.__namespace__ == oldSelf.release.__namespace__");
  });

  test("placeholder rule forbids chart and values", () => {
    expect(ruleWith("spec.chart and spec.values must not be set in placeholder mode").rule).toBe(
      "self.mode != 'placeholder' || (!has(self.chart) && !has(self.values))",
    );
  });

  test("values rule ties the presence of every sibling to source", () => {
    const { rule } = ruleWith("spec.values must set exactly the field named by spec.values.source");
    for (const field of ["inline", "secretRef", "configMapRef"]) {
      expect(rule).toContain(`has(self.${field}) == (self.source == '${field}')`);
    }
  });

  test("chart url rule checks the scheme per sourceType", () => {
    expect(ruleWith("spec.chart.url scheme does not match spec.chart.sourceType").rule).toBe(
      "self.sourceType == 'oci' ? self.url.startsWith('oci://') : self.url.matches('^https?://')",
    );
  });

  test("Operation identity compares type, engine and the whole targetRef", () => {
    expect(ruleWith("spec.type, spec.engine and spec.targetRef are immutable").rule).toBe(
      "self.type == oldSelf.type && self.engine == oldSelf.engine && self.targetRef == oldSelf.targetRef",
    );
  });

  test.each(EXPECTED.map(([, , message]) => message))("%s reads only declared fields", (message) => {
    const { node, rule } = ruleWith(message);
    for (const fields of fieldsReadBy(rule)) expect(resolve(node, fields), fields.join(".")).toBeDefined();
  });

  test.each(EXPECTED.map(([, , message]) => message))("%s: every string it reads is bounded (CEL cost)", (message) => {
    const { node, rule } = ruleWith(message);
    for (const fields of valuesReadBy(rule)) {
      for (const [path, leaf] of nodes(resolve(node, fields)!, fields.join("."))) {
        if (leaf.type === "string") expect(leaf.maxLength !== undefined || leaf.enum !== undefined, path).toBe(true);
      }
    }
  });

  test("fields read without has() are required or defaulted where the rule sits", () => {
    for (const { node, rule } of rules) {
      const guarded = new Set([...rule.matchAll(/has\((?:self|oldSelf)\.(\w+)\)/g)].map((match) => match[1]));
      for (const [first] of fieldsReadBy(rule)) {
        if (guarded.has(first!)) continue;
        const child = node.properties?.[first!];
        expect(node.required?.includes(first!) || child?.default !== undefined, `${rule}: ${first}`).toBe(true);
      }
    }
  });
});
