import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { changeChannel, WATCHED_TABLES } from './change-counters.js';
import type { ChangeToken } from './generations.js';
import { Generations } from './generations.js';
import { backoffDelay, type BackoffPolicy } from '../core/backoff.js';

export interface PgChanges {
  changeToken: ChangeToken;
  /** Counts this process's own writes at once (a notification arrives a moment after the commit). */
  plugin: KyselyPlugin;
  close(): Promise<void>;
}

/**
 * PostgreSQL's change token: triggers on the watched tables NOTIFY a per-schema channel with the
 * table's name (storage/change-counters.ts), and one dedicated connection LISTENs, so a cache of
 * keys, channels or prices is reloaded exactly when its table changed, by any process. Without a
 * listener known to work (not connected yet, the connection dropped, or a self-sent notification
 * did not come back) every token is new, so nothing is served from a cache that might have missed
 * a change: the behaviour of no cache at all.
 */
/** Payload prefix of the self-sent notifications that check delivery. */
const PING = '#ping:';
export const DELIVERY_TIMEOUT_MS = 2_000;
/**
 * How often the listener proves that notifications still arrive. A listener stranded on a connection
 * that went silent (a failover moved the database's address: the other gateways' notifications go
 * to the new server) is found within this plus the delivery timeout; meanwhile its caches are
 * trusted, so this bounds how late a key revoked elsewhere is refused in that case. One query and one
 * notification a second per gateway process.
 */
export const HEARTBEAT_MS = 1_000;
/**
 * Reconnecting after a lost connection: 250 ms at first, doubling up to 10 s, jittered so the
 * gateway processes that lost the database together do not all come back in the same instant.
 */
const RECONNECT: BackoffPolicy = { baseMs: 250, maxMs: 10_000 };
/**
 * A connection or statement that gets no answer (a database behind a network that drops packets
 * instead of refusing) fails after this long, and the next attempt is scheduled: the listener never
 * waits forever on one attempt.
 */
const CONNECT_TIMEOUT_MS = 5_000;

