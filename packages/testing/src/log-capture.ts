import { Writable } from "node:stream";
import { pino, type Level, type Logger } from "pino";

/**
 * A logger at `level` whose every line, unredacted, is kept in `lines` (one JSON text each):
 * for a test to read what was logged, or to look for secrets in it.
 */
export function capturingLogger(level: Level, lines: string[] = []): { logger: Logger; lines: string[] } {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
