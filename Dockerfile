# One image for every Liên thông service, compiled: `node dist/<service>/main.js` under tini, as the
# unprivileged `node` user (uid 1000), with production dependencies only. The default command is the
# gateway; docker-compose.yml and the Kubernetes manifests pick the others by command:
#   node <heap> dist/subgraphs/<system>/main.js  a subgraph (population, civil-status, land, public-services)
#   node dist/subgraphs/<system>/mock/main.js   its mock backend
# <heap>, the gateway's and the subgraphs' V8 young generation: --max-semi-space-size=16
# --min-semi-space-size=16 --no-minor-gc-task (README: V8's young generation). V8 would otherwise size
# it from the container's memory limit; NODE_OPTIONS cannot carry the last two.
#   node dist/scripts/check-connections.js      the integrators' connection test (one-shot)
#   node dist/scripts/audit-verify.js           the access log's chain check (one-shot)
# test/build.test.ts checks that every path copied here and every command's file exists after `npm run build`.

# Node.js 24, an LTS line supported until 2028-04-30 (Node.js 20 reached its end of life on 2026-04-30).
# On 24, AsyncLocalStorage (the request context of every service) no longer runs a hook on every
# promise, and the whole system spends about a quarter less CPU per portal answer than on 20
# (docs/BENCHMARKS.md). Every stage uses this one image: better-sqlite3 is compiled for the Node.js
# that runs it.
ARG NODE_IMAGE=node:24-bookworm-slim

# Compiles the TypeScript (dev dependencies: typescript, tsx) to dist/. Compiling needs no install
# script (no native addon is loaded), so none runs here.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY data ./data
COPY lib ./lib
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY scripts ./scripts
COPY policy ./policy
RUN npm run build

# Production dependencies only (no tsx, vitest), with better-sqlite3 (the access log, a native addon)
# compiled from source with this image's own Node headers: no prebuilt binary and no header tarball
# is downloaded.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
ENV npm_config_build_from_source=true npm_config_nodedir=/usr/local
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# What runs: node, tini, dist/ and node_modules; no compiler, no TypeScript, no npm in the process tree.
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node (which closes cleanly) and reaps zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# NODE_ENV=production: no development key set; every secret is configured (README: Configuration).
# HOST=0.0.0.0: reachable from the other containers, not only from the container's own loopback.
ENV NODE_ENV=production HOST=0.0.0.0
# Its "type": "module" makes dist/**/*.js ES modules.
COPY package.json ./
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The SQLite access log (ACCESS_LOG_PATH, default var/access-log.sqlite) lives on a volume mounted here.
# /run/lien-thong: mount point of docker-compose.yml's credentials volume; Docker gives a new volume the
# owner and mode of the image folder it is first mounted on, so the credentials are node's, 0700.
RUN mkdir -p /app/var /run/lien-thong && chown node:node /app/var /run/lien-thong && chmod 0700 /run/lien-thong
USER node
EXPOSE 4000
# GET /health of whichever service this container runs (found from PID 1's command line).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/scripts/health-check.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-semi-space-size=16", "--min-semi-space-size=16", "--no-minor-gc-task", "dist/gateway/main.js"]
