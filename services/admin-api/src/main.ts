// The admin API process: wiring only (process.ts). Logic lives in app.ts and the modules it uses.
import { runService } from "@agiletune/shared";
import { startAdminApiProcess } from "./process.js";

await runService("admin-api", (config, logger) => startAdminApiProcess(config, logger));
