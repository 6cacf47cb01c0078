/**
 * `kill -9` under load: a gateway process dies with calls in flight and charges not yet in the
 * database; after a restart, every call a client received whole is charged exactly once, and the
 * audit is clean. On SQLite (one process), and on two processes over PostgreSQL + Redis, where the
 * dead process's holds must also be released by the survivor within the lease time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { eventually } from '../eventually.js';
import { PG_URL, REDIS_URL } from '../harness.js';
import { billingCheck, expectCleanAudit, kill9, runLoad, startProc, stopProc, userWithKey, type LoadTally, type Proc } from './procs.js';

const ROOT_TOKEN = `root-${randomBytes(12).toString('hex')}`;

/** The request ids the database charged (a ledger charge row each) for this user, with their log rows. */
async function chargedIds(query: (sql: string, params: unknown[]) => Promise<{ request_id: string; n: number; cost: number }[]>, userId: string) {
  const rows = await query(
    `select l.request_id, count(*) as n, max(r.cost) as cost from ledger l join request_logs r on r.id = l.request_id where l.kind = 'charge' and l.user_id = $1 group by l.request_id`,
    [userId],
  );
  return rows;
}

function expectServedEqualsCharged(tally: LoadTally, charged: { request_id: string; n: number; cost: number }[]) {
  const ids = new Map(charged.map((c) => [c.request_id, c]));
  const unchargedServed = [...tally.served].filter((id) => !ids.has(id));
  // Every answer a client received whole is charged, exactly once, with a cost.
  expect(unchargedServed).toEqual([]);
  for (const c of charged) expect(Number(c.n)).toBe(1);
  for (const id of tally.served) expect(Number(ids.get(id)!.cost)).toBeGreaterThan(0);
  // A charge without a whole answer can only be a call the kill cut after its charge was durable:
  // its client saw the connection die (mid-answer, or before the headers of a plain answer, when
  // it cannot know the call's id), never a whole answer or an error status.
  const chargedNotServed = [...ids.keys()].filter((id) => !tally.served.has(id));
  expect(chargedNotServed.length).toBeLessThanOrEqual(tally.broken.size + tally.refused);
  return { served: tally.served.size, charged: ids.size, cut: chargedNotServed.length };
}

