import { describe, expect, test } from "bun:test";
import { customResourceDefinitions } from "../../../src/api/crd/generate";
import { versionFingerprint } from "../../../src/doctor/crd-fingerprint";

const [first, second] = customResourceDefinitions().map((crd) => crd.spec.versions[0]!);

describe("CRD version fingerprint", () => {
  test("key order, column descriptions and an explicit priority 0 do not matter", () => {
    const reordered = JSON.parse(JSON.stringify({ additionalPrinterColumns: first!.additionalPrinterColumns.map((column) => ({ priority: 0, description: "x", ...column })), schema: first!.schema }));
    expect(versionFingerprint(reordered)).toBe(versionFingerprint(first!));
  });

  test("a changed schema or column changes it; different kinds differ", () => {
    const columns = first!.additionalPrinterColumns.map((column, i) => (i === 0 ? { ...column, jsonPath: ".status.other" } : column));
    expect(versionFingerprint({ ...first!, additionalPrinterColumns: columns })).not.toBe(versionFingerprint(first!));
    expect(versionFingerprint({ ...first!, schema: { openAPIV3Schema: { type: "object" } } })).not.toBe(versionFingerprint(first!));
    expect(versionFingerprint(second!)).not.toBe(versionFingerprint(first!));
  });
});
