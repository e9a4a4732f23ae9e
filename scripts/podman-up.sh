#!/usr/bin/env bash
# Starts `podman system service` on its own socket (no systemd here) unless one already answers there,
# and builds the busybox test image in Podman's store. The socket path is fixed so tests find it:
# ${HEALER_PODMAN_SOCK:-/tmp/healer-podman/podman.sock}. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
sock=${HEALER_PODMAN_SOCK:-/tmp/healer-podman/podman.sock}
dir=$(dirname "$sock")
command -v podman >/dev/null || { echo "podman: not installed (apt-get install podman)" >&2; exit 1; }
mkdir -p "$dir"
if ! curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
  rm -f "$sock"
  # the service outlives this script: it must not inherit any other descriptor (e.g. the engine lock
  # of `flock /tmp/healer-engine.lock scripts/podman-up.sh`, which it would then hold forever)
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec setsid podman system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 </dev/null
  ) &
  echo $! >"$dir/service.pid"
  for _ in $(seq 1 60); do
    curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 || {
    echo "podman: the service did not answer on $sock within 30 s; last lines of $dir/service.log:" >&2
    tail -n 20 "$dir/service.log" >&2
    exit 1
  }
  echo "podman: service started on $sock (pid $(cat "$dir/service.pid"))"
else
  echo "podman: already answering on $sock"
fi

if ! podman image exists healer-test-busybox:latest; then
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp test/images/busybox/Dockerfile "$busybox" "$ctx/"
  podman build -q -t healer-test-busybox:latest "$ctx" >/dev/null
  echo "podman: built healer-test-busybox:latest"
fi
