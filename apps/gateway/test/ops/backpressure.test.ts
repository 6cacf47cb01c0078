import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { ChannelInput } from '../../src/channels/channels.js';
import { MemoryKv, RedisKv } from '../../src/state/kv.js';
import { RetryBudget } from '../../src/relay/retry-budget.js';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { setPrice } from '../billing/helpers.js';

/**
 * Back-pressure and the retry budget (issue 19): a gateway past its limits refuses new calls at once,
 * in the caller's dialect, before any work; retries across processes stay within their budget.
 */
const MODEL = 'gpt-4o-mini';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function gateway(config: Partial<Config> = {}, channels?: (sim: Simulator) => ChannelInput[], extra: Partial<Parameters<typeof startTestGateway>[0]> = {}): Promise<TestGateway> {
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, ...config }, ...(channels ? { channels } : {}), ...extra });
  open.push(t);
  return t;
}

const openai = (t: TestGateway, key: string, content = 'hi', extra: object = {}) =>
  fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], ...extra }) });
const anthropic = (t: TestGateway, key: string) =>
  fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }) });
const gemini = (t: TestGateway, key: string) =>
  fetch(`${t.url}/v1beta/models/${MODEL}:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) });

/** Keeps the event loop (the test's and the in-process gateway's) busy for `ms`. */
function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

describe('back-pressure', () => {
  it('past APIGPT_MAX_INFLIGHT a new call gets a fast 503 with retry-after in its own dialect — before the key is checked — and calls pass again once the load is gone', async () => {
    const t = await gateway({ maxInflight: 1 });
    const user = await t.newUserWithKey();
    // One slow stream holds the only slot: the simulator waits 6 s before its first token.
    const slow = openai(t, user.key, 'slow [[sim ttft=6000]]', { stream: true }).then((r) => r.text());
    await eventually(() => expect(t.gw.services.load.inflight).toBe(1));

    const o = await openai(t, user.key);
    expect(o.status).toBe(503);
    expect(o.headers.get('retry-after')).toBe('1');
    expect(await o.json()).toMatchObject({ error: { code: 'overloaded', type: 'server_error' } });

    const a = await anthropic(t, user.key);
    expect(a.status).toBe(503);
    expect(a.headers.get('retry-after')).toBe('1');
    expect(await a.json()).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.stringContaining('overloaded') } });

    const g = await gemini(t, user.key);
    expect(g.status).toBe(503);
    expect(await g.json()).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });

    // Refused before the key check: an unknown key is not even looked up.
    expect((await openai(t, 'sk-not-a-key')).status).toBe(503);
    // Listing models is not a call: it is served.
    expect((await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${user.key}` } })).status).toBe(200);
    expect(t.gw.services.load.shed.inflight).toBe(4);
    // Nothing of the refused calls went upstream or into the request log.
    expect(t.sim.stats.total).toBe(1);

    expect(await slow).toContain('[DONE]');
    await eventually(() => expect(t.gw.services.load.inflight).toBe(0));
    expect((await openai(t, user.key)).status).toBe(200);
    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['status']).execute();
    expect(rows.map((r) => r.status)).toEqual([200, 200]);
  });

  it('an event loop running late past APIGPT_MAX_EVENT_LOOP_LAG_MS refuses new calls with 503 until it catches up', async () => {
    const t = await gateway({ maxEventLoopLagMs: 200 });
    const user = await t.newUserWithKey();
    // On a busy machine the loop may already run late now and then: served once it keeps up.
    await eventually(async () => expect((await openai(t, user.key)).status).toBe(200), { timeoutMs: 10_000, intervalMs: 200 });
    // The gateway runs in this process: blocking here is the gateway's loop falling behind.
    const refused = await eventually(
      async () => {
        block(700);
        const r = await openai(t, user.key);
        expect(r.status).toBe(503);
        return r;
      },
      { timeoutMs: 10_000 },
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(t.gw.services.load.shed.event_loop_lag).toBeGreaterThan(0);
    // Left alone, the loop catches up within a window or two and calls pass again.
    await eventually(async () => expect((await openai(t, user.key)).status).toBe(200), { timeoutMs: 10_000, intervalMs: 200 });
  });

  it('without limits or metrics no hook is installed and nothing is counted', async () => {
    const t = await gateway();
    const user = await t.newUserWithKey();
    expect(t.gw.services.load.active).toBe(false);
    expect((await openai(t, user.key)).status).toBe(200);
    expect(t.gw.services.load.inflight).toBe(0);
  });
});

