import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';
import { audit, balanceOf, chat, chatTokens, MICRO, setBalance, setPrice } from './helpers.js';

/**
 * 200 parallel streamed calls on an account that can afford exactly N of them. The simulator fills
 * max_tokens (a long fixed reply) and counts the prompt as the gateway does, so each call's real
 * cost equals its reserved worst case and N is exact, not a bound.
 */
const CALLS = 200;
const N = 37;
const MAX_TOKENS = 20;
const PROMPT = 'Tell me a long story about the sea.';
const LONG_REPLY = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');

async function race(gateways: TestGateway[]) {
  const t = gateways[0];
  await setPrice(t, 'gpt-4o-mini', 1, 2); // 1 P per 1K input, 2 P per 1K output
  const { cookie, userId, key } = await t.newUserWithKey();
  const perCall = (chatTokens(PROMPT) * 1 + MAX_TOKENS * 2) / 1000; // P
  await setBalance(t, userId, cookie, perCall * N);
  const results = await Promise.all(
    Array.from({ length: CALLS }, async (_, i) => {
      const g = gateways[i % gateways.length];
      const res = await chat(g, key, { stream: true, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: PROMPT }] });
      const text = await res.text();
      return { status: res.status, text, retry: res.headers.get('x-should-retry') };
    }),
  );
  const ok = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  for (const r of ok) expect(r.text).toContain('data: [DONE]');
  for (const r of refused) {
    expect(r.status).toBe(429);
    expect(JSON.parse(r.text).error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(r.retry).toBe('false');
  }
  const report = await audit(...gateways);
  const balance = await balanceOf(t, cookie);
  const logs = await t.gw.services.db.selectFrom('request_logs').select(['status', 'cost', 'prompt_tokens', 'completion_tokens']).where('user_id', '=', userId).execute();
  return { ok: ok.length, refused: refused.length, report, balance, perCall, logs };
}

describe('200 parallel streamed calls against a balance that covers N', () => {
  const open: TestGateway[] = [];
  afterAll(async () => {
    for (const g of open.reverse()) await g.close();
  });

  it('SQLite, one gateway: exactly N served, never below zero, the audit is clean', async () => {
    const t = await startTestGateway({ db: 'sqlite', simulator: { defaults: { reply: LONG_REPLY, chunks: 4, chunkDelayMs: 5 } } });
    open.push(t);
    const r = await race([t]);
    console.log(`sqlite: ${r.ok} served, ${r.refused} refused (N=${N}), final balance ${r.balance} P`);
    expect(r.ok).toBe(N);
    expect(r.refused).toBe(CALLS - N);
    expect(r.balance).toBe(0);
    expect(r.report.problems).toEqual([]);
    const served = r.logs.filter((l) => l.status === 200);
    expect(served).toHaveLength(N);
    for (const l of served) expect(Number(l.cost)).toBe(Math.round(r.perCall * MICRO));
    expect(r.logs.filter((l) => l.status === 429)).toHaveLength(CALLS - N);
  }, 60_000);

  it('PostgreSQL + Redis, two gateway processes on one database: one balance, exactly N served', async () => {
    const prefix = `apigpt-test:${randomBytes(6).toString('hex')}:`;
    const sim = { defaults: { reply: LONG_REPLY, chunks: 4, chunkDelayMs: 5 } };
    const a = await startTestGateway({ db: 'postgres', simulator: sim, config: { redisUrl: REDIS_URL, redisPrefix: prefix } });
    open.push(a);
    // Price first: the second process reads the price table when it starts (a price edited in
    // another process reaches it within its few-second snapshot, which this race would not wait for).
    await setPrice(a, 'gpt-4o-mini', 1, 2);
    const b = await startTestGateway({ shareWith: a, simulator: sim, config: { redisUrl: REDIS_URL, redisPrefix: prefix } });
    open.push(b);
    const r = await race([a, b]);
    console.log(`postgres+redis, 2 gateways: ${r.ok} served, ${r.refused} refused (N=${N}), final balance ${r.balance} P`);
    expect(r.ok).toBe(N);
    expect(r.balance).toBe(0);
    expect(r.report.problems).toEqual([]);
    expect(r.report.charges).toBeGreaterThanOrEqual(N);
  }, 60_000);
});
