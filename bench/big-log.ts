// What `bench/seed-delivery-log.ts` and `bench/query-load.ts` share: where the big log
// lives, and the manifest the seed leaves for the load (which webhooks, organisations and
// deliveries exist), so the load never has to find them with a query of its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The seed's database unless MONGO_URL names one: never the shared local FerretDB's default database. */
export function bigLogUrl(): string {
  const url = new URL(process.env.MONGO_URL ?? "mongodb://127.0.0.1:27117/biglog");
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/biglog";
  return url.toString();
}

/** Where the seed leaves its manifest unless `--manifest` says (git-ignored). */
export const MANIFEST_PATH = join(import.meta.dirname, "results", "logs", "big-log-manifest.json");

export type SeededWebhook = { id: string; organizationId: string; deliveries: number; failed: number; sampleDeliveryIds: string[] };

export type Manifest = {
  database: string;
  seededAt: string;
  deliveries: number;
  attempts: number;
  deadLetters: number;
  organizations: number;
  webhooks: number;
  /** createdAt of the oldest and newest delivery. */
  from: string;
  to: string;
  /** The webhooks with the most deliveries, most first. */
  busiest: SeededWebhook[];
  /** Webhooks drawn uniformly (each webhook as likely as another), for "a webhook's deliveries". */
  sample: SeededWebhook[];
  /** Organisations that have dead letters, and events that do. */
  deadLetterOrganizations: string[];
};

export function readManifest(path = MANIFEST_PATH): Manifest {
  return JSON.parse(readFileSync(path, "utf8")) as Manifest;
}

/** mulberry32: a small seeded generator, so two seeds of the same size write the same log. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
