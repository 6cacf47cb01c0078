import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { anthropicFormat } from '../../src/formats/anthropic/canonical.js';
import { geminiFormat } from '../../src/formats/gemini/canonical.js';
import { openaiFormat } from '../../src/formats/openai/canonical.js';
import { TranslatingTap } from '../../src/formats/canonical/stream.js';
import type { CanonicalChatRequest, CanonicalChatResponse, WireFormat } from '../../src/formats/canonical/types.js';
import { chatglmFormat } from '../../src/providers/chatglm/format.js';
import { zhipuFormat } from '../../src/providers/zhipu/format.js';
import { sseEvents } from './clients.js';

/**
 * Golden wire shapes copied from the provider protocol notes (shared/docs/provider-protocols.md):
 * the adapters must read them, and the simulator the other suites run against must speak them.
 */
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const json = (name: string) => JSON.parse(fixture(name));

const REQ: CanonicalChatRequest = { kind: 'chat', model: 'm', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, tools: [] };

function read(format: WireFormat, name: string): CanonicalChatResponse {
  return format.parseResponse(json(name), REQ) as CanonicalChatResponse;
}

/** A provider stream fixture re-spoken as OpenAI chunks, fed in awkward 7-byte pieces. */
function translate(format: WireFormat, name: string) {
  const tap = new TranslatingTap(format.decoder(REQ), openaiFormat.encoder({ model: 'm', clientWantsUsage: true, request: REQ }), () => 99);
  const raw = fixture(name);
  let out = '';
  for (let i = 0; i < raw.length; i += 7) out += tap.push(raw.slice(i, i + 7));
  out += tap.end();
  const chunks = sseEvents(out).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
  let text = '';
  const args: Record<number, { name?: string; args: string }> = {};
  let finish = null;
  for (const c of chunks) {
    const ch = c.choices[0];
    if (!ch) continue;
    text += ch.delta.content ?? '';
    for (const t of ch.delta.tool_calls ?? []) {
      args[t.index] ??= { args: '' };
      if (t.function?.name) args[t.index].name = t.function.name;
      args[t.index].args += t.function?.arguments ?? '';
    }
    finish = ch.finish_reason ?? finish;
  }
  return { tap, text, calls: Object.values(args), finish, usageChunk: chunks.at(-1).usage, done: out.endsWith('data: [DONE]\n\n') };
}

