# One image for every Liên thông service; docker-compose.yml picks the process with `command`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly, so it is a runtime dependency; dev tools are left out.
# better-sqlite3 (the access log) is a native addon, compiled here from source: the build tools are
# installed for that step only.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && npm ci --omit=dev && npm cache clean --force \
  && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY data ./data
COPY lib ./lib
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY policy ./policy
# npm run check-connections, for integrators testing a backend from inside the deployment.
COPY scripts ./scripts
# The SQLite access log lives on a volume mounted here (docker-compose.yml).
RUN mkdir -p /app/var && chown node:node /app/var
USER node
