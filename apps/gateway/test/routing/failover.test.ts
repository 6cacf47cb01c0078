import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { ChannelInput } from '../../src/channels/channels.js';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';

/**
 * Several simulators as channels of one model, faults injected on purpose, over real HTTP: every
 * routing rule is shown to fire (and not to fire) as configured.
 */
const MODEL = 'gpt-4o-mini';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function sims(n: number): Promise<Simulator[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startSimulator()));
  open.push(...list);
  return list;
}

async function gateway(channels: ChannelInput[], config: Partial<Config> = {}, extra: Partial<Parameters<typeof startTestGateway>[0]> = {}) {
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, ...config }, channels: () => channels, ...extra });
  open.push(t);
  const user = await t.newUserWithKey();
  const client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  return { t, user, client };
}

const channel = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({ provider: 'openai-compatible', name, baseUrl: `${sim.url}/v1`, models: [MODEL], ...more });
const chat = (client: OpenAI, content = 'hi') => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
// stats.total counts every request (the recorded list keeps only the last 200).
const served = (sim: Simulator) => sim.stats.total;
/** Waits until a channel's open circuit reads half-open: its cool-down is over and no call has probed it yet. */
async function cooledDown(t: TestGateway, name: string): Promise<void> {
  const id = (await t.gw.services.channels.list()).find((c) => c.name === name)!.id;
  await eventually(async () => expect((await t.gw.services.health.circuit.view(id)).state).toBe('half_open'));
}

describe('failover and retries', () => {
  it('a 429 storm on one channel moves traffic to the others; callers see no error', async () => {
    const [a, b, c] = await sims(3);
    a.setDefaults({ fault: { kind: 'status', status: 429 } });
    const { client } = await gateway([channel(a, 'a'), channel(b, 'b'), channel(c, 'c')], { circuitFailures: 1000, circuitErrorRatePercent: 100 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => chat(client)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0);
    expect(served(b) + served(c)).toBe(30);
    expect(served(a)).toBeGreaterThan(0); // it was tried, and its refusals were absorbed
  });

  it('a hang past the time-to-first-byte timeout fails over to another channel', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ fault: { kind: 'hang' } });
    const { t, client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')], { upstreamTimeoutMs: 300 });
    const started = Date.now();
    const res = await chat(client);
    expect(res.choices[0].message.content).toBeTruthy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('status', '=', 200).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(2);
    const attempts = JSON.parse(row.attempt_log!);
    expect(attempts.map((x: { code: string | null }) => x.code)).toEqual(['upstream_timeout', null]);
  });

  it('per-channel timeouts override the defaults', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ ttftMs: 400 });
    const { client } = await gateway([channel(a, 'a', { priority: 10, settings: { timeouts: { firstByteMs: 100 } } }), channel(b, 'b')], { upstreamTimeoutMs: 5000 });
    await chat(client);
    // With the default first-byte limit (5 s) channel a would have answered after 400 ms; its own
    // 100 ms limit gave up on it first, so b served the call and a's request was cut.
    expect(served(b)).toBe(1);
    await eventually(() => expect(a.stats.aborted).toBe(1));
  });

  it('retries never exceed the configured count, even with more channels failing', async () => {
    const list = await sims(5);
    for (const s of list) s.setDefaults({ fault: { kind: 'status', status: 500 } });
    const { t, client } = await gateway(list.map((s, i) => channel(s, `c${i}`)), { retryMaxAttempts: 3, circuitFailures: 1000, circuitErrorRatePercent: 100 });
    const err = await chat(client).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(list.reduce((n, s) => n + served(s), 0)).toBe(3);
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(row.attempt_log!)).toHaveLength(3);
    expect(row.cost).toBe(0); // a failed call costs nothing
  });

  it('a single channel is retried after the backoff, honouring retry-after; a longer retry-after goes back to the caller', async () => {
    const [a] = await sims(1);
    a.setDefaults({ fault: { kind: 'status', status: 503, retryAfter: 1 } });
    const { client } = await gateway([channel(a, 'a')], { retryMaxAttempts: 2, circuitFailures: 1000, circuitErrorRatePercent: 100, retryMaxWaitMs: 5000 });
    await chat(client).catch((e) => e);
    const times = a.requests.map((r) => r.at);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);

    const [b] = await sims(1);
    b.setDefaults({ fault: { kind: 'status', status: 429, retryAfter: 60 } });
    const g2 = await gateway([channel(b, 'b')], { retryMaxAttempts: 3, circuitFailures: 1000, circuitErrorRatePercent: 100, retryMaxWaitMs: 5000 });
    const started = Date.now();
    const err = await chat(g2.client).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(served(b)).toBe(1);
  });

  it('non-retryable errors (the caller’s mistake) are returned at once', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ fault: { kind: 'status', status: 400 } });
    const { client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')]);
    const err = await chat(client).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(served(b)).toBe(0);
  });
});

