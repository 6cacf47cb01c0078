import { describe, expect, it } from 'vitest';
import { openaiCodec } from '../../src/formats/openai/codec.js';
import { anthropicCodec } from '../../src/formats/anthropic/codec.js';
import { geminiCodec } from '../../src/formats/gemini/codec.js';
import { openaiFormat } from '../../src/formats/openai/canonical.js';
import { geminiFormat } from '../../src/formats/gemini/canonical.js';
import { translate } from '../../src/formats/canonical/translator.js';
import type { StreamTap } from '../../src/formats/types.js';
import { tok } from './stream-clients.js';

/**
 * The finality rules of stream usage on provider streams the simulator does not send: a server
 * that reports running usage on every chunk (vLLM's `continuous_usage_stats`), a final report that
 * arrived before the connection broke, Gemini thoughts and whole function calls, and a translated
 * stream whose encoder was still holding a tool call when the provider cut it. Each stream is fed to
 * the tap as the relay feeds it and ended without its terminal marker (or with it, where noted).
 */
const PROMPT_ESTIMATE = 11;
const data = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const named = (name: string, o: unknown) => `event: ${name}\ndata: ${JSON.stringify(o)}\n\n`;

/** Feeds the stream to the tap and returns what the client was sent and what the call is charged. */
function run(tap: StreamTap, stream: string[]) {
  let sent = '';
  for (const part of stream) sent += tap.push(part);
  return { sent, usage: tap.usage(() => PROMPT_ESTIMATE), complete: tap.complete };
}

const chunk = (delta: Record<string, unknown>, usage?: Record<string, unknown>, finish: string | null = null) =>
  data({ id: 'c1', object: 'chat.completion.chunk', model: 'qwen', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) });

describe('what an early-ended stream is charged', () => {
  it('running usage on every OpenAI-shaped chunk is not final: the larger of it and the delivered text counts', () => {
    const pieces = ['Streams that break ', 'are charged for ', 'what was delivered.'];
    // Running figures that lag behind the text (1 per chunk), as a server counting as it goes may send.
    const stream = pieces.map((p, i) => chunk({ content: p }, { prompt_tokens: 20, completion_tokens: i + 1, total_tokens: 21 + i }));
    const { usage } = run(openaiCodec.tapStream('chat', true), stream);
    expect(usage).toMatchObject({ promptTokens: 20, completionTokens: tok(pieces.join('')), estimated: true });

    // A running figure above the count (the provider's tokenizer differs) is kept: never less than the provider said.
    const high = run(openaiCodec.tapStream('chat', true), [chunk({ content: 'Hi' }, { prompt_tokens: 20, completion_tokens: 40, total_tokens: 60 })]);
    expect(high.usage).toMatchObject({ promptTokens: 20, completionTokens: 40 });
  });

  it("OpenAI's final usage chunk is the charge even when the connection breaks before [DONE]", () => {
    const stream = [chunk({ content: 'Hello there, this is the answer.' }), chunk({}, undefined, 'stop'), data({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 9, completion_tokens: 8, total_tokens: 17 } })];
    const { usage, complete } = run(openaiCodec.tapStream('chat', false), stream);
    expect(complete).toBe(false);
    expect(usage).toMatchObject({ promptTokens: 9, completionTokens: 8, estimated: false });
  });

  it("usage on a finish chunk (Zhipu's way) is final; with no report at all, the prompt is the gateway's estimate", () => {
    const final = run(openaiCodec.tapStream('chat', false), [chunk({ content: 'Done.' }), chunk({}, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 }, 'stop')]);
    expect(final.usage).toMatchObject({ promptTokens: 9, completionTokens: 3, estimated: false });
    const none = run(openaiCodec.tapStream('chat', false), [chunk({ reasoning_content: 'Think first. ' }), chunk({ content: 'Then answer.' })]);
    expect(none.usage).toEqual({ promptTokens: PROMPT_ESTIMATE, completionTokens: tok('Think first. Then answer.'), cachedTokens: 0, estimated: true });
  });

  it("Anthropic: message_start's output figure is a placeholder; message_delta's usage is final even if message_stop never comes", () => {
    const start = named('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 } } });
    const block = named('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } });
    const think = named('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants a poem about rivers.' } });
    const text = named('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Rivers run to the sea.' } });
    const cut = run(anthropicCodec.tapStream('chat', false), [start, block, think, text]);
    // The prompt is Anthropic's (input + cache read), the output the thinking and text delivered.
    expect(cut.usage).toMatchObject({ promptTokens: 30, cachedTokens: 5, completionTokens: tok('The user wants a poem about rivers.Rivers run to the sea.'), estimated: true });

    const delta = named('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } });
    const ended = run(anthropicCodec.tapStream('chat', false), [start, block, think, text, delta]);
    expect(ended.complete).toBe(false);
    expect(ended.usage).toMatchObject({ promptTokens: 30, cachedTokens: 5, completionTokens: 42, estimated: false });
  });

  it('Gemini: running usageMetadata is not final; shown thoughts and whole function calls count as delivered output', () => {
    const g = (parts: unknown[], finish?: string, usage?: Record<string, unknown>) =>
      `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0, ...(finish ? { finishReason: finish } : {}) }], usageMetadata: usage ?? { promptTokenCount: 14, totalTokenCount: 14 } })}\r\n\r\n`;
    const thought = { text: 'Weather needs a tool.', thought: true };
    const call = { functionCall: { name: 'get_weather', args: { city: 'Paris' } } };
    const cut = run(geminiCodec.tapStream('chat', false), [g([thought]), g([call])]);
    expect(cut.usage).toMatchObject({ promptTokens: 14, completionTokens: tok('Weather needs a tool.' + 'get_weather' + JSON.stringify({ city: 'Paris' })), estimated: true });

    const ended = run(geminiCodec.tapStream('chat', false), [g([thought]), g([call], 'STOP', { promptTokenCount: 14, candidatesTokenCount: 9, thoughtsTokenCount: 6, totalTokenCount: 29 })]);
    expect(ended.usage).toMatchObject({ promptTokens: 14, completionTokens: 15, reasoningTokens: 6, estimated: false });
  });

  it('translated: tool-call fragments a Gemini caller had not been sent yet are not charged; the text it was sent is', () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }] };
    const translation = translate({ dialect: 'gemini', operation: 'chat', model: 'g', stream: true, body, clientWantsUsage: false }, geminiFormat, openaiFormat, 'gpt-4o-mini', () => PROMPT_ESTIMATE, 'test');
    const stream = [
      chunk({ role: 'assistant', content: 'Let me check. ' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
    ];
    const { sent, usage } = run(translation.tapStream(), stream);
    // Gemini carries a call whole: the encoder gathers its fragments, and the cut came first.
    expect(sent).not.toContain('get_weather');
    expect(usage).toEqual({ promptTokens: PROMPT_ESTIMATE, completionTokens: tok('Let me check. '), cachedTokens: 0, estimated: true });
  });
});
