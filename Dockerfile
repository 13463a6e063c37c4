# The bridge (outbox relay to Kafka, WMS sagas, read-model rebuilds) and its admin CLI, built to
# JavaScript (`npm run build`) and run with plain node as an unprivileged user.
#   docker build -t flash-sale-bridge .
#   docker run --env-file bridge.env -p 8788:8788 -v bridge-data:/var/lib/bridge flash-sale-bridge
#   docker exec -e BRIDGE_ADMIN_KEY=… <container> node dist/cli/main.js status
# Ingest listens on 0.0.0.0, so the bridge refuses to start without BRIDGE_TLS_CERT/BRIDGE_TLS_KEY
# (mount them) or BRIDGE_BEHIND_TLS_PROXY=true. The admin listener (/admin, /dashboard, /metrics)
# stays on the container's loopback unless BRIDGE_ADMIN_HOST opens it (docs/adr/0003).
# Stop with time to drain: `docker stop -t 30` (the bridge gives up closing after 20 s).
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the dev toolchain's binaries (workerd, a Node runtime) are not needed to build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY bridge bridge
COPY src src
RUN node scripts/build.mjs && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:22-slim
ENV NODE_ENV=production \
    BRIDGE_HOST=0.0.0.0 \
    BRIDGE_PORT=8788 \
    BRIDGE_ADMIN_HOST=127.0.0.1 \
    BRIDGE_ADMIN_PORT=8798 \
    BRIDGE_DATA_DIR=/var/lib/bridge
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /var/lib/bridge && chown node:node /var/lib/bridge
USER node
VOLUME /var/lib/bridge
EXPOSE 8788
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require(process.env.BRIDGE_TLS_CERT ? 'node:https' : 'node:http').get({ host: '127.0.0.1', port: process.env.BRIDGE_PORT, path: '/healthz', rejectUnauthorized: false, timeout: 2500 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))"]
STOPSIGNAL SIGTERM
# The heap sizing that keeps the bridge's resident set under 200 MiB (docs/benchmarks.md, "Bridge memory").
CMD ["node", "--enable-source-maps", "--max-semi-space-size=8", "--max-old-space-size=1024", "dist/bridge/main.js"]
