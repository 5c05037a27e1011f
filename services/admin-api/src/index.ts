export { createApp, createRouter, type AppDeps } from "./app.js";
export { assertPublicUrl, parseWebhookUrl, UrlRefusedError, type ResolveHost } from "./url-guard.js";
export { replayDeadLetters, type ReplayResult } from "./dlq-replay.js";
export { buildOpenApiDocument } from "./openapi.js";
