import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis, failFast, type RedisTarget } from './connect.js';
import {
  DEFAULT_BALANCE_TTL_MS,
  DEFAULT_LEASE_MS,
  windowStart,
  type AcquireResult,
  type CommitEntry,
  type HitResult,
  type OwnerHolds,
  type Reaped,
  type ReserveResult,
  type SharedState,
  type SlotHit,
  type WindowHit,
} from './shared-state.js';

// Keys per pool: bal (cached committed value, expires), held (in flight + uncommitted), ver. Per
// process: holds:<owner> (hash: hold id → "amount pool pool…"), lease:<owner> (expires unless
// renewed), and the set of owners. Pool keys are passed as KEYS; the holds of a hold record name
// their pools, so dropping one builds those keys from the prefix (a single Redis, not a cluster).

/**
 * `move`: `held` of each pool a hold record ("amount pool pool…") names grows by `sign` × its
 * amount (a release: -1; a hold filed again: +1). `drop`: releases one hold record of `hk`.
 */
const HELD_FNS = `
local function move(rec, prefix, sign)
  local amount = nil
  for w in string.gmatch(rec, '%S+') do
    if amount == nil then amount = tonumber(w)
    elseif amount ~= 0 then redis.call('INCRBY', prefix .. 'held:' .. w, sign * amount) end
  end
  return amount or 0
end
local function drop(hk, id, prefix)
  local rec = redis.call('HGET', hk, id)
  if not rec then return 0 end
  redis.call('HDEL', hk, id)
  return move(rec, prefix, -1)
end`;

/** The status RESERVE and ACQUIRE answer when the caller's lease is gone (see `RedisState.leased`). */
const LEASE_GONE = 3;

/**
 * KEYS: bal1, held1, bal2, held2..., holds, lease; ARGV: amount, hold id, pools, and "1" when the
 * caller keeps a lease. Returns {status, poolIndex, available}; status LEASE_GONE: the caller's lease is gone
 * (Redis lost its data, or the process was taken for dead), so its holds must be filed again first.
 */
const RESERVE = `
local amount = tonumber(ARGV[1])
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[#KEYS]) == 0 then return {${LEASE_GONE}, 0, 0} end
local hk = KEYS[#KEYS - 1]
if redis.call('HEXISTS', hk, ARGV[2]) == 1 then return {2, 0, 0} end
local n = (#KEYS - 2) / 2
for i = 1, n do
  local bal = redis.call('GET', KEYS[2*i-1])
  if not bal then return {0, i, 0} end
  local avail = tonumber(bal) - tonumber(redis.call('GET', KEYS[2*i]) or '0')
  if avail < amount then return {1, i, avail} end
end
for i = 1, n do redis.call('INCRBY', KEYS[2*i], amount) end
redis.call('HSET', hk, ARGV[2], ARGV[1] .. ' ' .. ARGV[3])
return {2, 0, 0}`;

/** KEYS as RESERVE; ARGV: reserved, actual, hold id, pools. Returns the granted charge. */
const SETTLE = `
local reserved = tonumber(ARGV[1])
local actual = tonumber(ARGV[2])
local hk = KEYS[#KEYS]
local rec = redis.call('HGET', hk, ARGV[3])
if not rec then return math.min(actual, reserved) end
local cur = tonumber(string.match(rec, '^(%S+)'))
local n = (#KEYS - 1) / 2
local grant = actual
if actual > cur then
  local extra = actual - cur
  for i = 1, n do
    local bal = redis.call('GET', KEYS[2*i-1])
    local room = 0
    if bal then room = tonumber(bal) - tonumber(redis.call('GET', KEYS[2*i]) or '0') end
    if room < extra then extra = math.max(room, 0) end
  end
  grant = cur + extra
end
for i = 1, n do
  if grant ~= cur then redis.call('INCRBY', KEYS[2*i], grant - cur) end
end
if grant == 0 then redis.call('HDEL', hk, ARGV[3])
else redis.call('HSET', hk, ARGV[3], tostring(grant) .. ' ' .. ARGV[4]) end
return grant`;

/**
 * KEYS: bal, ver per entry, then holds; ARGV: balTtl, prefix, entry count, balance and version per
 * entry, then the hold ids to drop.
 */
