#!/usr/bin/env bash
# Builds the operator's container image without a container daemon: one OCI image index for
# linux/amd64 and linux/arm64, written as an OCI layout, optionally pushed.
#
# usage: bash scripts/image.sh [--out DIR] [--bin-dir DIR] [--push REGISTRY/REPO:TAG]
#   --bin-dir  where vworkspace-operator-linux-{amd64,arm64} are (default dist/; scripts/build.sh TARGET)
#   --out      the OCI layout (default dist/image), replaced only once the new one is complete
#   --push     push the index after writing it (loopback registries are spoken to over plain HTTP)
# env: VWS_CACHE_DIR (Debian packages and the image tool are cached there), VWS_IMAGE_SOURCE
#
# Two layers per architecture: a distroless-style base made here from Debian's packages for that
# architecture (the C library the binary links against, CA certificates, a non-root user 65532) and
# the binary. Layer tarballs are reproducible: sorted, mtime = the commit's time, owner 0:0 (65532 for its home).
set -euo pipefail
shopt -s inherit_errexit
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=k8s-versions.env
source scripts/k8s-versions.env

readonly ARCHES=(amd64 arm64)
readonly BINARY=vworkspace-operator
readonly NONROOT=65532
OUT=dist/image BIN_DIR=dist PUSH=""
while (($#)); do
  case $1 in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --bin-dir) BIN_DIR=${2:?--bin-dir needs a directory}; shift 2 ;;
    --push) PUSH=${2:?--push needs registry/repository:tag}; shift 2 ;;
    -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "image: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'image: %s\n' "$*"; }
die() { printf 'image: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks first, nothing written yet

elf_machine() { { readelf -h "$1" 2>/dev/null || true; } | sed -n "s/^ *Machine: *//p"; }
expected_machine() { case $1 in amd64) echo "Advanced Micro Devices X86-64" ;; arm64) echo "AArch64" ;; esac; }
needed_libs() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u; }

check_binaries() {
  local arch bin machine
  for arch in "${ARCHES[@]}"; do
    bin="$BIN_DIR/$BINARY-linux-$arch"
    [[ -f $bin && -x $bin ]] || die "missing binary $bin (build it with: bash scripts/build.sh linux-$arch)"
    machine=$(elf_machine "$bin")
    [[ $machine == "$(expected_machine "$arch")" ]] || die "$bin is not a linux/$arch executable (ELF machine: ${machine:-not an ELF file})"
  done
}

# Debian packages that hold the host's copies of the sonames the amd64 binary needs; arm64 gets the
# same set (both are Bun's runtime built the same way), checked after extraction.
host_packages_for() {
  local soname path
  for soname in $(needed_libs "$1"); do
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
    [[ -n $path ]] || die "no host library for $soname (needed by $1)"
    dpkg -S "$(readlink -f "$path")" 2>/dev/null | sed -n '1s/:.*//p' | grep . ||
      dpkg -S "$path" | sed -n '1s/:.*//p'
  done | sort -u
}

# ---------------------------------------------------------------- tools and packages

