#!/usr/bin/env bash
# The whole `npm test` pipeline (docs/development.md#ci-and-the-npm-test-pipeline): install, build the Kubernetes binaries, compile the
# operator, start the local cluster when none is healthy, run bun's tests, print the summary line CI
# reads, and stop what this script started. Arguments narrow the test paths (default: test).
set -euo pipefail
cd "$(dirname "$0")/.."
export VWS_PIPELINE_START="${VWS_PIPELINE_START:-$(date +%s)}"
BUN="node_modules/.bin/bun"
mkdir -p .local/test-logs
rm -f .local/test-output.log

step() { echo "[test $(( $(date +%s) - VWS_PIPELINE_START ))s] $*"; }

install_deps() {
  if [ -f node_modules/.vws-lock ] && cmp -s node_modules/.vws-lock package-lock.json; then
    step "npm dependencies up to date"
    return
  fi
  step "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.vws-lock
}

# Debian packages some tests need, installed with apt-get only when missing: qemu-user-static runs the
# arm64 image's binary (test/e2e/image.test.ts), systemd provides systemd-analyze for the k3s drop-in unit.
install_debian_packages() {
  local missing=()
  command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  if [ ${#missing[@]} -eq 0 ]; then
    step "Debian packages for the tests present (qemu-user-static, systemd)"
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    step "WARNING: not root, cannot apt-get install ${missing[*]}; the image and install.sh tests will fail"
    return
  fi
  step "apt-get install ${missing[*]} (for the image and install.sh tests)"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
}

started_cluster=0
watchdog_pid=""
on_exit() {
  local rc=$?
  # Under set -e a failed kill (the watchdog already gone) would end the trap here with status 1.
  if [ -n "$watchdog_pid" ]; then kill "$watchdog_pid" 2>/dev/null || true; fi
  if [ "$rc" -ne 0 ]; then
    for f in .local/cluster/logs/*.log; do
      [ -f "$f" ] && { echo "----- tail $f"; tail -n 20 "$f"; }
    done
    echo "----- test logs:"; find .local/test-logs -name '*.log' 2>/dev/null | head -50 || true
    # CI shows only the end of the output: the failed tests and their first error lines come last.
    if [ -f .local/test-output.log ]; then
      echo "----- failed tests (with the lines before each):"
      grep -B 12 '^(fail)' .local/test-output.log | tail -n 150 || true
      echo "----- bun: ${passed:-?} passed, ${failed:-?} failed, ${skipped:-?} skipped"
    fi
  fi
  if [ "$started_cluster" = 1 ] && [ "${VWS_KEEP_CLUSTER:-0}" != 1 ]; then
    step "stopping the local cluster"
    "$BUN" scripts/local-cluster.ts down || true
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

install_deps
install_debian_packages
command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || {
  echo "test: Go is missing; integration, e2e and fault suites need the Kubernetes binaries built with it" >&2
  echo "test: 'npm run test:unit' runs without Go" >&2
  exit 1
}
step "Kubernetes binaries"
# --with-node: kubelet and kube-scheduler for test/e2e/node*.test.ts, which start a private cluster with a
# real node (local-cluster.ts up --with-node installs containerd, runc and the CNI plugins when missing).
bash scripts/k8s-bins.sh --with-node
# shellcheck disable=SC1091
set -a; . .local/k8s-bins.env; set +a

step "typecheck"
node_modules/.bin/tsc --noEmit -p .
step "CRDs are current"
"$BUN" scripts/gen-crds.ts --check
step "generated docs are current"
"$BUN" scripts/gen-docs.ts --check
step "compile operator"
bash scripts/build.sh

if "$BUN" scripts/local-cluster.ts status --quiet; then
  step "reusing the healthy local cluster"
else
  step "starting the local cluster"
  started_cluster=1
  "$BUN" scripts/local-cluster.ts up
fi

# kube-apiserver can panic in its etcd client's watch code under load (etcd-io/etcd#21969, unfixed): a
# watchdog restarts a died process in place, same port and data, so the suite carries on.
watchdog() { while sleep 5; do "$BUN" scripts/local-cluster.ts revive --quiet || true; done; }
watchdog &
watchdog_pid=$!

step "bun test"
set +e
"$BUN" test --timeout=120000 "${@:-test}" 2>&1 | tee .local/test-output.log
rc=${PIPESTATUS[0]}
kill "$watchdog_pid" 2>/dev/null; wait "$watchdog_pid" 2>/dev/null
watchdog_pid=""
set -e
summary() { { grep -Eo "^ *[0-9]+ $1\$" .local/test-output.log || true; } | tail -1 | tr -dc '0-9'; }
passed=$(summary pass); failed=$(summary fail); skipped=$(summary skip)
echo "bun: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$rc" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then
  echo "test: bun ran no test" >&2
  rc=1
fi
exit "$rc"