describe('after the first byte', () => {
  it('a mid-stream drop gives the client a proper error event and a partial charge', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ chunks: 12, fault: { kind: 'drop', afterChunks: 5 } });
    const { t, client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')]);
    const stream = await client.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'long story' }] });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(text.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(served(b)).toBe(0); // nothing is retried once bytes reached the caller
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe(502);
    expect(row.completion_tokens).toBeGreaterThan(0);
    expect(row.cost).toBeGreaterThan(0);
  });
});

describe('circuit breaker and health', () => {
  it('a channel that keeps failing opens its circuit, gets no traffic, and is let back by a passing probe', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ fault: { kind: 'status', status: 500 } });
    // The cool-down must outlast the 10 calls and the health read below, even on a busy machine.
    const { t, client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')], { circuitFailures: 3, circuitCooldownMs: 3000 });
    for (let i = 0; i < 3; i++) await chat(client); // each fails over to b
    expect(served(a)).toBe(3);
    for (let i = 0; i < 10; i++) await chat(client);
    expect(served(a)).toBe(3); // open: skipped entirely
    const health = await t.api<{ items: { name: string; state: string }[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken });
    expect(health.body.items.find((c) => c.name === 'a')!.state).toBe('open');

    a.setDefaults({ fault: null });
    await cooledDown(t, 'a'); // 3 s after it opened
    await chat(client); // the one probe
    expect(served(a)).toBe(4);
    const after = await t.api<{ items: { name: string; state: string }[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken });
    expect(after.body.items.find((c) => c.name === 'a')!.state).toBe('closed');
    const id = (await t.gw.services.channels.list()).find((c) => c.name === 'a')!.id;
    // Events are written off the request path: the last one lands a moment after the call.
    await eventually(async () => {
      const events = await t.api<{ items: { kind: string }[] }>('GET', `/api/admin/channels/${id}/events`, undefined, { token: t.rootToken });
      expect(events.body.items.map((e) => e.kind).reverse()).toEqual(['circuit_open', 'circuit_half_open', 'circuit_closed']);
    });
  });

  it('when every channel rests, callers get 503 with retry-after', async () => {
    const [a] = await sims(1);
    a.setDefaults({ fault: { kind: 'status', status: 502 } });
    const { client } = await gateway([channel(a, 'a')], { circuitFailures: 2, circuitCooldownMs: 30_000, retryMaxAttempts: 1 });
    await chat(client).catch(() => {});
    await chat(client).catch(() => {});
    const err = await chat(client).catch((e) => e);
    expect(err.status).toBe(503);
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(served(a)).toBe(2);
  });

  it('health disables a channel that keeps tripping and re-enables it when the probe passes; an admin-disabled channel stays off', async () => {
    const [a, b, c] = await sims(3);
    a.setDefaults({ fault: { kind: 'status', status: 401 } }); // a revoked provider key: trips at once
    const { t, client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b'), channel(c, 'c')], { circuitCooldownMs: 100, autoDisableAfterTrips: 2 });
    const ids = Object.fromEntries((await t.gw.services.channels.list()).map((x) => [x.name, x.id]));
    await chat(client); // trip 1, served by b or c
    await cooledDown(t, 'a'); // 100 ms
    await chat(client); // probe fails: trip 2 → disabled by health
    let view = await eventually(async () => {
      const v = await t.gw.services.channels.get(ids.a);
      expect(v).toMatchObject({ enabled: false, disabledBy: 'health' });
      return v;
    });

    await t.api('POST', `/api/admin/channels/${ids.c}/disable`, undefined, { token: t.rootToken });
    a.setDefaults({ fault: null });
    const check = await t.api('POST', '/api/admin/health/check', undefined, { token: t.rootToken });
    expect(check.status).toBe(200);
    view = await t.gw.services.channels.get(ids.a);
    expect(view).toMatchObject({ enabled: true, disabledBy: null });
    expect(await t.gw.services.channels.get(ids.c)).toMatchObject({ enabled: false, disabledBy: 'admin' });
    const kinds = (await t.gw.services.health.events.list(ids.a)).map((e) => e.kind);
    expect(kinds).toContain('auto_disabled');
    expect(kinds).toContain('auto_enabled');
    // A disabled channel is never tried.
    const before = served(c);
    for (let i = 0; i < 5; i++) await chat(client);
    expect(served(c)).toBe(before);
  });

  it('the background probe alone can disable a channel that keeps failing, and a failed probe re-opens its circuit once', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ fault: { kind: 'status', status: 500 } });
    const { t, client } = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')], { circuitFailures: 1, circuitCooldownMs: 100, autoDisableAfterTrips: 3, retryMaxAttempts: 3 });
    const id = (await t.gw.services.channels.list()).find((c) => c.name === 'a')!.id;
    await chat(client); // trip 1 (served by b)
    await cooledDown(t, 'a'); // 100 ms
    await chat(client); // a's probe fails inside a call that then retries: a is not tried again in it
    expect(served(a)).toBe(2);
    await cooledDown(t, 'a');
    await t.api('POST', '/api/admin/health/check', undefined, { token: t.rootToken }); // background probe fails: trip 3
    await eventually(async () => {
      expect(await t.gw.services.channels.get(id)).toMatchObject({ enabled: false, disabledBy: 'health' });
      const kinds = (await t.gw.services.health.events.list(id)).map((e) => e.kind).reverse();
      expect(kinds.filter((k) => k === 'circuit_open')).toHaveLength(3);
      expect(kinds).toContain('auto_disabled');
    });
  });

  it('circuit state is shared: a second gateway process on the same Redis skips a channel the first one opened', async () => {
    const [a, b] = await sims(2);
    a.setDefaults({ fault: { kind: 'status', status: 500 } });
    const redis = { redisUrl: REDIS_URL, redisPrefix: `apigpt-test:${randomBytes(4).toString('hex')}:` };
    const g1 = await gateway([channel(a, 'a', { priority: 10 }), channel(b, 'b')], { ...redis, circuitFailures: 2, circuitCooldownMs: 30_000 }, { db: 'postgres' });
    const t2 = await startTestGateway({ shareWith: g1.t, config: { ...redis, healthProbeIntervalMs: 0 } });
    open.push(t2);
    await chat(g1.client);
    await chat(g1.client);
    const before = served(a);
    const c2 = new OpenAI({ apiKey: g1.user.key, baseURL: `${t2.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 5; i++) await chat(c2);
    expect(served(a)).toBe(before);
  });
});

describe('choice between channels', () => {
  it('weights hold within statistical bounds over 2,000 calls, and a lower priority gets nothing while a higher one is healthy', async () => {
    const [light, heavy, backup] = await sims(3);
    const { client } = await gateway([channel(light, 'light', { weight: 1, priority: 5 }), channel(heavy, 'heavy', { weight: 3, priority: 5 }), channel(backup, 'backup', { priority: 0 })]);
    const N = 2000;
    for (let done = 0; done < N; done += 50) await Promise.all(Array.from({ length: 50 }, () => chat(client)));
    const l = served(light);
    expect(l + served(heavy)).toBe(N);
    expect(served(backup)).toBe(0);
    // Expected 500; the binomial standard deviation is about 19.4, so ±5 sd is ±97.
    expect(Math.abs(l - N / 4)).toBeLessThan(97);
  }, 120_000);

  it('model aliases: a public name mapped to the channel’s own name', async () => {
    const [a] = await sims(1);
    const { t, client } = await gateway([{ provider: 'openai-compatible', name: 'a', baseUrl: `${a.url}/v1`, models: [], modelMap: { [MODEL]: 'llama3:8b-instruct' } }]);
    await chat(client);
    expect(a.requests.at(-1)!.body).toMatchObject({ model: 'llama3:8b-instruct' });
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ model_requested: MODEL, model_sent: 'llama3:8b-instruct' });
  });
});

describe('response cache', () => {
  it('serves identical requests from the cache (plain and streamed) and not different ones; hits are marked and free', async () => {
    const [a] = await sims(1);
    const { t, user } = await gateway([channel(a, 'a')]);
    const post = (body: object, cache = 'on') =>
      fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json', 'x-apigpt-cache': cache }, body: JSON.stringify(body) });
    const body = { model: MODEL, messages: [{ role: 'user', content: 'cache me' }] };
    const first = await post(body);
    expect(first.headers.get('x-apigpt-cache')).toBe('miss');
    const firstJson = await first.text();
    const second = await post(body);
    expect(second.headers.get('x-apigpt-cache')).toBe('hit');
    expect(await second.text()).toBe(firstJson);
    expect(served(a)).toBe(1);
    const other = await post({ ...body, messages: [{ role: 'user', content: 'something else' }] });
    expect(other.headers.get('x-apigpt-cache')).toBe('miss');
    expect(served(a)).toBe(2);
    await post(body, 'off');
    expect(served(a)).toBe(3);

    const streamBody = { ...body, stream: true };
    const s1 = await (await post(streamBody)).text();
    const s2res = await post(streamBody);
    expect(s2res.headers.get('x-apigpt-cache')).toBe('hit');
    expect(s2res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await s2res.text()).toBe(s1);
    expect(served(a)).toBe(4);

    await t.flushLogs();
    const hits = await t.gw.services.db.selectFrom('request_logs').selectAll().where('cache_hit', '=', 1).execute();
    expect(hits).toHaveLength(2);
    for (const h of hits) {
      expect(h.cost).toBe(0);
      expect(h.completion_tokens).toBeGreaterThan(0);
    }
  });
});
