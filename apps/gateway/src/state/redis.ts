import { Redis } from 'ioredis';
import { DEFAULT_BALANCE_TTL_MS, HELD_TTL_MS, windowStart, type AcquireResult, type CommitEntry, type HitResult, type ReserveResult, type SharedState, type SlotHit, type WindowHit } from './shared-state.js';

// Every script sees all the keys it touches, so each runs atomically on the Redis server.
// Keys per pool: bal (cached committed value, expires), held (in flight + uncommitted), ver.

/** KEYS: bal1, held1, bal2, held2...; ARGV: amount, heldTtl. Returns {status, poolIndex, available}. */
const RESERVE = `
local amount = tonumber(ARGV[1])
local n = #KEYS / 2
for i = 1, n do
  local bal = redis.call('GET', KEYS[2*i-1])
  if not bal then return {0, i, 0} end
  local avail = tonumber(bal) - tonumber(redis.call('GET', KEYS[2*i]) or '0')
  if avail < amount then return {1, i, avail} end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2*i], amount)
  redis.call('PEXPIRE', KEYS[2*i], ARGV[2])
end
return {2, 0, 0}`;

/** KEYS as RESERVE; ARGV: reserved, actual, heldTtl. Returns the granted charge. */
const SETTLE = `
local reserved = tonumber(ARGV[1])
local actual = tonumber(ARGV[2])
local n = #KEYS / 2
local grant = actual
if actual > reserved then
  local extra = actual - reserved
  for i = 1, n do
    local bal = redis.call('GET', KEYS[2*i-1])
    local room = 0
    if bal then room = tonumber(bal) - tonumber(redis.call('GET', KEYS[2*i]) or '0') end
    if room < extra then extra = math.max(room, 0) end
  end
  grant = reserved + extra
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2*i], grant - reserved)
  redis.call('PEXPIRE', KEYS[2*i], ARGV[3])
end
return grant`;

/** KEYS: bal, held, ver per entry; ARGV: amount, balance, version per entry, then balTtl. */
const COMMIT = `
local n = #KEYS / 3
local ttl = ARGV[#ARGV]
for i = 1, n do
  local b, h, v = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
  if tonumber(ARGV[3*i-2]) ~= 0 then redis.call('DECRBY', h, ARGV[3*i-2]) end
  local version = tonumber(ARGV[3*i])
  local cur = tonumber(redis.call('GET', v) or '-1')
  if version > cur then
    redis.call('SET', v, ARGV[3*i])
    if redis.call('EXISTS', b) == 1 then redis.call('SET', b, ARGV[3*i-1], 'KEEPTTL')
    else redis.call('SET', b, ARGV[3*i-1], 'PX', ttl) end
  end
end
return n`;

/** KEYS: bal, ver; ARGV: balance, version, ttl. A missing value may be reloaded at the same version. */
const SYNC = `
local version = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[2]) or '-1')
local missing = redis.call('EXISTS', KEYS[1]) == 0
if version > cur or (missing and version == cur) then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0`;

/** KEYS: counters; ARGV: windowTtl, then limit and cost per counter. Returns {ok, used...}. */
const HIT = `
local n = #KEYS
local used = {}
for i = 1, n do used[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for i = 1, n do
  if used[i] + tonumber(ARGV[2*i+1]) > tonumber(ARGV[2*i]) then
    local out = {0, i}
    for j = 1, n do out[j+2] = used[j] end
    return out
  end
end
local out = {1, 0}
for i = 1, n do
  out[i+2] = redis.call('INCRBY', KEYS[i], ARGV[2*i+1])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return out`;

/** KEYS: counter; ARGV: delta. Only an existing window is corrected; never below zero. */
const ADJUST = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
return 1`;

/**
 * KEYS: slot sets (sorted by expiry); ARGV: now, ttl, token, then the limit per key. Expired slots
 * are dropped first. Returns {ok, refusedIndex, used...}.
 */
const ACQUIRE = `
local now = tonumber(ARGV[1])
local n = #KEYS
local used = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  used[i] = redis.call('ZCARD', KEYS[i])
end
for i = 1, n do
  if used[i] + 1 > tonumber(ARGV[3+i]) then
    local out = {0, i}
    for j = 1, n do out[j+2] = used[j] end
    return out
  end
