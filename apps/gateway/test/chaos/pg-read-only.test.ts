/**
 * The gateway's PostgreSQL turns read-only under it: a failover that left the address on a standby,
 * a database set read-only by an operator, a cloud database whose storage filled. Writes then fail
 * with SQLSTATE 25006 while reads work. What must hold: calls still served are charged once the
 * database writes again — the request log waits it out instead of giving rows up — writes of the
 * management API answer a retryable 503 (not a 500), `/readyz` says the writer is not writing, and
 * nothing needs a restart.
 *
 * The gateway connects as a role of the test's own, made read-only with `ALTER ROLE … SET
 * default_transaction_read_only` and its connections ended, as a failover ends them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBilling } from '../../src/billing/check.js';
import { createLogger } from '../../src/core/logger.js';
import { ATTEMPTS_BEFORE_SPLIT } from '../../src/relay/request-log.js';
import { PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { balanceOf, chat, MICRO, setBalance, setPrice } from '../billing/helpers.js';

const role = `apigpt_ro_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
let gateway: TestGateway | null = null;

afterAll(async () => {
  await gateway?.close().catch(() => undefined);
  await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
  await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await admin.end();
});

/** Every session of the role ends (the pool and the change listener reconnect), as in a failover. */
async function endSessions(): Promise<void> {
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
}


describe('PostgreSQL turns read-only under a serving gateway', () => {
  it('calls served meanwhile are charged once it writes again; management writes get a 503; /readyz says not_writing; no restart', async () => {
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
    const url = new URL(PG_URL);
    url.username = role;
    const logged: string[] = [];
    const t = await startTestGateway({ db: 'postgres', config: { databaseUrl: url.toString(), healthProbeIntervalMs: 0 }, start: { log: createLogger('warn', (line) => logged.push(line)) } });
    gateway = t;
    await setPrice(t, 'gpt-4o-mini', 0, 1000);
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, 100);
    const ask = (i: number) => ({ max_tokens: 10, messages: [{ role: 'user', content: `call ${i}` }] });
    expect((await chat(t, u.key, ask(0))).status).toBe(200);

    await admin.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    await endSessions();
    // A call that meets a connection the failover ended is refused with the retryable 503 while the
    // pool reconnects; then calls are served (the key is known, the credit held in this process,
    // the charge kept in the journal).
    let served = 1;
    await eventually(
      async () => {
        const r = await chat(t, u.key, ask(served));
        const text = await r.text();
        if (r.status !== 200) expect([r.status, JSON.parse(text).error?.code]).toEqual([503, 'service_unavailable']);
        expect(r.status).toBe(200);
        served++;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    for (let i = 0; i < 4; i++, served++) expect((await chat(t, u.key, ask(served))).status).toBe(200);
    // A management write: a retryable 503.
    const app = await t.api('POST', '/api/apps', { name: 'during the failover' }, { cookie: u.cookie });
    expect([app.status, (app.body as { error?: { code?: string } }).error?.code]).toEqual([503, 'service_unavailable']);
    // The writer fails past the attempts after which a refused row would be given up.
    await eventually(() => expect(t.gw.services.logWriter.failedAttempts).toBeGreaterThan(ATTEMPTS_BEFORE_SPLIT), { timeoutMs: 20_000, intervalMs: 50 });
    const ready = await fetch(`${t.url}/readyz`);
    expect([ready.status, (await ready.json()).checks]).toEqual([503, { database: 'ok', log_writer: 'not_writing' }]);

    await admin.query(`ALTER ROLE ${role} RESET default_transaction_read_only`);
    await endSessions();
    await eventually(async () => expect(await t.gw.services.logWriter.flushWithin(1_000)).toBe(true), { timeoutMs: 20_000, intervalMs: 100 });

    const rows = await t.gw.services.db.selectFrom('request_logs').select(['cost']).where('user_id', '=', u.userId).where('status', '=', 200).execute();
    expect(rows.length).toBe(served);
    const cost = rows.reduce((s, r) => s + r.cost, 0);
    expect(await balanceOf(t, u.cookie)).toBe((100 * MICRO - cost) / MICRO);
    expect((await checkBilling(t.gw.services.db, { state: t.gw.services.billing.state })).problems).toEqual([]);
    expect(logged.filter((l) => l.includes('giving it up'))).toEqual([]);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  }, 90_000);
});
