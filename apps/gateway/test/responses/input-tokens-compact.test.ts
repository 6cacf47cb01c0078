import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { COMPACT_INSTRUCTION, SUMMARY_PREFIX } from '../../src/formats/openai-responses/compact.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * `POST /v1/responses/input_tokens` and `POST /v1/responses/compact` through the official OpenAI
 * SDK (`responses.inputTokens.count`, `responses.compact`). Counts: OpenAI channels count at
 * `/v1/responses/input_tokens`, Anthropic and Gemini channels at their own count endpoints after
 * translation, others are counted by the gateway; the simulator counts 3 + Σ(3 + role + text) per
 * turn (+ the serialised tools), the gateway OpenAI's chat framing over the same turns, so every
 * expected figure below is that sum computed here. Compaction: the model's summary (the simulator
 * quotes the last user text) behind the user's own messages, the summarising call billed.
 */

const turn = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
/** The simulator's answer: it quotes the first 60 characters of the last user text, whitespace collapsed. */
const reply = (user: string) => `This is a simulated reply to "${user.replace(/\s+/g, ' ').trim().slice(0, 60)}". The quick brown fox jumps over the lazy dog.`;
const textOf = (c: unknown): string => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: any) => p?.text ?? '').join('\n') : '');

const CASES = [
  { name: 'openai (its own count endpoint)', model: 'c-openai', path: '/v1/responses/input_tokens' },
  { name: 'anthropic (translated to /v1/messages/count_tokens)', model: 'c-anthropic', path: '/v1/messages/count_tokens' },
  { name: 'gemini (translated to :countTokens)', model: 'c-gemini', path: '/v1beta/models/gemini-2.5-flash:countTokens' },
  { name: 'openai-compatible (counted by the gateway)', model: 'c-compatible', path: null },
];

