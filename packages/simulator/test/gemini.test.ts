import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { postJson, tok } from './helpers.js';

const KEY = 'AIza-test';
const H = { 'x-goog-api-key': KEY };
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());
const gen = (model: string, op: string, body: unknown, headers: Record<string, string> = H, qs = '') => postJson(`${sim.url}/v1beta/models/${model}:${op}${qs}`, body, headers);
const user = (text: string) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

function expectedPrompt(system: string | null, turns: Array<{ role: string; text: string }>): number {
  let n = 3;
  if (system !== null) n += 3 + tok('system') + tok(system);
  for (const t of turns) n += 3 + tok(t.role) + tok(t.text);
  return n;
}

describe('Gemini', () => {
  it('generateContent with systemInstruction and honest usageMetadata', async () => {
    const r = await (await gen('gemini-2.5-flash', 'generateContent', { systemInstruction: { parts: [{ text: 'Be terse.' }] }, ...user('Hello Gemini') })).json();
    const c = r.candidates[0];
    expect(c.content.role).toBe('model');
    expect(c.finishReason).toBe('STOP');
    const text = c.content.parts[0].text;
    expect(text).toContain('Hello Gemini');
    expect(r.usageMetadata.promptTokenCount).toBe(expectedPrompt('Be terse.', [{ role: 'user', text: 'Hello Gemini' }]));
    expect(r.usageMetadata.candidatesTokenCount).toBe(tok(text));
    expect(r.usageMetadata.totalTokenCount).toBe(r.usageMetadata.promptTokenCount + r.usageMetadata.candidatesTokenCount);
    expect(r.modelVersion).toBe('gemini-2.5-flash');
  });

  it('streams CRLF-framed SSE: running usage (prompt only) on every chunk, the final usage and finishReason on the last', async () => {
    const res = await gen('gemini-2.5-flash', 'streamGenerateContent', user('hi [[sim reply="a b c d e f" chunks=3]]'), H, '?alt=sse');
    const raw = await res.text();
    expect(raw).toContain('\r\n\r\n');
    expect(raw.replace(/\r\n\r\n/g, '')).not.toContain('\n\n');
    expect(raw).not.toContain('[DONE]');
    const chunks = raw.split('\r\n\r\n').filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks).toHaveLength(3);
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe('a b c d e f');
    expect(chunks.slice(0, -1).every((c) => !c.candidates[0].finishReason)).toBe(true);
    const prompt = chunks[2].usageMetadata.promptTokenCount;
    for (const c of chunks.slice(0, -1)) expect(c.usageMetadata).toMatchObject({ promptTokenCount: prompt, totalTokenCount: prompt });
    expect(chunks.slice(0, -1).every((c) => c.usageMetadata.candidatesTokenCount === undefined)).toBe(true);
    expect(chunks[2].candidates[0].finishReason).toBe('STOP');
    expect(chunks[2].usageMetadata.candidatesTokenCount).toBe(tok('a b c d e f'));

    const arr = await (await gen('gemini-2.5-flash', 'streamGenerateContent', user('hi'))).json();
    expect(Array.isArray(arr)).toBe(true);
  });

  it('function calls, function responses, inline images, JSON mode, limits', async () => {
    const tools = [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }];
    const r = await (await gen('gemini-2.5-flash', 'generateContent', { ...user('weather?'), tools })).json();
    expect(r.candidates[0].content.parts[0].functionCall).toEqual({ name: 'get_weather', args: { city: 'Paris' } });
    expect(r.candidates[0].finishReason).toBe('STOP');
    const none = await (await gen('gemini-2.5-flash', 'generateContent', { ...user('weather?'), tools, toolConfig: { functionCallingConfig: { mode: 'NONE' } } })).json();
    expect(none.candidates[0].content.parts[0].text).toBeDefined();

    const follow = await (
      await gen('gemini-2.5-flash', 'generateContent', {
        tools,
        contents: [
          { role: 'user', parts: [{ text: 'weather?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 21 } } }] },
        ],
      })
    ).json();
    expect(follow.candidates[0].content.parts[0].text).toContain('{"temp_c":21}');

    const img = await (await gen('gemini-2.5-flash', 'generateContent', { contents: [{ role: 'user', parts: [{ text: 'what?' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }] })).json();
    expect(img.candidates[0].content.parts[0].text).toContain('I see 1 image');

    const json = await (await gen('gemini-2.5-flash', 'generateContent', { ...user('x'), generationConfig: { responseMimeType: 'application/json' } })).json();
    expect(typeof JSON.parse(json.candidates[0].content.parts[0].text)).toBe('object');

    const max = await (await gen('gemini-2.5-flash', 'generateContent', { ...user('x'), generationConfig: { maxOutputTokens: 2 } })).json();
    expect(max.candidates[0].finishReason).toBe('MAX_TOKENS');
    expect(max.usageMetadata.candidatesTokenCount).toBe(2);
    const stop = await (await gen('gemini-2.5-flash', 'generateContent', { ...user('x [[sim reply="keep END drop"]]'), generationConfig: { stopSequences: ['END'] } })).json();
    expect(stop.candidates[0].content.parts[0].text).toBe('keep ');
  });

  it('embeds (single and batch) and counts tokens', async () => {
    const one = await (await gen('gemini-embedding-001', 'embedContent', { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 768 })).json();
    expect(one.embedding.values).toHaveLength(768);
    const batch = await (
      await gen('gemini-embedding-001', 'batchEmbedContents', {
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'hello' }] }, outputDimensionality: 768 },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
        ],
      })
    ).json();
    expect(batch.embeddings[0].values).toEqual(one.embedding.values);
    expect(batch.embeddings[1].values).toHaveLength(3072);
    const ct = await (await gen('gemini-2.5-flash', 'countTokens', user('count me'))).json();
    expect(ct.totalTokens).toBe(expectedPrompt(null, [{ role: 'user', text: 'count me' }]));
  });

  it('auth: ?key= works, wrong key is 400 API_KEY_INVALID, missing key 403; list models; 429 shape', async () => {
    const viaQuery = await postJson(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${KEY}`, user('x'));
    expect(viaQuery.status).toBe(200);
    const bad = await gen('gemini-2.5-flash', 'generateContent', user('x'), { 'x-goog-api-key': 'nope' });
    expect(bad.status).toBe(400);
    const e = await bad.json();
    expect(e.error.status).toBe('INVALID_ARGUMENT');
    expect(e.error.details[0].reason).toBe('API_KEY_INVALID');
    expect((await gen('gemini-2.5-flash', 'generateContent', user('x'), {})).status).toBe(403);
    const list = await (await fetch(`${sim.url}/v1beta/models`, { headers: H })).json();
    expect(list.models[0].name).toMatch(/^models\//);
    const limited = await gen('gemini-2.5-flash', 'generateContent', user('x [[sim fault=status:429]]'));
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.status).toBe('RESOURCE_EXHAUSTED');
  });
});
