import type { Redis } from 'ioredis';
import type { RedisTarget } from './connect.js';

/**
 * Plain keys with expiry, for state that is not money: circuit breakers, error-rate windows, the
 * response cache and the channel each prompt-cache session is pinned to. Memory for one process; Redis so that several processes see one circuit and one
 * cache. Every operation is one atomic server call.
 */
export interface KvStore {
  get(key: string): Promise<string | null>;
  /** Reads a key and, when it exists, gives it a fresh lifetime of `ttlMs` (one round trip: GETEX). */
  getAndTouch(key: string, ttlMs: number): Promise<string | null>;
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets only when absent; true when this caller set it (a lock or a first writer). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Adds `by` (default 1) to each key (creating it with the TTL) and returns the new values. */
  incr(keys: readonly string[], ttlMs: number, by?: number): Promise<number[]>;
  del(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
  /** Connections to Redis found stranded and made anew since the start (Redis only). */
  readonly strandedConnections?: number;
}

interface Entry {
  value: string;
  expires: number;
}

/** Bounded in-process store: oldest entries go first once `maxEntries` is reached. */
export class MemoryKv implements KvStore {
  // A Map iterates in insertion order, which makes it a cheap LRU when entries are re-inserted on write.
  private readonly map = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 50_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | null> {
    return this.read(key);
  }

  async getAndTouch(key: string, ttlMs: number): Promise<string | null> {
    const value = this.read(key);
    if (value !== null) this.write(key, value, ttlMs);
    return value;
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((k) => this.read(k));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key) !== null) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async incr(keys: readonly string[], ttlMs: number, by = 1): Promise<number[]> {
    return keys.map((k) => {
      const e = this.map.get(k);
      const live = e && e.expires > this.clock();
      const n = (live ? Number(e.value) : 0) + by;
      if (live) e.value = String(n);
      else this.write(k, String(n), ttlMs);
      return n;
    });
  }

  async del(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
  }

  async close(): Promise<void> {
    this.map.clear();
  }

  private read(key: string): string | null {
    const e = this.map.get(key);
    if (!e) return null;
    if (e.expires <= this.clock()) {
      this.map.delete(key);
      return null;
    }
    return e.value;
  }

  private write(key: string, value: string, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: this.clock() + ttlMs });
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }
}

export class RedisKv implements KvStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ownsConnection = false,
    /** Counted by the connection's watch (`createKv`). */
    private readonly stats = { stranded: 0 },
  ) {}

  get strandedConnections(): number {
    return this.stats.stranded;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async getAndTouch(key: string, ttlMs: number): Promise<string | null> {
    return this.redis.getex(this.prefix + key, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.redis.mget(keys.map((k) => this.prefix + k));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK';
  }

  async incr(keys: readonly string[], ttlMs: number, by = 1): Promise<number[]> {
    if (keys.length === 0) return [];
    // INCRBY then PEXPIRE NX-style: only a new key (value `by`) gets its lifetime, in one round trip.
    const m = this.redis.multi();
    for (const k of keys) m.incrby(this.prefix + k, by);
    const res = (await m.exec()) ?? [];
    const counts = res.map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    const fresh = keys.filter((_, i) => counts[i] === by);
    if (fresh.length) {
      const e = this.redis.multi();
      for (const k of fresh) e.pexpire(this.prefix + k, Math.max(1, Math.round(ttlMs)));
      await e.exec();
    }
    return counts;
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys.map((k) => this.prefix + k));
  }

  async close(): Promise<void> {
    if (this.ownsConnection) this.redis.disconnect();
  }
}

/** Redis when REDIS_URL is set (every process sees one circuit and one cache), else memory. */
export async function createKv(config: Omit<RedisTarget, 'redisUrl'> & { redisUrl?: string; redisTimeoutMs?: number }, log?: { warn(msg: string): void }): Promise<KvStore> {
  if (!config.redisUrl) return new MemoryKv();
  const { connectRedis, failFast } = await import('./connect.js');
  // Fails fast while Redis is away (the caller gets a retryable 503 or a cache miss), and reconnects
  // by itself; the listener keeps a lost connection from being an unhandled 'error' event.
  const stats = { stranded: 0 };
  const redis = connectRedis({ ...config, redisUrl: config.redisUrl }, failFast(config.redisTimeoutMs), (msg) => {
    stats.stranded++;
    log?.warn(`circuits and caches: ${msg}`);
  });
  redis.on('error', () => undefined); // reported by the shared state's own client (state/redis.ts)
  return new RedisKv(redis, `${config.redisPrefix}kv:`, true, stats);
}
