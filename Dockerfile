# healer's image. The base is a build argument so machines that cannot pull the official image can pass
# a local Node.js 24 base (see scripts/ and TESTBED notes in the README).
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the base already has Node 24, so the pinned `node` devDependency need not install.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production HEALER_STATE_PATH=/data/state.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
VOLUME /data
STOPSIGNAL SIGTERM
# Node runs as PID 1 and handles SIGTERM itself (healer stops probing and finishes in-flight work).
ENTRYPOINT ["node", "/app/dist/cli.js"]
