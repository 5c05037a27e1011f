# One image for the four services; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim
WORKDIR /app
ENV COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 NODE_ENV=production
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsconfig.json ./
COPY packages ./packages
COPY services ./services
RUN pnpm install --frozen-lockfile
USER node
# SERVICE is fanout, dispatcher, retry or admin-api.
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
