import { ConfigError, loadConfig, type Config, type ServiceName } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { startTracing, tracingOn, type Tracing } from "./tracing.js";

export type RunningService = { stop: () => Promise<void> };

/**
 * The life cycle every `main.ts` shares: parse configuration (one clear line and exit 1
 * when it is bad), start, then on SIGTERM/SIGINT stop cleanly and exit 0 (a signal
 * during start-up stops the service as soon as it has started). A second signal forces
 * the exit.
 */
export async function runService(service: ServiceName, start: (config: Config, logger: Logger) => Promise<RunningService>): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(service);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(service, config.LOG_LEVEL);
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled rejection"));
  // OpenTelemetry's SDK, only when OTEL_EXPORTER_OTLP_ENDPOINT asks for it (docs/tracing.md).
  let tracing: Tracing;
  try {
    tracing = await startTracing(`agiletune-${service}`);
  } catch (err) {
    logger.fatal({ err }, "OpenTelemetry's SDK could not start: check the OTEL_* variables");
    process.exit(1);
  }
  if (tracingOn()) logger.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT }, "exporting spans over OTLP");

  // Installed before start-up: a SIGTERM while starting (say, while a consumer group waits
  // out a killed predecessor's session) must still end in a clean stop and exit 0, not
  // in the default action, which kills the process.
  let running: RunningService | undefined;
  let stopping = false;
  const stop = (service: RunningService) =>
    service
      .stop()
      .then(() => tracing.shutdown())
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, "stop failed");
          process.exit(1);
        },
      );
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal, exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, running ? "stopping" : "stopping once start-up has finished");
    if (running) void stop(running);
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  try {
    running = await start(config, logger);
  } catch (err) {
    logger.fatal({ err }, "start-up failed");
    process.exit(1);
  }
  if (stopping) void stop(running);
}
