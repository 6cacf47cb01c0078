import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { chatPromptTokens, parseSse, postJson, sseJson, tok } from './helpers.js';

const KEY = 'sk-test-123';
let sim: Simulator;
let client: OpenAI;
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  client = new OpenAI({ apiKey: KEY, baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

describe('OpenAI chat completions', () => {
  it('answers a plain request with honest usage', async () => {
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'What is the capital of France?' },
    ];
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gpt-4o');
    expect(r.id).toMatch(/^chatcmpl-/);
    const content = r.choices[0].message.content!;
    expect(content).toContain('What is the capital of France?');
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.usage!.prompt_tokens).toBe(chatPromptTokens(messages));
    expect(r.usage!.completion_tokens).toBe(tok(content));
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
    expect(sim.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o' });
    expect(sim.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('streams with role first, same id on every chunk, usage chunk only when asked, then [DONE]', async () => {
    const body = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const plain = await (await postJson(`${sim.url}/v1/chat/completions`, body, { ...auth, 'x-sim-reply': 'one two three four five six seven eight nine' })).text();
    const events = parseSse(plain);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(plain);
    expect(chunks.every((c) => c.id === chunks[0].id && c.created === chunks[0].created && c.model === 'gpt-4o')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('one two three four five six seven eight nine');
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBe(8);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop');

    const withUsage = await (
      await postJson(`${sim.url}/v1/chat/completions`, { ...body, stream_options: { include_usage: true } }, { ...auth, 'x-sim-chunks': '3' })
    ).text();
    const c2 = sseJson(withUsage);
    const last = c2.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBe(chatPromptTokens([{ role: 'user', content: 'hi' }]));
    const streamed = c2.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(last.usage.completion_tokens).toBe(tok(streamed));
    expect(c2.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(c2.filter((c) => c.choices[0]?.delta?.content).length).toBe(3);
  });

  it('works with the SDK stream helper', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Stream please' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toContain('Stream please');
    expect(usage!.completion_tokens).toBe(tok(text));
  });

  it('honours max_tokens, stop and n', async () => {
    const reply = 'alpha beta gamma delta epsilon zeta eta theta';
    const r = await client.chat.completions.create(
      { model: 'gpt-4o', max_tokens: 3, messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-sim-reply': reply } },
    );
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(3);
    expect(reply.startsWith(r.choices[0].message.content!)).toBe(true);

    const s = await client.chat.completions.create({ model: 'gpt-4o', stop: ['gamma'], n: 3, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-sim-reply': reply } });
    expect(s.choices).toHaveLength(3);
    expect(s.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(s.choices[2].message.content).toBe('alpha beta ');
    expect(s.choices[0].finish_reason).toBe('stop');
    expect(s.usage!.completion_tokens).toBe(3 * tok('alpha beta '));
  });

  it('calls the first tool with schema-shaped arguments, and streams argument fragments', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } } },
    ];
    const r = await client.chat.completions.create({ model: 'gpt-4o', tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const calls = r.choices[0].message.tool_calls!;
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(r.choices[0].message.content).toBeNull();
    expect(calls).toHaveLength(1);
    const fn = (calls[0] as OpenAI.ChatCompletionMessageFunctionToolCall).function;
    expect(fn.name).toBe('get_weather');
    expect(JSON.parse(fn.arguments)).toEqual({ city: 'Paris', days: 1, unit: 'c' });
    expect(r.usage!.completion_tokens).toBe(tok('get_weather') + tok(fn.arguments));

    const named = await client.chat.completions.create({ model: 'gpt-4o', tools, tool_choice: { type: 'function', function: { name: 'get_time' } }, messages: [{ role: 'user', content: 'time?' }] });
    expect((named.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.name).toBe('get_time');

    const none = await client.chat.completions.create({ model: 'gpt-4o', tools, tool_choice: 'none', messages: [{ role: 'user', content: 'time?' }] });
    expect(none.choices[0].message.tool_calls).toBeUndefined();

    const par = await (
      await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true, tools, messages: [{ role: 'user', content: 'do both in parallel' }] }, auth)
    ).text();
    const chunks = sseJson(par);
    const acc: Array<{ id?: string; name?: string; args: string }> = [];
    let fragments = 0;
    for (const c of chunks) {
      for (const tc of c.choices[0]?.delta?.tool_calls ?? []) {
        acc[tc.index] ??= { args: '' };
        if (tc.id) acc[tc.index].id = tc.id;
        if (tc.function?.name) acc[tc.index].name = tc.function.name;
        if (tc.function?.arguments) {
          acc[tc.index].args += tc.function.arguments;
          fragments++;
        }
      }
    }
    expect(acc.map((a) => a.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(acc[1].args)).toEqual({ timezone: '12:00' });
    expect(fragments).toBeGreaterThan(2);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');

    const serial = await client.chat.completions.create({ model: 'gpt-4o', tools, parallel_tool_calls: false, messages: [{ role: 'user', content: 'do both in parallel' }] });
    expect(serial.choices[0].message.tool_calls).toHaveLength(1);
  });

  it('quotes a tool result, counts images, and returns JSON for response_format', async () => {
    const r = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    expect(r.choices[0].message.content).toContain('{"temp_c":21}');

    const img = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
    });
    expect(img.choices[0].message.content).toContain('I see 2 images');

    const j = await client.chat.completions.create({ model: 'gpt-4o', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'JSON please' }] });
    expect(typeof JSON.parse(j.choices[0].message.content!)).toBe('object');
    const s = await client.chat.completions.create({
      model: 'gpt-4o',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } } } } },
      messages: [{ role: 'user', content: 'who?' }],
    });
    expect(JSON.parse(s.choices[0].message.content!)).toEqual({ name: 'Alice', age: 1 });
  });

  it('supports the deprecated functions/function_call shape', async () => {
    const body = { model: 'gpt-4o', functions: [{ name: 'lookup', parameters: { type: 'object', properties: { query: { type: 'string' } } } }], messages: [{ role: 'user', content: 'find it' }] };
    const r = await (await postJson(`${sim.url}/v1/chat/completions`, body, auth)).json();
    expect(r.choices[0].finish_reason).toBe('function_call');
    expect(r.choices[0].message.function_call).toEqual({ name: 'lookup', arguments: '{"query":"weather in Paris"}' });
    const s = sseJson(await (await postJson(`${sim.url}/v1/chat/completions`, { ...body, stream: true }, auth)).text());
    const args = s.map((c) => c.choices[0]?.delta?.function_call?.arguments ?? '').join('');
    expect(JSON.parse(args)).toEqual({ query: 'weather in Paris' });
    expect(s.at(-1).choices[0].finish_reason).toBe('function_call');
  });

  it('rejects a wrong key and unknown models in OpenAI shape', async () => {
    const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    const r = await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [] }, auth);
    expect(r.status).toBe(400);
    const e = await r.json();
    expect(Object.keys(e.error).sort()).toEqual(['code', 'message', 'param', 'type']);

    const strict = await startSimulator({ models: ['gpt-4o'] });
    try {
      const nf = await postJson(`${strict.url}/v1/chat/completions`, { model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] });
      expect(nf.status).toBe(404);
      expect((await nf.json()).error.code).toBe('model_not_found');
      const ok = await postJson(`${strict.url}/v1/chat/completions`, { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
      expect(ok.status).toBe(200);
      const list = await (await fetch(`${strict.url}/v1/models`)).json();
      expect(list.data.map((m: { id: string }) => m.id)).toEqual(['gpt-4o']);
      expect((await fetch(`${strict.url}/v1/models/gpt-9`)).status).toBe(404);
    } finally {
      await strict.close();
    }
  });
});