const COMMIT = `${HELD_FNS}
local ttl = ARGV[1]
local prefix = ARGV[2]
local n = tonumber(ARGV[3])
local hk = KEYS[#KEYS]
for i = 4 + 2*n, #ARGV do drop(hk, ARGV[i], prefix) end
for i = 1, n do
  local b, v = KEYS[2*i-1], KEYS[2*i]
  local version = tonumber(ARGV[3 + 2*i])
  local cur = tonumber(redis.call('GET', v) or '-1')
  if version > cur then
    redis.call('SET', v, ARGV[3 + 2*i])
    if redis.call('EXISTS', b) == 1 then redis.call('SET', b, ARGV[2 + 2*i], 'KEEPTTL')
    else redis.call('SET', b, ARGV[2 + 2*i], 'PX', ttl) end
  end
end
return n`;

/** KEYS: the owners set; ARGV: prefix. Releases the holds of every owner without a lease. */
const REAP = `${HELD_FNS}
local prefix = ARGV[1]
local owners, holds, amount = 0, 0, 0
for _, o in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', prefix .. 'lease:' .. o) == 0 then
    local hk = prefix .. 'holds:' .. o
    local ids = redis.call('HKEYS', hk)
    for _, id in ipairs(ids) do
      local a = drop(hk, id, prefix)
      holds = holds + 1
      amount = amount + a
    end
    redis.call('DEL', hk)
    redis.call('SREM', KEYS[1], o)
    owners = owners + 1
  end
end
return {owners, holds, amount}`;

/** KEYS: lease, owners; ARGV: ttl, pid, owner. Renews a lease that exists (1); a lapsed one is left to RESTORE (0). */
const RENEW = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[3])
return 1`;

/**
 * KEYS: holds, lease, owners; ARGV: prefix, ttl, pid, owner, the number of holds, a hold id and its
 * record ("amount pool pool…") per hold, then per concurrency slot its token, its expiry (the
 * score), the milliseconds left until then and its sets' keys (space-separated). Files again each
 * hold the hash lacks (its pools' \`held\` grow by its amount; one it has is left as it is) and each
 * slot a set lacks, then takes the lease: one step, so no call of this process is admitted between
 * the lease and what it holds. Returns how many holds and slot entries were filed again.
 */
const RESTORE = `${HELD_FNS}
local hk = KEYS[1]
local prefix = ARGV[1]
local filed = 0
local slots = 0
local last = 5 + 2 * tonumber(ARGV[5])
for i = 6, last, 2 do
  if redis.call('HEXISTS', hk, ARGV[i]) == 0 then
    move(ARGV[i + 1], prefix, 1)
    redis.call('HSET', hk, ARGV[i], ARGV[i + 1])
    filed = filed + 1
  end
end
for i = last + 1, #ARGV, 4 do
  local left = tonumber(ARGV[i + 2])
  for set in string.gmatch(ARGV[i + 3], '%S+') do
    if redis.call('ZSCORE', set, ARGV[i]) == false then
      redis.call('ZADD', set, ARGV[i + 1], ARGV[i])
      if redis.call('PTTL', set) < left then redis.call('PEXPIRE', set, left) end
      slots = slots + 1
    end
  end
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
return {filed, slots}`;

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
 * KEYS: slot sets (sorted by expiry), then the caller's lease; ARGV: now, ttl, token, "1" when the
 * caller keeps a lease, then the limit per set. Expired slots are dropped first. Returns {ok,
 * refusedIndex, used...}; {LEASE_GONE}: the lease is gone (see RESERVE).
 */
const ACQUIRE = `
local now = tonumber(ARGV[1])
local n = #KEYS - 1
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[n + 1]) == 0 then return {${LEASE_GONE}, 0} end
local used = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  used[i] = redis.call('ZCARD', KEYS[i])
end
for i = 1, n do
  if used[i] + 1 > tonumber(ARGV[4+i]) then
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
  apigptReap(...args: (string | number)[]): Promise<[number, number, number]>;
  apigptSync(...args: (string | number)[]): Promise<number>;
  apigptRenew(...args: (string | number)[]): Promise<number>;
  apigptRestore(...args: (string | number)[]): Promise<[number, number]>;
  apigptHit(...args: (string | number)[]): Promise<number[]>;
  apigptAdjust(...args: (string | number)[]): Promise<number>;
  apigptAcquire(...args: (string | number)[]): Promise<number[]>;
};