end
local out = {1, 0}
for i = 1, n do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  out[i+2] = used[i] + 1
end
return out`;

type Scripted = Redis & {
  apigptReserve(...args: (string | number)[]): Promise<[number, number, number]>;
  apigptSettle(...args: (string | number)[]): Promise<number>;
  apigptCommit(...args: (string | number)[]): Promise<number>;
  apigptSync(...args: (string | number)[]): Promise<number>;
  apigptHit(...args: (string | number)[]): Promise<number[]>;
  apigptAdjust(...args: (string | number)[]): Promise<number>;
  apigptAcquire(...args: (string | number)[]): Promise<number[]>;
};

/** Shared state in Redis, for several gateway processes. Every key starts with `prefix`. */
export class RedisState implements SharedState {
  private readonly redis: Scripted;

  constructor(
    url: string,
    private readonly prefix: string,
    private readonly balanceTtlMs = DEFAULT_BALANCE_TTL_MS,
  ) {
    const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
    // defineCommand caches each script by SHA (EVALSHA), so the text crosses the wire once.
    redis.defineCommand('apigptReserve', { lua: RESERVE });
    redis.defineCommand('apigptSettle', { lua: SETTLE });
    redis.defineCommand('apigptCommit', { lua: COMMIT });
    redis.defineCommand('apigptSync', { lua: SYNC, numberOfKeys: 2 });
    redis.defineCommand('apigptHit', { lua: HIT });
    redis.defineCommand('apigptAdjust', { lua: ADJUST, numberOfKeys: 1 });
    redis.defineCommand('apigptAcquire', { lua: ACQUIRE });
    this.redis = redis as Scripted;
  }

  async reserve(pools: readonly string[], amount: number): Promise<ReserveResult> {
    const keys = pools.flatMap((p) => [this.k('bal', p), this.k('held', p)]);
    const [status, index, available] = await this.redis.apigptReserve(keys.length, ...keys, amount, HELD_TTL_MS);
    if (status === 2) return { ok: true };
    const pool = pools[index - 1];
    return status === 0 ? { ok: false, reason: 'missing', pool } : { ok: false, reason: 'insufficient', pool, available: Number(available) };
  }

  async settle(pools: readonly string[], reserved: number, actual: number): Promise<number> {
    const keys = pools.flatMap((p) => [this.k('bal', p), this.k('held', p)]);
    return Number(await this.redis.apigptSettle(keys.length, ...keys, reserved, actual, HELD_TTL_MS));
  }

  async commit(entries: readonly CommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const keys = entries.flatMap((e) => [this.k('bal', e.pool), this.k('held', e.pool), this.k('ver', e.pool)]);
    const args = entries.flatMap((e) => [e.amount, e.balance, e.version]);
    await this.redis.apigptCommit(keys.length, ...keys, ...args, this.balanceTtlMs);
  }

  async syncBalance(pool: string, balance: number, version: number): Promise<void> {
    await this.redis.apigptSync(this.k('bal', pool), this.k('ver', pool), balance, version, this.balanceTtlMs);
  }

  async available(pool: string): Promise<number | null> {
    const [bal, held] = await this.redis.mget(this.k('bal', pool), this.k('held', pool));
    return bal === null ? null : Number(bal) - Number(held ?? 0);
  }

  async hit(counters: readonly WindowHit[], windowMs: number, now = Date.now()): Promise<HitResult> {
    const start = windowStart(now, windowMs);
    const resetMs = start + windowMs - now;
    if (counters.length === 0) return { ok: true, used: [], resetMs };
    const keys = counters.map((c) => this.k('rl', `${c.counter}:${start}`));
    const args = counters.flatMap((c) => [c.limit, c.cost]);
    const out = (await this.redis.apigptHit(keys.length, ...keys, windowMs * 2, ...args)).map(Number);
    const used = out.slice(2);
    return out[0] === 1 ? { ok: true, used, resetMs } : { ok: false, refused: counters[out[1] - 1].counter, used, resetMs };
  }

  async adjust(counter: string, delta: number, windowMs: number, now = Date.now()): Promise<void> {
    if (delta === 0) return;
    await this.redis.apigptAdjust(this.k('rl', `${counter}:${windowStart(now, windowMs)}`), delta);
  }

  async acquire(slots: readonly SlotHit[], token: string, ttlMs: number, now = Date.now()): Promise<AcquireResult> {
    if (slots.length === 0) return { ok: true, used: [] };
    const keys = slots.map((s) => this.k('cc', s.counter));
    const out = (await this.redis.apigptAcquire(keys.length, ...keys, now, ttlMs, token, ...slots.map((s) => s.limit))).map(Number);
    const used = out.slice(2);
    return out[0] === 1 ? { ok: true, used } : { ok: false, refused: slots[out[1] - 1].counter, used };
  }

  async release(counters: readonly string[], token: string): Promise<void> {
    if (counters.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const c of counters) pipeline.zrem(this.k('cc', c), token);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private k(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }
}
