import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { chatPromptTokens, parseSse, postJson, sseJson, tok } from './helpers.js';

const KEY = 'sk-deepseek';
let sim: Simulator;
let client: OpenAI;
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  // DeepSeek's base URL has no /v1.
  client = new OpenAI({ apiKey: KEY, baseURL: sim.url, maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await fetch(`${sim.url}/_sim/deepseek/cache`, { method: 'DELETE' });
});

type Msg = { role: string; content: string };
const msgTokens = (m: Msg) => 3 + tok(m.role) + tok(m.content);
const cached = (msgs: Msg[]) => Math.floor(msgs.reduce((n, m) => n + msgTokens(m), 0) / 64) * 64;
const thought = (text: string) => `The user wrote "${text}". I should understand what is asked, then answer directly and briefly.`;
// A system prompt long enough to span a few 64-token cache units.
const SYSTEM = `You are a meticulous assistant. ${'Always double-check facts, cite sources when you can, and keep answers short. '.repeat(8)}`;

function usageOf(u: unknown): Record<string, unknown> {
  return u as Record<string, unknown>;
}

describe('DeepSeek chat', () => {
  it('deepseek-chat: OpenAI-shaped answer with DeepSeek usage fields, no reasoning_content', async () => {
    const messages = [{ role: 'user' as const, content: 'Hello DeepSeek' }];
    const r = await client.chat.completions.create({ model: 'deepseek-chat', messages });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('deepseek-chat');
    expect(r.system_fingerprint).toBe('fp_sim_deepseek');
    const msg = r.choices[0].message as unknown as Record<string, unknown>;
    expect(msg.content).toContain('Hello DeepSeek');
    expect('reasoning_content' in msg).toBe(false);
    expect('refusal' in msg).toBe(false);
    const prompt = chatPromptTokens(messages);
    const completion = tok(msg.content as string);
    expect(usageOf(r.usage)).toEqual({
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
      prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: prompt,
    });
    expect(sim.requests.at(-1)!.path).toBe('/chat/completions');
  });

  it('deepseek-reasoner: reasoning_content beside content, counted as reasoning tokens', async () => {
    const r = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-reasoner', messages: [{ role: 'user', content: 'Why is the sky blue?' }] }, auth)).json();
    const m = r.choices[0].message;
    expect(m.reasoning_content).toBe(thought('Why is the sky blue?'));
    expect(m.content).toContain('Why is the sky blue?');
    expect(r.usage.completion_tokens_details.reasoning_tokens).toBe(tok(m.reasoning_content));
    expect(r.usage.completion_tokens).toBe(tok(m.content) + tok(m.reasoning_content));
    expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
    // max_tokens limits the answer, not the reasoning.
    const short = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-reasoner', max_tokens: 2, messages: [{ role: 'user', content: 'Why?' }] }, auth)).json();
    expect(short.choices[0].finish_reason).toBe('length');
    expect(short.usage.completion_tokens).toBe(2 + tok(thought('Why?')));
  });

  it('streams reasoning deltas first, then content, then the usage chunk and [DONE]', async () => {
    const body = { model: 'deepseek-reasoner', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Count to three' }] };
    const raw = await (await postJson(`${sim.url}/chat/completions`, body, { ...auth, 'x-sim-chunks': '4' })).text();
    expect(parseSse(raw).at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(raw);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: null, reasoning_content: '' });
    const deltas = chunks.slice(1).filter((c) => c.choices.length && !c.choices[0].finish_reason).map((c) => c.choices[0].delta);
    const firstContent = deltas.findIndex((d) => d.content);
    expect(firstContent).toBe(4);
    expect(deltas.slice(0, firstContent).every((d) => d.content === null && typeof d.reasoning_content === 'string')).toBe(true);
    expect(deltas.slice(firstContent).every((d) => d.reasoning_content === null && typeof d.content === 'string')).toBe(true);
    const reasoning = deltas.map((d) => d.reasoning_content ?? '').join('');
    const content = deltas.map((d) => d.content ?? '').join('');
    expect(reasoning).toBe(thought('Count to three'));
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBe(tok(reasoning) + tok(content));
    expect(last.usage.completion_tokens_details.reasoning_tokens).toBe(tok(reasoning));
    expect(last.usage.prompt_cache_miss_tokens).toBe(last.usage.prompt_tokens);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);

    const plain = sseJson(await (await postJson(`${sim.url}/chat/completions`, { ...body, model: 'deepseek-chat', stream_options: undefined }, auth)).text());
    expect(plain.some((c) => c.usage)).toBe(false);
    expect(plain[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(plain.some((c) => 'reasoning_content' in (c.choices[0]?.delta ?? {}))).toBe(false);
  });

  it('simulates the prefix cache in 64-token units, deterministically', async () => {
    const first: Msg[] = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: 'What is the capital of France?' },
    ];
    const r1 = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: first }, auth)).json();
    expect(r1.usage.prompt_cache_hit_tokens).toBe(0);
    const reply = r1.choices[0].message.content as string;

    // Next turn: the whole earlier conversation plus the reply it got is a persisted prefix.
    const second: Msg[] = [...first, { role: 'assistant', content: reply }, { role: 'user', content: 'And of Spain?' }];
    const r2 = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: second }, auth)).json();
    const hit2 = cached(second.slice(0, 3));
    expect(hit2).toBeGreaterThan(0);
    expect(hit2 % 64).toBe(0);
    expect(r2.usage.prompt_cache_hit_tokens).toBe(hit2);
    expect(r2.usage.prompt_tokens_details.cached_tokens).toBe(hit2);
    expect(r2.usage.prompt_cache_miss_tokens).toBe(r2.usage.prompt_tokens - hit2);

    // A new question after the same system prompt hits only the system prompt's whole units.
    const third: Msg[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Something else entirely' }];
    const r3 = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: third }, auth)).json();
    expect(r3.usage.prompt_cache_hit_tokens).toBe(cached(third.slice(0, 1)));

    // The same request again: its prefix without the last message was persisted.
    const r4 = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: third }, auth)).json();
    expect(r4.usage.prompt_cache_hit_tokens).toBe(cached(third.slice(0, 1)));

    await fetch(`${sim.url}/_sim/deepseek/cache`, { method: 'DELETE' });
    const r5 = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: second }, auth)).json();
    expect(r5.usage.prompt_cache_hit_tokens).toBe(0);
  });

  it('shares /v1/chat/completions with OpenAI by model name; GET /models', async () => {
    const ds = await (await postJson(`${sim.url}/v1/chat/completions`, { model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] }, auth)).json();
    expect(ds.usage.prompt_cache_miss_tokens).toBe(ds.usage.prompt_tokens);
    expect(ds.system_fingerprint).toBe('fp_sim_deepseek');
    const oa = await (await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, auth)).json();
    expect(oa.usage.prompt_cache_hit_tokens).toBeUndefined();
    expect(oa.choices[0].message.refusal).toBeNull();
    const models = await (await fetch(`${sim.url}/models`, { headers: auth })).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['deepseek-chat', 'deepseek-reasoner']);
  });

  it('auth, unknown models, faults and tools in DeepSeek shape', async () => {
    const denied = await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: [{ role: 'user', content: 'x' }] }, { authorization: 'Bearer sk-wrong-1234' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error).toMatchObject({ message: 'Authentication Fails, Your api key: ****1234 is invalid', type: 'authentication_error' });

    const strict = await startSimulator({ models: ['deepseek-chat'] });
    try {
      const nf = await postJson(`${strict.url}/chat/completions`, { model: 'deepseek-coder', messages: [{ role: 'user', content: 'x' }] });
      expect(nf.status).toBe(400);
      expect((await nf.json()).error.message).toBe('Model Not Exist');
    } finally {
      await strict.close();
    }

    const limited = await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: [{ role: 'user', content: 'x [[sim fault=status:429]]' }] }, auth);
    expect(limited.status).toBe(429);
    const empty = await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-chat', messages: [] }, auth);
    expect(empty.status).toBe(400);

    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const t = await (await postJson(`${sim.url}/chat/completions`, { model: 'deepseek-reasoner', tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] }, auth)).json();
    expect(t.choices[0].finish_reason).toBe('tool_calls');
    expect(t.choices[0].message.tool_calls[0].function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(typeof t.choices[0].message.reasoning_content).toBe('string');
  });
});