export interface RedisStateOptions {
  balanceTtlMs?: number;
  leaseMs?: number;
  /** A command unanswered this long fails (default 2 s; `APIGPT_REDIS_TIMEOUT_MS`). */
  commandTimeoutMs?: number;
  /**
   * A serving process keeps a lease and reaps lapsed ones (default). A CLI command does neither:
   * it holds nothing, and `billing check` must see a dead process's holds, not release them.
   */
  serving?: boolean;
  /** Where connection trouble is reported (once per outage, not per command). */
  log?: { error(msg: string, err?: unknown): void; warn?(msg: string): void; info?(msg: string): void };
}

/** Shared state in Redis, for several gateway processes. Every key starts with `prefix`. */
export class RedisState implements SharedState {
  readonly owner = `p-${randomUUID()}`;
  readonly restored = { holds: 0, slots: 0 };
  strandedConnections = 0;
  private readonly redis: Scripted;
  private readonly balanceTtlMs: number;
  private readonly leaseMs: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private down = false;
  private readonly serving: boolean;
  private readonly log: RedisStateOptions['log'];
  /**
   * This process's holds as Redis should have them (hold id → "amount pool pool…"), so that a Redis
   * that lost them (restarted without persistence, a failover to a replica that had not caught up, a
   * flush) gets them back: otherwise the credit of calls in flight would be free for new calls to
   * spend a second time. A settlement and a commit change it before their command leaves, so a
   * restore sent after them never files again what they took away; a reservation, once granted.
   */
  private readonly mine = new Map<string, string>();
  /** This process's concurrency slots, likewise (token → its sets' keys and its expiry). */
  private readonly mySlots = new Map<string, { keys: string; until: number }>();
  /** A restore under way: the calls that found the lease gone wait for the same one. */
  private restoring: Promise<void> | null = null;

  private readonly prefix: string;

  /** `target`: a REDIS_URL, or the whole connection (Sentinel, Cluster; state/connect.ts). */
  constructor(target: string | Omit<RedisTarget, 'redisPrefix'>, prefix: string, opts: RedisStateOptions = {}) {
    this.prefix = prefix;
    this.balanceTtlMs = opts.balanceTtlMs ?? DEFAULT_BALANCE_TTL_MS;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.serving = opts.serving !== false;
    this.log = opts.log;
    // A command waits for a reconnection once, then fails fast: a caller gets a retryable 503 within
    // about a second instead of hanging while Redis is away. ioredis reconnects by itself, with
    // its backoff (50 ms more per try, at most 2 s).
    // Auto-pipelining: the commands issued in one tick (the holds and settlements of the calls that
    // tick serves) leave in one socket write. Each write to Redis is a system call that wakes the
    // Redis server, which on a busy machine costs more than the command itself: alternated runs at 50
    // connections (bench/RESULTS.md, session 14) gave 14–35% less CPU per call with it. Order on the
    // connection is kept, so a settlement still reaches Redis before the commit that drops its hold.
    const redis = connectRedis(
      { ...(typeof target === 'string' ? { redisUrl: target } : target), redisPrefix: prefix },
      { ...failFast(opts.commandTimeoutMs), enableAutoPipelining: true, enableOfflineQueue: true, lazyConnect: false },
      (msg) => {
        this.strandedConnections++;
        opts.log?.warn?.(`shared state: ${msg}`);
      },
    );
    // Without an 'error' listener a lost connection is an unhandled error that ends the process.
    redis.on('error', (err) => {
      if (this.down) return;
      this.down = true;
      opts.log?.error('shared state: Redis connection lost; reconnecting', err);
    });
    // A connection that closed and opened again may lead to another server, or to the same one with
    // less than it had: a Sentinel's promoted replica that had not caught up, a server restarted
    // from an older snapshot. Its lease may have come through while the last holds did not, so
    // whatever the server lacks of this process's holds and slots is filed again (`RESTORE` adds
    // only what is missing, and takes the lease: it may also have lapsed meanwhile).
    let reopened = false;
    redis.on('close', () => {
      reopened = true;
    });
    redis.on('ready', () => {
      if (this.down) {
        this.down = false;
        opts.log?.info?.('shared state: Redis connection restored');
      }
      if (!reopened) return;
      reopened = false;
      if (this.serving) void this.restore().catch(() => undefined);
    });
    // defineCommand caches each script by SHA (EVALSHA), so the text crosses the wire once.
    redis.defineCommand('apigptReserve', { lua: RESERVE });
    redis.defineCommand('apigptSettle', { lua: SETTLE });
    redis.defineCommand('apigptCommit', { lua: COMMIT });
    redis.defineCommand('apigptReap', { lua: REAP, numberOfKeys: 1 });
    redis.defineCommand('apigptSync', { lua: SYNC, numberOfKeys: 2 });
    redis.defineCommand('apigptRenew', { lua: RENEW, numberOfKeys: 2 });
    redis.defineCommand('apigptRestore', { lua: RESTORE, numberOfKeys: 3 });
    redis.defineCommand('apigptHit', { lua: HIT });
    redis.defineCommand('apigptAdjust', { lua: ADJUST, numberOfKeys: 1 });
    redis.defineCommand('apigptAcquire', { lua: ACQUIRE });
    this.redis = redis as Scripted;
    // The lease is renewed three times per lease time, and every process reaps lapsed ones as often,
    // so a dead process's holds are released within about 1⅓ lease times.
    const tick = () => {
      void this.heartbeat()
        .then(() => this.reapDead())
        .then((r) => {
          if (r.holds) opts.log?.info?.(`shared state: released ${r.holds} holds (${r.amount} µP) of ${r.owners} stopped processes`);
        })
        .catch(() => undefined); // reported by the 'error' listener; tried again next tick
    };
    if (this.serving) {
      redis.once('ready', () => void this.checkEviction().catch(() => undefined));
      tick();
      this.timer = setInterval(tick, Math.max(50, Math.floor(this.leaseMs / 3)));
      this.timer.unref();
    }
  }

