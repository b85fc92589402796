# syntax=docker/dockerfile:1.7
# One image for every Reelay process; its command picks which: `api` (default), `worker` or `simulator`.
# Services run from TypeScript source with Node 24's built-in type stripping, so there is no compile
# stage: the image is the pruned production install plus the sources the three services need.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS tools
ENV TURBO_TELEMETRY_DISABLED=1
RUN npm install --global --no-audit --no-fund pnpm@12.21.0 turbo@2.11.11

# Only the workspace packages the services depend on, and a lockfile cut down to them.
FROM tools AS prune
WORKDIR /src
COPY . .
RUN turbo prune @reelay/api @reelay/worker @reelay/simulator --docker

# Production dependencies only, installed from the pruned lockfile (cached while package.jsons are unchanged).
FROM tools AS deps
WORKDIR /app
COPY --from=prune /src/out/json/ ./
COPY --from=prune /src/pnpm-workspace.yaml ./
RUN --mount=type=cache,id=pnpm,target=/root/.local/share/pnpm/store \
    pnpm install --frozen-lockfile --prod --reporter=append-only

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning
WORKDIR /app
COPY --from=deps --chown=node:node /app/ ./
COPY --from=prune --chown=node:node /src/out/full/ ./
COPY --from=prune --chown=node:node /src/tsconfig.base.json ./
COPY --chown=node:node infra/docker/entrypoint.sh /usr/local/bin/reelay
USER node
EXPOSE 8080 8081 8090
ENTRYPOINT ["/usr/local/bin/reelay"]
CMD ["api"]
