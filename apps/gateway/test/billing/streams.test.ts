import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, balanceOf, chat, chatTokens, MICRO, setPrice } from './helpers.js';
import { eventually } from '../eventually.js';

/** How streamed and non-streamed calls are metered: reported usage, cut streams, missing usage. */
describe('metering streams (SQLite)', () => {
  let t: TestGateway;
  let user: { cookie: string; userId: string; key: string };

  beforeAll(async () => {
    t = await startTestGateway({ db: 'sqlite' });
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    user = await t.newUserWithKey();
  });
  afterAll(() => t?.close());

  async function lastLog() {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
  }

  it('a new account starts with the trial credit, recorded in the ledger', async () => {
    expect(await balanceOf(t, user.cookie)).toBe(5000);
    const ledger = await t.api('GET', '/api/billing/ledger', undefined, { cookie: user.cookie });
    expect(ledger.body.items).toHaveLength(1);
    expect(ledger.body.items[0]).toMatchObject({ kind: 'trial', amount: 5000, balance_after: 5000 });
  });

  it('charges a stream from the usage in its final chunk', async () => {
    const before = await balanceOf(t, user.cookie);
    const res = await chat(t, user.key, { stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello there [[sim chunks=5]]' }] });
    const text = await res.text();
    const usage = JSON.parse(text.split('\n\n').filter((e) => e.includes('"usage":{')).at(-1)!.slice(6)).usage;
    const log = await lastLog();
    const expected = usage.prompt_tokens * 1000 + usage.completion_tokens * 2000; // µP at 1 and 2 P per 1K
    expect(log.prompt_tokens).toBe(usage.prompt_tokens);
    expect(log.completion_tokens).toBe(usage.completion_tokens);
    expect(Number(log.cost)).toBe(expected);
    expect(await balanceOf(t, user.cookie)).toBeCloseTo(before - expected / MICRO, 6);
    const logs = await t.api('GET', '/api/logs?limit=1', undefined, { cookie: user.cookie });
    expect(logs.body.items[0].cost).toBeCloseTo(expected / MICRO, 6);
  });

  it('counts with the tokenizer when the upstream reports no usage', async () => {
    const reply = 'The quick brown fox jumps over the lazy dog, twice over.';
    const res = await chat(t, user.key, { stream: true, messages: [{ role: 'user', content: `Say it [[sim no-usage reply="${reply}"]]` }] });
    await res.text();
    const log = await lastLog();
    expect(log.completion_tokens).toBe(countTokens(reply));
    expect(log.prompt_tokens).toBe(chatTokens(`Say it [[sim no-usage reply="${reply}"]]`));
    expect(Number(log.cost)).toBe(log.prompt_tokens * 1000 + log.completion_tokens * 2000);
  });

  it('charges a stream the client abandons for what was produced, and no more', async () => {
    const before = await balanceOf(t, user.cookie);
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const res = await chat(t, user.key, { stream: true, messages: [{ role: 'user', content: `Go [[sim chunks=30 delay=40 reply="${words}"]]` }] });
    // Read a few chunks, then hang up.
    const reader = res.body!.getReader();
    let got = '';
    while (got.split('data: ').length < 6) got += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    // The gateway notices the hang-up, stops the upstream call and logs it; until then the last row is the previous test's.
    const log = await eventually(async () => {
      const row = await lastLog();
      expect(row.status).toBe(499);
      return row;
    });
    expect(log.completion_tokens).toBeGreaterThan(0);
    expect(log.completion_tokens).toBeLessThan(countTokens(words));
    expect(Number(log.cost)).toBe(log.prompt_tokens * 1000 + log.completion_tokens * 2000);
    expect(await balanceOf(t, user.cookie)).toBeCloseTo(before - Number(log.cost) / MICRO, 6);
  });

  it('a failed upstream call costs nothing', async () => {
    const before = await balanceOf(t, user.cookie);
    const res = await chat(t, user.key, { messages: [{ role: 'user', content: 'x [[sim fault=status:400]]' }] });
    expect(res.status).toBe(400);
    const log = await lastLog();
    expect(Number(log.cost)).toBe(0);
    expect(await balanceOf(t, user.cookie)).toBe(before);
  });

  it('a model without a price is refused before any upstream call', async () => {
    const r = await t.api('DELETE', '/api/admin/prices/text-embedding-3-small', undefined, { token: t.rootToken });
    expect(r.status).toBe(200);
    const seen = t.sim.stats.total;
    const res = await fetch(`${t.url}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' }) });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('model_not_priced');
    expect(t.sim.stats.total).toBe(seen);
  });

  it('the audit finds the books balanced, and the usage report adds up', async () => {
    const report = await audit(t);
    expect(report.problems).toEqual([]);
    const usage = await t.api('GET', '/api/billing/usage?days=7', undefined, { cookie: user.cookie });
    expect(usage.body.days).toHaveLength(7);
    const today = usage.body.days.at(-1);
    expect(today.requests).toBeGreaterThanOrEqual(5);
    expect(today.errors).toBeGreaterThanOrEqual(2);
    const ledger = await t.api('GET', '/api/billing/ledger?limit=500', undefined, { cookie: user.cookie });
    const charged = ledger.body.items.filter((i: { kind: string }) => i.kind === 'charge').reduce((n: number, i: { amount: number }) => n - i.amount, 0);
    expect(today.cost).toBeCloseTo(charged, 6);
  });
});
