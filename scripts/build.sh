#!/usr/bin/env bash
# Compiles the operator into one self-contained executable.
#   bash scripts/build.sh                 the host's build: dist/vworkspace-operator
#   bash scripts/build.sh linux-arm64     a cross build: dist/vworkspace-operator-linux-arm64 (also linux-amd64)
# Cross builds use Bun's own --target (Bun fetches that platform's runtime from npm once).
# --minify and --bytecode were chosen by measurement (README, "Build"): bytecode cuts start-up time.
# --splitting keeps each dynamic import() (client-node for exec plugins, the CRD renderer) in its own
# embedded chunk, loaded on first use; without it they are parsed at start and cost idle RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN="node_modules/.bin/bun"
[ -x "$BUN" ] || { echo "build: $BUN missing; run 'npm ci' first" >&2; exit 1; }
[ $# -le 1 ] || { echo "build: at most one target (linux-amd64 or linux-arm64), got: $*" >&2; exit 2; }
out=dist/vworkspace-operator
target=()
case "${1:-}" in
  "") ;;
  linux-amd64) out+="-linux-amd64" target=(--target=bun-linux-x64) ;;
  linux-arm64) out+="-linux-arm64" target=(--target=bun-linux-arm64) ;;
  *) echo "build: unknown target '$1' (linux-amd64 or linux-arm64)" >&2; exit 2 ;;
esac
mkdir -p dist
"$BUN" build --compile "${target[@]}" --minify --bytecode --splitting --format=esm src/main.ts --outfile "$out"
