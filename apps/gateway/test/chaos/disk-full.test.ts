/**
 * The data folder's disk fills up under a serving SQLite gateway (logs, a backup, another program).
 * What must hold: no call is served without a durable charge, nothing is charged twice or lost,
 * and the gateway serves again by itself once space is freed — no restart.
 *
 * Before: SQLite's "database or disk is full" was hidden behind Kysely's failed ROLLBACK ("cannot
 * rollback - no transaction is active"), the request log took it for rows the database refuses and
 * gave them up after three attempts — their holds released (their credit spendable again) and their
 * charges left in the journal until the next start.
 *
 * The disk is a tmpfs of its own, mounted by the test (root on Linux, as `npm test`'s prerequisites
 * check).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBilling } from '../../src/billing/check.js';
import { userPool } from '../../src/billing/ledger.js';
import { createLogger } from '../../src/core/logger.js';
import { ATTEMPTS_BEFORE_SPLIT } from '../../src/relay/request-log.js';
import { PG_URL, startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { apigptBin } from '../built-cli.js';
import { parseProm } from '../ops/prom-text.js';
import { balanceOf, chat, MICRO, setBalance, setPrice } from '../billing/helpers.js';

const disk = mkdtempSync(join(tmpdir(), 'apigpt-disk-'));
// A 32 MiB file system of the test's own (root or CAP_SYS_ADMIN: scripts/test-prereqs.sh checks it
// before `npm test` runs anything).
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', disk], { stdio: 'ignore' });
const filler = join(disk, 'filler');
const gateways: TestGateway[] = [];

afterAll(async () => {
  for (const t of gateways) await t.close().catch(() => undefined);
  execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
  rmSync(disk, { recursive: true, force: true });
});

/** Writes zeros until the file system has no byte left. */
function fillDisk(): void {
  const fd = openSync(filler, 'w');
  try {
    for (const piece of [Buffer.alloc(1 << 20), Buffer.alloc(4096), Buffer.alloc(1)]) {
      for (;;) {
        try {
          writeSync(fd, piece);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const METRICS_TOKEN = 'metrics-token';

/** `apigpt_log_writer_failing` and `apigpt_journal_full` as `/metrics` has them. */
async function storageGauges(t: TestGateway): Promise<{ failing: number; full: number }> {
  const prom = parseProm(await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text());
  return { failing: prom.find('apigpt_log_writer_failing')[0].value, full: prom.find('apigpt_journal_full')[0].value };
}

/** Output at 1 P a token and free input: a call with `max_tokens: 10` reserves exactly 10 P. */
const ASK = { max_tokens: 10 };

describe('the data folder\'s disk is full (SQLite)', () => {
  it('charged calls go on while the journal has room, then get a 503 in their dialect (a sign-in, a top-up, a new key too); their credit stays held; once space is freed every served call is charged once, without a restart', async () => {
    const logged: string[] = [];
    const t = await startTestGateway({ config: { dataDir: join(disk, 'data'), healthProbeIntervalMs: 0, metricsToken: METRICS_TOKEN }, start: { log: createLogger('warn', (line) => logged.push(line)) } });
    gateways.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 1000);
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, 25);
    const f = await t.newUserWithKey();
    await setBalance(t, f.userId, f.cookie, 100_000);

    fillDisk();
    // SQLite names the cause itself (it was hidden behind the failed ROLLBACK).
    await expect(t.gw.services.db.transaction().execute((trx) => sql`create table disk_full_probe (x blob)`.execute(trx))).rejects.toMatchObject({ code: 'SQLITE_FULL' });

    // Two calls of U's, served: their charges are in the journal, and their 10 P each stay held.
    for (const i of [1, 2]) expect((await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: `u ${i}` }] })).status).toBe(200);

    // F's calls are served until the journal has no room for its next file; then refused.
    let served = 0;
    let refused: Response | null = null;
    while (served < 5_000) {
      const r = await chat(t, f.key, { ...ASK, messages: [{ role: 'user', content: `f ${served}` }] });
      if (r.status !== 200) {
        refused = r;
        break;
      }
      await r.text();
      served++;
    }
    expect(served).toBeGreaterThan(0);
    expect([refused?.status, refused?.headers.get('retry-after'), (await refused?.json())?.error?.code]).toEqual([503, '5', 'storage_unavailable']);
    // In Anthropic's dialect too.
    const anthropic = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': f.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect([anthropic.status, anthropic.headers.get('retry-after'), await anthropic.json()]).toEqual([503, '5', { type: 'error', error: { type: 'overloaded_error', message: 'The gateway cannot record charges right now (its storage is full or not writable). Please retry in a moment.' } }]);
    // A balancer takes the gateway out: its database answers, but takes no rows.
    const ready = await fetch(`${t.url}/readyz`);
    expect([ready.status, (await ready.json()).checks]).toEqual([503, { database: 'ok', log_writer: 'not_writing' }]);
    // A console sign-in writes a session: a retryable 503, not a 500.
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(t.admin) });
    expect([login.status, login.headers.get('retry-after'), (await login.json()).error.code]).toEqual([503, '2', 'service_unavailable']);
    // So do a top-up (with an Idempotency-Key: the key is not spent by the failure) and a new app's key.
    const topUp = () =>
      fetch(`${t.url}/api/admin/users/${u.userId}/credit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.rootToken}`, 'content-type': 'application/json', 'idempotency-key': 'top-up-on-a-full-disk' },
        body: JSON.stringify({ amount: 7, reason: 'top-up on a full disk' }),
      });
    const refusedTopUp = await topUp();
    expect([refusedTopUp.status, (await refusedTopUp.json()).error.code]).toEqual([503, 'service_unavailable']);
    const app = await t.api('POST', '/api/apps', { name: 'on a full disk' }, { cookie: u.cookie });
    expect([app.status, (app.body as { error: { code: string } }).error.code]).toEqual([503, 'service_unavailable']);
    expect(await storageGauges(t)).toEqual({ failing: 1, full: 1 });
    // U's two calls still hold their reservations: 25 P less 2 × 10 P is what U may spend meanwhile.
    expect(await t.gw.services.billing.state.available(userPool(u.userId))).toBe(5 * MICRO);

    // The disk stays full past the attempts after which a row the database refused would be given up.
    await eventually(() => expect(t.gw.services.logWriter.failedAttempts).toBeGreaterThan(ATTEMPTS_BEFORE_SPLIT), { timeoutMs: 20_000, intervalMs: 50 });
    expect(await t.gw.services.billing.state.available(userPool(u.userId))).toBe(5 * MICRO);

    rmSync(filler);
    // Without a restart: the journal gets its next file, the writer its batch through.
    await eventually(async () => expect((await chat(t, f.key, { ...ASK, messages: [{ role: 'user', content: 'again' }] })).status).toBe(200), { timeoutMs: 20_000, intervalMs: 200 });
    await t.flushLogs();

    const rows = await t.gw.services.db.selectFrom('request_logs').select(['user_id', 'status', 'cost']).where('user_id', 'in', [u.userId, f.userId]).where('status', '=', 200).execute();
    expect(rows.filter((r) => r.user_id === u.userId).length).toBe(2);
    expect(rows.filter((r) => r.user_id === f.userId).length).toBe(served + 1);
    const uCost = rows.filter((r) => r.user_id === u.userId).reduce((s, r) => s + r.cost, 0);
    expect(uCost).toBeGreaterThan(0);
    // The top-up, sent again with its key, is made now, once.
    expect((await topUp()).status).toBe(200);
    expect((await topUp()).status).toBe(200);
    expect(await balanceOf(t, u.cookie)).toBe((32 * MICRO - uCost) / MICRO);
    expect(await t.gw.services.billing.state.available(userPool(u.userId))).toBe(32 * MICRO - uCost);
    const check = await checkBilling(t.gw.services.db, { state: t.gw.services.billing.state });
    expect(check.problems).toEqual([]);
    expect(logged.filter((l) => l.includes('giving it up'))).toEqual([]);
    expect(logged.some((l) => l.includes('database or disk is full'))).toBe(true);
    const readyAgain = await fetch(`${t.url}/readyz`);
    expect(readyAgain.status).toBe(200);
    // The journal tries for its next file once a second: it may come after the batch that went in.
    await eventually(async () => expect(await storageGauges(t)).toEqual({ failing: 0, full: 0 }), { timeoutMs: 10_000, intervalMs: 100 });
  }, 90_000);

  it('on PostgreSQL, a full local disk leaves the database to keep the charges: every call served and charged, one log line for all, the journal back when space is freed', async () => {
    const logged: string[] = [];
    const t = await startTestGateway({ db: 'postgres', config: { dataDir: join(disk, 'data-pg'), healthProbeIntervalMs: 0 }, start: { log: createLogger('warn', (line) => logged.push(line)) } });
    gateways.push(t);
    expect(t.config.databaseUrl).toBe(PG_URL);
    await setPrice(t, 'gpt-4o-mini', 0, 1000);
    const f = await t.newUserWithKey();
    await setBalance(t, f.userId, f.cookie, 100_000);

    fillDisk();
    // Past what the journal's first file holds (its next file cannot be made): 400 calls.
    const statuses: number[] = [];
    for (let i = 0; i < 400; i++) {
      const r = await chat(t, f.key, { ...ASK, messages: [{ role: 'user', content: `pg ${i}` }] });
      await r.text();
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(t.gw.services.billing.charges.journalFull).toBe(true);
    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['cost']).where('user_id', '=', f.userId).where('status', '=', 200).execute();
    expect(rows.length).toBe(400);
    const cost = rows.reduce((s, r) => s + r.cost, 0);
    expect(await balanceOf(t, f.cookie)).toBe((100_000 * MICRO - cost) / MICRO);
    expect((await checkBilling(t.gw.services.db, { state: t.gw.services.billing.state })).problems).toEqual([]);
    // Every call after the first file filled failed its append: said once (with the count since, later).
    expect(logged.filter((l) => l.includes('the journal could not be written')).length).toBe(1);

    rmSync(filler);
    await eventually(() => expect(t.gw.services.billing.charges.journalFull).toBe(false), { timeoutMs: 10_000, intervalMs: 100 });
  }, 90_000);

  it('`apigpt serve` on a data folder whose disk is full stops at once and says so, not as a bare "disk I/O error"', () => {
    const dataDir = join(disk, 'data-start');
    // A database made while there was room (migrated, then stopped), then the disk fills.
    const made = spawnSync(process.execPath, [apigptBin(), 'migrate', '--data', dataDir], { encoding: 'utf8', timeout: 60_000 });
    expect(made.status).toBe(0);
    fillDisk();
    try {
      const r = spawnSync(process.execPath, [apigptBin(), 'serve', '--data', dataDir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PORT: '0', APIGPT_DEMO_CHANNEL: 'off' } });
      expect([r.status, /^Error: the data folder cannot be written \(is its disk full or read-only\?\): SQLITE_/m.test(r.stderr)]).toEqual([1, true]);
    } finally {
      rmSync(filler);
    }
  }, 90_000);
});
