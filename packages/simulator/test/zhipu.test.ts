import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngSize, startSimulator, type Simulator } from '@apigpt/simulator';
import { chatPromptTokens, parseSse, postJson, sseJson, tok } from './helpers.js';

const KEY = 'abc123.s3cr3t';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());

const b64u = (s: string | Buffer) => Buffer.from(s).toString('base64url');
function jwt(apiKey: string, expOffsetMs = 210_000, secretOverride?: string): string {
  const [id, secret] = apiKey.split('.');
  const now = Date.now();
  const h = b64u(JSON.stringify({ alg: 'HS256', sign_type: 'SIGN' }));
  const p = b64u(JSON.stringify({ api_key: id, exp: now + expOffsetMs, timestamp: now }));
  const s = createHmac('sha256', secretOverride ?? secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}
const Z = `${'/api/paas/v4'}`;
const zchat = (body: unknown, token = KEY) => postJson(`${sim.url}${Z}/chat/completions`, body, { authorization: `Bearer ${token}` });

describe('Zhipu', () => {
  it('accepts the raw key and a valid HS256 JWT; rejects bad signature and expired tokens', async () => {
    const body = { model: 'glm-4-plus', messages: [{ role: 'user', content: 'hi' }] };
    expect((await zchat(body)).status).toBe(200);
    expect((await zchat(body, jwt(KEY))).status).toBe(200);
    const forged = await zchat(body, jwt(KEY, 210_000, 'wrong'));
    expect(forged.status).toBe(401);
    expect((await forged.json()).error.code).toBe('1002');
    const expired = await zchat(body, jwt(KEY, -1000));
    expect(expired.status).toBe(401);
    expect((await expired.json()).error.code).toBe('1003');
  });

  it('plain chat: request_id, no object field, usage', async () => {
    const r = await (await zchat({ model: 'glm-4-plus', request_id: 'req-1', messages: [{ role: 'user', content: '你好' }] })).json();
    expect(r.request_id).toBe('req-1');
    expect(r.object).toBeUndefined();
    expect(r.choices[0].message.content).toContain('你好');
    expect(r.usage.prompt_tokens).toBe(chatPromptTokens([{ role: 'user', content: '你好' }]));
    expect(r.usage.completion_tokens).toBe(tok(r.choices[0].message.content));
  });

  it('streams with usage on the finish chunk (no stream_options) and whole tool arguments', async () => {
    const text = await (await zchat({ model: 'glm-4-plus', stream: true, messages: [{ role: 'user', content: 'x' }] })).text();
    expect(parseSse(text).at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(text);
    const fin = chunks.at(-1);
    expect(fin.choices[0].finish_reason).toBe('stop');
    const streamed = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(fin.usage.completion_tokens).toBe(tok(streamed));

    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { x: { type: 'number' } } } } }];
    const t = sseJson(await (await zchat({ model: 'glm-4-plus', stream: true, tools, messages: [{ role: 'user', content: 'x' }] })).text());
    const frags = t.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).filter((tc: { function?: { arguments?: string } }) => tc.function?.arguments);
    expect(frags).toHaveLength(1);
    expect(JSON.parse(frags[0].function.arguments)).toEqual({ x: 1 });
  });

  it('unknown model → 400 code 1211; embeddings; CogView url and b64', async () => {
    const strict = await startSimulator({ models: ['glm-4-plus'] });
    try {
      const r = await postJson(`${strict.url}${Z}/chat/completions`, { model: 'glm-9', messages: [{ role: 'user', content: 'x' }] });
      expect(r.status).toBe(400);
      expect((await r.json()).error.code).toBe('1211');
    } finally {
      await strict.close();
    }
    const e = await (await postJson(`${sim.url}${Z}/embeddings`, { model: 'embedding-3', input: ['a', 'b'], dimensions: 512 }, { authorization: `Bearer ${KEY}` })).json();
    expect(e.data[1].embedding).toHaveLength(512);
    const e2 = await (await postJson(`${sim.url}${Z}/embeddings`, { model: 'embedding-2', input: 'a' }, { authorization: `Bearer ${KEY}` })).json();
    expect(e2.data[0].embedding).toHaveLength(1024);

    const img = await (await postJson(`${sim.url}${Z}/images/generations`, { model: 'cogview-4', prompt: 'a cat', size: '768x1344' }, { authorization: `Bearer ${KEY}` })).json();
    expect(img.data[0].url).toMatch(/\/_sim\/images\/.+\.png$/);
    const png = Buffer.from(await (await fetch(img.data[0].url)).arrayBuffer());
    expect(readPngSize(png)).toEqual({ width: 768, height: 1344 });
    const b64 = await (await postJson(`${sim.url}${Z}/images/generations`, { model: 'cogview-4', prompt: 'a cat', size: '512x512', response_format: 'b64_json' }, { authorization: `Bearer ${KEY}` })).json();
    expect(readPngSize(Buffer.from(b64.data[0].b64_json, 'base64'))).toEqual({ width: 512, height: 512 });
  });
});

describe('self-hosted ChatGLM3 server', () => {
  it('answers without auth, legacy function_call, CRLF SSE with ping and no usage', async () => {
    const locked = await startSimulator({ apiKey: 'irrelevant' });
    try {
      const r = await (await postJson(`${locked.url}/chatglm/v1/chat/completions`, { model: 'chatglm3-6b', messages: [{ role: 'user', content: 'hi' }] })).json();
      expect(r.object).toBe('chat.completion');
      expect(r.usage.prompt_tokens).toBeGreaterThan(0);

      const tools = [{ type: 'function', function: { name: 'search', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
      const f = await (await postJson(`${locked.url}/chatglm/v1/chat/completions`, { model: 'chatglm3-6b', tools, messages: [{ role: 'user', content: 'find' }] })).json();
      expect(f.choices[0].finish_reason).toBe('function_call');
      expect(f.choices[0].message.function_call.name).toBe('search');
      expect(f.choices[0].message.tool_calls).toBeUndefined();

      const fr = await (
        await postJson(`${locked.url}/chatglm/v1/chat/completions`, {
          model: 'chatglm3-6b',
          tools,
          messages: [
            { role: 'user', content: 'find' },
            { role: 'assistant', content: '', function_call: { name: 'search', arguments: '{}' } },
            { role: 'function', name: 'search', content: 'result 42' },
          ],
        })
      ).json();
      expect(fr.choices[0].message.content).toContain('result 42');

      const raw = await (await postJson(`${locked.url}/chatglm/v1/chat/completions`, { model: 'chatglm3-6b', stream: true, messages: [{ role: 'user', content: 'hi' }] })).text();
      expect(raw.startsWith(': ping')).toBe(true);
      expect(raw).toContain('\r\n\r\n');
      const chunks = sseJson(raw);
      expect(chunks.some((c) => c.usage)).toBe(false);
      expect(chunks[0].id).toBe('');
      expect(parseSse(raw).at(-1)!.data).toBe('[DONE]');

      const bad = await postJson(`${locked.url}/chatglm/v1/chat/completions`, { model: 'x', messages: [{ role: 'assistant', content: 'hi' }] });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ detail: 'Invalid request' });
      const models = await (await fetch(`${locked.url}/chatglm/v1/models`)).json();
      expect(models.data[0].id).toBe('chatglm3-6b');
    } finally {
      await locked.close();
    }
  });
});
