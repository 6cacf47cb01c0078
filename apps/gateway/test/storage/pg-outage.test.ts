// PostgreSQL going away under a running gateway's storage: the pool and the change listener survive,
// reconnect, and the caches reload what changed while nobody listened.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { asGatewayError } from '../../src/core/errors.js';
import { backoffDelay } from '../../src/core/backoff.js';
import type { Logger } from '../../src/core/logger.js';
import { TcpProxy } from '../../../../test-util/tcp-proxy.js';
import { PG_URL } from '../harness.js';
import { eventually } from '../eventually.js';

/** A logger that keeps its warnings, to see what the storage reported. */
function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
}

/** How a query ends: its rows, or the error as a caller of the gateway would get it. */
async function outcome(dbh: DatabaseHandle): Promise<{ ok: true } | { ok: false; status: number; kind: string; retryAfter?: number; cause: unknown }> {
  try {
    await sql`select 1`.execute(dbh.db);
    return { ok: true };
  } catch (err) {
    const e = asGatewayError(err);
    return { ok: false, status: e.status, kind: e.kind, retryAfter: e.retryAfter, cause: err };
  }
}

describe('PostgreSQL behind a connection that is cut', () => {
  const schema = `po_${process.pid}_${Date.now().toString(36)}`;
  const direct = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  const log = recordingLog();
  let proxy: TcpProxy;
  let dbh: DatabaseHandle;
  beforeAll(async () => {
    proxy = await TcpProxy.start(PG_URL);
    dbh = await openDatabase({ dataDir: '/nonexistent', databaseUrl: proxy.url(PG_URL), schema, log, connectTimeoutMs: 500 });
    await migrateToLatest(dbh.db, { schema });
    await direct.connect();
  });
  afterEach(async () => {
    await proxy.restore();
  });
  afterAll(async () => {
    await dbh?.close();
    await direct.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await direct.end();
    await proxy?.close();
  });

  it('a reset of every connection (idle pooled ones, queries in flight, the listener) kills nothing; queries meanwhile are a retryable 503; the pool reconnects after', async () => {
    const token = dbh.changeToken!;
    await eventually(() => token(['prices']) > 0); // the listener is up
    // Several pooled connections, idle now: each one's reset is an 'error' on the pool.
    await Promise.all(Array.from({ length: 5 }, () => sql`select pg_sleep(0.05)`.execute(dbh.db)));
    const inFlight = sql`select pg_sleep(5)`.execute(dbh.db).then(
      () => null,
      (err: unknown) => err,
    );
    await eventually(() => expect(proxy.connections).toBeGreaterThanOrEqual(3));

    await proxy.cut('reset');
    const cut = asGatewayError(await inFlight);
    expect(cut.status).toBe(503);
    expect(cut.kind).toBe('unavailable');
    const during = await outcome(dbh);
    expect(during).toMatchObject({ ok: false, status: 503, kind: 'unavailable', retryAfter: 2 });
    await eventually(() => expect(token(['prices'])).not.toBe(token(['prices']))); // caches are bypassed while nobody listens

    await proxy.restore();
    await eventually(async () => expect(await outcome(dbh)).toEqual({ ok: true }), { timeoutMs: 10_000 });
    expect(log.warnings.some((w) => /PostgreSQL connection lost/.test(w))).toBe(true);
  });

  it('a change committed while the listener was cut off is seen once it is back: every cache reloads', async () => {
    const token = dbh.changeToken!;
    await eventually(() => token(['prices']) === token(['prices']), { timeoutMs: 15_000 }); // listening again
    const before = token(['prices']);
    await proxy.cut('refuse');
    // Another process changes a price now: its notification reaches nobody here.
    // (A statement trigger notifies even when no row matched.)
    await direct.query('update prices set input = input where false');
    await proxy.restore();
    await eventually(() => token(['prices']) === token(['prices']), { timeoutMs: 15_000 });
    expect(token(['prices'])).not.toBe(before);
  });

  it('a database that stops answering (packets dropped) fails a query after the connect timeout with a retryable 503, not a hang', async () => {
    await proxy.cut('hold');
    const r = await outcome(dbh);
    expect(r).toMatchObject({ ok: false, status: 503, kind: 'unavailable' });
    await proxy.restore();
    await eventually(async () => expect(await outcome(dbh)).toEqual({ ok: true }), { timeoutMs: 10_000 });
  });
});

describe('reconnect backoff', () => {
  it('doubles its ceiling per failure up to the maximum, and waits between half the ceiling and all of it', () => {
    const policy = { baseMs: 250, maxMs: 10_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, policy, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([0, 1, 2, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([125, 250, 500, 5000]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(1500);
  });
});
