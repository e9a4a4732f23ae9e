#!/usr/bin/env bash
# Starts a second Docker engine with a single-node Swarm on it, the way ../shared/TESTBED.md describes:
# its own data root, exec root and socket, never the engine the other tests use. Loopback only: no
# docker0, no iptables; docker_gwbridge is made before `swarm init` on a subnet outside the private
# ranges (198.18.0.0/24, masquerade and ICC off) and the overlay pool is 198.19.0.0/16. Builds the
# busybox test image there as 127.0.0.1:5000/healer-test-busybox (services are created with
# --no-resolve-image, so no task start looks a registry up). Prints the socket path.
# Usage: scripts/swarm-up.sh [DIR]   (default /tmp/healer-swarm); scripts/swarm-down.sh DIR undoes it.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${1:-/tmp/healer-swarm}
IMAGE=127.0.0.1:5000/healer-test-busybox:latest
"$(dirname "$0")/swarm-down.sh" "$D" >/dev/null 2>&1 || true
mkdir -p "$D"
export DOCKER_HOST="unix://$D/d.sock"
DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd --data-root "$D/root" --exec-root "$D/exec" --pidfile "$D/d.pid" \
  -H "unix://$D/d.sock" --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$D/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && break
  sleep 0.5
done
docker info >/dev/null 2>&1 || { echo "swarm: dockerd did not answer; last lines of $D/dockerd.log:" >&2; tail -n 20 "$D/dockerd.log" >&2; exit 1; }
docker network create --driver bridge --subnet 198.18.0.0/24 --gateway 198.18.0.1 \
  -o com.docker.network.bridge.name=docker_gwbridge -o com.docker.network.bridge.enable_icc=false \
  -o com.docker.network.bridge.enable_ip_masquerade=false docker_gwbridge >/dev/null
docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 \
  --default-addr-pool 198.19.0.0/16 --default-addr-pool-mask-length 24 >/dev/null
busybox=$(command -v busybox)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp test/images/busybox/Dockerfile "$ctx/"
cp "$busybox" "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$ctx" >/dev/null
echo "$D/d.sock"
