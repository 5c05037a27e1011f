import { LOOKUP_KEY_LIMIT } from "./store-profile.js";

/**
 * Values by key, loaded many keys per query and kept for at most `ttlMs`, so a change
 * made through the admin API reaches the pipeline well within the contract's 2 s while
 * a busy service asks the database about once per `ttlMs` for all its keys together,
 * rather than once per message.
 * Keys already being loaded are awaited, not queried again; keys the loader does not
 * return are cached as `undefined` (a deleted webhook, an organization without any).
 */
export class BatchTtlCache<V> {
  /** `asked`: wanted since it was loaded. Only such an entry is refreshed along with others. */
  private readonly entries = new Map<string, { value: V | undefined; loadedAt: number; asked: boolean }>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly load: (keys: string[], now: number) => Promise<Map<string, V>>,
    private readonly opts: { ttlMs: number; maxEntries?: number; now?: () => number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Makes these keys usable (at most `ttlMs` old), with one call of the loader. A key past
   * half its life is refreshed in the background and served meanwhile, so a busy service
   * rarely waits for the database; only a key past `ttlMs` (or never loaded) is waited for.
   */
  async prefetch(keys: Iterable<string>): Promise<void> {
    const now = this.now();
    const waits = new Set<Promise<void>>();
    const toLoad: string[] = [];
    let mustWait = false;
    for (const key of new Set(keys)) {
      const entry = this.entries.get(key);
      if (entry) entry.asked = true;
      const age = this.age(key, now);
      const usable = age <= this.opts.ttlMs;
      const loading = this.loading.get(key);
      if (loading) {
        if (!usable) waits.add(loading);
      } else if (age > this.opts.ttlMs / 2) {
        toLoad.push(key);
        if (!usable) mustWait = true;
      }
    }
    if (toLoad.length) {
      // Take along every other entry past half its life that was wanted since its load:
      // otherwise each key expires on its own and a busy service sends one query per key per
      // ttl instead of about one in all. Only those wanted: with 10,000 webhooks, refreshing
      // every entry kept the whole table reloaded (and every secret decrypted) twice a second
      // whatever the traffic (bench:curves, webhooks).
      const asked = new Set(toLoad);
      for (const [key, entry] of this.entries) {
        if (toLoad.length >= LOOKUP_KEY_LIMIT) break;
        if (entry.asked && now - entry.loadedAt > this.opts.ttlMs / 2 && !this.loading.has(key) && !asked.has(key)) toLoad.push(key);
      }
      const load = this.loadKeys(toLoad, now);
      // A background refresh that fails is tried again by the next caller.
      if (mustWait) waits.add(load);
      else load.catch(() => undefined);
    }
    if (waits.size) await Promise.all(waits);
  }

  async get(key: string): Promise<V | undefined> {
    const entry = this.entries.get(key);
    if (entry && this.age(key, this.now()) <= this.opts.ttlMs / 2) {
      entry.asked = true;
      return entry.value;
    }
    await this.prefetch([key]);
    return this.entries.get(key)?.value;
  }

  /** Values of these keys, none older than `ttlMs`; loads what is missing first. */
  async getMany(keys: Iterable<string>): Promise<Map<string, V | undefined>> {
    const list = [...keys];
    await this.prefetch(list);
    return new Map(list.map((key) => [key, this.entries.get(key)?.value]));
  }

  private age(key: string, now: number): number {
    const entry = this.entries.get(key);
    return entry === undefined ? Infinity : now - entry.loadedAt;
  }

  private loadKeys(keys: string[], now: number): Promise<void> {
    const loaded = (async () => {
      // At most LOOKUP_KEY_LIMIT a query: the loader's `_id: {$in}` must still read through the index on any store.
      const values = new Map<string, V>();
      for (let i = 0; i < keys.length; i += LOOKUP_KEY_LIMIT) for (const [key, value] of await this.load(keys.slice(i, i + LOOKUP_KEY_LIMIT), now)) values.set(key, value);
      for (const key of keys) this.entries.set(key, { value: values.get(key), loadedAt: now, asked: false });
      if (this.entries.size > (this.opts.maxEntries ?? 100_000)) {
        for (const [key, entry] of this.entries) if (now - entry.loadedAt > this.opts.ttlMs) this.entries.delete(key);
      }
    })().finally(() => {
      for (const key of keys) if (this.loading.get(key) === loaded) this.loading.delete(key);
    });
    for (const key of keys) this.loading.set(key, loaded);
    return loaded;
  }
}
