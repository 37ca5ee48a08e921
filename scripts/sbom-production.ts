/**
 * Narrows npm's CycloneDX SBOM (stdin) to the production dependencies (stdout): the components npm itself
 * scopes "required". `npm sbom --omit dev` cannot be used: it also drops production packages that a
 * development package names as a peer (valibot, through @valibot/to-json-schema).
 */
export interface Component {
  "bom-ref": string;
  scope?: string;
}
export interface Dependency {
  ref: string;
  dependsOn?: string[];
}
export interface Bom {
  bomFormat: string;
  metadata: { component: { "bom-ref": string } };
  components: Component[];
  dependencies?: Dependency[];
}

/** Keeps the "required" components and the dependency edges among them (and the root). */
export function productionOnly(bom: Bom): Bom {
  if (bom.bomFormat !== "CycloneDX") throw new Error(`sbom-production: expected a CycloneDX document, got bomFormat ${JSON.stringify(bom.bomFormat)}`);
  const components = bom.components.filter((component) => component.scope === "required");
  const kept = new Set([bom.metadata.component["bom-ref"], ...components.map((component) => component["bom-ref"])]);
  const dependencies = bom.dependencies
    ?.filter((dependency) => kept.has(dependency.ref))
    .map((dependency) => ({ ...dependency, dependsOn: dependency.dependsOn?.filter((ref) => kept.has(ref)) }));
  return { ...bom, components, ...(dependencies ? { dependencies } : {}) };
}

if (import.meta.main) {
  const bom = JSON.parse(await Bun.stdin.text()) as Bom;
  process.stdout.write(`${JSON.stringify(productionOnly(bom), null, 2)}\n`);
}
