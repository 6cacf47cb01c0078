import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureOpenAI } from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { postJson, sseJson, tok } from './helpers.js';

const KEY = 'azure-key';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());

const dated = (dep: string, op: string) => `${sim.url}/openai/deployments/${dep}/${op}?api-version=2024-10-21`;

describe('Azure OpenAI', () => {
  it('works with the AzureOpenAI SDK client (api-key header, deployment in path)', async () => {
    const client = new AzureOpenAI({ apiKey: KEY, endpoint: sim.url, apiVersion: '2024-10-21', deployment: 'my-gpt4o', maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hello azure' }] });
    expect(r.model).toBe('my-gpt4o');
    expect(r.choices[0].message.content).toContain('hello azure');
    expect((r as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    expect((r.choices[0] as unknown as { content_filter_results: object }).content_filter_results).toHaveProperty('hate');
    const rec = sim.requests.at(-1)!;
    expect(rec.path).toBe('/openai/deployments/my-gpt4o/chat/completions');
    expect(rec.query['api-version']).toBe('2024-10-21');
    expect(rec.headers['api-key']).toBe(KEY);
  });

  it('streams with a leading prompt_filter_results chunk that has empty choices', async () => {
    const res = await postJson(dated('dep1', 'chat/completions'), { messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }, { 'api-key': KEY });
    const chunks = sseJson(await res.text());
    expect(chunks[0].choices).toEqual([]);
    expect(chunks[0].id).toBe('');
    expect(chunks[0].prompt_filter_results).toHaveLength(1);
    expect(chunks[1].choices[0].delta.role).toBe('assistant');
    expect(chunks[1].model).toBe('dep1');
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(chunks.at(-1).usage.completion_tokens).toBe(tok(text));
  });

  it('requires api-version on dated URLs and the api-key', async () => {
    const noVersion = await postJson(`${sim.url}/openai/deployments/d/chat/completions`, { messages: [{ role: 'user', content: 'x' }] }, { 'api-key': KEY });
    expect(noVersion.status).toBe(404);
    expect((await noVersion.json()).error.code).toBe('404');
    const bad = await postJson(dated('d', 'chat/completions'), { messages: [{ role: 'user', content: 'x' }] }, { 'api-key': 'nope' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error.code).toBe('401');
  });

  it('serves completions and embeddings per deployment, and the /openai/v1 surface', async () => {
    const c = await (await postJson(dated('instruct', 'completions'), { prompt: 'Say hi' }, { 'api-key': KEY })).json();
    expect(c.model).toBe('instruct');
    expect(c.object).toBe('text_completion');
    const e = await (await postJson(dated('emb-large', 'embeddings'), { input: 'x' }, { 'api-key': KEY })).json();
    expect(e.data[0].embedding).toHaveLength(3072);
    const v1 = await (await postJson(`${sim.url}/openai/v1/chat/completions`, { model: 'dep-v1', messages: [{ role: 'user', content: 'x' }] }, { 'api-key': KEY })).json();
    expect(v1.model).toBe('dep-v1');
  });

  it('unknown deployment → DeploymentNotFound when a model list is configured', async () => {
    const strict = await startSimulator({ models: ['known'] });
    try {
      const r = await postJson(`${strict.url}/openai/deployments/unknown/chat/completions?api-version=2024-10-21`, { messages: [{ role: 'user', content: 'x' }] });
      expect(r.status).toBe(404);
      expect((await r.json()).error.code).toBe('DeploymentNotFound');
    } finally {
      await strict.close();
    }
  });
});
