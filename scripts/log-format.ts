// How `pnpm start` shows the services' log lines. The services always write JSON (one pino
// object a line: what production collects); start.ts reads their output and, in a
// terminal, prints each line readably. Formatting here rather than in the services: a
// pino transport runs in a worker thread that loads pino-pretty by name, which an esbuild
// bundle cannot resolve, and production would carry a dependency only people need.
import { prettyFactory } from "pino-pretty";

export type LogFormat = "pretty" | "json";

/** `LOG_FORMAT`: `json` or `pretty`; unset, pretty in a terminal and JSON otherwise (a pipe, a file, CI). */
export function logFormat(value: string | undefined, isTerminal: boolean): LogFormat {
  if (value === undefined || value === "") return isTerminal ? "pretty" : "json";
  if (value === "json" || value === "pretty") return value;
  throw new Error(`LOG_FORMAT must be "json" or "pretty" (got ${JSON.stringify(value)})`);
}

/**
 * Turns one line a service wrote into the lines to print: unchanged for `json`; for
 * `pretty`, `[12:00:01.234] INFO: component: message {fields}` with an error's stack on
 * the lines below. A line that is not a pino object (a configuration error, a Node
 * warning) passes through unchanged.
 */
export function lineFormatter(format: LogFormat, opts: { colorize: boolean }): (line: string) => string[] {
  if (format === "json") return (line) => [line];
  const pretty = prettyFactory({
    colorize: opts.colorize,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    // start.ts prefixes the service already; the component leads the message instead,
    // unless it only repeats the service ("fanout: fanout ready").
    ignore: "service,component",
    messageFormat: (log, messageKey) => {
      const message = String(log[messageKey] ?? "");
      return typeof log.component === "string" && log.component !== log.service ? `${log.component}: ${message}` : message;
    },
    // Only `err` is an Error object; kafkajs' `error` is its message, kept on the one line.
    errorLikeObjectKeys: ["err"],
  });
  return (line) => {
    if (!line.startsWith("{")) return [line];
    return pretty(line)
      .replace(/\r?\n$/, "")
      .split(/\r?\n/);
  };
}