  async reserve(pools: readonly string[], amount: number, holdId: string): Promise<ReserveResult> {
    const keys = [...pools.flatMap((p) => [this.k('bal', p), this.k('held', p)]), this.k('holds', this.owner), this.k('lease', this.owner)];
    const names = pools.join(' ');
    const [status, index, available] = await this.leased((flag) => this.redis.apigptReserve(keys.length, ...keys, amount, holdId, names, flag));
    if (status === 2) {
      this.mine.set(holdId, `${amount} ${names}`);
      return { ok: true };
    }
    const pool = pools[index - 1];
    return status === 0 ? { ok: false, reason: 'missing', pool } : { ok: false, reason: 'insufficient', pool, available: Number(available) };
  }

  async settle(pools: readonly string[], reserved: number, actual: number, holdId: string): Promise<number> {
    const keys = [...pools.flatMap((p) => [this.k('bal', p), this.k('held', p)]), this.k('holds', this.owner)];
    const names = pools.join(' ');
    // What Redis will hold, at most (a charge above the hold may be granted in part: set below).
    if (actual > 0) this.mine.set(holdId, `${actual} ${names}`);
    else this.mine.delete(holdId);
    const grant = Number(await this.redis.apigptSettle(keys.length, ...keys, reserved, actual, holdId, names));
    if (grant !== actual && this.mine.has(holdId)) {
      if (grant > 0) this.mine.set(holdId, `${grant} ${names}`);
      else this.mine.delete(holdId);
    }
    return grant;
  }

  async commit(entries: readonly CommitEntry[], dropped: readonly string[]): Promise<void> {
    if (entries.length === 0 && dropped.length === 0) return;
    for (const id of dropped) this.mine.delete(id);
    const keys = [...entries.flatMap((e) => [this.k('bal', e.pool), this.k('ver', e.pool)]), this.k('holds', this.owner)];
    const args = entries.flatMap((e) => [e.balance, e.version]);
    await this.redis.apigptCommit(keys.length, ...keys, this.balanceTtlMs, this.prefix, entries.length, ...args, ...dropped);
  }

  async heartbeat(): Promise<void> {
    if (!this.serving) return;
    const renewed = await this.redis.apigptRenew(this.k('lease', this.owner), this.k('owners', 'all'), this.leaseMs, process.pid, this.owner);
    // No lease to renew: the first one, or Redis lost it (and this process's holds with it).
    if (Number(renewed) === 0) await this.restore();
  }

