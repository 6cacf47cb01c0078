import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, chat, chatTokens, setBalance, setPrice } from './helpers.js';
import { eventually } from '../eventually.js';

/**
 * Per-minute limits count in fixed one-minute windows (state/shared-state.ts windowStart): a test
 * whose calls straddle a window's end would see the count start again. It begins its calls in the
 * first 45 seconds of a window.
 */
const awayFromWindowEnd = () => eventually(() => expect(Date.now() % 60_000).toBeLessThan(45_000), { timeoutMs: 20_000, intervalMs: 200 });

/** Each key limit and rate limit refuses exactly when it should, with OpenAI's errors and headers. */
describe('key limits and rate limits (SQLite)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // A reply longer than max_tokens: every call uses exactly its admitted tokens, so limits are exact.
    t = await startTestGateway({ db: 'sqlite', simulator: { defaults: { reply: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ') } } });
    await setPrice(t, 'gpt-4o-mini', 1, 1);
  });
  afterAll(() => t?.close());

  async function keyWith(patch: Record<string, unknown>) {
    const u = await t.newUserWithKey();
    const keys = await t.api('GET', '/api/keys', undefined, { cookie: u.cookie });
    const id = keys.body.items[0].id as string;
    const r = await t.api('PATCH', `/api/keys/${id}`, patch, { cookie: u.cookie });
    expect(r.status).toBe(200);
    return { ...u, keyId: id, record: r.body.key };
  }
  const client = (key: string, maxRetries = 2) => new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries });
  const ask = { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('insufficient_quota: 429 that the SDK raises as RateLimitError and does not retry', async () => {
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, 0);
    const before = t.sim.stats.total;
    let requests = 0;
    const sdk = new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 3, fetch: (url, init) => (requests++, fetch(url, init)) });
    const err = await sdk.chat.completions.create(ask).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('insufficient_quota');
    expect(err.type).toBe('insufficient_quota');
    expect(requests).toBe(1); // x-should-retry: false stopped the SDK's retries
    expect(t.sim.stats.total).toBe(before); // refused before any upstream call
  });

  it('credit limit: a key may spend up to its limit, then gets insufficient_quota', async () => {
    const perCall = (chatTokens('hi') + 10) / 1000; // P at 1 P per 1K tokens
    const k = await keyWith({ creditLimit: perCall * 2 });
    expect(k.record.creditLimit).toBeCloseTo(perCall * 2, 6);
    const sdk = client(k.key, 0);
    await sdk.chat.completions.create(ask);
    await sdk.chat.completions.create(ask);
    const err = await sdk.chat.completions.create(ask).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('insufficient_quota');
    expect(err.message).toContain('credit limit');
    await t.flushLogs();
    const key = await t.api('GET', `/api/keys/${k.keyId}`, undefined, { cookie: k.cookie });
    expect(key.body.key.spent).toBeGreaterThan(0);
    expect(key.body.key.spent).toBeLessThanOrEqual(perCall * 2 + 1e-9);
    // Raising the limit takes effect on the next call.
    await t.api('PATCH', `/api/keys/${k.keyId}`, { creditLimit: perCall * 10 }, { cookie: k.cookie });
    await sdk.chat.completions.create(ask);
  });

  it('expiry, model list, IP list and origin list', async () => {
    const expired = await keyWith({ expiresAt: Date.now() - 1 });
    const e1 = await client(expired.key, 0).chat.completions.create(ask).catch((e) => e);
    expect(e1).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e1.code).toBe('key_expired');

    const models = await keyWith({ models: ['text-embedding-3-small'] });
    const e2 = await client(models.key, 0).chat.completions.create(ask).catch((e) => e);
    expect(e2).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(e2.code).toBe('model_not_allowed_for_key');
    await client(models.key, 0).embeddings.create({ model: 'text-embedding-3-small', input: 'ok' });

    const badIps = await keyWith({ ips: ['10.0.0.0/8', '2001:db8::/32'] });
    const e3 = await client(badIps.key, 0).chat.completions.create(ask).catch((e) => e);
    expect(e3.code).toBe('ip_not_allowed');
    const goodIps = await keyWith({ ips: ['10.0.0.0/8', '127.0.0.0/8'] });
    await client(goodIps.key, 0).chat.completions.create(ask);
    const invalid = await t.api('PATCH', `/api/keys/${goodIps.keyId}`, { ips: ['not-an-ip'] }, { cookie: goodIps.cookie });
    expect(invalid.status).toBe(400);

    const origins = await keyWith({ origins: ['https://app.example.com'] });
    expect((await chat(t, origins.key, ask)).status).toBe(403);
    expect((await chat(t, origins.key, ask, { origin: 'https://evil.example.com' })).status).toBe(403);
    expect((await chat(t, origins.key, ask, { origin: 'https://app.example.com' })).status).toBe(200);
  });

  it('requests per minute on a key: the (rpm+1)th call is refused with retry-after and x-ratelimit headers', async () => {
    const k = await keyWith({ rpm: 3 });
    await awayFromWindowEnd();
    for (let i = 0; i < 3; i++) expect((await chat(t, k.key, ask)).status).toBe(200);
    const res = await chat(t, k.key, ask);
    expect(res.status).toBe(429);
    const body = await res.json();
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    const err = await client(k.key, 0).chat.completions.create(ask).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('rate_limit_exceeded');
  });

  it('tokens per minute on a key and requests per minute on a user', async () => {
    const perCall = chatTokens('hi') + 10;
    const k = await keyWith({ tpm: perCall * 2 });
    await awayFromWindowEnd();
    expect((await chat(t, k.key, ask)).status).toBe(200);
    expect((await chat(t, k.key, ask)).status).toBe(200);
    const res = await chat(t, k.key, ask);
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe(String(perCall * 2));
    expect(res.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect((await res.json()).error.message).toContain('tokens per minute');

    const u = await t.newUserWithKey();
    const r = await t.api('PUT', `/api/admin/users/${u.userId}/limits`, { rpm: 2 }, { token: t.rootToken });
    expect(r.status).toBe(200);
    expect((await chat(t, u.key, ask)).status).toBe(200);
    expect((await chat(t, u.key, ask)).status).toBe(200);
    const third = await chat(t, u.key, ask);
    expect(third.status).toBe(429);
    expect((await third.json()).error.message).toContain('your account');
    expect((await audit(t)).problems).toEqual([]);
  });
});
