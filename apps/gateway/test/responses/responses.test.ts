import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * The Responses API (`POST /v1/responses`) through the official OpenAI SDK's `responses.create` and
 * `responses.stream`, on a gateway in front of the simulator: passed through to OpenAI and Azure
 * channels, translated for Anthropic, Gemini, Zhipu and an OpenAI-compatible server. Every expected
 * figure comes from the simulator's documented rules (packages/simulator README) and the prices
 * set here, not from what the gateway reports.
 */

// Prices in P per 1K tokens: input 1 → 1000 µP a token, output 2 → 2000 µP a token.
const cost = (input: number, output: number) => input * 1000 + output * 2000;
// The simulator's prompt rule in every chat dialect and in the Responses API: 3 + Σ(3 + role + text).
const turn = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
const reply = (user: string) => `This is a simulated reply to "${user}". The quick brown fox jumps over the lazy dog.`;
const INSTRUCTIONS = 'Answer briefly.';

interface Case {
  name: string;
  model: string;
  /** Passed through (the provider serves the Responses API) and the path it reached. */
  passPath?: string;
  channel: (url: string) => Record<string, unknown>;
}

const CASES: Case[] = [
  { name: 'openai (pass-through)', model: 'r-openai', passPath: '/v1/responses', channel: (url) => ({ provider: 'openai', name: 'openai', baseUrl: `${url}/v1`, secret: SIM_KEY, modelMap: { 'r-openai': 'gpt-4o-mini' } }) },
  {
    name: 'azure v1 (pass-through)',
    model: 'r-azure-v1',
    passPath: '/openai/v1/responses',
    channel: (url) => ({ provider: 'azure', name: 'azure-v1', baseUrl: url, secret: SIM_KEY, modelMap: { 'r-azure-v1': 'dep-v1' }, settings: { azureApi: 'v1' } }),
  },
  {
    name: 'azure dated api-version (pass-through)',
    model: 'r-azure',
    passPath: '/openai/responses',
    channel: (url) => ({ provider: 'azure', name: 'azure', baseUrl: url, secret: SIM_KEY, modelMap: { 'r-azure': 'dep-dated' } }),
  },
  { name: 'anthropic (translated)', model: 'r-anthropic', channel: (url) => ({ provider: 'anthropic', name: 'anthropic', baseUrl: url, secret: SIM_KEY, modelMap: { 'r-anthropic': 'claude-sonnet-4-5' } }) },
  { name: 'gemini (translated)', model: 'r-gemini', channel: (url) => ({ provider: 'gemini', name: 'gemini', baseUrl: url, secret: SIM_KEY, modelMap: { 'r-gemini': 'gemini-2.5-flash' } }) },
  { name: 'zhipu (translated)', model: 'r-zhipu', channel: (url) => ({ provider: 'zhipu', name: 'zhipu', baseUrl: `${url}/api/paas/v4`, secret: SIM_KEY, modelMap: { 'r-zhipu': 'glm-4-plus' } }) },
  {
    name: 'openai-compatible (translated)',
    model: 'r-compatible',
    channel: (url) => ({ provider: 'openai-compatible', name: 'compatible', baseUrl: `${url}/v1`, secret: SIM_KEY, modelMap: { 'r-compatible': 'qwen2.5-7b-instruct' } }),
  },
];

