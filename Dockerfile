# healer's image. The Node.js 24 base is a build argument: the official image by default; machines that
# cannot pull it pass a local base (CI builds one: scripts/build-test-images.sh, healer-test-node).
#   docker build -t healer .
#   docker build --network host --build-arg NODE_IMAGE=healer-test-node:latest -t healer .
ARG NODE_IMAGE=node:24-alpine

# 1. Bundle src/ and the dependencies it reaches into one file, dist/cli.js (scripts/bundle.ts, esbuild),
#    with the status page's files beside it in dist/assets and what healer loads only on first use
#    (cron-parser, re2js, pino-pretty, undici's Milo parser) in dist/first-use.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the base has Node 24 already; the pinned `node` devDependency need not install, and
# esbuild's binary comes in its platform package without an install script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/
COPY src ./src
RUN node scripts/bundle.ts

# 2. The runtime: node and the bundle; no node_modules (the bundle holds all healer runs).
FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="healer" \
      org.opencontainers.image.description="Docker watchdog: probes labelled containers and restarts the unhealthy ones, with crash-loop guards, alerts and Prometheus metrics" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="README.md"
WORKDIR /app
COPY --from=build /app/dist/cli.js /app/dist/cli.js.LEGAL.txt ./dist/
COPY --from=build /app/dist/assets ./dist/assets
COPY --from=build /app/dist/first-use ./dist/first-use
COPY schema ./schema
# /data holds the state file; owned by the user healer runs as (a fresh named volume inherits it).
RUN mkdir -p /data && chown 1000:1000 /data
# glibc's malloc returns freed memory to the system instead of keeping it (idle RSS -4.3 MB, at 2,000
# targets -19 MB, same CPU; README "Memory, start-up and size"). musl (the alpine base) ignores it.
ENV NODE_ENV=production \
    GLIBC_TUNABLES=glibc.malloc.trim_threshold=0:glibc.malloc.top_pad=0:glibc.malloc.mmap_threshold=32768 \
    HEALER_STATE_PATH=/data/state.json \
    HEALER_USER=1000:1000
VOLUME /data
EXPOSE 9299
# healer starts as root only to join the Docker socket's group, then runs as HEALER_USER (1000:1000)
# before it opens the socket, the state file or its port. To run non-root from the start instead:
# --user 1000:1000 --group-add <gid of docker.sock>.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/dist/cli.js", "healthcheck"]
# Node is PID 1 and handles SIGTERM itself: no new probes, in-flight restarts finish, exit 0. healer
# starts no child processes (exec probes run through the Engine API), so there are no zombies to reap.
# The V8 flags keep the heap close to what is live: at 2,000 probes a second V8's defaults let it grow to
# ~350 MB RSS for ~35 MB of live data; the first two hold that near the live heap for a few % more CPU,
# and two V8 worker threads instead of four leave fewer malloc arenas half-used; --liftoff-only keeps
# undici's HTTP parser (WebAssembly) on V8's baseline compiler: ~13 MB less RSS once it runs;
# --memory-saver-mode has V8 favour a small heap over speed: ~4.6 MB less at idle, no more CPU at
# 2,000 targets; --bytecode-old-age=1 --flush-baseline-code drop the compiled code of functions not run
# since the last full GC (start-up code, mostly): ~1.9 MB less at idle (npm run bench; README "Memory, start-up and size").
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=10", "--v8-pool-size=2", "--liftoff-only", "--memory-saver-mode", "--bytecode-old-age=1", "--flush-baseline-code", "--no-maglev", "/app/dist/cli.js"]
