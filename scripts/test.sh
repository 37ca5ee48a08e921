#!/usr/bin/env bash
# The whole `npm test` pipeline (docs/development.md#ci-and-the-npm-test-pipeline): install, build the Kubernetes binaries, compile the
# operator, start the local cluster when none is healthy, run bun's tests, print the summary line CI
# reads, and stop what this script started. Arguments narrow the test paths (default: test).
set -euo pipefail
cd "$(dirname "$0")/.."
export VWS_PIPELINE_START="${VWS_PIPELINE_START:-$(date +%s)}"
BUN="node_modules/.bin/bun"
mkdir -p .local/test-logs
rm -f .local/test-output*.log

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
# arm64 image's binary (test/e2e/image.test.ts), systemd provides systemd-analyze for the k3s drop-in unit,
# gnupg signs the GitOps desired-state commits (test/integration/gitops/, test/e2e/gitops-*.flux.test.ts).
install_debian_packages() {
  local missing=()
  command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
  if [ ${#missing[@]} -eq 0 ]; then
    step "Debian packages for the tests present (qemu-user-static, systemd, gnupg)"
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    step "WARNING: not root, cannot apt-get install ${missing[*]}; the image, install.sh and signed GitOps tests will fail"
    return
  fi
  step "apt-get install ${missing[*]} (for the image, install.sh and signed GitOps tests)"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
}

started_dirs=()
lane_pids=()
watchdog_pid=""
on_exit() {
  local rc=$?
  # Under set -e a failed kill (the watchdog already gone) would end the trap here with status 1.
  if [ -n "$watchdog_pid" ]; then kill "$watchdog_pid" 2>/dev/null || true; fi
  for pid in "${lane_pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then
    for f in .local/cluster/logs/*.log .local/cluster-b/logs/*.log; do
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
  if [ "${VWS_KEEP_CLUSTER:-0}" != 1 ]; then
    for dir in "${started_dirs[@]}"; do
      step "stopping the local cluster in $dir"
      VWS_CLUSTER_DIR="$dir" "$BUN" scripts/local-cluster.ts down || true
    done
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

# A full run splits the suite into two lanes, each a bun process on its own local cluster, run side by side:
# the tests mostly wait on API servers, Flux and Pods, so two lanes share two cores well.
# Lane b holds everything that needs the host-wide node or compiled binaries, plus the connectivity suites
# (agent, Cluster, control plane, Push) to even the lanes out; test files never share a cluster across lanes, so
# cluster-scoped objects (Cluster, webhooks) cannot interfere.
# Arguments narrow the run to one lane on the default cluster, or on $VWS_CLUSTER_DIR when set.
LANE_NAMES=(a)
LANE_DIRS=("${VWS_CLUSTER_DIR:-.local/cluster}")
LANE_PATHS=("${*:-}")
if [ $# -eq 0 ]; then
  LANE_NAMES=(a b)
  LANE_DIRS=(.local/cluster .local/cluster-b)
  LANE_PATHS=(
    "test/unit/ test/integration/api/ test/integration/applicationinstance/ test/integration/chart/ test/integration/doctor/ test/integration/gitops/ test/integration/kube/ test/integration/manager/ test/integration/operation/ test/integration/tenant/ test/integration/webhook/"
    "test/e2e/ test/fault/ test/hostile/ test/integration/agent/ test/integration/cluster/ test/integration/controlplane/ test/integration/push/"
  )
  # Every test file runs in exactly one lane: a new folder must be given one.
  while IFS= read -r file; do
    lanes=0
    for paths in "${LANE_PATHS[@]}"; do
      for path in $paths; do [[ "$file" == "$path"* ]] && lanes=$((lanes + 1)); done
    done
    if [ "$lanes" -ne 1 ]; then
      echo "test: $file is in $lanes lanes of scripts/test.sh, not one" >&2
      exit 1
    fi
  done < <(find test -name '*.test.ts' | sort)
fi

for i in "${!LANE_NAMES[@]}"; do
  dir=${LANE_DIRS[$i]}
  if VWS_CLUSTER_DIR="$dir" "$BUN" scripts/local-cluster.ts status --quiet; then
    step "reusing the healthy local cluster in $dir"
  else
    step "starting a local cluster in $dir"
    started_dirs+=("$dir")
    VWS_CLUSTER_DIR="$dir" "$BUN" scripts/local-cluster.ts up
  fi
done

# kube-apiserver can panic in its etcd client's watch code under load (etcd-io/etcd#21969, unfixed): a
# watchdog restarts a died process in place, same port and data, so the suite carries on.
watchdog() {
  while sleep 5; do
    for dir in "${LANE_DIRS[@]}"; do VWS_CLUSTER_DIR="$dir" "$BUN" scripts/local-cluster.ts revive --quiet || true; done
  done
}
watchdog &
watchdog_pid=$!

run_lane() {
  local name=$1 dir=$2 paths=$3
  # shellcheck disable=SC2086 # paths is a space-separated list of test paths
  local kubeconfig="$dir/kubeconfig"
  [[ $kubeconfig == /* ]] || kubeconfig="$PWD/$kubeconfig"
  KUBECONFIG="$kubeconfig" "$BUN" test --timeout=120000 ${paths:-test} 2>&1 \
    | tee ".local/test-output-$name.log" | "$BUN" scripts/test-timing.ts record ".local/test-timing-$name.log"
  echo "${PIPESTATUS[0]}" > ".local/test-rc-$name"
}

step "bun test in ${#LANE_NAMES[@]} lane(s): $(for i in "${!LANE_NAMES[@]}"; do printf '%s=[%s] ' "${LANE_NAMES[$i]}" "${LANE_PATHS[$i]:-test}"; done)"
set +e
for i in "${!LANE_NAMES[@]}"; do
  rm -f ".local/test-rc-${LANE_NAMES[$i]}"
  run_lane "${LANE_NAMES[$i]}" "${LANE_DIRS[$i]}" "${LANE_PATHS[$i]}" &
  lane_pids+=($!)
done
count() { grep -c "^($1)" ".local/test-output-$2.log" 2>/dev/null; }
ticks=0
while kill -0 "${lane_pids[@]}" 2>/dev/null; do
  sleep 5
  ticks=$((ticks + 1))
  [ $((ticks % 12)) -eq 0 ] || continue
  step "$(for name in "${LANE_NAMES[@]}"; do printf 'lane %s: %s passed, %s failed; ' "$name" "$(count pass "$name")" "$(count fail "$name")"; done)"
done
wait "${lane_pids[@]}"
kill "$watchdog_pid" 2>/dev/null; wait "$watchdog_pid" 2>/dev/null
watchdog_pid=""
set -e

lane_pids=()
outputs=() timings=()
for name in "${LANE_NAMES[@]}"; do outputs+=(".local/test-output-$name.log"); timings+=(".local/test-timing-$name.log"); done
cat "${outputs[@]}" > .local/test-output.log 2>/dev/null || true
step "wall time by test file"
"$BUN" scripts/test-timing.ts report "${timings[@]}" || true
rc=0 passed=0 failed=0 skipped=0
summary() { { grep -Eo "^ *[0-9]+ $1\$" "$2" || true; } | tail -1 | tr -dc '0-9'; }
for name in "${LANE_NAMES[@]}"; do
  log=".local/test-output-$name.log"
  lane_rc=$(cat ".local/test-rc-$name" 2>/dev/null || echo 1)
  lane_passed=$(summary pass "$log"); lane_failed=$(summary fail "$log"); lane_skipped=$(summary skip "$log")
  echo "lane $name: rc $lane_rc, ${lane_passed:-0} passed, ${lane_failed:-0} failed, ${lane_skipped:-0} skipped"
  if [ "$lane_rc" -ne 0 ]; then rc=$lane_rc; fi
  if [ "${lane_passed:-0}" -eq 0 ]; then
    echo "test: lane $name ran no test" >&2
    rc=1
  fi
  passed=$((passed + ${lane_passed:-0})); failed=$((failed + ${lane_failed:-0})); skipped=$((skipped + ${lane_skipped:-0}))
done
echo "bun: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
