import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setBalance } from './helpers.js';

/** An empty balance is refused before any upstream call, in each caller's own dialect. */
describe('insufficient credit in every dialect', () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway();
    const u = await t.newUserWithKey();
    key = u.key;
    await setBalance(t, u.userId, u.cookie, 0);
  });
  afterAll(() => t?.close());

  const post = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('OpenAI: 429 insufficient_quota, not to be retried', async () => {
    const before = t.sim.stats.total;
    const res = await post('/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    expect(t.sim.stats.total).toBe(before);
  });

  it('Anthropic: its error envelope with billing_error, not to be retried', async () => {
    const res = await post('/v1/messages', { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, { model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'billing_error' } });
  });

  it('Gemini: RESOURCE_EXHAUSTED with the reason insufficient_quota', async () => {
    const res = await post('/v1beta/models/gpt-4o-mini:generateContent', { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(res.status).toBe(429);
    const body = (await res.json()) as { error: { status: string; details: { reason: string }[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details[0].reason).toBe('insufficient_quota');
  });
});
