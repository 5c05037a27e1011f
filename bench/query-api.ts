// The admin API for `pnpm bench:queries` (bench/README.md, "Big delivery log"): wired as
// services/admin-api/src/main.ts (process.ts), with the same configuration (ADMIN_API_PORT,
// ADMIN_TOKEN, MONGO_URL, ...) and the services' own indexes, but without the retention
// sweeper. On FerretDB a sweeper pass over a log of 1 000 000 deliveries with nothing
// expired reads every document of the three collections (~280 s of a core, measured,
// every pass), which would measure the sweeper, not the queries; that cost is reported
// on its own. Run: `pnpm bench:query-api`.
import { runService } from "@agiletune/shared";
import { startAdminApiProcess } from "../services/admin-api/src/process.js";

await runService("admin-api", (config, logger) => startAdminApiProcess(config, logger, { retention: false }));
