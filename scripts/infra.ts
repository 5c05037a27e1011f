// `pnpm infra:up` / `pnpm infra:down`: the local Kafka broker and database, idempotent.
import { infraDown, infraUp, LOG_DIR } from "@agiletune/local-infra";

const command = process.argv[2];
if (command === "up") {
  const infra = await infraUp();
  const what = infra.started.length ? `started ${infra.started.join(" and ")}` : "already running";
  console.log(`infra ${what}: KAFKA_BROKERS=${infra.kafkaBrokers} MONGO_URL=${infra.mongoUrl} (logs in ${LOG_DIR})`);
} else if (command === "down") {
  const stopped = await infraDown();
  console.log(stopped.length ? `stopped ${stopped.join(" and ")}` : "nothing was running");
} else {
  console.error("usage: tsx scripts/infra.ts up|down");
  process.exit(2);
}