describe('retry budget', () => {
  /** A budget on a memory store with a clock the test moves. */
  function budget(opts: { percent: number; minPerSec: number }, start = Date.now() - (Date.now() % 10_000)) {
    const clock = { now: start };
    return { b: new RetryBudget(new MemoryKv(), opts, undefined, () => clock.now), clock };
  }

  it('allows retries up to the share of calls in the window, and a refused retry does not spend it', async () => {
    const { b } = budget({ percent: 20, minPerSec: 0 });
    for (let i = 0; i < 10; i++) b.called();
    // 20% of 10 calls: two retries.
    expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(false);
    expect(await b.allowRetry()).toBe(false);
    expect(b.refused).toBe(2);
    // Five more calls fund one more retry: the refused ones were not counted.
    for (let i = 0; i < 5; i++) b.called();
    expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(false);
    await b.close();
  });

  it('the previous window still counts by the share of it inside the last 10 s; the allowance per second comes on top', async () => {
    const { b, clock } = budget({ percent: 10, minPerSec: 0 });
    for (let i = 0; i < 40; i++) b.called();
    for (let i = 0; i < 4; i++) expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(false);
    // Halfway through the next window: the previous one weighs half — 20 calls' worth, 2 retries' worth.
    clock.now += 15_000;
    for (let i = 0; i < 20; i++) b.called();
    // (20 + 0.5 × 40) × 10% = 4 allowed; 0.5 × 4 = 2 already spent.
    expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(true);
    expect(await b.allowRetry()).toBe(false);
    await b.close();

    const quiet = budget({ percent: 0, minPerSec: 1 });
    // No calls at all: 1 per second over the 10-second window.
    for (let i = 0; i < 10; i++) expect(await quiet.b.allowRetry()).toBe(true);
    expect(await quiet.b.allowRetry()).toBe(false);
    await quiet.b.close();
  });

  it('when the shared store is unreachable, retries are allowed (the budget must not fail calls)', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const b = new RetryBudget(new RedisKv(redis, 'x:'), { percent: 0, minPerSec: 0 });
    b.called();
    expect(await b.allowRetry()).toBe(true);
    redis.disconnect();
  });

  it('spent: a failing first channel is not retried on the second; the caller gets the failure', async () => {
    const failing = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 } } });
    open.push(failing);
    const t = await gateway({ retryBudgetPercent: 0, retryBudgetMinPerSec: 0, circuitFailures: 1000, circuitErrorRatePercent: 100 }, (sim) => [
      { provider: 'openai-compatible', name: 'failing', baseUrl: `${failing.url}/v1`, models: [MODEL], priority: 10 },
      { provider: 'openai-compatible', name: 'healthy', baseUrl: `${sim.url}/v1`, models: [MODEL] },
    ]);
    const user = await t.newUserWithKey();
    const r = await openai(t, user.key);
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(failing.stats.total).toBe(1);
    expect(t.sim.stats.total).toBe(0);
  });

  it('is one budget for every gateway on the same Redis: calls served by one fund the failovers of another', async () => {
    const failing = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 } } });
    open.push(failing);
    const prefix = `apigpt-test:${randomBytes(6).toString('hex')}:`;
    const shared = { redisUrl: REDIS_URL, redisPrefix: prefix, retryBudgetPercent: 20, retryBudgetMinPerSec: 0, circuitFailures: 1000, circuitErrorRatePercent: 100 };
    // `other-model` is served by the healthy channel alone: calls to it never retry.
    const g1 = await gateway(shared, (sim) => [
      { provider: 'openai-compatible', name: 'failing', baseUrl: `${failing.url}/v1`, models: [MODEL], priority: 10 },
      { provider: 'openai-compatible', name: 'healthy', baseUrl: `${sim.url}/v1`, models: [MODEL, 'other-model'] },
    ], { db: 'postgres' });
    const g2 = await startTestGateway({ shareWith: g1, config: { ...shared, healthProbeIntervalMs: 0 } });
    open.push(g2);
    await setPrice(g1, 'other-model', 1, 1);
    const user = await g1.newUserWithKey();

    // Alone, g2's few calls fund no failover: 20% of 1, 2, 3 calls is under one retry.
    for (let i = 0; i < 3; i++) expect((await openai(g2, user.key)).status).toBeGreaterThanOrEqual(500);
    expect(g1.sim.stats.total).toBe(0);

    // g1 serves 10 calls that need no retry; its count reaches Redis within a second.
    for (let i = 0; i < 10; i++) expect((await openai(g1, user.key, 'fine', { model: 'other-model' })).status).toBe(200);
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(
        async () => {
          const keys = await redis.keys(`${prefix}kv:rb:c:*`);
          const counts = keys.length ? (await redis.mget(keys)).map(Number) : [];
          expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(13);
        },
        { timeoutMs: 5_000, intervalMs: 100 },
      );
    } finally {
      redis.disconnect();
    }
    // Now g2's call may fail over: 20% of 14 calls is more than the one retry it needs.
    const r = await openai(g2, user.key);
    expect(r.status).toBe(200);
    expect(g1.sim.stats.total).toBe(11);
  });
});
