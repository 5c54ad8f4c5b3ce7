# One image for every Liên thông service; docker-compose.yml picks the process with `command`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly, so it is a runtime dependency; dev tools are left out.
RUN npm ci --omit=dev && npm cache clean --force
COPY data ./data
COPY lib ./lib
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY schema ./schema
# npm run check-connections, for integrators testing a backend from inside the deployment.
COPY scripts ./scripts
USER node