describe('kill -9 under load', () => {
  let sim: Simulator;
  const dirs: string[] = [];
  const procs: Proc[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'apigpt-chaos-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const p of procs) await kill9(p);
    await sim?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * One SQLite gateway under `clients` concurrent callers, killed once `served` calls were served
   * whole; restarted, it charges every one of them exactly once and `billing check` is clean.
   */
  async function killOnSqlite(clients: number, served: number) {
    sim ??= await startSimulator({ defaults: { ttftMs: 5, chunkDelayMs: 2, chunks: 6 } });
    const dir = tmp();
    const env = { APIGPT_ROOT_TOKEN: ROOT_TOKEN, OPENAI_COMPATIBLE_BASE_URL: `${sim.url}/v1`, OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini', APIGPT_ADMIN_PASSWORD: 'admin-password-1' };
    let a = await startProc(dir, env);
    procs.push(a);
    const { userId, key } = await userWithKey(a.base);
    let bases = [a.base];
    const load = runLoad(() => bases, key, clients);
    await eventually(() => load.tally.served.size >= served, { timeoutMs: 60_000 });
    await kill9(a);
    bases = [];
    await load.stop();
    expect(load.tally.statuses).toEqual(new Map());

    a = await startProc(dir, env); // replays the journal before it serves
    procs.push(a);
    const db = await import('better-sqlite3');
    const sqlite = new db.default(join(dir, 'apigpt.db'), { readonly: true });
    try {
      const charged = chargedIds(async (q, p) => sqlite.prepare(q.replace('$1', '?')).all(...p) as any, userId);
      const figures = expectServedEqualsCharged(load.tally, await charged);
      console.log(`kill -9 (SQLite, ${clients} clients): served ${figures.served}, charged ${figures.charged}, charged but cut by the kill ${figures.cut}`);
    } finally {
      sqlite.close();
    }
    expect(await stopProc(a)).toBe(0);
    await expectCleanAudit(dir, {});
  }

  it('SQLite: after a restart every call served whole is charged once, and billing check is clean', async () => {
    // 50 callers: calls settle beside each other, their charges written in groups on the thread pool.
    await killOnSqlite(50, 200);
  }, 180_000);

  it('SQLite, one caller at a time: every charge written on the event loop survives the kill', async () => {
    // Each call settles alone, so its row is written by the event loop itself (batch/journal.ts).
    await killOnSqlite(1, 60);
  }, 180_000);

  it('PostgreSQL + Redis, two processes: the survivor releases the dead one’s holds within the lease time; after its restart served == charged', async () => {
    sim ??= await startSimulator({ defaults: { ttftMs: 5, chunkDelayMs: 2, chunks: 6 } });
    const schema = `chaos_${process.pid}_${Date.now().toString(36)}`;
    const prefix = `apigpt-chaos:${randomBytes(4).toString('hex')}:`;
    const env = {
      APIGPT_ROOT_TOKEN: ROOT_TOKEN,
      APIGPT_SECRET: randomBytes(24).toString('hex'),
      OPENAI_COMPATIBLE_BASE_URL: `${sim.url}/v1`,
      OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini',
      APIGPT_ADMIN_PASSWORD: 'admin-password-1',
      DATABASE_URL: PG_URL,
      APIGPT_DATABASE_SCHEMA: schema,
      REDIS_URL,
      // One process each (with Redis, serve would run one per core): the kill -9 ends the server itself.
      APIGPT_WORKERS: '1',
      APIGPT_REDIS_PREFIX: prefix,
      APIGPT_LEASE_MS: '1500',
    };
    const dirA = tmp();
    const dirB = tmp();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      let a = await startProc(dirA, env);
      procs.push(a);
      const b = await startProc(dirB, env);
      procs.push(b);
      const { userId, key } = await userWithKey(a.base);
      let bases = [a.base, b.base];
      const load = runLoad(() => bases, key, 40);
      await eventually(() => load.tally.served.size >= 300, { timeoutMs: 60_000 });
      const processes = async () => {
        const res = await fetch(`${b.base}/api/admin/billing/check`, { headers: { authorization: `Bearer ${ROOT_TOKEN}` } });
        return ((await res.json()) as { processes: { live: boolean; holds: number }[] }).processes;
      };
      // Two live processes, a and b, hold credit for their calls in flight.
      expect((await processes()).map((p) => p.live)).toEqual([true, true]);
      await kill9(a);
      bases = [b.base];
      // The survivor goes on serving, and the dead process's holds are released by it once its lease
      // lapses: a is then gone from the shared state, whose only process is b. (Right after the kill
      // a's lease is still live, so "no dead process holds credit" alone would pass too early.)
      await eventually(async () => expect((await processes()).map((p) => p.live)).toEqual([true]), { timeoutMs: 15_000, intervalMs: 200 });
      await load.stop();
      expect(load.tally.statuses).toEqual(new Map());

      a = await startProc(dirA, env); // replays a's journal
      procs.push(a);
      await client.query(`set search_path to "${schema}"`);
      const figures = expectServedEqualsCharged(load.tally, await chargedIds(async (q, p) => (await client.query(q, p)).rows, userId));
      console.log(`kill -9 (PostgreSQL + Redis, 2 processes, 40 clients): served ${figures.served}, charged ${figures.charged}, charged but cut by the kill ${figures.cut}`);
      expect(await stopProc(a)).toBe(0);
      expect(await stopProc(b)).toBe(0);
      await expectCleanAudit(dirA, env);
    } finally {
      await client.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await client.end();
    }
  }, 240_000);

  it('billing check sees the loss before a restart: served calls not charged, credit held by a dead process (exit 1)', async () => {
    sim ??= await startSimulator({ defaults: { ttftMs: 5, chunkDelayMs: 2, chunks: 6 } });
    const schema = `chaosck_${process.pid}_${Date.now().toString(36)}`;
    const env = {
      APIGPT_ROOT_TOKEN: ROOT_TOKEN,
      OPENAI_COMPATIBLE_BASE_URL: `${sim.url}/v1`,
      OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini',
      APIGPT_ADMIN_PASSWORD: 'admin-password-1',
      DATABASE_URL: PG_URL,
      APIGPT_DATABASE_SCHEMA: schema,
      REDIS_URL,
      // One process each (with Redis, serve would run one per core): the kill -9 ends the server itself.
      APIGPT_WORKERS: '1',
      APIGPT_REDIS_PREFIX: `apigpt-chaos:${randomBytes(4).toString('hex')}:`,
      APIGPT_LEASE_MS: '600',
      // Batches only every minute: the charges of the calls below are in the journal alone.
      APIGPT_LOG_FLUSH_MS: '60000',
    };
    const dir = tmp();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      let a = await startProc(dir, env);
      procs.push(a);
      const { key } = await userWithKey(a.base);
      const load = runLoad(() => [a.base], key, 4);
      await eventually(() => load.tally.served.size >= 12, { timeoutMs: 30_000 });
      await kill9(a);
      await load.stop();
      const served = load.tally.served.size;
      // No gateway runs: nobody has charged those calls or released what the dead process held.
      await eventually(async () => {
        const check = await billingCheck(dir, env);
        expect(check.code).toBe(1);
        expect(check.report.journals.uncharged).toBeGreaterThanOrEqual(served);
        expect(check.report.processes.filter((p: { live: boolean; holds: number }) => !p.live && p.holds > 0)).toHaveLength(1);
        expect(check.report.problems.some((p: string) => /lease lapsed but it still holds/.test(p))).toBe(true);
        expect(check.report.problems.filter((p: string) => /served by stopped process .* but not charged/.test(p)).length).toBeGreaterThan(0);
      }, { timeoutMs: 20_000, intervalMs: 300 });
      a = await startProc(dir, env); // charges the journal, and reaps the dead lease
      procs.push(a);
      expect(await stopProc(a)).toBe(0);
      await expectCleanAudit(dir, env);
    } finally {
      await client.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await client.end();
    }
  }, 120_000);
});