describe('Responses API: input token count and compaction', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim): ChannelInput[] => [
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 'c-openai': 'gpt-4o-mini' } },
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 'c-anthropic': 'claude-sonnet-4-5' } },
        { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 'c-gemini': 'gemini-2.5-flash' } },
        { provider: 'openai-compatible', name: 'compatible', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 'c-compatible': 'qwen2.5-7b-instruct' } },
      ],
    });
    for (const c of CASES) await setPrice(t, c.model, 1, 2);
  });
  afterAll(() => t?.close());

  async function client() {
    const u = await t.newUserWithKey();
    return { ...u, openai: new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 }) };
  }
  const upstreamCount = () => t.sim.requests.length;

  describe.each(CASES)('input_tokens, $name', (c) => {
    it('counts instructions and input items for the model\'s provider', async () => {
      const { openai } = await client();
      const before = upstreamCount();
      const r = await openai.responses.inputTokens.count({
        model: c.model,
        instructions: 'Answer briefly.',
        input: [
          { role: 'user', content: 'How many tokens is this?' },
          { role: 'assistant', content: 'Let me count.' },
          { role: 'user', content: [{ type: 'input_text', text: 'Count them all.' }] },
        ],
      });
      // Gemini names the model's turns `model`; the one-token role names count the same.
      const assistant = c.model === 'c-gemini' ? 'model' : 'assistant';
      const expected = 3 + turn('system', 'Answer briefly.') + turn('user', 'How many tokens is this?') + turn(assistant, 'Let me count.') + turn('user', 'Count them all.');
      expect(r).toEqual({ object: 'response.input_tokens', input_tokens: expected });
      const sent = t.sim.requests.slice(before);
      expect(sent.map((q) => q.path)).toEqual(c.path ? [c.path] : []);
    });

    it('counts the stored conversation a previous_response_id names', async () => {
      const { openai } = await client();
      const r1 = await openai.responses.create({ model: c.model, input: 'First question.' });
      const r = await openai.responses.inputTokens.count({ model: c.model, previous_response_id: r1.id, input: 'Second question.' });
      const assistant = c.model === 'c-gemini' ? 'model' : 'assistant';
      expect(r.input_tokens).toBe(3 + turn('user', 'First question.') + turn(assistant, reply('First question.')) + turn('user', 'Second question.'));
    });
  });

  it('input_tokens without a model is counted by the gateway; a count is free and logged', async () => {
    const { openai, userId } = await client();
    const r = await openai.responses.inputTokens.count({ input: 'No model named.' });
    expect(r.input_tokens).toBe(3 + turn('user', 'No model named.'));
    await openai.responses.inputTokens.count({ model: 'c-openai', input: 'Logged count.' });
    const rows = await eventually(async () => {
      await t.flushLogs();
      const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).execute();
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect({ endpoint: rows[0].endpoint, status: rows[0].status, cost: Number(rows[0].cost) }).toEqual({ endpoint: '/v1/responses/input_tokens', status: 200, cost: 0 });
  });

  it.each([
    ['translated (Anthropic)', 'c-anthropic'],
    ['passed through (OpenAI)', 'c-openai'],
  ])('responses.compact, %s: the user\'s messages, then the model\'s summary; the summarising call is billed', async (_name, model) => {
    const { openai, userId } = await client();
    const history = [
      { type: 'message' as const, role: 'developer' as const, content: [{ type: 'input_text' as const, text: 'Work in /repo.' }] },
      { type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: 'Fix the failing test.' }] },
      { type: 'reasoning' as const, id: 'rs_1', summary: [], encrypted_content: 'opaque' },
      { type: 'function_call' as const, call_id: 'call_1', name: 'shell', arguments: '{"cmd":"npm test"}' },
      { type: 'function_call_output' as const, call_id: 'call_1', output: '1 failed' },
      { type: 'message' as const, role: 'assistant' as const, content: [{ type: 'output_text' as const, text: 'One test fails.', annotations: [] }] },
      { type: 'message' as const, role: 'user' as const, content: [{ type: 'input_text' as const, text: 'Try again.' }] },
      { type: 'message' as const, role: 'assistant' as const, content: [{ type: 'output_text' as const, text: 'Now it passes.', annotations: [] }] },
    ];
    const before = upstreamCount();
    const r = await openai.responses.compact({ model, instructions: 'You are a coding agent.', input: history as never });
    // One summarising call: the conversation as plain turns (tool calls as text, no reasoning), then the request.
    const calls = t.sim.requests.slice(before);
    expect(calls).toHaveLength(1);
    const body = calls[0].body as Record<string, any>;
    const received: [string, string][] =
      model === 'c-openai' ? (body.input as any[]).map((i) => [i.role, textOf(i.content)]) : (body.messages as any[]).map((m) => [m.role, textOf(m.content)]);
    const system: [string, string][] = model === 'c-openai' ? [['system', body.instructions]] : [['system', textOf(body.system)]];
    const conversation: [string, string][] = [
      ['user', 'Fix the failing test.'],
      ['assistant', '[Called the tool shell (call call_1) with: {"cmd":"npm test"}]'],
      ['user', '[Result of call call_1: 1 failed]'],
      ['assistant', 'One test fails.'],
      ['user', 'Try again.'],
      ['assistant', 'Now it passes.'],
      ['user', COMPACT_INSTRUCTION],
    ];
    if (model === 'c-openai') {
      expect({ system: body.instructions, received }).toEqual({ system: 'You are a coding agent.', received: [['developer', 'Work in /repo.'], ...conversation] });
    } else {
      // Anthropic takes the developer text into `system`.
      expect({ system: system[0][1], received }).toEqual({ system: 'You are a coding agent.\n\nWork in /repo.', received: conversation });
    }
    const summary = reply(received[received.length - 1][1]);
    expect({ object: r.object, id: r.id.startsWith('resp_'), output: r.output }).toEqual({
      object: 'response.compaction',
      id: true,
      output: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the failing test.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Try again.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${SUMMARY_PREFIX}\n${summary}` }] },
      ],
    });
    const expectedInput = 3 + [...system, ...received].reduce((n, [role, text]) => n + turn(role, text), 0);
    expect(r.usage).toMatchObject({ input_tokens: expectedInput, output_tokens: countTokens(summary), total_tokens: expectedInput + countTokens(summary) });
    const [row] = await eventually(async () => {
      await t.flushLogs();
      const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).execute();
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect({ endpoint: row.endpoint, status: row.status, cost: Number(row.cost) }).toEqual({ endpoint: '/v1/responses/compact', status: 200, cost: expectedInput * 1000 + countTokens(summary) * 2000 });
  });

  it('responses.compact continues a stored response (previous_response_id) and keeps an earlier summary out of the kept messages', async () => {
    const { openai } = await client();
    const earlier = `${SUMMARY_PREFIX}\nEarlier work.`;
    const r1 = await openai.responses.create({ model: 'c-openai', input: [{ role: 'user', content: earlier }, { role: 'assistant', content: 'Noted.' }, { role: 'user', content: 'Next step?' }] });
    const r = await openai.responses.compact({ model: 'c-openai', previous_response_id: r1.id, input: [{ role: 'user', content: 'And now?' }] as never });
    const input = (t.sim.requests[t.sim.requests.length - 1].body as { input: { role: string; content: unknown }[] }).input;
    // The stored conversation (r1's input and its answer) came first, then the new message and the request.
    expect(input.map((m) => [m.role, textOf(m.content)])).toEqual([
      ['user', earlier],
      ['assistant', 'Noted.'],
      ['user', 'Next step?'],
      ['assistant', r1.output_text],
      ['user', 'And now?'],
      ['user', COMPACT_INSTRUCTION],
    ]);
    expect(r.output.map((o) => (o as { content: { text: string }[] }).content[0].text)).toEqual(['Next step?', 'And now?', `${SUMMARY_PREFIX}\n${reply(COMPACT_INSTRUCTION)}`]);
  });
});
