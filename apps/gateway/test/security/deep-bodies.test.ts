import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { jsonShape, MAX_JSON_DEPTH } from '../../src/http/json-body.js';
import type { Exchange } from '../../src/relay/pipeline.js';

/** `{"a":{"a":…1…}}` nested `depth` levels, written as text (an object that deep would overflow JSON.stringify). */
function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const HELLO = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });

let t: TestGateway;
let channelId: string;
beforeAll(async () => {
  // Five failures in a row open the circuit, three attempts per call: two counted calls would open it.
  t = await startTestGateway({ config: { circuitFailures: 5, retryMaxAttempts: 3 } });
  channelId = (await t.gw.services.channels.list())[0].id;
});
afterAll(() => t?.close());

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

describe('deeply nested JSON bodies', () => {
  it('a trial key sending bodies nested 10,000 levels deep gets 400s in its dialect, and another key is still served by the channel', async () => {
    const attacker = await t.newUserWithKey();
    const other = await t.newUserWithKey();
    const deepMetadata = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${nested(10_000)}}`;
    const deepTool = `{"model":"gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"object","properties":${nested(10_000)}}}]}`;
    const deepGemini = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":${nested(10_000)}}]}]}`;

    const openai = await post('/v1/chat/completions', deepMetadata, { authorization: `Bearer ${attacker.key}` });
    expect(openai.status).toBe(400);
    expect(openai.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(openai.body.error.message).toContain(`${MAX_JSON_DEPTH} levels`);

    const anthropic = await post('/v1/messages', deepTool, { 'x-api-key': attacker.key, 'anthropic-version': '2023-06-01' });
    expect(anthropic.status).toBe(400);
    expect(anthropic.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });

    const gemini = await post('/v1beta/models/gpt-4o-mini:generateContent', deepGemini, { 'x-goog-api-key': attacker.key });
    expect(gemini.status).toBe(400);
    expect(gemini.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });

    const ok = await post('/v1/chat/completions', HELLO, { authorization: `Bearer ${other.key}` });
    expect(ok.status).toBe(200);
    expect(await t.gw.services.health.circuit.view(channelId)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('a body nested exactly at the limit is accepted, one level more is refused', async () => {
    const { key } = await t.newUserWithKey();
    // The body object and `metadata` are two levels; `nested(n)` adds n.
    const at = await post('/v1/chat/completions', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${nested(MAX_JSON_DEPTH - 1)}}`, { authorization: `Bearer ${key}` });
    expect(at.status).toBe(200);
    const over = await post('/v1/chat/completions', `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${nested(MAX_JSON_DEPTH)}}`, { authorization: `Bearer ${key}` });
    expect(over.status).toBe(400);
  });

  it('the management API refuses a deep body in its own envelope', async () => {
    const { cookie } = await t.signup();
    const res = await fetch(`${t.url}/api/apps`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: `{"name":"x","extra":${nested(10_000)}}` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ type: 'invalid_request', code: 'invalid_json' });
  });

  it('the depth check reads brackets inside strings as text', () => {
    const tooDeep = (text: string, max: number) => jsonShape(text, max).tooDeep;
    expect(tooDeep(JSON.stringify({ s: '{'.repeat(500) + '['.repeat(500), t: '\\"{{{{' }), 3)).toBe(false);
    expect(tooDeep('[[[[]]]]', 4)).toBe(false);
    expect(tooDeep('[[[[[]]]]]', 4)).toBe(true);
  });
});

describe("the gateway's own failures are not the channel's", () => {
  it('a TypeError thrown while an attempt builds its request is a 500 for the caller and leaves the circuit closed', async () => {
    const { key } = await t.newUserWithKey();
    const ctx = (await t.gw.services.keys.resolve(key))!;
    const pipeline = t.gw.services.pipeline;
    let attempts = 0;
    const broken: Exchange = {
      plan: async (routes) => ({ routes: await routes('gpt-4o-mini'), quote: { units: { promptTokens: 1, completionTokens: 0, cachedTokens: 0, estimated: true }, maxOutputTokens: 1, choices: 1 } }),
      attempt: async () => {
        attempts++;
        throw new TypeError("Cannot read properties of undefined (reading 'map')");
      },
    };
    for (let i = 0; i < 3; i++) {
      const res = new ServerResponse(new IncomingMessage(new Socket()));
      const err = await pipeline.run({ key: ctx, dialect: 'openai', operation: 'chat', endpoint: '/v1/chat/completions', model: 'gpt-4o-mini', stream: false, clientIp: '127.0.0.1' }, broken, res).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'internal', status: 500 });
    }
    expect(attempts).toBe(3); // one attempt per call: no retry, no failover
    expect(await t.gw.services.health.circuit.view(channelId)).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    const ok = await post('/v1/chat/completions', HELLO, { authorization: `Bearer ${key}` });
    expect(ok.status).toBe(200);
  });
});
