import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { changeBalance, userPool } from '../../src/billing/ledger.js';
import { DB_KINDS, PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { apigptBin } from '../built-cli.js';
import { audit, MICRO } from './helpers.js';

const run = promisify(execFile);

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

describe.each(DB_KINDS)('Idempotency-Key on calls that move credit (%s)', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db });
  });
  afterAll(() => t?.close());

  /** A management call with an Idempotency-Key (or none), as root unless a session cookie is given. */
  async function send(path: string, body: unknown, key: string | undefined, auth: { cookie?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers['idempotency-key'] = key;
    if (auth.cookie) headers.cookie = auth.cookie;
    else headers.authorization = `Bearer ${t.rootToken}`;
    const res = await fetch(t.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, body: await res.json() };
  }

  const credit = (userId: string, body: { amount: number; reason: string }, key?: string) => send(`/api/admin/users/${userId}/credit`, body, key);

  /** The balance and ledger as the database has them, in micro-points. */
  async function books(userId: string) {
    const d = t.gw.services.db;
    const acc = await d.selectFrom('accounts').select('balance').where('user_id', '=', userId).executeTakeFirstOrThrow();
    const ledger = await d.selectFrom('ledger').select(['kind', 'amount']).where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
    return { balance: Number(acc.balance), ledger: ledger.map((l) => ({ kind: l.kind, amount: Number(l.amount) })) };
  }

  it('a grant sent twice with one key moves credit once; the repeat answers the same body, marked replayed', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    const first = await credit(u.user.id, { amount: 12.5, reason: 'invoice 7' }, key);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.body).toEqual({ balance: (before.balance + 12.5 * MICRO) / MICRO });
    const again = await credit(u.user.id, { amount: 12.5, reason: 'invoice 7' }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const after = await books(u.user.id);
    expect(after.balance).toBe(before.balance + 12.5 * MICRO);
    expect(after.ledger).toEqual([...before.ledger, { kind: 'topup', amount: 12.5 * MICRO }]);
  });

  it('the same key with another amount is refused with 409 idempotency_key_reused and moves nothing', async () => {
    const u = await t.signup();
    const key = randomUUID();
    expect((await credit(u.user.id, { amount: 10, reason: 'a' }, key)).status).toBe(200);
    const before = await books(u.user.id);
    const other = await credit(u.user.id, { amount: 11, reason: 'a' }, key);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', type: 'conflict', param: 'Idempotency-Key' });
    expect(other.body.error.message).toMatch(/different parameters/);
    // The same amount for another user is other parameters too.
    const v = await t.signup();
    expect((await credit(v.user.id, { amount: 10, reason: 'a' }, key)).status).toBe(409);
    expect(await books(u.user.id)).toEqual(before);
  });

  it('without a key nothing is deduplicated: two identical grants are two grants', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    for (let i = 0; i < 2; i++) expect((await credit(u.user.id, { amount: 1, reason: 'same' })).status).toBe(200);
    expect((await books(u.user.id)).balance).toBe(before.balance + 2 * MICRO);
  });

  it('20 concurrent grants with one key move credit exactly once; every answer is the first one or a retryable 409', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => credit(u.user.id, { amount: 3.25, reason: 'race' }, key)));
    const expected = { balance: (before.balance + 3.25 * MICRO) / MICRO };
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const a of ok) expect(a.body).toEqual(expected);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status).toBe(409);
      expect(a.body.error.code).toBe('idempotency_in_progress');
      expect(a.headers.get('retry-after')).toBe('1');
    }
    const after = await books(u.user.id);
    expect(after.ledger).toEqual([...before.ledger, { kind: 'topup', amount: 3.25 * MICRO }]);
    expect(after.balance).toBe(before.balance + 3.25 * MICRO);
    expect((await audit(t)).problems).toEqual([]);
  });

  it('20 concurrent deductions with one key take the money once and leave no hold', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    // 20 × 400 P is more than the 5000 P trial: a twin that reserved the money again would be refused.
    const answers = await Promise.all(Array.from({ length: 20 }, () => credit(u.user.id, { amount: -400, reason: 'race' }, key)));
    for (const a of answers) {
      if (a.status === 200) expect(a.body).toEqual({ balance: (before.balance - 400 * MICRO) / MICRO });
      else expect([a.status, a.body.error.code]).toEqual([409, 'idempotency_in_progress']);
    }
    expect(answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const after = await books(u.user.id);
    expect(after.ledger).toEqual([...before.ledger, { kind: 'adjust', amount: -400 * MICRO }]);
    // What shared state says is available is the whole balance: no repeat left money held.
    expect(await t.gw.services.billing.state.available(userPool(u.user.id))).toBe(after.balance);
    expect((await audit(t)).problems).toEqual([]);
  });

  it('a refusal is an answer too: a deduction beyond the balance, repeated with its key after a top-up, is refused again and moves nothing', async () => {
    const u = await t.signup();
    const key = randomUUID();
    const first = await credit(u.user.id, { amount: -6000, reason: 'too much' }, key);
    expect(first.status).toBe(429);
    expect(first.body.error.code).toBe('insufficient_balance');
    expect((await credit(u.user.id, { amount: 2000, reason: 'top-up' })).status).toBe(200);
    const before = await books(u.user.id);
    const again = await credit(u.user.id, { amount: -6000, reason: 'too much' }, key);
    expect(again.status).toBe(429);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await books(u.user.id)).toEqual(before);
    // No money was left held by the refused deduction.
    expect(await t.gw.services.billing.state.available(userPool(u.user.id))).toBe(before.balance);
  });

  it('redeeming twice with one key is one redemption with one answer; the key on another code is refused', async () => {
    const made = await send('/api/admin/codes', { count: 2, value: 250, name: 'idem-redeem' }, undefined);
    const [code, other] = made.body.items.map((c: { code: string }) => c.code);
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    const first = await send('/api/billing/redeem', { code }, key, { cookie: u.cookie });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ amount: 250, balance: (before.balance + 250 * MICRO) / MICRO });
    const again = await send('/api/billing/redeem', { code }, key, { cookie: u.cookie });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await send('/api/billing/redeem', { code: other }, key, { cookie: u.cookie });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect((await books(u.user.id)).ledger).toEqual([...before.ledger, { kind: 'redeem', amount: 250 * MICRO }]);
    // Without the key the same code is used up, as always.
    const plain = await send('/api/billing/redeem', { code }, undefined, { cookie: u.cookie });
    expect([plain.status, plain.body.error.code]).toEqual([409, 'code_used']);
  });

  it("a key is its caller's and its route's: the same key from another user, or on another route, is another key", async () => {
    const made = await send('/api/admin/codes', { count: 2, value: 5, name: 'idem-scope' }, undefined);
    const [a, b] = await Promise.all([t.signup(), t.signup()]);
    const key = randomUUID();
    const ra = await send('/api/billing/redeem', { code: made.body.items[0].code }, key, { cookie: a.cookie });
    const rb = await send('/api/billing/redeem', { code: made.body.items[1].code }, key, { cookie: b.cookie });
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
    // The root token's key on two routes.
    const grant = await credit(a.user.id, { amount: 1, reason: 'scope' }, key);
    const codes = await send('/api/admin/codes', { count: 1, value: 1 }, key);
    expect([grant.status, codes.status]).toEqual([200, 200]);
    expect(codes.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a code batch sent twice with one key is one batch, answered with the same codes', async () => {
    const name = `idem-batch-${randomUUID()}`;
    const key = randomUUID();
    const first = await send('/api/admin/codes', { count: 3, value: 10, name }, key);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(3);
    const again = await send('/api/admin/codes', { count: 3, value: 10, name }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    // One batch stored, hashed; the key's record keeps the answer with the codes sealed, never in clear.
    const stored = await t.gw.services.db.selectFrom('redemption_codes').select('code_hash').where('name', '=', name).execute();
    const codes = first.body.items.map((i: { code: string }) => i.code) as string[];
    expect(stored.map((r) => r.code_hash).sort()).toEqual(codes.map((c) => createHash('sha256').update(c).digest('hex')).sort());
    const record = await t.gw.services.db.selectFrom('idempotency_keys').select('result').where('key', '=', key).executeTakeFirstOrThrow();
    for (const c of codes) expect(record.result).not.toContain(c);
  });

  it('a key longer than 255 characters is refused with 400 and moves nothing; 255 is accepted', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const long = await credit(u.user.id, { amount: 1, reason: 'long' }, 'k'.repeat(256));
    expect(long.status).toBe(400);
    expect(await books(u.user.id)).toEqual(before);
    expect((await credit(u.user.id, { amount: 1, reason: 'long' }, 'k'.repeat(255))).status).toBe(200);
  });

  it('a key is kept 24 hours: an expired one is free again, and pruning deletes expired keys', async () => {
    const u = await t.signup();
    const key = randomUUID();
    expect((await credit(u.user.id, { amount: 1, reason: 'old' }, key)).status).toBe(200);
    const d = t.gw.services.db;
    const row = await d.selectFrom('idempotency_keys').select(['created_at', 'expires_at']).where('key', '=', key).executeTakeFirstOrThrow();
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(24 * 60 * 60 * 1000);
    // As if the day had passed.
    await d.updateTable('idempotency_keys').set({ expires_at: Date.now() - 1 }).where('key', '=', key).execute();
    const before = await books(u.user.id);
    const fresh = await credit(u.user.id, { amount: 2, reason: 'new' }, key);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect((await books(u.user.id)).balance).toBe(before.balance + 2 * MICRO);

    const stale = randomUUID();
    expect((await credit(u.user.id, { amount: 1, reason: 'stale' }, stale)).status).toBe(200);
    await d.updateTable('idempotency_keys').set({ expires_at: Date.now() - 1 }).where('key', '=', stale).execute();
    expect(await t.gw.services.billing.idempotency.prune()).toBeGreaterThanOrEqual(1);
    expect(await d.selectFrom('idempotency_keys').select('key').where('key', '=', stale).execute()).toEqual([]);
    expect(await d.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute()).toHaveLength(1);
  });

  it.runIf(db === 'postgres')('a repeat whose twin holds the key too long is told to retry (409 idempotency_in_progress), and the key is free once the twin gives up', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    const route = `POST /api/admin/users/:id/credit`;
    // Another connection claims the key and keeps its transaction open, as a twin still running would.
    const twin = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${t.config.databaseSchema}` });
    await twin.connect();
    try {
      await twin.query('begin');
      await twin.query('insert into idempotency_keys (scope, route, key, fingerprint, status, result, created_at, expires_at) values ($1, $2, $3, $4, 0, null, $5, $6)', ['root', route, key, 'x', Date.now(), Date.now() + 60_000]);
      const waiting = await credit(u.user.id, { amount: 5, reason: 'twin' }, key);
      expect(waiting.status).toBe(409);
      expect(waiting.body.error.code).toBe('idempotency_in_progress');
      expect(waiting.headers.get('retry-after')).toBe('1');
      expect(await books(u.user.id)).toEqual(before);
      await twin.query('rollback');
    } finally {
      await twin.end();
    }
    const retry = await credit(u.user.id, { amount: 5, reason: 'twin' }, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await books(u.user.id)).balance).toBe(before.balance + 5 * MICRO);
  }, 30_000);

  it('the OpenAPI document gives every credit-moving route its Idempotency-Key header', async () => {
    const doc = await (await fetch(`${t.url}/api/openapi.json`)).json();
    for (const path of ['/api/admin/users/{id}/credit', '/api/admin/codes', '/api/billing/redeem']) {
      const header = doc.paths[path].post.parameters.find((p: { in: string; name: string }) => p.in === 'header' && p.name === 'idempotency-key');
      expect(header, path).toMatchObject({ required: false, schema: { type: 'string', maxLength: 255 } });
    }
  });

  it('the key and the credit it moved commit together: a failure after the move leaves neither, and the key stays free', async () => {
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = { scope: 'test', route: 'crash', key: randomUUID(), params: { amount: 7 } };
    const store = t.gw.services.billing.idempotency;
    await expect(
      store.run(key, async (trx) => {
        await changeBalance(trx, { userId: u.user.id, amount: 7 * MICRO, kind: 'topup', reason: 'then crash' });
        throw new Error('crash after the move');
      }),
    ).rejects.toThrow('crash after the move');
    expect(await books(u.user.id)).toEqual(before);
    expect(await t.gw.services.db.selectFrom('idempotency_keys').select('key').where('key', '=', key.key).execute()).toEqual([]);
    const retry = await store.run(key, (trx) => changeBalance(trx, { userId: u.user.id, amount: 7 * MICRO, kind: 'topup', reason: 'retry' }));
    expect(retry.replayed).toBe(false);
    expect((await books(u.user.id)).balance).toBe(before.balance + 7 * MICRO);
    await t.gw.services.billing.state.syncBalance(userPool(u.user.id), retry.result.balance, retry.result.version);
  });

  it('the built CLI: credit grant, code create and code redeem twice with one --idempotency-key act once', async () => {
    const bin = apigptBin();
    // The CLI opens the server's own database (and master key) while the server runs.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', APIGPT_DATA_DIR: t.config.dataDir, APIGPT_SECRET: t.config.secret! };
    if (db === 'postgres') Object.assign(env, { DATABASE_URL: PG_URL, APIGPT_DATABASE_SCHEMA: t.config.databaseSchema! });
    const cli = async (...args: string[]) => {
      try {
        const r = await run(process.execPath, [bin, ...args], { env, timeout: 30_000 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };
    const u = await t.signup();
    const before = await books(u.user.id);
    const key = randomUUID();
    const grant = ['credit', 'grant', '--email', u.user.email, '--amount', '40', '--reason', 'cli invoice', '--idempotency-key', key, '--json'];
    const first = await cli(...grant);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ email: u.user.email, amount: 40, balance: (before.balance + 40 * MICRO) / MICRO });
    const again = await cli(...grant);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toContain('Replayed');
    const other = await cli('credit', 'grant', '--email', u.user.email, '--amount', '41', '--reason', 'cli invoice', '--idempotency-key', key, '--json');
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout).error.code).toBe('idempotency_key_reused');
    expect(await books(u.user.id)).toEqual({ balance: before.balance + 40 * MICRO, ledger: [...before.ledger, { kind: 'topup', amount: 40 * MICRO }] });

    const batchKey = randomUUID();
    const create = ['code', 'create', '--count', '2', '--value', '15', '--name', `cli-${batchKey}`, '--idempotency-key', batchKey, '--json'];
    const c1 = await cli(...create);
    expect(c1.code, c1.stderr).toBe(0);
    const c2 = await cli(...create);
    expect(c2.stdout).toBe(c1.stdout);
    const codes = JSON.parse(c1.stdout).items.map((i: { code: string }) => i.code) as string[];
    expect(await t.gw.services.db.selectFrom('redemption_codes').select('id').where('name', '=', `cli-${batchKey}`).execute()).toHaveLength(2);

    const redeemKey = randomUUID();
    const r1 = await cli('code', 'redeem', '--email', u.user.email, codes[0], '--idempotency-key', redeemKey, '--json');
    const r2 = await cli('code', 'redeem', '--email', u.user.email, codes[0], '--idempotency-key', redeemKey, '--json');
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toBe(r1.stdout);
    expect((await books(u.user.id)).balance).toBe(before.balance + 55 * MICRO);

    // Without the option the CLI sends no key: a repeat is a new grant.
    const plain = ['credit', 'grant', '--email', u.user.email, '--amount', '1', '--reason', 'twice'];
    expect((await cli(...plain)).code).toBe(0);
    expect((await cli(...plain)).code).toBe(0);
    expect((await books(u.user.id)).balance).toBe(before.balance + 57 * MICRO);
    const bad = await cli('credit', 'grant', '--email', u.user.email, '--amount', '1', '--reason', 'x', '--idempotency-key', 'k'.repeat(256));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--idempotency-key');
    expect((await audit(t)).problems).toEqual([]);
  }, 120_000);
});