const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('Responses API through the gateway (official OpenAI SDK)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim): ChannelInput[] => [
        ...CASES.map((c) => c.channel(sim.url) as never),
        { provider: 'deepseek', name: 'deepseek', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 'r-deepseek': 'deepseek-reasoner' } },
        { provider: 'openai', name: 'openai-reasoner', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 'r-gpt5': 'gpt-5-mini' } },
      ],
    });
    for (const model of [...CASES.map((c) => c.model), 'r-deepseek', 'r-gpt5']) await setPrice(t, model, 1, 2);
  });
  afterAll(() => t?.close());

  async function client() {
    const u = await t.newUserWithKey();
    return { userId: u.userId, openai: new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 }) };
  }

  async function logRows(userId: string, n: number) {
    return eventually(async () => {
      await t.flushLogs();
      const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      expect(rows).toHaveLength(n);
      return rows;
    });
  }

  const lastUpstream = () => t.sim.requests[t.sim.requests.length - 1];

  describe.each(CASES)('$name', (c) => {
    it('responses.create: a text answer, usage in the Responses shape, charged at the set prices', async () => {
      const { openai, userId } = await client();
      const user = `Hello from ${c.model}`;
      const r = await openai.responses.create({ model: c.model, instructions: INSTRUCTIONS, input: user, store: false, metadata: { run: 'test' }, prompt_cache_key: 'conv-1', safety_identifier: 'u-1' });
      const input = 3 + turn('system', INSTRUCTIONS) + turn('user', user);
      const output = countTokens(reply(user));
      expect({ object: r.object, status: r.status, model: r.model, text: r.output_text }).toEqual({ object: 'response', status: 'completed', model: c.passPath ? r.model : c.model, text: reply(user) });
      expect(r.usage).toEqual({ input_tokens: input, input_tokens_details: expect.objectContaining({ cached_tokens: 0 }), output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output });
      expect(lastUpstream().path).toBe(c.passPath ?? lastUpstream().path);
      if (!c.passPath) expect(lastUpstream().path).not.toMatch(/responses/);
      const [row] = await logRows(userId, 1);
      expect({ status: row.status, prompt: row.prompt_tokens, completion: row.completion_tokens, cost: Number(row.cost) }).toEqual({ status: 200, prompt: input, completion: output, cost: cost(input, output) });
    });

    it('responses.stream: the events in order with sequence numbers, the final response and its charge', async () => {
      const { openai, userId } = await client();
      const user = `Stream for ${c.model}`;
      const stream = openai.responses.stream({ model: c.model, instructions: INSTRUCTIONS, input: [{ role: 'user', content: [{ type: 'input_text', text: user }] }] });
      const events: { type: string; sequence_number: number }[] = [];
      let text = '';
      for await (const ev of stream) {
        events.push(ev);
        if (ev.type === 'response.output_text.delta') text += ev.delta;
      }
      const final = await stream.finalResponse();
      const types = events.map((e) => e.type);
      const deltas = types.filter((x) => x === 'response.output_text.delta').length;
      expect(deltas).toBeGreaterThan(1);
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(deltas).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const input = 3 + turn('system', INSTRUCTIONS) + turn('user', user);
      const output = countTokens(reply(user));
      expect({ text, final: final.output_text, usage: final.usage }).toEqual({
        text: reply(user),
        final: reply(user),
        usage: { input_tokens: input, input_tokens_details: expect.objectContaining({ cached_tokens: 0 }), output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output },
      });
      const [row] = await logRows(userId, 1);
      expect({ status: row.status, cost: Number(row.cost) }).toEqual({ status: 200, cost: cost(input, output) });
    });

    it('a function tool round trip (function_call, then function_call_output); web_search run by Anthropic, left out with a header where the provider cannot run it', async () => {
      const { openai } = await client();
      const tools = [WEATHER, { type: 'web_search' as const }];
      const { data: first, response } = await openai.responses.create({ model: c.model, input: 'Weather in Paris?', tools, tool_choice: 'auto', parallel_tool_calls: false }).withResponse();
      // Anthropic runs it (its web search tool); Gemini does not combine Google Search with functions; the others have none.
      expect(response.headers.get('x-apigpt-dropped-tools')).toBe(c.passPath || c.model === 'r-anthropic' ? null : 'web_search');
      const calls = first.output.filter((o) => o.type === 'function_call');
      expect(calls).toEqual([expect.objectContaining({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: expect.any(String) })]);
      const call = calls[0] as OpenAI.Responses.ResponseFunctionToolCall;
      const second = await openai.responses.create({
        model: c.model,
        tools,
        input: [
          { role: 'user', content: 'Weather in Paris?' },
          { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' },
        ],
      });
      expect(second.output_text).toBe('The tool returned: {"temp_c":21}');
    });

    it('streamed function call: argument deltas, then .done with the name and arguments, then the complete item', async () => {
      const { openai } = await client();
      const stream = openai.responses.stream({ model: c.model, input: 'Weather in Paris?', tools: [WEATHER], tool_choice: { type: 'function', name: 'get_weather' } });
      const types: string[] = [];
      let done: { name: string; arguments: string } | undefined;
      for await (const ev of stream) {
        types.push(ev.type);
        if (ev.type === 'response.function_call_arguments.done') done = { name: (ev as { name: string }).name, arguments: ev.arguments };
      }
      const final = await stream.finalResponse();
      expect(done).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
      const first = types.indexOf('response.function_call_arguments.delta');
      expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
      expect(first).toBe(3);
      expect(types.slice(types.indexOf('response.function_call_arguments.done'))).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
      expect(final.output).toEqual([expect.objectContaining({ type: 'function_call', status: 'completed', name: 'get_weather', arguments: '{"city":"Paris"}' })]);
    });

    it('text.format json_schema: the answer is JSON of the schema', async () => {
      const { openai } = await client();
      const r = await openai.responses.create({
        model: c.model,
        input: 'Give me the weather as JSON',
        text: { format: { type: 'json_schema', name: 'weather', strict: true, schema: { type: 'object', properties: { city: { type: 'string' }, temp_c: { type: 'number' } }, required: ['city', 'temp_c'], additionalProperties: false } } },
      });
      expect(JSON.parse(r.output_text)).toEqual({ city: 'Paris', temp_c: 1 });
    });

    it('max_output_tokens reached: status incomplete with reason max_output_tokens, 16 output tokens', async () => {
      const { openai, userId } = await client();
      const user = `A long answer please, ${c.model}`;
      const r = await openai.responses.create({ model: c.model, input: user, max_output_tokens: 16 });
      const input = 3 + turn('user', user);
      expect({ status: r.status, details: r.incomplete_details, output: r.usage?.output_tokens }).toEqual({ status: 'incomplete', details: { reason: 'max_output_tokens' }, output: 16 });
      const [row] = await logRows(userId, 1);
      expect(Number(row.cost)).toBe(cost(input, 16));
    });
  });

  it('translated reasoning (DeepSeek reasoner): a reasoning item with the summary, and reasoning summary deltas in the stream', async () => {
    const { openai } = await client();
    const user = 'Why is the sky blue?';
    const thought = `The user wrote "${user}". I should understand what is asked, then answer directly and briefly.`;
    const r = await openai.responses.create({ model: 'r-deepseek', input: user, reasoning: { effort: 'low', summary: 'auto' } });
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect((r.output[0] as OpenAI.Responses.ResponseReasoningItem).summary).toEqual([{ type: 'summary_text', text: thought }]);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(countTokens(thought));
    const stream = openai.responses.stream({ model: 'r-deepseek', input: user });
    const types: string[] = [];
    let summary = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.reasoning_summary_text.delta') summary += ev.delta;
    }
    expect(summary).toBe(thought);
    const firstText = types.indexOf('response.output_item.added', 3);
    expect(types.slice(2, 4)).toEqual(['response.output_item.added', 'response.reasoning_summary_part.added']);
    expect(types.slice(firstText - 3, firstText)).toEqual(['response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done']);
    expect(types.at(-1)).toBe('response.completed');
  });

  it('passed-through reasoning (OpenAI gpt-5): reasoning summary events and reasoning tokens as the provider sent them', async () => {
    const { openai, userId } = await client();
    const stream = openai.responses.stream({ model: 'r-gpt5', input: 'Think first', reasoning: { summary: 'auto' } });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    const final = await stream.finalResponse();
    expect(types).toContain('response.reasoning_summary_text.delta');
    const reasoning = final.usage!.output_tokens_details.reasoning_tokens;
    expect(reasoning).toBeGreaterThan(0);
    const [row] = await logRows(userId, 1);
    expect({ completion: row.completion_tokens, reasoning: row.reasoning_tokens }).toEqual({ completion: final.usage!.output_tokens, reasoning });
  });

  it.each([
    ['translated (Anthropic)', 'r-anthropic'],
    ['passed through (OpenAI)', 'r-openai'],
  ])('a stream the provider breaks off, %s, ends with response.failed numbered after the last event', async (_name, model) => {
    const { openai, userId } = await client();
    const stream = await openai.responses.create({ model, input: 'Break this stream [[sim fault=drop:6]]', stream: true });
    const events: { type: string; sequence_number: number; response?: { status: string; error: { code: string } | null } }[] = [];
    for await (const ev of stream) events.push(ev as never);
    const last = events[events.length - 1];
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect({ type: last.type, status: last.response?.status, code: last.response?.error?.code }).toEqual({ type: 'response.failed', status: 'failed', code: 'server_error' });
    expect(events.filter((e) => e.type === 'response.completed')).toEqual([]);
    const [row] = await logRows(userId, 1);
    expect(row.status).toBe(502);
  });

  it('previous_response_id naming no stored response: 400 previous_response_not_found, as OpenAI answers (stored.test.ts has the rest)', async () => {
    const { openai } = await client();
    const err = await openai.responses.create({ model: 'r-anthropic', input: 'Go on', previous_response_id: 'resp_123' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect({ status: e.status, code: e.code, param: e.param }).toEqual({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
    expect(e.message).toMatch(/Previous response with id 'resp_123' not found/);
  });

  it('a Codex-style request (developer and user items, namespace and web_search tools, store false, include, prompt_cache_key) is served by a translated provider', async () => {
    const { openai } = await client();
    const body = {
      model: 'r-anthropic',
      instructions: 'You are a coding agent.',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Work in /repo.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files' }] },
      ],
      tools: [
        { type: 'namespace', name: 'shell', description: 'Shell tools', tools: [{ type: 'function', name: 'exec', description: 'Run a command', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] }, strict: false }] },
        { type: 'web_search' },
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'thread-1',
    };
    const stream = openai.responses.stream(body as never);
    for await (const _ of stream) void _;
    const final = await stream.finalResponse();
    // Anthropic thinks at the effort asked: its signed thinking rides in the reasoning item, for the next turn.
    expect(final.output).toEqual([
      expect.objectContaining({ type: 'reasoning', encrypted_content: expect.stringMatching(/^apigpt\.signed-reasoning\.v1\./) }),
      expect.objectContaining({ type: 'function_call', namespace: 'shell', name: 'exec', arguments: '{"command":"Paris"}' }),
    ]);
    const sent = lastUpstream().body as { system: string; tools: { name: string }[] };
    expect({ system: sent.system, tools: sent.tools.map((x) => x.name) }).toEqual({ system: 'You are a coding agent.\n\nWork in /repo.', tools: ['shell__exec', 'web_search'] });
  });
});
