import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from './harness.js';
import { eventually } from './eventually.js';

/**
 * Every failure answers in OpenAI's error shape with the status the official SDK maps to its own
 * error class, and nothing internal (stack, channel secret) reaches the client.
 */
describe('OpenAI-dialect errors', () => {
  let t: TestGateway;
  let client: OpenAI;
  let key: string;
  let keyedSim: Simulator;
  const upstreamSecret = 'sk-upstream-SECRET-never-shown-1234567890';

  beforeAll(async () => {
    keyedSim = await startSimulator({ apiKey: 'the-only-key-this-upstream-accepts' });
    t = await startTestGateway({
      // One attempt and a breaker that never opens: this suite is about how each failure reads.
      config: { bodyLimit: 64 * 1024, upstreamTimeoutMs: 400, retryMaxAttempts: 1, circuitFailures: 1000, circuitErrorRatePercent: 100 },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: ['gpt-4o-mini', 'text-embedding-3-small'] },
        { provider: 'openai-compatible', name: 'vip only', baseUrl: `${sim.url}/v1`, models: ['gpt-vip'], groups: ['vip'] },
        // The simulator only accepts its own key here, so this channel's secret is "wrong".
        { provider: 'openai', name: 'bad secret', baseUrl: `${keyedSim.url}/v1`, secret: upstreamSecret, models: ['gpt-keyed'] },
      ],
    });
    key = (await t.newUserWithKey()).key;
    for (const model of ['gpt-vip', 'gpt-keyed']) {
      const priced = await t.api('PUT', `/api/admin/prices/${model}`, { input: 1, output: 2 }, { token: t.rootToken });
      expect(priced.status).toBe(200);
    }
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await keyedSim?.close();
  });

  async function raw(body: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: res.status, body: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } } };
  }

  function expectEnvelope(body: unknown) {
    const e = (body as { error: Record<string, unknown> }).error;
    expect(Object.keys(e).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof e.message).toBe('string');
    expect(String(e.message)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack frames
  }

  it('400 for malformed JSON', async () => {
    const r = await raw('{"model": "gpt-4o-mini", "messages": [');
    expect(r.status).toBe(400);
    expectEnvelope(r.body);
    expect(r.body.error.code).toBe('invalid_json');
  });

  it('400 naming the field for a wrong type (BadRequestError)', async () => {
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' as never })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('temperature');
    expect(err.message).toMatch(/temperature/);
    const r = await raw(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'hi' }] }));
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('messages[0].role');
    const missing = await raw(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(missing.body.error.param).toBe('model');
    expect(missing.body.error.message).toMatch(/Missing required parameter: 'model'/);
  });

  it('401 for a missing or wrong key (AuthenticationError), before the body is read', async () => {
    const bad = new OpenAI({ apiKey: 'sk-not-a-real-key-000000000000000000000000', baseURL: `${t.url}/v1`, maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.code).toBe('invalid_api_key');
    expect(err.message).not.toContain('sk-not-a-real-key-000000000000000000000000');
    const none = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', body: 'not even json' });
    expect(none.status).toBe(401);
    expectEnvelope(await none.json());
  });

  it('403 for a model the caller’s group may not use (PermissionDeniedError)', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-vip', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('model_not_allowed');
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).not.toContain('gpt-vip');
  });

  it('404 for an unknown model (NotFoundError)', async () => {
    const err = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
    const err2 = await client.models.retrieve('no-such-model').catch((e) => e);
    expect(err2).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('413 for a body over the configured limit', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(413);
    expectEnvelope(err.error ? { error: err.error } : {});
  });

  it('429 from the provider reaches the caller as RateLimitError with retry-after', async () => {
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi [[sim fault=status:429:retry-after=2]]' }] }),
    });
    expect(res.status).toBe(429);
    expectEnvelope(await res.json());
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi [[sim fault=status:429]]' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('502 when the provider fails (InternalServerError), streamed or not', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi [[sim fault=status:500]]' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(502);
    const err2 = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi [[sim fault=status:500]]' }] }).catch((e) => e);
    expect(err2).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('a provider that refuses the channel key is a 502 for the caller, and the secret never shows', async () => {
    const err = await client.chat.completions.create({ model: 'gpt-keyed', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(502);
    expect(JSON.stringify(err.error)).not.toContain(upstreamSecret);
    expect(keyedSim.requests.at(-1)!.headers.authorization).toBe(`Bearer ${upstreamSecret}`);
  });

  it('504 when the provider hangs past the timeout', async () => {
    const started = Date.now();
    const err = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi [[sim fault=hang]]' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a stream cut by the provider ends with an in-band error event, not a silent truncation', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi [[sim chunks=8 fault=drop:3]]' }] });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    })().catch((e) => e);
    expect(text.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toMatch(/ended the stream/);
  });

  it('a client that disconnects mid-stream aborts the upstream request at once and is logged as 499', async () => {
    const ac = new AbortController();
    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      signal: ac.signal,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'slow [[sim chunks=50 delay=100]]' }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const abortedBefore = t.sim.stats.aborted;
    ac.abort();
    // The simulator sees its response to the gateway closed early: the upstream call is cut too,
    // well before the 5 s the stream would take.
    await eventually(() => expect(t.sim.stats.aborted).toBe(abortedBefore + 1), { timeoutMs: 1000 });
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('status', '=', 499).executeTakeFirst();
    expect(row).toBeDefined();
    expect(row!.latency_ms).toBeLessThan(3000); // not the full 5 s the stream would take
  });

  it('unknown routes answer 404 in the OpenAI shape', async () => {
    const res = await fetch(`${t.url}/v1/nothing-here`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(404);
    expectEnvelope(await res.json());
  });
});
