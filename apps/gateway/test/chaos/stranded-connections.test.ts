/**
 * Connections stranded without a word. A managed database's failover moves its address to the
 * promoted standby; a NAT or load balancer on the way drops its state; a host freezes. The
 * connections the gateway had stay open on its side — no reset, no FIN — and what is sent on them
 * gets no answer, until the kernel gives up after its retransmissions (about 15 minutes on Linux) or
 * never (a middlebox that still acknowledges). The tests freeze the connections in a TCP proxy
 * (`TcpProxy.freeze`): both ends stay open, nothing passes, new connections get through (a failover)
 * or are held too (a database unreachable).
 *
 * What must hold: no call or console request hangs on a stranded connection; the gateway is serving
 * again within seconds while the old connections stay silent; every call served is charged and no
 * credit stays held — before the network heals, not after.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { TcpProxy } from '../../../../test-util/tcp-proxy.js';
import { dependencyFailure } from '../../src/core/dependency-errors.js';
import { openDatabase, PG_CONNECT_TIMEOUT_MS } from '../../src/storage/database.js';
import { DELIVERY_TIMEOUT_MS, HEARTBEAT_MS } from '../../src/storage/pg-changes.js';
import { PG_URL, type TestGateway } from '../harness.js';
import { chatTokens, MICRO, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { expectEveryServedCallCharged, expectNothingHeld } from './settled.js';
import { answerOf, startProxiedGateway, type Answer as ProxiedAnswer, type ProxiedGateway } from '../proxied.js';

const MAX_TOKENS = 16;
const PROMPT = 'Tell me about the sea.';
const LONG_REPLY = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
/** gpt-4o-mini at 1 P per 1K input tokens and 2 P per 1K output tokens (set below): every call's cost is known. */
const COST = Math.round(((chatTokens(PROMPT) * 1 + MAX_TOKENS * 2) / 1000) * MICRO);
/** How long a PostgreSQL statement waits before its connection is looked into, and a Redis command before it fails. */
const STALL_MS = 500;
const REDIS_TIMEOUT_MS = 500;
/** A request that gets no answer in this long is taken for hung (the stranded connections never answer at all). */
const HUNG_MS = 20_000;

type Kind = 'openai' | 'anthropic' | 'console';

type Answer = ProxiedAnswer<Kind>;

function request(t: TestGateway, kind: Kind, user: { key: string; cookie: string }, hungMs: number): Promise<Response> {
  const signal = AbortSignal.timeout(hungMs);
  const messages = [{ role: 'user', content: PROMPT }];
  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${t.url}${path}`, { method: 'POST', signal, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  switch (kind) {
    case 'openai':
      return post('/v1/chat/completions', { authorization: `Bearer ${user.key}` }, { model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages });
    case 'anthropic':
      return post('/v1/messages', { 'x-api-key': user.key, 'anthropic-version': '2023-06-01' }, { model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages });
    case 'console':
      return fetch(`${t.url}/api/billing/account`, { signal, headers: { cookie: user.cookie } });
  }
}

function ask(t: TestGateway, kind: Kind, user: { key: string; cookie: string }, client: number, phase: string, hungMs = HUNG_MS): Promise<Answer> {
  return answerOf(request(t, kind, user, hungMs), { client, kind, phase });
}

/** What is wrong with an answer, or null: a 200, or a 503 with retry-after (never a hang, a 500 or a dropped connection). */
function problemOf(a: Answer): string | null {
  const where = `${a.kind} #${a.client} (${a.phase})`;
  if (a.failure) return `${where}: no answer (${a.failure})`;
  if (a.status === 200) return null;
  if (a.status !== 503) return `${where}: ${a.status} ${a.body.slice(0, 300)}`;
  return Number(a.retryAfter) >= 1 ? null : `${where}: 503 without retry-after`;
}

/**
 * Clients that call in a loop until stopped, each in its kind; `phase` labels the calls made while
 * it is set. `servedIn(phase)` is true once every client has had a 200 in that phase.
 */
function load(t: TestGateway, user: { key: string; cookie: string }, kinds: Kind[]) {
  const answers: Answer[] = [];
  const state = { phase: 'warm-up', running: true };
  const clients = kinds.map(async (kind, client) => {
    while (state.running) answers.push(await ask(t, kind, user, client, state.phase));
  });
  return {
    answers,
    set phase(p: string) {
      state.phase = p;
    },
    servedIn: (phase: string) => kinds.every((_, c) => answers.some((a) => a.client === c && a.phase === phase && a.status === 200)),
    async stop() {
      state.running = false;
      await Promise.all(clients);
    },
  };
}

