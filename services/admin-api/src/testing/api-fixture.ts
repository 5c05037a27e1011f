import { integrationTest } from "@agiletune/local-infra/fixtures";
import { startTestApi, type TestApi } from "./api-harness.js";

/** `integrationTest` plus `api`: the admin API on the test's own database and topics, checked at teardown. */
export const apiTest = integrationTest.extend<{ api: TestApi }>({
  api: async ({ mongo, kafka, topics }, use) => {
    const api = await startTestApi({ db: mongo.db, kafka, topics });
    await use(api);
    await api.close();
  },
});
