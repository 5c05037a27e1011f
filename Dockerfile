# One image for the four services; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
ENV COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 NODE_ENV=production
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY services ./services
COPY scripts ./scripts
RUN pnpm install --frozen-lockfile && pnpm build
# The heap limit every bundle runs with (after the build, which needs more): BUNDLE_NODE_FLAGS
# in scripts/build.ts says why.
ENV NODE_OPTIONS=--max-old-space-size=384
USER node
# SERVICE is fanout, dispatcher, retry or admin-api; each is one bundle (scripts/build.ts).
CMD ["sh", "-c", "exec node services/${SERVICE}/dist/main.mjs"]
