import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { parseSse, postJson, tok } from './helpers.js';

const KEY = 'sk-ant-test';
const H = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());
const msg = (body: Record<string, unknown>, headers: Record<string, string> = H) =>
  postJson(`${sim.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 256, ...body }, headers);

/** Expected input tokens for plain-text turns, by the simulator's documented rule. */
function expectedInput(system: string | null, turns: Array<{ role: string; content: string }>): number {
  let n = 3;
  if (system !== null) n += 3 + tok('system') + tok(system);
  for (const t of turns) n += 3 + tok(t.role) + tok(t.content);
  return n;
}

describe('Anthropic messages', () => {
  it('answers a plain request with honest usage', async () => {
    const turns = [{ role: 'user', content: 'Hello Claude' }];
    const r = await (await msg({ system: 'Be brief.', messages: turns })).json();
    expect(r.type).toBe('message');
    expect(r.id).toMatch(/^msg_/);
    expect(r.role).toBe('assistant');
    expect(r.content[0].type).toBe('text');
    expect(r.stop_reason).toBe('end_turn');
    expect(r.usage.input_tokens).toBe(expectedInput('Be brief.', turns));
    expect(r.usage.output_tokens).toBe(tok(r.content[0].text));
    expect(r.usage.cache_read_input_tokens).toBe(0);
  });

  it('accepts system as blocks: a cache_control prefix is written on the first call and read on the next', async () => {
    const system = 'A long stable system prompt. '.repeat(20);
    const send = (question: string) => msg({ system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: question }] });
    const prefix = expectedInput(system, []);
    const first = (await (await send('question')).json()).usage;
    expect(first).toMatchObject({
      input_tokens: expectedInput(system, [{ role: 'user', content: 'question' }]) - prefix,
      cache_creation_input_tokens: prefix,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: prefix, ephemeral_1h_input_tokens: 0 },
    });
    const second = (await (await send('another question')).json()).usage;
    expect(second).toMatchObject({
      input_tokens: expectedInput(system, [{ role: 'user', content: 'another question' }]) - prefix,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: prefix,
    });
  });

  it('writes each stretch of the prompt in the bucket of the breakpoint that ends it (ttl 1h, then 5m)', async () => {
    const system = 'An hour-long system prompt for the ttl test. '.repeat(10);
    const turns = [{ role: 'user', content: 'first turn, cached for five minutes' }];
    const r = await (
      await msg({
        system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: turns[0].content, cache_control: { type: 'ephemeral' } }] }],
      })
    ).json();
    const toSystem = expectedInput(system, []);
    const toTurn = expectedInput(system, turns);
    expect(r.usage).toMatchObject({ input_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: toTurn, cache_creation: { ephemeral_1h_input_tokens: toSystem, ephemeral_5m_input_tokens: toTurn - toSystem } });
  });

  it('streams the exact event sequence with cumulative usage', async () => {
    const res = await msg({ stream: true, messages: [{ role: 'user', content: 'stream [[sim reply="one two three four" chunks=2]]' }] });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    const names = events.map((e) => e.event);
    expect(names).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data.every((d, i) => d.type === names[i])).toBe(true);
    expect(data[0].message.usage.input_tokens).toBe(expectedInput(null, [{ role: 'user', content: 'stream' }]));
    const text = data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta.text).join('');
    expect(text).toBe('one two three four');
    expect(data[6].delta.stop_reason).toBe('end_turn');
    expect(data[6].usage.output_tokens).toBe(tok(text));
  });

  it('calls tools (plain and streamed input_json_delta) and quotes tool results', async () => {
    const tools = [
      { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'get_time', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } },
    ];
    const r = await (await msg({ tools, messages: [{ role: 'user', content: 'Weather?' }] })).json();
    expect(r.stop_reason).toBe('tool_use');
    expect(r.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    expect(r.content[0].id).toMatch(/^toolu_/);

    const s = parseSse(await (await msg({ tools, stream: true, messages: [{ role: 'user', content: 'both in parallel' }] })).text()).map((e) => JSON.parse(e.data));
    const starts = s.filter((d) => d.type === 'content_block_start');
    expect(starts.map((d) => d.content_block.name)).toEqual(['get_weather', 'get_time']);
    const json1 = s.filter((d) => d.type === 'content_block_delta' && d.index === 0).map((d) => d.delta.partial_json).join('');
    expect(JSON.parse(json1)).toEqual({ city: 'Paris' });
    expect(s.find((d) => d.type === 'message_delta').delta.stop_reason).toBe('tool_use');

    const single = await (await msg({ tools, tool_choice: { type: 'auto', disable_parallel_tool_use: true }, messages: [{ role: 'user', content: 'both in parallel' }] })).json();
    expect(single.content).toHaveLength(1);

    const follow = await (
      await msg({
        tools,
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21C and sunny' }] },
        ],
      })
    ).json();
    expect(follow.stop_reason).toBe('end_turn');
    expect(follow.content[0].text).toContain('21C and sunny');
  });

  it('sees images, honours stop_sequences and max_tokens', async () => {
    const img = await (
      await msg({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }, { type: 'text', text: 'what?' }] }] })
    ).json();
    expect(img.content[0].text).toContain('I see 1 image');
    const stop = await (await msg({ stop_sequences: ['STOP'], messages: [{ role: 'user', content: 'x [[sim reply="before STOP after"]]' }] })).json();
    expect(stop.content[0].text).toBe('before ');
    expect(stop.stop_reason).toBe('stop_sequence');
    expect(stop.stop_sequence).toBe('STOP');
    const max = await (await msg({ max_tokens: 2, messages: [{ role: 'user', content: 'x' }] })).json();
    expect(max.stop_reason).toBe('max_tokens');
    expect(max.usage.output_tokens).toBe(2);
  });

  it('counts tokens, lists models, and errors in Anthropic shape', async () => {
    const c = await (await postJson(`${sim.url}/v1/messages/count_tokens`, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello Claude' }] }, H)).json();
    expect(c.input_tokens).toBe(expectedInput(null, [{ role: 'user', content: 'Hello Claude' }]));
    const models = await (await fetch(`${sim.url}/v1/models`, { headers: H })).json();
    expect(models.data[0].type).toBe('model');
    expect(models.has_more).toBe(false);

    const bad = await msg({ messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await msg({ messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': KEY });
    expect(noVersion.status).toBe(400);
    const noMax = await postJson(`${sim.url}/v1/messages`, { model: 'm', messages: [{ role: 'user', content: 'x' }] }, H);
    expect((await noMax.json()).error.message).toContain('max_tokens');
    const overloaded = await msg({ messages: [{ role: 'user', content: 'x [[sim fault=status:529]]' }] });
    expect(overloaded.status).toBe(529);
    expect((await overloaded.json()).error.type).toBe('overloaded_error');
  });

  it('omits usage with no-usage', async () => {
    const r = await (await msg({ messages: [{ role: 'user', content: 'x [[sim no-usage]]' }] })).json();
    expect(r.usage).toBeUndefined();
  });
});
