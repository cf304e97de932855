#!/usr/bin/env bash
# Builds the FedSim container image offline: the fedsim binary plus every shared library it loads
# (its ldd closure: Swift runtime, OpenBLAS, libzmq, glibc), the bundled data and the topologies,
# FROM scratch (deploy/docker/Dockerfile.scratch). No registry is needed; it takes seconds.
#
#   scripts/docker-image.sh [--binary PATH] [--tag NAME] [--context-only DIR]
#
#   --binary PATH        the fedsim executable (default: .build/release/fedsim, built if missing)
#   --tag NAME           the image name (default: fedsim:local, what docker-compose.yml runs)
#   --context-only DIR   assemble the build context in DIR and stop (no Docker engine needed)
#
# Uses the engine DOCKER_HOST points at. The image holds this machine's OpenBLAS, so its kernels
# match a `fedsim run` on this machine (see "Determinism" in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=""
tag="fedsim:local"
context_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --context-only) context_only=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ]; then
  binary=.build/release/fedsim
  [ -x "$binary" ] || swift build -c release --product fedsim
fi
[ -x "$binary" ] || { echo "no executable at $binary" >&2; exit 2; }

if [ -n "$context_only" ]; then
  context=$context_only
  mkdir -p "$context"
else
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
fi
rootfs="$context/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/opt/fedsim/runs" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
chmod 0777 "$rootfs/opt/fedsim/runs"
# Symbols are not needed at run time; stripping the copy halves a debug binary.
cp "$binary" "$rootfs/usr/local/bin/fedsim"
strip --strip-unneeded "$rootfs/usr/local/bin/fedsim" 2>/dev/null || true
# The shared-library closure, each file at the path the loader found it (symlinks resolved), and
# the loader itself. The binary's run path points at the Swift runtime's directory, kept as is.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u | while read -r library; do
  cp -L --parents "$library" "$rootfs/"
done
cp -r data "$rootfs/opt/fedsim/data"
cp -r topologies "$rootfs/opt/fedsim/topologies"
cp deploy/docker/Dockerfile.scratch "$context/Dockerfile"
if [ -n "$context_only" ]; then
  echo "context ready in $context ($(du -sh "$rootfs" | cut -f1))"
  exit 0
fi
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DOCKER_BUILDKIT=0 docker build -q --build-arg FEDSIM_REVISION="$revision" -t "$tag" "$context" >/dev/null 2>"$context/build.log" || {
  cat "$context/build.log" >&2
  exit 1
}
size=$(docker image inspect -f '{{.Size}}' "$tag")
echo "built $tag ($((size / 1000000)) MB) from $binary"