describe('connections stranded without a word', () => {
  let gateway: ProxiedGateway;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let t: TestGateway;

  beforeAll(async () => {
    gateway = await startProxiedGateway({
      simulator: { defaults: { reply: LONG_REPLY, chunks: 2, chunkDelayMs: 1 } },
      config: { databaseStallMs: STALL_MS, redisTimeoutMs: REDIS_TIMEOUT_MS },
    });
    ({ t, pgProxy, redisProxy } = gateway);
    await setPrice(t, 'gpt-4o-mini', 1, 2);
  });
  afterEach(async () => {
    await pgProxy?.restore();
    await redisProxy?.restore();
  });
  afterAll(async () => {
    await gateway?.close();
  });

  /**
   * Under load, `proxy`'s connections are stranded while new ones get through; every client must be
   * served again, and every call served be charged with nothing held, while they stay stranded.
   */
  async function strandedUnderLoad(proxy: TcpProxy, strandedSoFar: () => number): Promise<void> {
    const user = await t.newUserWithKey();
    const strandedBefore = strandedSoFar();
    const run = load(t, user, ['openai', 'openai', 'anthropic', 'console']);
    try {
      await eventually(() => expect(run.servedIn('warm-up')).toBe(true), { timeoutMs: 20_000, intervalMs: 50 });
      expect(proxy.connections).toBeGreaterThan(0);
      run.phase = 'stranded';
      proxy.freeze({ newConnections: 'pass' });
      await eventually(() => expect(run.servedIn('stranded')).toBe(true), { timeoutMs: 30_000, intervalMs: 50 });
    } finally {
      await run.stop();
    }
    expect(proxy.isCut).toBe(true); // the old connections are still stranded: nothing below waits for them
    expect(strandedSoFar()).toBeGreaterThan(strandedBefore); // found and closed (apigpt_stranded_connections_total)
    const phases = [...new Set(run.answers.map((a) => a.phase))];
    console.log(phases.map((p) => `${p}: ${['200', '503'].map((s) => `${run.answers.filter((a) => a.phase === p && String(a.status) === s).length} × ${s}`).join(', ')}`).join('; '));
    expect(run.answers.map(problemOf).filter((p) => p !== null)).toEqual([]);
    const served = run.answers.filter((a) => a.status === 200 && a.kind !== 'console');
    await expectEveryServedCallCharged(t, served.map((a) => a.requestId!), COST);
    await expectNothingHeld(t, user.userId, { reload: false });
  }

  it('PostgreSQL failover (the old connections silent, new ones reach the database): served again within seconds, every call charged, nothing held, while the old ones stay silent', async () => {
    await strandedUnderLoad(pgProxy, () => t.gw.services.dbh.connections!.stranded);
  }, 120_000);

  it('Redis failover (the old connections silent, new ones reach Redis): served again within seconds, every call charged, nothing held, while the old ones stay silent', async () => {
    await strandedUnderLoad(redisProxy, () => (t.gw.services.billing.state.strandedConnections ?? 0) + (t.gw.services.kv.strandedConnections ?? 0));
  }, 120_000);

  it("a transaction stranded while it holds an account's row lock has its backend ended: the charges of that account go in behind it, the transaction fails as an outage", async () => {
    const user = await t.newUserWithKey();
    expect((await ask(t, 'openai', user, 0, 'before')).status).toBe(200);
    const db = t.gw.services.db;
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const tx = db.transaction().execute(async (trx) => {
      // The account's row is locked until this transaction ends; its connection is stranded then.
      await trx.updateTable('accounts').set((eb) => ({ balance: eb.ref('balance') })).where('user_id', '=', user.userId).execute();
      pgProxy.freeze({ newConnections: 'pass' });
      locked();
      await sql`select 1`.execute(trx); // sent on the stranded connection: no answer ever comes
    });
    const outcome = tx.then(
      () => null,
      (err: unknown) => err,
    );
    await lockTaken;
    // Calls of that account, served meanwhile: their charges must update the locked row.
    const answers: Answer[] = [];
    await eventually(
      async () => {
        answers.push(await ask(t, 'openai', user, 0, 'stranded'));
        expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(3);
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(answers.map(problemOf).filter((p) => p !== null)).toEqual([]);
    expect(dependencyFailure(await outcome)).toMatchObject({ dependency: 'postgresql' });
    await expectEveryServedCallCharged(
      t,
      answers.filter((a) => a.status === 200).map((a) => a.requestId!),
      COST,
    );
    await expectNothingHeld(t, user.userId, { reload: false });
    expect(pgProxy.isCut).toBe(true);
  }, 120_000);

  it("a batch's COMMIT that went through but whose answer was lost: the request log writes none of its rows twice, gives none up, and the credit Redis counts is the balance", async () => {
    const user = await t.newUserWithKey();
    expect((await ask(t, 'openai', user, 0, 'before')).status).toBe(200);
    await t.flushLogs();
    const writer = t.gw.services.logWriter;
    const failedBefore = writer.failedAttemptsTotal;
    const givenUpBefore = writer.rowsGivenUp;
    // node-postgres sends a statement without parameters as a simple query: 'Q', its length, the text.
    const text = Buffer.from('commit\0');
    const commit = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 4 + text.length]), text]);
    const frozen = pgProxy.freezeAfter(commit, { newConnections: 'pass' });
    // One call: its batch is the last of the account's, so no later commit tells shared state the
    // account's balance in its place.
    const answers = [await ask(t, 'openai', user, 0, 'commit lost')];
    expect(answers.map((a) => a.status)).toEqual([200]);
    await t.flushLogs();
    await frozen;
    // The batch's commit was the one cut: the writer saw it fail, and went on.
    expect(writer.failedAttemptsTotal).toBeGreaterThan(failedBefore);
    expect(writer.rowsGivenUp).toBe(givenUpBefore);
    await expectEveryServedCallCharged(t, answers.map((a) => a.requestId!), COST);
    // Redis was told the account's balance after the charge, though the commit that made it was not
    // the attempt that succeeded: nothing reloads it here (its cached balance lives a minute).
    await expectNothingHeld(t, user.userId, { reload: false });
  }, 60_000);

  it("a key revoked by another gateway while this one's change listener is stranded is refused within seconds: the listener's heartbeat finds the silence, and caches are bypassed until a new one listens", async () => {
    const user = await t.newUserWithKey();
    expect((await ask(t, 'openai', user, 0, 'before')).status).toBe(200); // the key is cached
    pgProxy.freeze({ newConnections: 'pass' });
    // Another gateway revokes it: its write and its notification reach the database, not this
    // gateway's listener, whose connection is stranded.
    const other = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${t.config.databaseSchema}` });
    await other.connect();
    try {
      const revoked = await other.query('update api_keys set revoked_at = $1 where app_id = $2 and revoked_at is null', [Date.now(), user.appId]);
      expect(revoked.rowCount).toBe(1);
    } finally {
      await other.end();
    }
    // The heartbeat (each HEARTBEAT_MS) misses its own notification within DELIVERY_TIMEOUT_MS; then
    // the key is read from the database (through a new pooled connection: the stalled one is looked
    // into after STALL_MS). A second of slack for a loaded machine.
    const bound = HEARTBEAT_MS + DELIVERY_TIMEOUT_MS + STALL_MS + 1_000;
    await eventually(async () => expect((await ask(t, 'openai', user, 0, 'revoked elsewhere')).status).toBe(401), { timeoutMs: bound, intervalMs: 50 });
  }, 60_000);

  it('PostgreSQL unreachable (every packet dropped, new connections held too): a console request answers a retryable 503 instead of hanging, the ones after it at once without trying to connect, and it serves again once the network heals', async () => {
    const user = await t.newUserWithKey();
    expect((await ask(t, 'console', user, 0, 'before')).status).toBe(200);
    pgProxy.freeze({ newConnections: 'hold' });
    // Its statement waits on a connection that will never answer: looked into after the stall time,
    // the server cannot be reached from a new connection either.
    const first = await ask(t, 'console', user, 0, 'unreachable');
    expect(problemOf(first)).toBeNull();
    expect(first.status).toBe(503);
    expect(JSON.parse(first.body).error.code).toBe('service_unavailable');
    expect(t.gw.services.dbh.connections!.unreachable).toBe(true); // apigpt_database_unreachable 1
    // The database is now known unreachable: each request after it is refused without waiting for a
    // new connection of its own (each would wait the pool's connect timeout for its 503).
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(t, 'console', user, i, 'known unreachable', PG_CONNECT_TIMEOUT_MS / 2)));
    expect(after.map((a) => problemOf(a) ?? a.status)).toEqual(after.map(() => 503));
    await pgProxy.restore();
    await eventually(async () => expect((await ask(t, 'console', user, 0, 'healed')).status).toBe(200), { timeoutMs: 30_000, intervalMs: 100 });
    expect(t.gw.services.dbh.connections!.unreachable).toBe(false);
  }, 60_000);
});

describe('a statement the server is working on', () => {
  it('is left alone past the stall time: a 1.5 s pg_sleep with a 200 ms stall time returns its answer', async () => {
    const schema = `stall_${randomBytes(4).toString('hex')}`;
    const dbh = await openDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'apigpt-stall-')), databaseUrl: PG_URL, schema, stallMs: 200 });
    try {
      const r = await sql<{ slept: string }>`select pg_sleep(1.5)::text as slept, 'done' as said`.execute(dbh.db);
      expect(r.rows).toEqual([{ slept: '', said: 'done' }]);
    } finally {
      await sql.raw(`drop schema if exists ${schema} cascade`).execute(dbh.db);
      await dbh.close();
    }
  }, 30_000);
});