  /**
   * A Redis with a memory limit and an eviction policy drops keys when it is full: a pool's `held`,
   * a process's holds or lease, a concurrency slot — credit in flight then counted as free until a
   * lease renewal notices. With `noeviction` a full Redis refuses writes instead (calls get a 503 and
   * nothing is miscounted). Said once at the start (a server that does not allow INFO is not asked).
   */
  private async checkEviction(): Promise<void> {
    const info = await this.redis.info('memory');
    const max = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'noeviction';
    if (max > 0 && policy !== 'noeviction')
      this.log?.warn?.(`shared state: Redis evicts keys when it reaches its memory limit (maxmemory-policy ${policy}); credit held by calls in flight could be evicted with them. Set maxmemory-policy noeviction on the gateway's Redis.`);
  }

  /**
   * Asks a script that checks this process's lease ("1": a serving process's lease must exist). When
   * its status says LEASE_GONE — and with it perhaps every hold and slot — they are filed again
   * before the same question is asked once more, without the check.
   */
  private async leased<T extends readonly (number | string)[]>(ask: (flag: '0' | '1') => Promise<T>): Promise<T> {
    const answer = await ask(this.serving ? '1' : '0');
    if (Number(answer[0]) !== LEASE_GONE) return answer;
    await this.restore();
    return ask('0');
  }

  /** Files this process's holds again where Redis lacks them, and takes its lease (`RESTORE`). */
  private restore(): Promise<void> {
    this.restoring ??= (async () => {
      try {
        const args: (string | number)[] = [this.mine.size];
        for (const [id, rec] of this.mine) args.push(id, rec);
        const now = Date.now();
        for (const [token, slot] of this.mySlots) {
          if (slot.until > now) args.push(token, slot.until, slot.until - now, slot.keys);
          else this.mySlots.delete(token);
        }
        const [holds, slots] = (await this.redis.apigptRestore(this.k('holds', this.owner), this.k('lease', this.owner), this.k('owners', 'all'), this.prefix, this.leaseMs, process.pid, this.owner, ...args)).map(Number);
        this.restored.holds += holds;
        this.restored.slots += slots;
        // A warning: something lost data (Redis, a failover) or stalled this process past its lease.
        if (holds + slots > 0) this.log?.warn?.(`shared state: Redis lacked ${holds} holds and ${slots} concurrency slots of this process's calls in flight (it lost data, or took the process for dead); filed again`);
      } finally {
        this.restoring = null;
      }
    })();
    return this.restoring;
  }

  async reapDead(): Promise<Reaped> {
    const [owners, holds, amount] = (await this.redis.apigptReap(this.k('owners', 'all'), this.prefix)).map(Number);
    return { owners, holds, amount };
  }

  async owners(): Promise<OwnerHolds[]> {
    const out: OwnerHolds[] = [];
    for (const owner of await this.redis.smembers(this.k('owners', 'all'))) {
      const [live, recs] = await Promise.all([this.redis.exists(this.k('lease', owner)), this.redis.hvals(this.k('holds', owner))]);
      const pools: Record<string, number> = {};
      for (const rec of recs) {
        const [amount, ...names] = rec.split(' ');
        for (const p of names) pools[p] = (pools[p] ?? 0) + Number(amount);
      }
      out.push({ owner, live: live === 1, holds: recs.length, pools });
    }
    return out;
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
    const keys = [...slots.map((s) => this.k('cc', s.counter)), this.k('lease', this.owner)];
    const limits = slots.map((s) => s.limit);
    const out = (await this.leased((flag) => this.redis.apigptAcquire(keys.length, ...keys, now, ttlMs, token, flag, ...limits))).map(Number);
    const used = out.slice(2);
    if (out[0] !== 1) return { ok: false, refused: slots[out[1] - 1].counter, used };
    this.mySlots.set(token, { keys: keys.slice(0, -1).join(' '), until: now + ttlMs });
    return { ok: true, used };
  }

  async release(counters: readonly string[], token: string): Promise<void> {
    if (counters.length === 0) return;
    this.mySlots.delete(token);
    const pipeline = this.redis.pipeline();
    for (const c of counters) pipeline.zrem(this.k('cc', c), token);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // A clean stop hands back its lease at once: nothing of ours is left to reap after the flush.
    await this.redis.del(this.k('lease', this.owner)).catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private k(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }
}
