import { describe, expect, test } from "bun:test";
import { productionOnly, type Bom } from "../../../scripts/sbom-production";

const bom = (): Bom => ({
  bomFormat: "CycloneDX",
  metadata: { component: { "bom-ref": "app@1.0.0" } },
  components: [
    { "bom-ref": "valibot@1.5.0", scope: "required" },
    { "bom-ref": "to-json-schema@1.8.0", scope: "optional" },
    { "bom-ref": "typescript@5.9.3", scope: "optional" },
  ],
  dependencies: [
    { ref: "app@1.0.0", dependsOn: ["valibot@1.5.0", "to-json-schema@1.8.0", "typescript@5.9.3"] },
    { ref: "to-json-schema@1.8.0", dependsOn: ["valibot@1.5.0"] },
    { ref: "valibot@1.5.0", dependsOn: [] },
  ],
});

describe("productionOnly", () => {
  test("keeps required components, including one a development package names as a peer", () => {
    const narrowed = productionOnly(bom());
    expect(narrowed.components.map((component) => component["bom-ref"])).toEqual(["valibot@1.5.0"]);
    expect(narrowed.dependencies).toEqual([
      { ref: "app@1.0.0", dependsOn: ["valibot@1.5.0"] },
      { ref: "valibot@1.5.0", dependsOn: [] },
    ]);
  });

  test("refuses a document that is not CycloneDX", () => {
    expect(() => productionOnly({ ...bom(), bomFormat: "SPDX" })).toThrow("expected a CycloneDX document, got bomFormat \"SPDX\"");
  });
});
