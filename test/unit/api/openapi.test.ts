import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { openApiSchemaOf } from "../../../src/api/crd/openapi";
import { freeformObject, int32, kube } from "../../../src/api/kube-schema";

describe("openApiSchemaOf", () => {
  test("flattens nested pipes and maps every supported action", () => {
    const schema = v.object({
      port: v.optional(v.pipe(int32(), v.minValue(1), v.maxValue(65535), v.description("Port.")), 80),
      host: v.pipe(v.string(), v.minLength(1), v.maxLength(10), v.regex(/^a\/b$/)),
      tags: v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(3)),
      at: v.pipe(v.string(), v.isoTimestamp()),
    });
    expect(openApiSchemaOf(schema)).toEqual({
      type: "object",
      required: ["at", "host", "tags"],
      properties: {
        at: { type: "string", format: "date-time" },
        host: { type: "string", minLength: 1, maxLength: 10, pattern: "^a/b$" },
        port: { type: "integer", format: "int32", minimum: 1, maximum: 65535, description: "Port.", default: 80 },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 3 },
      },
    });
  });

  test("emits Kubernetes extensions from kube() metadata", () => {
    const rule = { rule: "self.a == oldSelf.a", message: "a is immutable" };
    const schema = v.pipe(
      v.object({ list: v.pipe(v.array(v.object({ type: v.string() })), kube({ listType: "map", listMapKeys: ["type"] })) }),
      kube({ validations: [rule] }),
    );
    const converted = openApiSchemaOf(schema);
    expect(converted["x-kubernetes-validations"]).toEqual([rule]);
    expect(converted.properties?.list).toMatchObject({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] });
  });

  test("a free-form object keeps only its type, description and the preserve marker", () => {
    expect(openApiSchemaOf(v.pipe(freeformObject(), v.description("Anything.")))).toEqual({
      type: "object",
      description: "Anything.",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  test.each<[string, v.GenericSchema]>([
    ["an action without OpenAPI form", v.pipe(v.string(), v.email())],
    ["a check", v.pipe(v.string(), v.check((value) => value !== "x"))],
    ["a union", v.union([v.string(), v.number()])],
    ["a record", v.record(v.string(), v.string())],
    ["unknown", v.unknown()],
    ["a custom schema without preserveUnknownFields", v.custom<string>(() => true)],
    ["preserveUnknownFields on a plain object", v.pipe(v.object({}), kube({ preserveUnknownFields: true }))],
    ["validations on a free-form object", v.pipe(freeformObject(), v.check(() => true))],
    ["a regex with flags", v.pipe(v.string(), v.regex(/a/i))],
    ["a computed default", v.object({ a: v.optional(v.string(), () => "x") })],
  ])("refuses %s", (_name, schema) => {
    expect(() => openApiSchemaOf(schema)).toThrow(/^CRD schema at /);
  });

  test("names the offending path", () => {
    expect(() => openApiSchemaOf(v.object({ a: v.object({ b: v.array(v.unknown()) }) }))).toThrow("CRD schema at a.b[]");
  });
});