setup_env() {
  : "${VWS_CACHE_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/vworkspace-operator}"
  [[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null 2>&1 || die "Go >= $GO_MIN is needed to build the image tool (go-containerregistry)"
  export GOTOOLCHAIN=local GOMODCACHE="$VWS_CACHE_DIR/go/mod" GOCACHE="$VWS_CACHE_DIR/go/build"
  export GOFLAGS="-mod=mod -modcacherw -trimpath -buildvcs=false" CGO_ENABLED=0
}

# Like k8s-bins.sh's components: a wrapper module around our main package, cached by version and source hash.
ensure_image_tool() {
  local key dir work
  key="$OCI_REGISTRY-$(cat scripts/oci-image/*.go | sha256sum | cut -c1-12)-$(go env GOVERSION)"
  dir="$VWS_CACHE_DIR/bin/oci-image-$key"
  IMAGE_TOOL="$dir/oci-image"
  [[ -x $IMAGE_TOOL ]] && return 0
  say "building the image tool (go-containerregistry $OCI_REGISTRY) into $dir"
  work=$(mktemp -d "$WORK/tool.XXXX")
  cp scripts/oci-image/*.go "$work/"
  (
    cd "$work"
    go mod init local/vws-oci-image >/dev/null 2>&1
    go mod edit -require="github.com/google/go-containerregistry@$OCI_REGISTRY"
    go mod tidy >tidy.log 2>&1 || { cat tidy.log >&2; exit 1; }
    go build -ldflags "-s -w" -o oci-image . 2>build.log || { cat build.log >&2; exit 1; }
  ) || die "could not build the image tool"
  mkdir -p "$dir"
  mv -f "$work/oci-image" "$IMAGE_TOOL"
}

# arm64 packages need the architecture in dpkg and its package lists; both only when missing.
ensure_apt_arch() {
  local arch=$1
  [[ $arch == "$(dpkg --print-architecture)" ]] && return 0
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    say "dpkg --add-architecture $arch (to download its Debian packages)"
    dpkg --add-architecture "$arch"
  fi
  if ! apt-cache show "libc6:$arch" >/dev/null 2>&1; then
    say "apt-get update (package lists for $arch)"
    apt-get -o DPkg::Lock::Timeout=300 update -qq
  fi
}

# Downloads pkg:arch ("all": architecture-independent) at the candidate version into the cache;
# prints the .deb path.
fetch_deb() {
  local pkg=$1 arch=$2 version dir file name=$1
  [[ $arch == all ]] || name+=":$arch"
  version=$(apt-cache show --no-all-versions "$name" 2>/dev/null | sed -n 's/^Version: //p')
  [[ -n $version ]] || die "Debian has no package $pkg for $arch (apt-get update?)"
  dir="$VWS_CACHE_DIR/debs"
  mkdir -p "$dir"
  file=$(find "$dir" -maxdepth 1 -name "${pkg}_${version//:/%3a}_${arch}.deb" -print -quit)
  if [[ -z $file ]]; then
    # The cache belongs to root, so apt's unprivileged download user could not write there.
    (cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$name" >/dev/null) || die "apt-get download $name failed"
    file=$(find "$dir" -maxdepth 1 -name "${pkg}_${version//:/%3a}_${arch}.deb" -print -quit)
    [[ -n $file ]] || die "apt-get download $name left no .deb in $dir"
  fi
  printf '%s\n' "$file"
}

# ---------------------------------------------------------------- trees

# The base tree: the packages' files, minus documentation other than copyright notices, plus the
# CA bundle (what update-ca-certificates would generate) and the non-root user.
make_base() {
  local arch=$1 dir=$2 pkg deb soname
  mkdir -p "$dir"
  for pkg in "${PACKAGES[@]}"; do
    deb=$(fetch_deb "$pkg" "$arch")
    dpkg-deb -x "$deb" "$dir"
  done
  dpkg-deb -x "$(fetch_deb ca-certificates all)" "$dir"
  find "$dir/usr/share/doc" -type f ! -name copyright -delete
  rm -rf "$dir/usr/share/lintian" "$dir/usr/share/man" "$dir/usr/share/info" "$dir/usr/sbin/update-ca-certificates"
  mkdir -p "$dir/etc/ssl/certs"
  find "$dir/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$dir/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$dir/usr/share/ca-certificates" "$dir/etc/ca-certificates.conf"
  find "$dir" -depth -type d -empty -delete
  for soname in $(needed_libs "$BIN_DIR/$BINARY-linux-$arch"); do
    [[ -n $(find "$dir" -name "$soname" -print -quit) ]] || die "linux/$arch: $soname is in none of: ${PACKAGES[*]}"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' "$NONROOT" "$NONROOT" >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:%s:\n' "$NONROOT" >"$dir/etc/group"
  printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
  mkdir -p "$dir/tmp" "$dir/home/nonroot"
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/home/nonroot"
  chmod -R u+rwX,go+rX,go-w "$dir/etc" "$dir/usr"
}

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

write_spec() {
  local spec=$1 version revision source created arch variant first=1
  version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
  revision=$(git rev-parse HEAD)
  source=${VWS_IMAGE_SOURCE:-https://github.com/vworkspace-io/vworkspace-operator}
  created=$(git log -1 --format=%cI HEAD)
  {
    printf '{"created": %s, "refName": %s, "user": "%s:%s",\n' "$(json_str "$created")" "$(json_str "$version")" "$NONROOT" "$NONROOT"
    printf ' "entrypoint": ["/%s"], "cmd": ["run"],\n' "$BINARY"
    printf ' "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],\n'
    printf ' "labels": {"org.opencontainers.image.version": %s, "org.opencontainers.image.revision": %s,\n' "$(json_str "$version")" "$(json_str "$revision")"
    printf '   "org.opencontainers.image.source": %s, "org.opencontainers.image.title": "%s"},\n' "$(json_str "$source")" "$BINARY"
    printf ' "platforms": ['
    for arch in "${ARCHES[@]}"; do
      variant=""; [[ $arch == arm64 ]] && variant=v8
      ((first)) || printf ','
      first=0
      printf '\n  {"architecture": "%s", "variant": "%s", "layers": [\n' "$arch" "$variant"
      printf '    {"dir": %s, "createdBy": "debian: %s ca-certificates, user %s", "owners": {"home/nonroot": {"uid": %s, "gid": %s}}},\n' \
        "$(json_str "$WORK/$arch/base")" "${PACKAGES[*]}" "$NONROOT" "$NONROOT" "$NONROOT"
      printf '    {"dir": %s, "createdBy": "bun build --compile --target=bun-linux-%s"}]}' "$(json_str "$WORK/$arch/app")" "$arch"
    done
    printf '\n]}\n'
  } >"$spec"
}

# ---------------------------------------------------------------- main

main() {
  local start=$SECONDS arch staged
  check_binaries
  [[ $(id -u) == 0 ]] || die "needs root (dpkg --add-architecture, apt-get download of foreign packages)"
  setup_env
  mkdir -p "$VWS_CACHE_DIR/work"
  WORK=$(mktemp -d "$VWS_CACHE_DIR/work/image.XXXX")
  trap 'rm -rf "$WORK"' EXIT
  ensure_image_tool
  mapfile -t PACKAGES < <(host_packages_for "$BIN_DIR/$BINARY-linux-amd64")
  say "Debian packages for the base: ${PACKAGES[*]} ca-certificates"
  for arch in "${ARCHES[@]}"; do
    ensure_apt_arch "$arch"
    make_base "$arch" "$WORK/$arch/base"
    mkdir -p "$WORK/$arch/app"
    install -m 0755 "$BIN_DIR/$BINARY-linux-$arch" "$WORK/$arch/app/$BINARY"
  done
  write_spec "$WORK/spec.json"
  staged="$WORK/layout"
  "$IMAGE_TOOL" build -spec "$WORK/spec.json" -out "$staged"
  mkdir -p "$(dirname "$OUT")"
  rm -rf "$OUT"
  mv -T "$staged" "$OUT"
  say "wrote $OUT ($(du -sh "$OUT" | cut -f1), $((SECONDS - start))s)"
  if [[ -n $PUSH ]]; then
    "$IMAGE_TOOL" push -layout "$OUT" -ref "$PUSH"
  fi
}

main
