#!/usr/bin/env bash
# Writes the release artefacts into dist/release (README.md, "Release"):
#   vworkspace-operator-linux-amd64, vworkspace-operator-linux-arm64   the compiled operator
#   crds.yaml        the CRDs (what `vworkspace-operator crds` prints)
#   operator.yaml    the Namespace vworkspace-system and the chart rendered with its defaults (helm template)
#   install.sh       the k3s VM drop-in (pass --binary with the binary for the machine)
#   image.oci.tar    the multi-arch OCI image as an OCI layout in a tar (oci-archive)
#   sbom.cdx.json    CycloneDX SBOM of the production npm dependencies (the closure the binary is bundled from)
#   SHA256SUMS       over all of the above: cd dist/release && sha256sum -c SHA256SUMS
#
# usage: bash scripts/release.sh [--out DIR]
# Every prerequisite is checked before anything is written; the old release is replaced only once the new
# one is complete. Prints the time taken and every artefact's size.
set -euo pipefail
shopt -s inherit_errexit
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

readonly NAME=vworkspace-operator
readonly NAMESPACE=vworkspace-system
readonly ARCHES=(amd64 arm64)
OUT=dist/release
while (($#)); do
  case $1 in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "release: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'release: %s\n' "$*"; }
die() { printf 'release: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks (nothing written yet)

BUN=node_modules/.bin/bun
# helm: $VWS_BIN_HELM, then what scripts/k8s-bins.sh recorded, then PATH.
find_helm() {
  local recorded=""
  [[ -f .local/k8s-bins.env ]] && recorded=$(sed -n 's/^VWS_BIN_HELM=//p' .local/k8s-bins.env)
  HELM=${VWS_BIN_HELM:-${recorded:-$(command -v helm || true)}}
  [[ -n $HELM && -x $HELM ]] || die "helm not found (set VWS_BIN_HELM, run 'npm run k8s-bins', or put helm on PATH)"
}

check_prerequisites() {
  [[ -x $BUN ]] || die "$BUN missing; run 'npm ci' first"
  find_helm
  [[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null 2>&1 || die "Go is needed to build the image tool (scripts/image.sh); install Go or put it on PATH"
  [[ $(id -u) == 0 ]] || die "needs root: scripts/image.sh downloads foreign-architecture Debian packages"
  local tool
  for tool in npm sha256sum tar readelf git; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
  done
  [[ -f package-lock.json ]] || die "package-lock.json missing: the SBOM is made from it"
}

# ---------------------------------------------------------------- artefacts

human_size() { numfmt --to=iec-i --suffix=B "$1"; }

# Plain YAML stream: the Namespace first, so one `kubectl apply` of the file works on an empty cluster.
write_operator_yaml() {
  local dest=$1
  {
    printf '# vworkspace-operator %s: the chart with its default values (helm template, namespace %s).\n' "$VERSION" "$NAMESPACE"
    printf '# Apply crds.yaml first: kubectl apply --server-side -f crds.yaml -f operator.yaml\n'
    printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    app.kubernetes.io/name: %s\n' "$NAMESPACE" "$NAME"
    "$HELM" template "$NAME" chart --namespace "$NAMESPACE"
  } >"$dest"
}

# The layout as a reproducible tar (sorted, owner 0, mtime of the commit), readable as oci-archive:.
write_image_tar() {
  local layout=$1 dest=$2 mtime
  mtime=$(git log -1 --format=%ct HEAD)
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$layout" -cf "$dest" .
}

main() {
  local start=$SECONDS step stage arch file
  check_prerequisites
  VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
  mkdir -p "$(dirname "$OUT")"
  stage=$(mktemp -d "$(dirname "$OUT")/.release.XXXX")
  trap 'rm -rf "$stage"' EXIT

  step=$SECONDS
  for arch in "${ARCHES[@]}"; do
    bash scripts/build.sh "linux-$arch" >/dev/null
    cp "dist/$NAME-linux-$arch" "$stage/"
  done
  say "binaries built ($((SECONDS - step))s)"

  step=$SECONDS
  "$BUN" src/main.ts crds >"$stage/crds.yaml"
  write_operator_yaml "$stage/operator.yaml"
  install -m 0755 scripts/install.sh "$stage/install.sh"
  # From the lockfile: node_modules may lack optional peers that npm would report as problems.
  npm sbom --sbom-format cyclonedx --package-lock-only | "$BUN" scripts/sbom-production.ts >"$stage/sbom.cdx.json"
  say "manifests and SBOM written ($((SECONDS - step))s)"

  step=$SECONDS
  bash scripts/image.sh --bin-dir "$stage" --out "$stage/image" >/dev/null
  write_image_tar "$stage/image" "$stage/image.oci.tar"
  rm -rf "$stage/image"
  say "image built ($((SECONDS - step))s)"

  (cd "$stage" && sha256sum -- * >SHA256SUMS)
  chmod 0755 "$stage"
  rm -rf "$OUT"
  mv -T "$stage" "$OUT"
  trap - EXIT

  say "wrote $OUT in $((SECONDS - start))s:"
  for file in "$OUT"/*; do
    printf '  %-36s %10s\n' "$(basename "$file")" "$(human_size "$(stat -c %s "$file")")"
  done
  printf '  %-36s %10s\n' "total" "$(human_size "$(du -cb "$OUT"/* | tail -1 | cut -f1)")"
}

main
