#!/usr/bin/env bash
# `npm start`: the operator against $KUBECONFIG; without one, against the embedded local cluster
# (built and started on first use), with the CRDs installed and leader election on.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
[ -x "$BUN" ] || npm ci --no-audit --no-fund

if [ -z "${KUBECONFIG:-}" ]; then
  bash scripts/k8s-bins.sh
  "$BUN" scripts/local-cluster.ts status --quiet || "$BUN" scripts/local-cluster.ts up
  export KUBECONFIG="$PWD/.local/cluster/kubeconfig"
  # The operator never creates namespaces; on the embedded cluster the script makes its own.
  "$BUN" scripts/ensure-namespace.ts vworkspace-system
  echo "start: embedded cluster; use it with: export KUBECONFIG=$KUBECONFIG"
  # The embedded API server reaches the webhook on loopback, not through a Service.
  export VWS_WEBHOOK_HOST="${VWS_WEBHOOK_HOST:-127.0.0.1}" VWS_WEBHOOK_URL_HOST="${VWS_WEBHOOK_URL_HOST:-127.0.0.1}"
fi

exec "$BUN" src/main.ts run --install-crds --leader-elect \
  --health-probe-bind-address="${VWS_HEALTH_PROBE_BIND_ADDRESS:-127.0.0.1:8081}" \
  --metrics-bind-address="${VWS_METRICS_BIND_ADDRESS:-127.0.0.1:8080}" "$@"
