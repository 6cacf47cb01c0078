import pg from 'pg';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { ChangeToken } from './database.js';

/** The NOTIFY channel of one schema's change counters (the triggers name it; see change-counters.ts). */
export function changeChannel(schema: string): string {
  return `apigpt_changes_${schema}`.slice(0, 63);
}

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
  const own = { writes: 0 };
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
    let token = own.writes;
    for (const t of tables) token += generation.get(t) ?? anything;
    return token;
  };

  const plugin: KyselyPlugin = {
    transformQuery: (args: PluginTransformQueryArgs): RootOperationNode => args.node,
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => {
      // Set for INSERT, UPDATE, DELETE and MERGE only (Kysely's PostgreSQL driver).
      if ((args.result as { numAffectedRows?: bigint }).numAffectedRows !== undefined) own.writes++;
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
