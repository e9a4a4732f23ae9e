#!/usr/bin/env bash
# Builds the local images the end-to-end tests run (no registry is reachable here).
set -euo pipefail
cd "$(dirname "$0")/.."
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp test/images/busybox/Dockerfile "$ctx/"
cp "$busybox" "$ctx/busybox"
docker build -q -t healer-test-busybox:latest "$ctx" >/dev/null
echo "built healer-test-busybox:latest"
