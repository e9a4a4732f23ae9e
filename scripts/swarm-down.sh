#!/usr/bin/env bash
# Tears down what scripts/swarm-up.sh made in DIR: leaves the swarm, removes docker_gwbridge, stops that
# dockerd by its PID, unmounts the netns mounts under its exec root, and removes DIR. Safe to repeat.
set -uo pipefail
D=${1:-/tmp/healer-swarm}
[ -d "$D" ] || exit 0
export DOCKER_HOST="unix://$D/d.sock"
if [ -S "$D/d.sock" ] && docker info >/dev/null 2>&1; then
  docker swarm leave --force >/dev/null 2>&1
  docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
  docker network rm docker_gwbridge >/dev/null 2>&1
fi
if [ -f "$D/d.pid" ]; then
  pid=$(cat "$D/d.pid")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null
  fi
fi
grep -o " $D/exec/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
grep -o " $D/root/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
rm -rf "$D"
