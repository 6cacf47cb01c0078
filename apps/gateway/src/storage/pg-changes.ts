import pg from 'pg';
import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { changeChannel, WATCHED_TABLES } from './change-counters.js';
import type { ChangeToken } from './database.js';

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
 * live listener (not connected yet, or the connection dropped) every token is new, so nothing is
 * served from a cache that might have missed a change: the behaviour of no cache at all.
 */
export async function listenForChanges(connectionString: string, schema: string, log: (msg: string, err?: unknown) => void = () => {}): Promise<PgChanges> {
  // This process's writes that change what a cache reads, per table ('*': could not tell which).
  const own = new Map<string, number>();
  const generation = new Map<string, number>();
  let anything = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  const channel = changeChannel(schema);

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString, options: `-c search_path=${schema}`, application_name: `apigpt-changes:${schema}`.slice(0, 63) });
    c.on('notification', (m) => {
      const table = m.payload ?? '';
      generation.set(table, (generation.get(table) ?? anything) + 1);
    });
    c.on('error', (err) => {
      if (closed) return;
      log('change listener: connection lost; caches are bypassed until it is back', err);
      drop(c);
    });
    c.on('end', () => drop(c));
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    // Whatever changed while nobody listened is unknown: every cache reloads once.
    anything++;
    for (const t of generation.keys()) generation.set(t, generation.get(t)! + 1);
    listening = true;
  };
  const drop = (c: pg.Client) => {
    if (client !== c && client !== null) return;
    listening = false;
    client = null;
    void c.end().catch(() => undefined);
    if (!closed && !retry)
      retry = setTimeout(() => {
        retry = null;
        connect().catch((err) => {
          log('change listener: reconnect failed', err);
          if (!closed && !retry) retry = setTimeout(() => void connect().catch(() => undefined), 1000).unref();
        });
      }, 250).unref();
  };
  await connect();

  let volatile = 0;
  const changeToken: ChangeToken = (tables) => {
    if (!listening) return -++volatile; // never equal to an earlier token
    let token = own.get('*') ?? 0;
    for (const t of tables) token += (generation.get(t) ?? anything) + (own.get(t) ?? 0);
    return token;
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
      if (table && (args.result as { numAffectedRows?: bigint }).numAffectedRows !== undefined) own.set(table, (own.get(table) ?? 0) + 1);
      return args.result;
    },
  };

  return {
    changeToken,
    plugin,
    async close() {
      closed = true;
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
