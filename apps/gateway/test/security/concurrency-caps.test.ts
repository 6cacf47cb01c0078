/**
 * Calls in flight per key, per user and per group are capped (APIGPT_MAX_CONCURRENT_PER_KEY,
 * _PER_USER, _PER_GROUP; 0 = no cap): one more gets 429 `concurrency_limit`, and a slot frees when a
 * call settles. Counted in the shared state, so the cap holds across gateway processes (Redis).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';

/** A stream of 8 chunks 250 ms apart: about 2 s in flight. */
const SLOW = { stream: true, messages: [{ role: 'user', content: 'slow story [[sim delay=250 chunks=8]]' }] };
const QUICK = { messages: [{ role: 'user', content: 'hi' }] };

async function refusedForConcurrency(res: Response, scope: RegExp) {
  expect(res.status).toBe(429);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('concurrency_limit');
  expect(body.error.message).toMatch(scope);
}

describe('concurrency caps', { timeout: 60_000 }, () => {
  const open: TestGateway[] = [];
  afterAll(async () => {
    for (const g of open) await g.close();
  });

  it('cap 2 per key: a third concurrent stream gets 429; after one ends a new call is admitted', async () => {
    const t = await startTestGateway({ config: { maxConcurrentPerKey: 2 } });
    open.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 0);
    const { key } = await t.newUserWithKey();
    // fetch resolves once the answer's headers arrive: both calls are then in flight.
    const first = await chat(t, key, SLOW);
    const second = await chat(t, key, SLOW);
    expect([first.status, second.status]).toEqual([200, 200]);
    await refusedForConcurrency(await chat(t, key, QUICK), /this API key.*2/);
    expect(await first.text()).toContain('data: [DONE]');
    await eventually(async () => expect((await chat(t, key, QUICK)).status).toBe(200));
    await second.text();
  });

  it('cap 2 per user: a third call on another key of the same user is refused, another user is not', async () => {
    const t = await startTestGateway({ config: { maxConcurrentPerUser: 2 } });
    open.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 0);
    const u = await t.newUserWithKey();
    const other = await t.api<{ key: string }>('POST', `/api/apps/${u.appId}/keys`, { name: 'second' }, { cookie: u.cookie });
    const calls = [await chat(t, u.key, SLOW), await chat(t, u.key, SLOW)];
    expect(calls.map((c) => c.status)).toEqual([200, 200]);
    await refusedForConcurrency(await chat(t, other.body.key, QUICK), /your account.*2/);
    const stranger = await t.newUserWithKey();
    expect((await chat(t, stranger.key, QUICK)).status).toBe(200);
    for (const c of calls) await c.text();
  });

  it('cap per group: calls in flight of all users of a group together', async () => {
    const t = await startTestGateway({ config: { maxConcurrentPerGroup: 1 } });
    open.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 0);
    const a = await t.newUserWithKey();
    const b = await t.newUserWithKey();
    const running = await chat(t, a.key, SLOW);
    expect(running.status).toBe(200);
    await refusedForConcurrency(await chat(t, b.key, QUICK), /group 'default'.*1/);
    await running.text();
  });

  it('across two gateway processes sharing Redis, the per-key cap holds', async () => {
    const prefix = `apigpt-test:${randomBytes(6).toString('hex')}:`;
    const a = await startTestGateway({ db: 'postgres', config: { redisUrl: REDIS_URL, redisPrefix: prefix, maxConcurrentPerKey: 2 } });
    open.push(a);
    await setPrice(a, 'gpt-4o-mini', 0, 0);
    const b = await startTestGateway({ shareWith: a, config: { redisUrl: REDIS_URL, redisPrefix: prefix, maxConcurrentPerKey: 2 } });
    open.push(b);
    const { key } = await a.newUserWithKey();
    const onA = await chat(a, key, SLOW);
    const onB = await chat(b, key, SLOW);
    expect([onA.status, onB.status]).toEqual([200, 200]);
    await refusedForConcurrency(await chat(a, key, QUICK), /this API key/);
    await onA.text();
    await eventually(async () => expect((await chat(b, key, QUICK)).status).toBe(200));
    await onB.text();
  });

  it('caps are off by default: 5 concurrent streams on one key all run', async () => {
    const t = await startTestGateway();
    open.push(t);
    await setPrice(t, 'gpt-4o-mini', 0, 0);
    const { key } = await t.newUserWithKey();
    const calls = await Promise.all(Array.from({ length: 5 }, () => chat(t, key, SLOW)));
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    for (const c of calls) await c.text();
  });
});
