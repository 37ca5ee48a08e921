#!/usr/bin/env bash
# Builds the operator with each candidate flag set and measures start-up and idle memory of each,
# in one run, so scripts/build.sh's choice rests on numbers. --splitting is common to all (see build.sh).
# Usage: bash bench/build-flags.sh [idle-seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
idle="${1:-30}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A variants=(
  [plain]=""
  [minify]="--minify"
  [minify-bytecode]="--minify --bytecode"
  [minify-bytecode-smol]="--minify --bytecode --compile-exec-argv=--smol"
  [minify-smol]="--minify --compile-exec-argv=--smol"
)
for name in plain minify minify-bytecode minify-smol minify-bytecode-smol; do
  # shellcheck disable=SC2086
  "$BUN" build --compile --splitting --format=esm ${variants[$name]} src/main.ts --outfile "$out/$name" >/dev/null
  echo "== $name (${variants[$name]:-no flags})"
  "$BUN" bench/footprint.ts --binary="$out/$name" --idle-seconds="$idle" --runs=5
done