describe('golden provider fixtures through the adapters', () => {
  it('Anthropic message (§3.3): text + tool_use, cache reads counted into the prompt', () => {
    const r = read(anthropicFormat, 'anthropic-message.json');
    expect(r.choices[0]).toMatchObject({ text: 'Let me check.', finish: 'tool_calls', toolCalls: [{ id: 'toolu_01A', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    expect(r.usage).toEqual({ promptTokens: 412 + 1024, completionTokens: 57, cachedTokens: 1024, estimated: false });
  });

  it('Anthropic stream (§3.4): ping ignored, fragments joined, cumulative output usage taken as is', () => {
    const r = translate(anthropicFormat, 'anthropic-stream.sse');
    expect(r.text).toBe('Let me check');
    expect(r.calls).toEqual([{ name: 'get_weather', args: '{"city": "Paris"}' }]);
    expect(r.finish).toBe('tool_calls');
    expect(r.done).toBe(true);
    expect(r.tap.usage(() => 99)).toEqual({ promptTokens: 25, completionTokens: 42, cachedTokens: 0, estimated: false });
    expect(r.usageChunk).toMatchObject({ prompt_tokens: 25, completion_tokens: 42 });
  });

  it('Gemini response (§4.3): functionCall with STOP means tool_calls; thinking counts as output', () => {
    const r = read(geminiFormat, 'gemini-response.json');
    expect(r.choices[0]).toMatchObject({ text: 'It is sunny.', finish: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    expect(r.usage).toMatchObject({ promptTokens: 12, completionTokens: 28 });
  });

  it('Gemini stream (§4.4): CRLF framing, last usageMetadata wins, finish reason ends it', () => {
    const r = translate(geminiFormat, 'gemini-stream.sse');
    expect(r.text).toBe('It is sunny.');
    expect(r.finish).toBe('stop');
    expect(r.done).toBe(true);
    expect(r.tap.usage(() => 99)).toMatchObject({ promptTokens: 12, completionTokens: 4 });
  });

  it('a Gemini stream without a finish reason is an interrupted one (§11)', () => {
    const tap = new TranslatingTap(geminiFormat.decoder(REQ), openaiFormat.encoder({ model: 'm', clientWantsUsage: false, request: REQ }), () => 5);
    tap.push(fixture('gemini-stream.sse').split('\r\n\r\n')[0] + '\r\n\r\n');
    expect(tap.end()).not.toContain('[DONE]');
    expect(tap.complete).toBe(false);
  });

  it('OpenAI parallel tool-call stream (§1.3.1) through the Anthropic encoder keeps blocks in order', () => {
    const tap = new TranslatingTap(openaiFormat.decoder(REQ), anthropicFormat.encoder({ model: 'm', clientWantsUsage: false, request: REQ }), () => 5);
    const out = tap.push(fixture('openai-stream-tools.sse')) + tap.end();
    const events = sseEvents(out);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(JSON.parse(events[8].data)).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 9, output_tokens: 2 } });
  });

  it('Zhipu response (§5.3) and ChatGLM3 legacy function_call (§5.6) read as tool calls', () => {
    expect(read(zhipuFormat, 'zhipu-response.json').choices[0]).toMatchObject({ finish: 'tool_calls', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{"x":1}' }] });
    const glm = read(chatglmFormat, 'chatglm3-function-call.json').choices[0];
    expect(glm).toMatchObject({ finish: 'tool_calls', toolCalls: [{ name: 'get_weather', arguments: '{"city": "Paris"}' }] });
    expect(glm.toolCalls[0].id).toMatch(/^call_/);
  });

  it('ChatGLM requests carry tool turns in the legacy shape', () => {
    const body = chatglmFormat.renderRequest(
      { ...REQ, messages: [...REQ.messages, { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{}' }] }, { role: 'tool', toolCallId: 'c1', content: '21C' }] },
      'chatglm3-6b',
    );
    expect((body.messages as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: '', function_call: { name: 'get_weather', arguments: '{}' } },
      { role: 'function', name: 'get_weather', content: '21C' },
    ]);
  });
});

/** The simulator's answers have the fixtures' shape: same keys at the levels clients read. */
describe('the simulator speaks the golden shapes', () => {
  let sim: Simulator;
  beforeAll(async () => (sim = await startSimulator({})));
  afterAll(() => sim.close());

  const keys = (o: object) => Object.keys(o).sort();

  it('Anthropic message and usage keys', async () => {
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }], messages: [{ role: 'user', content: 'weather?' }] }),
    });
    const got = await res.json();
    const gold = json('anthropic-message.json');
    expect(keys(got)).toEqual(keys(gold));
    expect(keys(got.usage)).toEqual(keys(gold.usage));
    expect(keys(got.content[0])).toEqual(keys(gold.content[1]));
  });

  it('Gemini response keys and CRLF stream framing', async () => {
    const res = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });
    const got = await res.json();
    const gold = json('gemini-response.json');
    expect(keys(got)).toEqual(keys(gold).filter((k) => k !== 'promptFeedback'));
    for (const k of ['promptTokenCount', 'candidatesTokenCount', 'totalTokenCount']) expect(got.usageMetadata).toHaveProperty(k);
    const stream = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': 'k' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });
    const raw = await stream.text();
    expect(raw).toMatch(/^data: \{.*\}\r\n\r\n/);
    expect(raw.endsWith('\r\n\r\n')).toBe(true);
  });

  it('Anthropic stream event sequence', async () => {
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi [[sim chunks=1]]' }] }),
    });
    const names = sseEvents(await res.text()).map((e) => e.event);
    const gold = sseEvents(fixture('anthropic-stream.sse')).map((e) => e.event);
    expect(names).toEqual(gold.slice(0, 5).concat(gold.slice(-2)));
  });
});
