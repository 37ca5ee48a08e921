#!/usr/bin/env bash
# Builds the Go-side test binaries from the Go module proxy and extracts third-party CRDs
# (docs/development.md#kubernetes-binaries, docs/development.md#third-party-crds). Results are cached per component/version/Go version under $VWS_CACHE_DIR;
# .local/k8s-bins.env tells local-cluster.ts and the tests where they are.
#
# usage: bash scripts/k8s-bins.sh [--rebuild] [--with-etcd] [--with-kubectl] [--with-node] [--only=COMPONENT]
#        --with-node also builds kubelet, kube-scheduler and kube-proxy (local-cluster.ts up --with-node)
#        --only=COMPONENT builds that one component (e.g. kustomize-controller) and no CRDs; for timing one build
# env:   VWS_CACHE_DIR, VWS_FLUX=0 (skip Flux), VWS_OCI_REGISTRY=0 (skip the optional OCI registry),
#        CI=true + VWS_PIPELINE_START (budget guard, docs/development.md#ci-and-the-npm-test-pipeline)
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_START=$(date +%s)
# shellcheck source=k8s-versions.env
source "$ROOT/scripts/k8s-versions.env"

readonly BUILD_TIMEOUT_S=5400     # one go build; a hung compile must not eat the CI budget silently
readonly HEARTBEAT_S=60
readonly FLUX_BUDGET_S=2700       # docs/development.md#ci-and-the-npm-test-pipeline: skip Flux when more than 45 min are gone before its builds
readonly LOCK_TIMEOUT_S=5400