describe('OpenAI completions', () => {
  it('defaults max_tokens to 16 and reports length', async () => {
    const prompt = 'Write a long story about a lighthouse keeper and the sea';
    const r = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt }, { headers: { 'x-sim-reply': 'word '.repeat(40) } });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(16);
    expect(r.usage!.prompt_tokens).toBe(tok(prompt));
  });

  it('streams text chunks ending in [DONE], and handles prompt arrays and token prompts', async () => {
    const res = await postJson(`${sim.url}/v1/completions`, { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 100, stream: true, stream_options: { include_usage: true } }, { ...auth, 'x-sim-reply': 'Hi there, friend.' });
    const text = await res.text();
    expect(parseSse(text).at(-1)!.data).toBe('[DONE]');
    const chunks = sseJson(text);
    expect(chunks.map((c) => c.choices[0]?.text ?? '').join('')).toBe('Hi there, friend.');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1).usage.completion_tokens).toBe(tok('Hi there, friend.'));

    const multi = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: ['a', 'b'], n: 2, max_tokens: 50 });
    expect(multi.choices).toHaveLength(4);
    const toks = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: [1, 2, 3, 4], max_tokens: 50 });
    expect(toks.usage!.prompt_tokens).toBe(4);
  });
});

describe('OpenAI embeddings', () => {
  it('returns deterministic unit vectors with the right dimensions', async () => {
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['hello', 'world'], encoding_format: 'float' });
    expect(a.data).toHaveLength(2);
    expect(a.data[0].embedding).toHaveLength(1536);
    const norm = Math.sqrt(a.data[0].embedding.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 4);
    expect(a.data[0].embedding).not.toEqual(a.data[1].embedding);
    expect(a.usage.prompt_tokens).toBe(tok('hello') + tok('world'));
    const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' });
    expect(again.data[0].embedding).toEqual(a.data[0].embedding);

    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', encoding_format: 'float' });
    expect(large.data[0].embedding).toHaveLength(3072);
    const small = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x', dimensions: 256, encoding_format: 'float' });
    expect(small.data[0].embedding).toHaveLength(256);
  });

  it('encodes base64 as little-endian float32 (the SDK default) equal to the float result', async () => {
    const viaSdk = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }); // SDK asks for base64 and decodes
    expect(sim.requests.at(-1)!.body).toMatchObject({ encoding_format: 'base64' });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' });
    expect(viaSdk.data[0].embedding).toEqual(floats.data[0].embedding);
    const raw = await (await postJson(`${sim.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64' }, auth)).json();
    const buf = Buffer.from(raw.data[0].embedding, 'base64');
    expect(buf.length).toBe(1536 * 4);
    expect(buf.readFloatLE(0)).toBe(floats.data[0].embedding[0]);
  });

  it('accepts token arrays and rejects empty input', async () => {
    const t = await client.embeddings.create({ model: 'text-embedding-3-small', input: [[1, 2, 3], [4, 5]], encoding_format: 'float' });
    expect(t.usage.prompt_tokens).toBe(5);
    const r = await postJson(`${sim.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: '' }, auth);
    expect(r.status).toBe(400);
  });
});

describe('OpenAI models', () => {
  it('lists and retrieves models', async () => {
    const list = await client.models.list();
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data[0].object).toBe('model');
    const m = await client.models.retrieve('gpt-4o');
    expect(m.id).toBe('gpt-4o');
  });
});
