# Shared by scripts/swarm-up.sh and scripts/swarm-worker-up.sh (sourced, not run): a Docker engine of its
# own in a directory, loopback only (no docker0, no iptables), its docker_gwbridge made before it joins a
# swarm, and the busybox test image built there under a 127.0.0.1:5000/ tag.

# swarm_engine_start DIR: starts dockerd with DIR's data root, exec root and socket; exports DOCKER_HOST.
swarm_engine_start() {
  local d=$1
  mkdir -p "$d"
  export DOCKER_HOST="unix://$d/d.sock"
  # no inherited descriptor (the engine lock of a `flock` caller) may outlive this script in dockerd
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 exec setsid dockerd --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/d.pid" \
      -H "unix://$d/d.sock" --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$d/dockerd.log" 2>&1 </dev/null
  ) &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "swarm: dockerd did not answer; last lines of $d/dockerd.log:" >&2; tail -n 20 "$d/dockerd.log" >&2; return 1; }
}

# swarm_gwbridge SUBNET GATEWAY DEVICE: docker_gwbridge outside the private ranges, masquerade and ICC off.
swarm_gwbridge() {
  docker network create --driver bridge --subnet "$1" --gateway "$2" \
    -o com.docker.network.bridge.name="$3" -o com.docker.network.bridge.enable_icc=false \
    -o com.docker.network.bridge.enable_ip_masquerade=false docker_gwbridge >/dev/null
}

# swarm_busybox_image IMAGE: the busybox test image (test/images/busybox) built on this engine as IMAGE.
swarm_busybox_image() {
  local ctx
  ctx=$(mktemp -d)
  cp test/images/busybox/Dockerfile "$ctx/"
  cp "$(command -v busybox)" "$ctx/busybox"
  if ! DOCKER_BUILDKIT=0 docker build -q -t "$1" "$ctx" >/dev/null; then rm -rf "$ctx"; return 1; fi
  rm -rf "$ctx"
}
