#!/usr/bin/env bash
# Measures `npm run image` (printed, never asserted): cold (an empty cache: Go modules and build cache
# for the image tool, Debian packages) and warm, whether the two runs give the same index digest,
# and each architecture's image size, compressed (what a registry stores and a node pulls) and
# unpacked (the layers' tar streams).
# usage: bash bench/image.sh   (needs root, Go, network to the Go module proxy and Debian's mirror)
set -euo pipefail
cd "$(dirname "$0")/.."
LAYOUT=dist/image
COLD_CACHE=$(mktemp -d /tmp/vws-image-bench.XXXX)
trap 'rm -rf "$COLD_CACHE"' EXIT

timed_image() { # label cache-dir
  local start end
  start=$(date +%s.%N)
  VWS_CACHE_DIR=$2 npm run -s image >/dev/null
  end=$(date +%s.%N)
  printf '%-40s %6.1f s\n' "npm run image, $1" "$(echo "$end - $start" | bc)"
}

index_digest() { sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$LAYOUT/index.json" | head -n1; }
blob() { printf '%s/blobs/%s' "$LAYOUT" "${1/://}"; }
field() { grep -o "\"$1\": *[^,}]*" | sed 's/^"[^"]*": *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/'; }
mib() { echo "scale=1; $1 / 1048576" | bc; }

echo "== bench/image"
timed_image "cold (empty cache)" "$COLD_CACHE"
cold=$(index_digest)
timed_image "warm" "$COLD_CACHE"
warm=$(index_digest)
printf '%-40s %s\n' "same index digest cold and warm" "$([[ $cold == "$warm" ]] && echo "yes ($cold)" || echo "NO: $cold vs $warm")"

# The image index's manifests in order, with their platform; then each manifest's layers.
index_blob=$(blob "$warm")
for digest in $(grep -o '"digest": *"sha256:[0-9a-f]*"' "$index_blob" | field digest); do
  manifest=$(blob "$digest")
  config=$(blob "$(tr -d '\n ' <"$manifest" | grep -o '"config":{[^}]*}' | field digest)")
  arch=$(tr -d '\n ' <"$config" | grep -o '"architecture":"[a-z0-9]*"' | field architecture)
  compressed=$(($(stat -c %s "$manifest") + $(stat -c %s "$config")))
  unpacked=0
  for layer in $(tr -d '\n ' <"$manifest" | grep -o '"layers":\[.*\]' | grep -o '"digest":"sha256:[0-9a-f]*"' | field digest); do
    compressed=$((compressed + $(stat -c %s "$(blob "$layer")")))
    unpacked=$((unpacked + $(gzip -dc "$(blob "$layer")" | wc -c)))
  done
  printf '%-40s %6s MiB compressed, %6s MiB unpacked\n' "linux/$arch image" "$(mib "$compressed")" "$(mib "$unpacked")"
done
