#!/usr/bin/env bash
# Starts a local Docker engine the way ../shared/TESTBED.md describes, unless one already answers.
# Loopback-only: no docker0 bridge, no iptables, so test containers use the host network.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  echo "engine: already answering"
  exit 0
fi
command -v dockerd >/dev/null || { echo "engine: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
log=${DOCKERD_LOG:-/tmp/dockerd.log}
# the engine outlives this script: it must not inherit any other descriptor (e.g. the engine lock of
# `flock /tmp/healer-engine.lock scripts/engine-up.sh`, which it and containerd would then hold forever)
(
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
  exec setsid dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$log" 2>&1 </dev/null
) &
echo $! > /tmp/dockerd.pid
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "engine: started (pid $(cat /tmp/dockerd.pid))"
    exit 0
  fi
  sleep 0.5
done
echo "engine: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
