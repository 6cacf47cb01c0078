import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * A JSON body with a `__proto__` key, or a `constructor` key holding a `prototype`, is refused: code
 * that copies such an object into another (a spread, a merge) would set the prototype of what it
 * builds (prototype poisoning; Fastify's parser, secure-json-parse, refuses both). The relay's
 * bodies are read by JSON.parse alone when one pass over the text (http/json-body.ts `jsonShape`)
 * found no such key — a coding agent's 230 KB turn is then not scanned twice more for them — and
 * by the checking parser otherwise (the pass itself: relay/caller-bytes.test.ts). Both paths are sent
 * here, in every dialect that relays JSON.
 */
const PROTOTYPE_REFUSED = 'The JSON body may not have a "__proto__" key, nor a "constructor" key holding a "prototype".';

describe('prototype keys in a request body', () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: 'sk-sim-proto' },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'oai', baseUrl: `${sim.url}/v1`, secret: 'sk-sim-proto', models: ['gpt-4o-mini'] },
        { provider: 'anthropic', name: 'claude', baseUrl: sim.url, secret: 'sk-sim-proto', models: ['claude-3-5-haiku-latest'] },
        { provider: 'gemini', name: 'gem', baseUrl: sim.url, secret: 'sk-sim-proto', models: ['gemini-2.0-flash'] },
      ],
    });
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'x-api-key': key, 'x-goog-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body });

  it('OpenAI chat: a __proto__ key, top-level or in a message, is refused with 400 in the OpenAI shape; the provider is never called', async () => {
    const before = t.sim.requests.length;
    for (const body of [
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}',
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi","__proto__":{"x":1}}]}',
    ]) {
      const res = await post('/v1/chat/completions', body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as { error: { message: string; type: string; code: string } };
      expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', message: PROTOTYPE_REFUSED });
    }
    expect(t.sim.requests.length).toBe(before);
  });

  it('OpenAI chat: a constructor key holding a prototype is refused; one that does not (a tool parameter named "constructor") is served', async () => {
    const refused = await post('/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{"constructor":{"prototype":{"x":"1"}}}}');
    expect(refused.status).toBe(400);
    const tool = { type: 'function', function: { name: 'make', parameters: { type: 'object', properties: { constructor: { type: 'string' } } } } };
    const served = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], tools: [tool] }));
    expect(served.status).toBe(200);
    expect((t.sim.requests.at(-1)!.body as { tools: unknown[] }).tools).toEqual([tool]);
  });

  it('the words as text in a prompt are served, and the prompt reaches the provider as sent', async () => {
    const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"explain {\\"__proto__\\": {}} and constructor.prototype"}]}';
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(200);
    expect(t.sim.requests.at(-1)!.text).toBe(body);
  });

  it('malformed JSON is still answered as malformed', async () => {
    const res = await post('/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('We could not parse the JSON body of your request. The body must be valid JSON.');
  });

  it("the management API (the console's) refuses them too, in its own shape", async () => {
    const { cookie } = await t.newUserWithKey();
    const res = await fetch(`${t.url}/api/apps`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: t.url }, body: '{"name":"x","__proto__":{"admin":true}}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_json', message: PROTOTYPE_REFUSED });
  });

  it('Anthropic Messages and Gemini: refused in their own error shapes', async () => {
    const claude = await post('/v1/messages', '{"model":"claude-3-5-haiku-latest","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}');
    expect(claude.status).toBe(400);
    expect(((await claude.json()) as { type: string; error: { type: string; message: string } }).error).toEqual({ type: 'invalid_request_error', message: PROTOTYPE_REFUSED });
    const gemini = await post('/v1beta/models/gemini-2.0-flash:generateContent', '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"__proto__":{"x":1}}');
    expect(gemini.status).toBe(400);
    expect(((await gemini.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
  });
});
