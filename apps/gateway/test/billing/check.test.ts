import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { checkBilling } from '../../src/billing/check.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';
import { apigptBin } from '../built-cli.js';

const run = promisify(execFile);

// The built CLI, run as a user would; apigptBin() (outside the try) fails the test with what to run
// when dist is older than src.
async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = apigptBin();
  try {
    const r = await run(process.execPath, [bin, ...args, '--data', dataDir], { env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', APIGPT_CONFIG: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('billing check', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ db: 'sqlite' });
    await setPrice(t, 'gpt-4o-mini', 1, 1);
  });
  afterAll(() => t?.close());

  it('the function finds a clean ledger clean, and finds each kind of difference', async () => {
    const u = await t.newUserWithKey();
    for (let i = 0; i < 3; i++) expect((await chat(t, u.key, { messages: [{ role: 'user', content: `hi ${i}` }] })).status).toBe(200);
    await t.flushLogs();
    const db = t.gw.services.db;
    const clean = await checkBilling(db);
    expect(clean).toMatchObject({ ok: true, problems: [] });
    expect(clean.charges).toBeGreaterThanOrEqual(3);

    const logs = await db.selectFrom('request_logs').select(['id', 'cost']).where('user_id', '=', u.userId).execute();
    // A log row whose charge is missing, and a charge whose log row is missing.
    await db.deleteFrom('ledger').where('request_id', '=', logs[0].id).execute();
    await db.deleteFrom('request_logs').where('id', '=', logs[1].id).execute();
    const broken = await checkBilling(db);
    expect(broken.ok).toBe(false);
    expect(broken.problems.some((p) => p.includes(`request ${logs[0].id}`))).toBe(true);
    expect(broken.problems.some((p) => p.includes(`no request-log row ${logs[1].id}`))).toBe(true);
    expect(broken.problems.some((p) => p.startsWith(`account ${u.userId}: balance`))).toBe(true);
    expect(broken.problems.some((p) => p.startsWith('key '))).toBe(true);
  });
});

// Twelve runs of the built CLI, one after another: each starts a process that opens the data folder
// (about a second alone, several when CI's test files share the cores).
describe('billing CLI on a SQLite data folder', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('user create (with trial), credit grant/deduct, price set, code create/redeem, credit show, billing check', async () => {
    expect((await cli(dir, 'user', 'create', '--email', 'cli@test.local', '--password', 'teal-compass-meadow-8')).code).toBe(0);
    const grant = await cli(dir, 'credit', 'grant', '--email', 'cli@test.local', '--amount', '100.5', '--reason', 'welcome', '--json');
    expect(grant.code).toBe(0);
    expect(JSON.parse(grant.stdout)).toMatchObject({ amount: 100.5, balance: 5100.5 });
    const deduct = await cli(dir, 'credit', 'grant', '--email', 'cli@test.local', '--amount=-0.5', '--reason', 'fix', '--json');
    expect(JSON.parse(deduct.stdout).balance).toBe(5100);
    const tooMuch = await cli(dir, 'credit', 'grant', '--email', 'cli@test.local', '--amount=-99999', '--reason', 'no');
    expect(tooMuch.code).toBe(1);

    const price = await cli(dir, 'price', 'set', '--model', 'my-model', '--input', '0.5', '--output', '1.5', '--image', '3', '--json');
    expect(JSON.parse(price.stdout)).toMatchObject({ model: 'my-model', input: 0.5, output: 1.5, cachedInput: 0.5, perImage: 3 });

    const codes = await cli(dir, 'code', 'create', '--count', '2', '--value', '25', '--name', 'promo', '--expires', '2099-01-01', '--json');
    const items = JSON.parse(codes.stdout).items as { code: string; value: number }[];
    expect(items).toHaveLength(2);
    expect((await cli(dir, 'code', 'redeem', '--email', 'cli@test.local', items[0].code)).code).toBe(0);
    const again = await cli(dir, 'code', 'redeem', '--email', 'cli@test.local', items[0].code, '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('code_used');

    const show = await cli(dir, 'credit', 'show', '--email', 'cli@test.local', '--json');
    const acc = JSON.parse(show.stdout);
    expect(acc.balance).toBe(5125);
    expect(acc.ledger.map((l: { kind: string }) => l.kind)).toEqual(['redeem', 'adjust', 'topup', 'trial']);

    const ok = await cli(dir, 'billing', 'check', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, accounts: 1 });
    expect((await cli(dir, 'billing', 'check', '--help')).stdout).toContain('apigpt billing check');

    // Tamper with the balance behind the ledger's back: the check must fail with a non-zero exit.
    const sqlite = new BetterSqlite3(join(dir, 'apigpt.db'));
    sqlite.prepare('update accounts set balance = balance + 1').run();
    sqlite.close();
    const bad = await cli(dir, 'billing', 'check');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('ledger sums to');
  }, 60_000);
});
