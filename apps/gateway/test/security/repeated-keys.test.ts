import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';

/**
 * A JSON body that names a key twice reads differently to different parsers: JSON.parse keeps the
 * last, others keep the first or refuse the body. The gateway routes, admits and bills the call by
 * what it read, so the provider must get exactly that — one `model`, the one the gateway billed —
 * never the caller's bytes, which other bodies get (http/json-body.ts `jsonShape`,
 * relay/caller-bytes.test.ts). Both dialects that pass through to a provider of their own shape:
 * OpenAI's (an OpenAI-compatible channel) and Anthropic's.
 */
describe('a request body with a repeated key', () => {
  let t: TestGateway;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: 'sk-sim-repeated' },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'oai', baseUrl: `${sim.url}/v1`, secret: 'sk-sim-repeated', models: ['gpt-4o', 'gpt-4o-mini'] },
        { provider: 'anthropic', name: 'claude', baseUrl: sim.url, secret: 'sk-sim-repeated', models: ['claude-opus-4-1', 'claude-3-5-haiku-latest'] },
      ],
    });
    // The expensive and the cheap model of each pair: a call billed as the cheap one must be served by it.
    await setPrice(t, 'gpt-4o', 100, 400);
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    await setPrice(t, 'claude-opus-4-1', 100, 400);
    await setPrice(t, 'claude-3-5-haiku-latest', 1, 2);
    const u = await t.newUserWithKey();
    key = u.key;
    userId = u.userId;
  });
  afterAll(() => t?.close());

  async function lastLog() {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
  }

  /** What the provider received: its text, and how many times it names a top-level `model`. */
  function sent() {
    const text = t.sim.requests.at(-1)!.text!;
    return { text, models: text.split('"model"').length - 1, body: JSON.parse(text) as { model: string; stream?: boolean } };
  }

  it('OpenAI dialect: the provider gets one model, the last one, which is also the one billed and logged', async () => {
    const raw = '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"model":"gpt-4o-mini"}';
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    const s = sent();
    expect(s.models).toBe(1);
    expect(s.body.model).toBe('gpt-4o-mini');
    const log = await lastLog();
    expect([log.model_requested, log.model_sent]).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    // Charged at gpt-4o-mini's price (1 and 2 P per 1K tokens), the model the provider ran.
    expect(Number(log.cost)).toBe(log.prompt_tokens * 1000 + log.completion_tokens * 2000);
  });

  it('OpenAI dialect, a key spelled with an escape: "mod\\u0065l" is `model` too, and only one reaches the provider', async () => {
    const raw = '{"mod\\u0065l":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"model":"gpt-4o-mini"}';
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    const s = sent();
    expect(s.text).not.toContain('\\u0065');
    expect(s.models).toBe(1);
    expect(s.body.model).toBe('gpt-4o-mini');
  });

  it('OpenAI dialect: a repeated `stream` is sent as the gateway read it, so a plain answer is read as plain', async () => {
    const raw = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":false}';
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(sent().text.split('"stream"').length - 1).toBe(1);
    expect(sent().body.stream).toBe(false);
    expect((await lastLog()).status).toBe(200);
  });

  it('Anthropic dialect on an Anthropic channel: one model, the one billed', async () => {
    const raw = '{"model":"claude-opus-4-1","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"model":"claude-3-5-haiku-latest"}';
    const res = await fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(200);
    const s = sent();
    expect(t.sim.requests.at(-1)!.path).toBe('/v1/messages');
    expect(s.models).toBe(1);
    expect(s.body.model).toBe('claude-3-5-haiku-latest');
    const log = await lastLog();
    expect([log.model_requested, log.model_sent]).toEqual(['claude-3-5-haiku-latest', 'claude-3-5-haiku-latest']);
    expect(Number(log.cost)).toBe(log.prompt_tokens * 1000 + log.completion_tokens * 2000);
  });
});
