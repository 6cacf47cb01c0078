import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * Where the shared state lives: one Redis (`REDIS_URL`), a Redis whose master Sentinel names
 * (`APIGPT_REDIS_SENTINELS`), or a Redis Cluster (`APIGPT_REDIS_CLUSTER_NODES`). In the last two the
 * URL still says how to log in (user, password, database, `rediss:` for TLS); its host is not used.
 */
export interface RedisTarget {
  redisUrl: string;
  redisPrefix: string;
  /** Sentinels, `host:port` each: the client asks them for the current master and follows a failover. */
  redisSentinels?: readonly string[];
  /** The master's name in the Sentinels' configuration (`sentinel monitor NAME …`). */
  redisSentinelName?: string;
  /** Some nodes of a Redis Cluster, `host:port` each: the client learns the others and the slots from them. */
  redisClusterNodes?: readonly string[];
}

/**
 * How long a command may go unanswered before it fails, unless `APIGPT_REDIS_TIMEOUT_MS` says
 * otherwise: a call then gets a retryable 503 instead of waiting out an outage.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/**
 * The options every gateway client of Redis shares: a command waits for a reconnection once, then
 * fails; one unanswered for `commandTimeoutMs` fails; a connection attempt gives up after 2 s.
 */
export function failFast(commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): RedisOptions {
  return { maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: 2_000 };
}

/**
 * A connection stranded without a word — the master's address moved in a failover, a NAT or load
 * balancer on the way dropped its state, the host froze — stays open here: no reset, no FIN. ioredis
 * would wait on it until the kernel gives up (about 15 minutes of retransmissions on Linux, or never
 * behind a middlebox that still acknowledges), every command timing out meanwhile. So the client is
 * looked at once per command timeout: replies awaited at two looks in a row with not one byte read
 * between them means nothing came back for a whole timeout while commands waited — a slow Redis
 * still answers the commands sent before. Its connections are then closed at once (ioredis's own
 * `disconnect(true)` ends a socket politely and waits for the peer's FIN, which never comes), and
 * ioredis connects anew as after any lost connection. Redis busy with one command for longer than
 * the timeout is taken for stranded too: its callers were timing out anyway.
 */
export function watchForSilence(client: RedisClient, timeoutMs: number, stranded: (msg: string) => void): void {
  let lastRead = -1;
  let waited = false;
  const timer = setInterval(() => {
    const nodes = connectionsOf(client);
    let read = 0;
    let waiting = 0;
    for (const r of nodes) {
      read += (r.stream as { bytesRead?: number } | undefined)?.bytesRead ?? 0;
      if (r.status === 'ready') waiting += r.commandQueue.length;
    }
    if (waiting > 0 && waited && read === lastRead) {
      stranded(`Redis sent nothing back for ${timeoutMs} ms while ${waiting} commands waited (a failover or a dropped route stranded the connection?); connecting again`);
      for (const r of nodes) (r.stream as { destroy?: () => void } | undefined)?.destroy?.();
      lastRead = -1;
      waited = false;
      return;
    }
    lastRead = read;
    waited = waiting > 0;
  }, timeoutMs);
  timer.unref();
  client.once('end', () => clearInterval(timer));
}

function connectionsOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? (client as Cluster).nodes('all') : [client];
}

/** What a client of the shared state may call, on one Redis or a Cluster alike. */
export type RedisClient = Redis;

/**
 * A Redis Cluster spreads keys over nodes by hash slot, and the gateway's scripts and transactions
 * touch several keys at once (a balance, its holds, a key's pool): they must share a slot. A hash tag
 * in the prefix (`{apigpt}:`) puts every key in one slot, so the state lives on one shard: the
 * Cluster gives failover, not spread — the state is small (balances, holds, counters).
 */
export function clusterPrefixProblem(t: Pick<RedisTarget, 'redisClusterNodes' | 'redisPrefix'>): string | null {
  if (!t.redisClusterNodes?.length) return null;
  const tag = /\{([^}]+)\}/.exec(t.redisPrefix);
  // Redis hashes only the first {…} of a key; the prefix starts every key, so its tag is that one.
  if (!tag || t.redisPrefix.indexOf('{') !== tag.index) return `APIGPT_REDIS_PREFIX must hold a hash tag on a Redis Cluster (for example \`{apigpt}:\`), so every key of the gateway is in one hash slot; it is \`${t.redisPrefix}\``;
  return null;
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const host = i > 0 ? s.slice(0, i).replace(/^\[|\]$/g, '') : s;
  const port = i > 0 ? Number(s.slice(i + 1)) : 0;
  if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`\`${s}\` is not host:port`);
  return { host, port };
}

/** The login part of REDIS_URL, for Sentinel and Cluster modes. */
function login(url: string): RedisOptions {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || 0);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * A client for the target, with `base` options (timeouts, retries). With a command timeout, a
 * stranded connection is closed and made anew (`watchForSilence`), said through `stranded`.
 */
export function connectRedis(t: RedisTarget, base: RedisOptions, stranded: (msg: string) => void = () => undefined): RedisClient {
  const client = openClient(t, base);
  if (base.commandTimeout) watchForSilence(client, base.commandTimeout, stranded);
  return client;
}

function openClient(t: RedisTarget, base: RedisOptions): RedisClient {
  const problem = clusterPrefixProblem(t);
  if (problem) throw new Error(problem);
  if (t.redisClusterNodes?.length) {
    const cluster = new Cluster(t.redisClusterNodes.map(hostPort), {
      redisOptions: { ...base, ...login(t.redisUrl) },
      // Commands wait for the slot map once while a node fails over, then fail like a lost Redis.
      maxRedirections: 16,
      enableOfflineQueue: base.enableOfflineQueue ?? true,
    });
    // The Cluster client has the commands the state uses (scripts, MULTI on one slot, pipelines).
    return cluster as unknown as RedisClient;
  }
  if (t.redisSentinels?.length) return new Redis({ ...base, ...login(t.redisUrl), sentinels: t.redisSentinels.map(hostPort), name: t.redisSentinelName ?? 'mymaster' });
  return new Redis(t.redisUrl, base);
}