export async function listenForChanges(connectionString: string, schema: string, log: (msg: string, err?: unknown) => void = () => {}): Promise<PgChanges> {
  // Changes notified, and this process's own writes that change what a cache reads (seen at once).
  const notified = new Generations();
  const own = new Generations();
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const channel = changeChannel(schema);

  // A notification this process sends itself proves that LISTEN/NOTIFY works end to end on this
  // connection (behind a transaction-mode pooler it does not); it is checked before the caches are
  // trusted, and again every HEARTBEAT_MS.
  const pongs = new Map<number, (ok: boolean) => void>();
  let seq = 0;
  // Every gateway on the schema hears every other's pings: each counts only its own.
  const mine = `${PING}${randomBytes(6).toString('hex')}:`;
  // `waitForSend`: a failed send throws its own error (at connection time, where it says why);
  // otherwise (the heartbeat) the send is not awaited — a statement on a stranded connection would
  // keep the answer waiting for its own timeout — and the delivery timeout decides.
  const roundTrip = async (c: pg.Client, waitForSend = false): Promise<boolean> => {
    const n = ++seq;
    const back = new Promise<boolean>((resolve) => {
      pongs.set(n, resolve);
      setTimeout(() => {
        pongs.delete(n);
        resolve(false);
      }, DELIVERY_TIMEOUT_MS).unref();
    });
    const sent = c.query('select pg_notify($1, $2)', [channel, `${mine}${n}`]);
    if (waitForSend) await sent;
    else
      sent.catch(() => {
        pongs.get(n)?.(false);
        pongs.delete(n);
      });
    return back;
  };

  // Reconnect attempts that failed since the last good connection (the backoff's exponent).
  let failures = 0;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString,
      options: `-c search_path=${schema}`,
      application_name: `apigpt-changes:${schema}`.slice(0, 63),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
      // An idle LISTEN connection whose peer vanished is noticed by the heartbeat; keep-alive also
      // lets the kernel drop it.
      keepAlive: true,
    });
    c.on('notification', (m) => {
      const payload = m.payload ?? '';
      if (payload.startsWith(PING)) {
        if (!payload.startsWith(mine)) return; // another gateway's
        const n = Number(payload.slice(mine.length));
        pongs.get(n)?.(true);
        pongs.delete(n);
        return;
      }
      notified.bump(payload);
    });
    c.on('error', (err) => {
      if (closed) return;
      log('change listener: connection lost; caches are bypassed until it is back', err);
      drop(c);
    });
    c.on('end', () => drop(c));
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
      if (!(await roundTrip(c, true))) throw new Error('notifications sent on this connection do not come back (a transaction-mode connection pooler?)');
    } catch (err) {
      // A half-made connection is closed here; its 'error' and 'end' find `client` null and the
      // retry below already planned, so they add nothing.
      void c.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    failures = 0;
    // Whatever changed while nobody listened is unknown (notifications sent then are lost for good):
    // every cache — keys, channels, prices, groups — reloads once.
    notified.bumpAll();
    listening = true;
  };
  const attempt = () => {
    connect().catch((err) => {
      log('change listener: not listening; caches are bypassed', err);
      scheduleRetry();
    });
  };
  const scheduleRetry = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      attempt();
    }, backoffDelay(failures++, RECONNECT));
    retry.unref();
  };
  const drop = (c: pg.Client) => {
    if (client !== c) {
      // A connection still being made failed: `connect()` rejects and plans the next attempt.
      void c.end().catch(() => undefined);
      return;
    }
    listening = false;
    client = null;
    void c.end().catch(() => undefined);
    scheduleRetry();
  };
  try {
    await connect();
  } catch (err) {
    // The gateway still runs, uncached, as it would on a database without a change token.
    log('change listener: not listening; caches are bypassed', err);
    scheduleRetry();
  }
  const heartbeat = setInterval(() => {
    const c = client;
    if (!c || !listening) return;
    void roundTrip(c)
      .catch(() => false)
      .then((ok) => {
        if (ok || closed || client !== c) return;
        log('change listener: notifications stopped arriving; caches are bypassed until they do');
        drop(c);
      });
  }, HEARTBEAT_MS);
  heartbeat.unref();

  let volatile = 0;
  const changeToken: ChangeToken = (tables) => {
    if (!listening) return -++volatile; // never equal to an earlier token
    return notified.sum(tables) + own.sum(tables);
  };

  // The table a write may change for a cache, noted when the query is built and counted once it ran
  // (the request-log batch's writes to unwatched tables and columns leave the caches alone).
  const pending = new WeakMap<QueryId, string>();
  const plugin: KyselyPlugin = {
    transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => {
      const table = cacheRelevantWrite(args.node);
      if (table) pending.set(args.queryId, table);
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => {
      const table = pending.get(args.queryId);
      // Set for INSERT, UPDATE, DELETE and MERGE only (Kysely's PostgreSQL driver).
      if (table && (args.result as { numAffectedRows?: bigint }).numAffectedRows !== undefined) {
        if (table === '*') own.bumpAll();
        else own.bump(table);
      }
      return args.result;
    },
  };

  return {
    changeToken,
    plugin,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      listening = false;
      await c?.end().catch(() => undefined);
    },
  };
}

/** Which watched table a statement may change what caches read of: null for reads, unwatched tables and ignored columns; '*' when it cannot tell (raw SQL). */
function cacheRelevantWrite(node: RootOperationNode): string | null {
  switch (node.kind) {
    case 'InsertQueryNode':
      return watched(tableName(node.into));
    case 'DeleteQueryNode':
      return watched(tableName(node.from.froms[0]));
    case 'UpdateQueryNode': {
      const table = watched(tableName(node.table));
      if (!table || table === '*') return table;
      const ignored = WATCHED_TABLES[table];
      const columns = (node.updates ?? []).map((u) => identifier((u.column as { column?: OperationNode }).column));
      return columns.length > 0 && columns.every((c) => c !== null && ignored.includes(c)) ? null : table;
    }
    case 'RawNode':
      return '*';
    default:
      return null;
  }
}

function watched(table: string | null): string | null {
  if (table === null) return '*';
  return table in WATCHED_TABLES ? table : null;
}

function tableName(node: OperationNode | undefined): string | null {
  const n = node as { kind?: string; table?: { identifier?: OperationNode }; node?: OperationNode } | undefined;
  if (n?.kind === 'AliasNode') return tableName(n.node);
  if (n?.kind === 'TableNode') return identifier(n.table?.identifier);
  return null;
}

function identifier(node: OperationNode | undefined): string | null {
  const n = node as { kind?: string; name?: string } | undefined;
  return n?.kind === 'IdentifierNode' && typeof n.name === 'string' ? n.name : null;
}
