#!/usr/bin/env bash
# Builds the local images the end-to-end tests run (no registry is reachable here):
#  healer-test-busybox  Debian's static busybox FROM scratch: the apps healer watches.
#  healer-test-node     a stand-in Node.js 24 base for healer's Dockerfile: the pinned node binary, its
#                       libraries, this machine's npm and CA bundle (the registry is reached through a
#                       TLS-intercepting proxy here), and busybox; laid out like the official image.
set -euo pipefail
cd "$(dirname "$0")/.."
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
node=$(readlink -f node_modules/node/bin/node 2>/dev/null || true)
[ -x "$node" ] || { echo "node_modules/node/bin/node is missing (run npm ci)" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/busybox"
cp test/images/busybox/Dockerfile "$ctx/busybox/"
cp "$busybox" "$ctx/busybox/busybox"
docker build -q -t healer-test-busybox:latest "$ctx/busybox" >/dev/null 2>&1
echo "built healer-test-busybox:latest"

root="$ctx/node/rootfs"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/bin" "$root/etc/ssl/certs"
cp test/images/node-base/Dockerfile "$ctx/node/"
cp "$node" "$root/usr/local/bin/node"
cp "$busybox" "$root/bin/busybox"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
cp -r "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
docker build -q -t healer-test-node:latest "$ctx/node" >/dev/null 2>&1
echo "built healer-test-node:latest ($(docker run --rm --network none healer-test-node:latest node -v 2>/dev/null))"