REBUILD=0 WITH_ETCD=0 WITH_KUBECTL=0 WITH_NODE=0 ONLY=""
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=1 ;;
    --with-etcd) WITH_ETCD=1 ;;
    --with-kubectl) WITH_KUBECTL=1 ;;
    --with-node) WITH_NODE=1 ;;
    --only=?*) ONLY=${arg#--only=} ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "k8s-bins: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'k8s-bins: %s\n' "$*"; }
warn() { printf 'k8s-bins: WARNING: %s\n' "$*" >&2; }
die() { printf 'k8s-bins: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- toolchain and environment

require_go() {
  if ! command -v go >/dev/null 2>&1 || ! go_is_new_enough; then
    [[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 ||
    die "Go >= $GO_MIN not found (PATH, /usr/local/go/bin); integration, e2e and fault suites need it (npm run test:unit does not)"
  go_is_new_enough ||
    die "$(command -v go) is $(go env GOVERSION), need >= go$GO_MIN; integration, e2e and fault suites need it"
  GOVERSION=$(go env GOVERSION)
}

go_is_new_enough() {
  local v major minor
  v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || return 1
  [[ $v =~ ^go([0-9]+)\.([0-9]+) ]] || return 1
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  ((major > ${GO_MIN%%.*} || (major == ${GO_MIN%%.*} && minor >= ${GO_MIN#*.})))
}

setup_env() {
  : "${VWS_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/vworkspace-operator}"
  export VWS_CACHE_DIR
  export GOTOOLCHAIN=local GOMODCACHE="$VWS_CACHE_DIR/go/mod" GOCACHE="$VWS_CACHE_DIR/go/build"
  export GOFLAGS="-mod=mod -modcacherw -trimpath -buildvcs=false" CGO_ENABLED=0
  LOG_DIR="$ROOT/.local/k8s-bins-logs"
  ENV_FILE="$ROOT/.local/k8s-bins.env"
  mkdir -p "$VWS_CACHE_DIR/bin" "$VWS_CACHE_DIR/work" "$VWS_CACHE_DIR/crds" "$LOG_DIR"
}

take_lock() {
  exec 9>"$VWS_CACHE_DIR/.lock"
  flock -n 9 && return 0
  say "waiting for another k8s-bins run to release $VWS_CACHE_DIR/.lock (up to ${LOCK_TIMEOUT_S}s)"
  flock -w "$LOCK_TIMEOUT_S" 9 || die "timed out waiting for $VWS_CACHE_DIR/.lock"
}

# Temp wrapper dirs of this run, removed on any exit.
WORK_DIRS=()
cleanup() { ((${#WORK_DIRS[@]} == 0)) || rm -rf "${WORK_DIRS[@]}"; }
trap cleanup EXIT

# Sets WORK_DIR (not printed: a command substitution's subshell would lose the WORK_DIRS entry).
new_work_dir() {
  WORK_DIR=$(mktemp -d "$VWS_CACHE_DIR/work/$1.XXXX")
  WORK_DIRS+=("$WORK_DIR")
}

# ---------------------------------------------------------------- components
# component_spec NAME sets: C_LABEL C_MODULE C_VERSION C_CGO C_LDFLAGS C_PKGS[] (pkg=binary)
# C_REQUIRES[] (extra mod@ver), C_REPLACES ("staging" or "upstream"), C_OVERRIDES[] (old=new@ver),
# C_MAIN_DIR (a main package of ours copied into the wrapper as cmd/<name>) and C_CACHE_VERSION
# (the cache key: C_VERSION, plus a hash of C_MAIN_DIR so an edit to our source rebuilds).

component_spec() {
  C_CGO=0 C_LDFLAGS="-s -w" C_REQUIRES=() C_OVERRIDES=() C_REPLACES=upstream C_MAIN_DIR=""
  case $1 in
    kubernetes)
      C_MODULE=k8s.io/kubernetes C_VERSION=$KUBERNETES C_REPLACES=staging
      C_LABEL="kube-apiserver+kcm $KUBERNETES"
      C_PKGS=(k8s.io/kubernetes/cmd/kube-apiserver=kube-apiserver
        k8s.io/kubernetes/cmd/kube-controller-manager=kube-controller-manager)
      if ((WITH_KUBECTL)); then
        C_LABEL+=" +kubectl"
        C_PKGS+=(k8s.io/kubernetes/cmd/kubectl=kubectl)
      fi
      C_LDFLAGS+=" $(k8s_version_stamps)" ;;
    kubernetes-node)
      # Same module as kubernetes, own cache dir: the default build never pays for the node binaries.
      C_MODULE=k8s.io/kubernetes C_VERSION=$KUBERNETES C_REPLACES=staging
      C_LABEL="kubelet+kube-scheduler+kube-proxy $KUBERNETES"
      C_PKGS=(k8s.io/kubernetes/cmd/kubelet=kubelet
        k8s.io/kubernetes/cmd/kube-scheduler=kube-scheduler
        k8s.io/kubernetes/cmd/kube-proxy=kube-proxy)
      C_LDFLAGS+=" $(k8s_version_stamps)" ;;
    kine)
      C_MODULE=github.com/k3s-io/kine C_VERSION=$KINE C_CGO=1 C_LABEL="kine $KINE"
      C_PKGS=(github.com/k3s-io/kine=kine)
      C_LDFLAGS+=" -X github.com/k3s-io/kine/pkg/version.Version=$KINE" ;;
    etcd)
      C_MODULE=go.etcd.io/etcd/server/v3 C_VERSION=$ETCD C_LABEL="etcd $ETCD"
      C_PKGS=(go.etcd.io/etcd/server/v3=etcd) ;;
    helm)
      C_MODULE=helm.sh/helm/v3 C_VERSION=$HELM C_LABEL="helm $HELM"
      C_PKGS=(helm.sh/helm/v3/cmd/helm=helm)
      C_LDFLAGS+=" -X helm.sh/helm/v3/internal/version.version=$HELM"
      C_LDFLAGS+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean" ;;
    source-controller)
      C_MODULE=github.com/fluxcd/source-controller C_VERSION=$FLUX_SOURCE_CONTROLLER
      C_LABEL="source-controller $C_VERSION"
      C_PKGS=(github.com/fluxcd/source-controller=source-controller)
      C_REQUIRES=("$C_MODULE/api@$C_VERSION") ;;
    helm-controller)
      C_MODULE=github.com/fluxcd/helm-controller C_VERSION=$FLUX_HELM_CONTROLLER
      C_LABEL="helm-controller $C_VERSION"
      C_PKGS=(github.com/fluxcd/helm-controller=helm-controller)
      C_REQUIRES=("$C_MODULE/api@$C_VERSION")
      [[ -z ${FLUX_HELM_CONTROLLER_REPLACE_OVERRIDE:-} ]] || C_OVERRIDES=("$FLUX_HELM_CONTROLLER_REPLACE_OVERRIDE") ;;
    kustomize-controller)
      C_MODULE=github.com/fluxcd/kustomize-controller C_VERSION=$FLUX_KUSTOMIZE_CONTROLLER
      C_LABEL="kustomize-controller $C_VERSION"
      C_PKGS=(github.com/fluxcd/kustomize-controller=kustomize-controller)
      C_REQUIRES=("$C_MODULE/api@$C_VERSION") ;;
    oci-registry)
      C_MODULE=github.com/google/go-containerregistry C_VERSION=$OCI_REGISTRY
      C_LABEL="oci-registry (go-containerregistry $C_VERSION)"
      C_MAIN_DIR="$ROOT/scripts/oci-registry"
      C_PKGS=(local/vws-oci-registry/cmd/oci-registry=oci-registry) ;;
    *) die "unknown component $1" ;;
  esac
  C_CACHE_VERSION=$C_VERSION
  [[ -z $C_MAIN_DIR ]] || C_CACHE_VERSION+="-$(cat "$C_MAIN_DIR"/*.go | sha256sum | cut -c1-12)"
}

# Unstamped builds report v0.0.0-master and break Helm kubeVersion constraints (docs/development.md#kubernetes-binaries).
k8s_version_stamps() {
  local minor=${KUBERNETES#v1.} p s=""
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    s+=" -X $p.gitVersion=$KUBERNETES -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    s+=" -X $p.buildDate=2000-01-01T00:00:00Z"
  done
  printf '%s' "${s# }"
}

bin_dir_of() { printf '%s/bin/%s-%s-%s' "$VWS_CACHE_DIR" "$1" "$2" "$GOVERSION"; }

# ---------------------------------------------------------------- manifest

# manifest.json has one binary per line so the verification below needs no JSON parser.
write_manifest() {
  local dir=$1 name=$2 secs=$3 first=1 bin
  shift 3
  {
    printf '{\n  "component": "%s",\n  "module": "%s",\n  "version": "%s",\n' "$name" "$C_MODULE" "$C_VERSION"
    printf '  "go": "%s",\n  "cgo": %s,\n' "$GOVERSION" "$([[ $C_CGO == 1 ]] && echo true || echo false)"
    printf '  "builtAt": "%s",\n  "buildSeconds": %s,\n  "binaries": {\n' "$(date -u +%FT%TZ)" "$secs"
    for bin in "$@"; do
      ((first)) || printf ',\n'
      first=0
      printf '    "%s": {"sha256": "%s", "bytes": %s}' "$bin" \
        "$(sha256sum "$dir/$bin" | cut -d' ' -f1)" "$(stat -c %s "$dir/$bin")"
    done
    printf '\n  }\n}\n'
  } >"$dir/manifest.json"
}

# True when the cached component lists every wanted binary and all its binaries match their
# manifest sha256. Hashing ~600 MB takes ~2 s, so a verified state is remembered as (name, size,
# mtime, inode) of manifest and binaries: any change to them forces a full re-hash.
manifest_ok() {
  local dir=$1 bin sums fingerprint
  shift
  [[ -f $dir/manifest.json ]] || return 1
  sums=$(sed -n 's/^    "\([^"]*\)": {"sha256": "\([0-9a-f]\{64\}\)".*/\2  \1/p' "$dir/manifest.json")
  for bin in "$@"; do grep -q "  $bin\$" <<<"$sums" || return 1; done
  # shellcheck disable=SC2046
  fingerprint=$(cd "$dir" && stat -c '%n %s %Y %i' manifest.json $(cut -d' ' -f3 <<<"$sums") 2>/dev/null) || return 1
  [[ -f $dir/.verified && $(<"$dir/.verified") == "$fingerprint" ]] && return 0
  (cd "$dir" && sha256sum --check --status <<<"$sums") || return 1
  printf '%s\n' "$fingerprint" >"$dir/.verified"
}

wanted_bins() { local e; for e in "${C_PKGS[@]}"; do printf '%s\n' "${e#*=}"; done; }

component_cached() {
  component_spec "$1"
  local bins
  mapfile -t bins < <(wanted_bins)
  manifest_ok "$(bin_dir_of "$1" "$C_CACHE_VERSION")" "${bins[@]}"
}

# ---------------------------------------------------------------- wrapper module

# Field of the flat top-level object printed by `go mod download -json`.
download_field() { sed -n "s/^\t\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$2" | head -n1; }

download_module() { # mod@ver -> JSON on stdout; dies with the proxy's message
  local json err
  json=$(go mod download -json "$1" 2>&1) || true
  err=$(download_field Error "$json")
  [[ -z $err && -n $(download_field Dir "$json") ]] || die "go mod download $1 failed: ${err:-$json}"
  printf '%s\n' "$json"
}

# Non-local replaces of an upstream go.mod as old[@v]=new@v (local-path replaces have no New.Version).
upstream_replaces() {
  go mod edit -json "$1" | awk '
    /^\t"Replace": \[/ { inrep = 1; next }
    inrep && /^\t\]/ { inrep = 0 }
    !inrep { next }
    /"Old": \{/ { side = "old" } /"New": \{/ { side = "new" }
    /"Path": / { v = $2; gsub(/[",]/, "", v); path[side] = v }
    /"Version": / { v = $2; gsub(/[",]/, "", v); ver[side] = v }
    /^\t\t\},?$/ {
      if (ver["new"] != "") print path["old"] (ver["old"] != "" ? "@" ver["old"] : "") "=" path["new"] "@" ver["new"]
      delete path; delete ver
    }'
}

# k8s.io/* staging modules: ./staging/src replaces plus v0.0.0 requires, forced to v0.<minor>.<patch>.
staging_replaces() {
  local gomod=$1 ver="v0.${KUBERNETES#v1.}" missing
  local mods
  mods=$( {
    sed -n 's#^\s*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/.*#\1#p' "$gomod"
    sed -n 's#^\s*\(k8s\.io/[A-Za-z0-9._-]*\) v0\.0\.0\( *//.*\)\{0,1\}$#\1#p' "$gomod"
  } | sort -u)
  [[ -n $mods ]] || die "no k8s.io staging modules found in $gomod"
  # shellcheck disable=SC2086
  missing=$(go list -m -e -f '{{if .Error}}{{.Path}}: {{.Error.Err}}{{end}}' $(sed "s/\$/@$ver/" <<<"$mods"))
  [[ -z $missing ]] || die "staging modules without a $ver tag (pin the previous Kubernetes patch): $missing"
  sed "s#.*#&=&@$ver#" <<<"$mods"
}

override_target() { # old path -> override "old=new@v" for it, if any
  local o
  for o in "${C_OVERRIDES[@]}"; do [[ ${o%%=*} == "$1" ]] && printf '%s\n' "$o"; done
  return 0
}

prepare_wrapper() { # name work
  local name=$1 work=$2 json gomod gover r old ov staging upstream args=()
  cd "$work"
  go mod init "local/vws-$name" >/dev/null 2>&1
  json=$(download_module "$C_MODULE@$C_VERSION")
  gomod=$(download_field GoMod "$json")
  gover=$(go mod edit -json "$gomod" | sed -n 's/^\t"Go": "\(.*\)",$/\1/p')
  args+=("-go=$gover" "-require=$C_MODULE@$C_VERSION")
  for r in "${C_REQUIRES[@]}"; do args+=("-require=$r"); done
  if [[ $C_REPLACES == staging ]]; then
    staging=$(staging_replaces "$gomod")
    for r in $staging; do args+=("-replace=$r"); done
  fi
  upstream=$(upstream_replaces "$gomod")
  for r in $upstream; do
    old=${r%%=*}
    ov=$(override_target "${old%@*}")
    if [[ -n $ov ]]; then
      say "  $name: upstream replace $r overridden by $ov (scripts/k8s-versions.env)"
      r=$ov
    fi
    args+=("-replace=$r")
  done
  go mod edit "${args[@]}"
  if [[ -n $C_MAIN_DIR ]]; then
    mkdir -p "cmd/$name"
    cp "$C_MAIN_DIR"/*.go "cmd/$name/"
  fi
  write_tools_go
  # tidy can trip over an unrelated test dependency; -mod=mod lets go build resolve instead.
  go mod tidy >"$LOG_DIR/$name.tidy.log" 2>&1 ||
    warn "go mod tidy failed for $name (see $LOG_DIR/$name.tidy.log); continuing with go build -mod=mod"
}

write_tools_go() {
  local e
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    # Our own main packages (local/…) are in the wrapper already; tidy sees their imports.
    for e in "${C_PKGS[@]}"; do [[ $e == local/* ]] || printf '\t_ "%s"\n' "${e%%=*}"; done
    printf ')\n'
  } >tools.go
}

# Helm stamps the Kubernetes version it was built against as its default capabilities.
helm_k8s_stamps() {
  local v minor p
  v=$(cd "$1" && go list -m -f '{{.Version}}' k8s.io/client-go)
  [[ $v =~ ^v0\.([0-9]+)\. ]] || die "unexpected k8s.io/client-go version in helm wrapper: $v"
  minor=${BASH_REMATCH[1]}
  for p in pkg/lint/rules pkg/chartutil; do
    printf ' -X helm.sh/helm/v3/%s.k8sVersionMajor=1 -X helm.sh/helm/v3/%s.k8sVersionMinor=%s' "$p" "$p" "$minor"
  done
}

# Runs a silent command with a heartbeat line every HEARTBEAT_S and a hard time bound.
run_with_heartbeat() { # label log cmd...
  local label=$1 log=$2 pid start next
  shift 2
  "$@" >"$log" 2>&1 &
  pid=$!
  start=$SECONDS next=$((SECONDS + HEARTBEAT_S))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start > BUILD_TIMEOUT_S)); then
      kill "$pid" 2>/dev/null || true
      die "$label: no result after ${BUILD_TIMEOUT_S}s, killed (log: $log)"
    fi
    if ((SECONDS >= next)); then
      progress "$label: still compiling ($((SECONDS - start))s, $(grep -c . "$log" || true) packages built)"
      next=$((next + HEARTBEAT_S))
    fi
    sleep 2
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    die "$label: go build failed (full log: $log)"
  fi
}

build_component() { # name
  local name=$1 work out bins ldflags start=$SECONDS secs dest e
  component_spec "$name"
  new_work_dir "$name"
  work=$WORK_DIR
  out="$work/out"
  mkdir -p "$out"
  progress "$C_LABEL: downloading modules…"
  (prepare_wrapper "$name" "$work")
  ldflags=$C_LDFLAGS
  [[ $name != helm ]] || ldflags+=$(helm_k8s_stamps "$work")
  progress "$C_LABEL: compiling…"
  local build=(go build -v -ldflags "$ldflags")
  if ((${#C_PKGS[@]} == 1)); then
    e=${C_PKGS[0]}
    build+=(-o "$out/${e#*=}" "${e%%=*}")
  else
    build+=(-o "$out/")
    for e in "${C_PKGS[@]}"; do build+=("${e%%=*}"); done
  fi
  (
    cd "$work"
    if [[ $C_CGO == 1 ]]; then export CGO_ENABLED=1 CGO_CFLAGS=-DSQLITE_USE_ALLOCA=1; fi
    run_with_heartbeat "$C_LABEL" "$LOG_DIR/$name.build.log" "${build[@]}"
  )
  mapfile -t bins < <(wanted_bins)
  for e in "${bins[@]}"; do [[ -x $out/$e ]] || die "$C_LABEL: go build produced no $e in $out"; done
  secs=$((SECONDS - start))
  write_manifest "$out" "$name" "$secs" "${bins[@]}"
  dest=$(bin_dir_of "$name" "$C_CACHE_VERSION")
  install_dir "$out" "$dest"
  progress "$C_LABEL: installed in $dest (${secs}s)"
}

# Replace DEST by SRC with renames only, so readers never see a half-written directory.
install_dir() {
  local src=$1 dest=$2 old
  if [[ -e $dest ]]; then
    old="$dest.old.$$"
    mv -T "$dest" "$old"
    mv -T "$src" "$dest"
    rm -rf "$old"
  else
    mv -T "$src" "$dest"
  fi
}

# ---------------------------------------------------------------- third-party CRDs (docs/development.md#third-party-crds)

# module version path (one CRD file per line).
crd_table() {
  local f
  for f in helmrepositories helmcharts ocirepositories gitrepositories buckets externalartifacts; do
    echo "github.com/fluxcd/source-controller $FLUX_SOURCE_CONTROLLER config/crd/bases/source.toolkit.fluxcd.io_$f.yaml"
  done
  echo "github.com/fluxcd/helm-controller $FLUX_HELM_CONTROLLER config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml"
  echo "github.com/fluxcd/kustomize-controller $FLUX_KUSTOMIZE_CONTROLLER config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"
  for f in backups restores backupstoragelocations schedules volumesnapshotlocations deletebackuprequests; do
    echo "github.com/vmware-tanzu/velero $VELERO config/crd/v1/bases/velero.io_$f.yaml"
  done
  for f in workflows workflowtemplates cronworkflows clusterworkflowtemplates; do
    echo "github.com/argoproj/argo-workflows/v3 $ARGO_WORKFLOWS manifests/base/crds/minimal/argoproj.io_$f.yaml"
  done
  for f in volumesnapshots volumesnapshotclasses volumesnapshotcontents; do
    echo "github.com/kubernetes-csi/external-snapshotter/client/v8 $SNAPSHOTTER_CLIENT config/crd/snapshot.storage.k8s.io_$f.yaml"
  done
  for f in replicationsources replicationdestinations; do
    echo "github.com/backube/volsync $VOLSYNC config/crd/bases/volsync.backube_$f.yaml"
  done
}

crd_dir() { printf '%s/crds/%s' "$VWS_CACHE_DIR" "$(crd_table | sha256sum | cut -c1-16)"; }

crds_cached() {
  local dir mod ver path
  dir=$(crd_dir)
  [[ -f $dir/.complete ]] || return 1
  while read -r mod ver path; do [[ -s $dir/${path##*/} ]] || return 1; done < <(crd_table)
}

extract_crds() {
  local work dest out mod ver path json dir prev="" start=$SECONDS
  new_work_dir crds
  work=$WORK_DIR
  out="$work/out"
  mkdir -p "$out"
  (cd "$work" && go mod init local/vws-crds >/dev/null 2>&1)
  while read -r mod ver path; do
    if [[ "$mod@$ver" != "$prev" ]]; then
      json=$(cd "$work" && download_module "$mod@$ver")
      dir=$(download_field Dir "$json")
      prev="$mod@$ver"
    fi
    [[ -f $dir/$path ]] || die "CRD $path not found in $mod@$ver ($dir)"
    install -m 0644 "$dir/$path" "$out/${path##*/}"
  done < <(crd_table)
  crd_table >"$out/.complete"
  dest=$(crd_dir)
  install_dir "$out" "$dest"
  progress "crds: $(crd_table | wc -l) files in $dest ($((SECONDS - start))s)"
}

# ---------------------------------------------------------------- plan, budget guard, env file

flux_wanted() { [[ ${VWS_FLUX:-1} != 0 ]]; }
oci_registry_wanted() { [[ ${VWS_OCI_REGISTRY:-1} != 0 ]]; }

# docs/development.md#ci-and-the-npm-test-pipeline: on CI with a cold cache, Flux (10–18 min) must not push the run past its 90 min.
flux_over_budget() {
  [[ ${CI:-} == true ]] || return 1
  local start=${VWS_PIPELINE_START:-$SCRIPT_START}
  (($(date +%s) - start > FLUX_BUDGET_S))
}

flux_needs_build() {
  ((REBUILD)) || ! component_cached source-controller || ! component_cached helm-controller || ! component_cached kustomize-controller
}

plan_components() {
  COMPONENTS=(kubernetes kine helm)
  ((WITH_ETCD)) && COMPONENTS+=(etcd)
  ((WITH_NODE)) && COMPONENTS+=(kubernetes-node)
  if flux_wanted; then COMPONENTS+=(source-controller helm-controller kustomize-controller); fi
  OPTIONAL_COMPONENTS=()
  if oci_registry_wanted; then OPTIONAL_COMPONENTS+=(oci-registry); fi
  if [[ -n $ONLY ]]; then
    component_spec "$ONLY"
    COMPONENTS=("$ONLY") OPTIONAL_COMPONENTS=()
  fi
  STEP_TOTAL=$((${#COMPONENTS[@]} + ${#OPTIONAL_COMPONENTS[@]} + 1))
  STEP=0
}

progress() { printf '[k8s-bins %d/%d] %s\n' "$STEP" "$STEP_TOTAL" "$*"; }

# Absolute path of a cached, verified binary, else empty. Opt-in binaries (etcd, kubectl) are
# reported whenever an earlier run built them.
bin_path() { # component binary
  component_spec "$1"
  local dir
  dir=$(bin_dir_of "$1" "$C_CACHE_VERSION")
  if manifest_ok "$dir" "$2"; then printf '%s' "$dir/$2"; fi
}

env_line() { if [[ -z $2 ]]; then printf '%s=\n' "$1"; else printf '%s=%q\n' "$1" "$2"; fi; }

write_env_file() {
  local flux=0 src hc tmp
  src=$(flux_wanted && bin_path source-controller source-controller || true)
  hc=$(flux_wanted && bin_path helm-controller helm-controller || true)
  [[ -n $src && -n $hc ]] && flux=1
  tmp="$ENV_FILE.tmp.$$"
  {
    echo "# Written by scripts/k8s-bins.sh; absolute paths, empty when not built."
    env_line VWS_BIN_KUBE_APISERVER "$(bin_path kubernetes kube-apiserver)"
    env_line VWS_BIN_KCM "$(bin_path kubernetes kube-controller-manager)"
    env_line VWS_BIN_KUBECTL "$(bin_path kubernetes kubectl)"
    env_line VWS_BIN_KINE "$(bin_path kine kine)"
    env_line VWS_BIN_KUBELET "$(bin_path kubernetes-node kubelet)"
    env_line VWS_BIN_KUBE_SCHEDULER "$(bin_path kubernetes-node kube-scheduler)"
    env_line VWS_BIN_KUBE_PROXY "$(bin_path kubernetes-node kube-proxy)"
    env_line VWS_BIN_HELM "$(bin_path helm helm)"
    env_line VWS_BIN_SOURCE_CONTROLLER "$src"
    env_line VWS_BIN_HELM_CONTROLLER "$hc"
    env_line VWS_BIN_KUSTOMIZE_CONTROLLER "$(flux_wanted && bin_path kustomize-controller kustomize-controller || true)"
    env_line VWS_BIN_ETCD "$(bin_path etcd etcd)"
    env_line VWS_BIN_OCI_REGISTRY "$(oci_registry_wanted && bin_path oci-registry oci-registry || true)"
    env_line VWS_CRD_DIR "$(crd_dir)"
    printf 'VWS_FLUX_AVAILABLE=%s\n' "$flux"
  } >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

everything_cached() {
  local c
  for c in "${COMPONENTS[@]}"; do component_cached "$c" || return 1; done
  for c in "${OPTIONAL_COMPONENTS[@]}"; do component_cached "$c" || optional_failed "$c" || return 1; done
  crds_cached
}

# An optional component whose build failed leaves this marker (first line: why) so re-runs stay quick.
failure_marker() { component_spec "$1"; printf '%s.failed' "$(bin_dir_of "$1" "$C_CACHE_VERSION")"; }
optional_failed() { [[ -f $(failure_marker "$1") ]]; }

# Never fails the run: the build runs in a background subshell (so errexit still holds inside it,
# which a subshell in a condition would lose); a failure leaves the marker (deleting it, or --rebuild, retries).
run_optional_step() { # name
  local name=$1 start=$SECONDS marker errors="$LOG_DIR/$1.step.err"
  STEP=$((STEP + 1))
  marker=$(failure_marker "$name")
  component_spec "$name"
  if ((!REBUILD)) && component_cached "$name"; then
    progress "$C_LABEL: cached"
  elif ((!REBUILD)) && [[ -f $marker ]]; then
    progress "$C_LABEL: skipped, an earlier build failed: $(head -n1 "$marker") (delete $marker to retry)"
  else
    rm -f "$marker"
    (
      trap cleanup EXIT
      build_component "$name"
    ) 2>"$errors" &
    local ok=1
    wait $! || ok=0
    cat "$errors" >&2
    if ((!ok)); then
      grep 'error:' "$errors" | tail -n1 >"$marker" || echo "see $errors" >"$marker"
      warn "$C_LABEL is optional and could not be built (error above, remembered in $marker); its tests skip"
    fi
  fi
  STEP_REPORT+=("$name=$((SECONDS - start))s")
}

STEP_REPORT=()
run_step() { # name
  local name=$1 start=$SECONDS
  STEP=$((STEP + 1))
  component_spec "$name"
  if ((!REBUILD)) && component_cached "$name"; then
    progress "$C_LABEL: cached"
  else
    build_component "$name"
  fi
  STEP_REPORT+=("$name=$((SECONDS - start))s")
}

main() {
  require_go
  setup_env
  take_lock
  plan_components
  if [[ -n $ONLY ]]; then
    run_step "$ONLY"
    write_env_file
    say "step seconds: ${STEP_REPORT[*]}"
    return 0
  fi
  if ((!REBUILD)) && everything_cached; then
    write_env_file
    say "cache hit"
    return 0
  fi
  say "building into $VWS_CACHE_DIR with $GOVERSION (logs: $LOG_DIR)"
  local c skip_flux=0
  for c in "${COMPONENTS[@]}"; do
    if [[ $c == source-controller ]] && flux_needs_build && flux_over_budget; then
      warn "over the ${FLUX_BUDGET_S}s budget before the Flux builds: skipping them, VWS_FLUX_AVAILABLE=0 (the next run has the core cache)"
      skip_flux=1
    fi
    if ((skip_flux)) && [[ $c == *-controller ]]; then
      STEP=$((STEP + 1))
      progress "$c: skipped (CI budget)"
      continue
    fi
    run_step "$c"
  done
  for c in "${OPTIONAL_COMPONENTS[@]}"; do run_optional_step "$c"; done
  STEP=$((STEP + 1))
  local crd_start=$SECONDS
  if ((REBUILD)) || ! crds_cached; then extract_crds; else progress "crds: cached"; fi
  STEP_REPORT+=("crds=$((SECONDS - crd_start))s")
  write_env_file
  say "step seconds: ${STEP_REPORT[*]} total=$(($(date +%s) - SCRIPT_START))s"
  say "wrote $ENV_FILE"
}

main
