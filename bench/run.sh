#!/usr/bin/env bash
# Runs every measurement against the local cluster and prints the figures; never part of npm test.
# Usage: bench/run.sh [bench ...], each one of footprint, agent (the two run by default), reconcile,
# webhook, operations, controlplane, handover, peer (a private cluster of its own; VWS_PEER_BINARY adds another operator),
# modes (Pull, Push and GitOps side by side on private API servers with real Flux; --n=100 by default).
# bench/node-chart.ts (the chart's Pod on a real node) runs on its own private cluster: bun bench/node-chart.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
bash scripts/k8s-bins.sh
"$BUN" scripts/local-cluster.ts status --quiet || "$BUN" scripts/local-cluster.ts up
bash scripts/build.sh
benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(footprint agent)
for bench in "${benches[@]}"; do
  echo "== bench/$bench"
  "$BUN" "bench/$bench.ts"
done
