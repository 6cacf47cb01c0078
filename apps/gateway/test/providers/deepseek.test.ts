import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { countTokens } from 'gpt-tokenizer';
import { CACHE_UNIT_TOKENS } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { normaliseUsage } from '../../src/formats/openai/codec.js';
import { usageIn } from '../../src/formats/openai/canonical.js';

/**
 * A `deepseek` channel on the simulator, called with the official OpenAI, Anthropic and Google
 * SDKs. The reasoner's `reasoning_content` reaches each dialect in its own reasoning form, and each
 * call is charged for uncached input, cache-hit input and output (reasoning included) at the prices
 * set here, by figures worked out from the simulator's documented rules (packages/simulator
 * README: DeepSeek), not from what the gateway reports.
 */

// µP per token at these prices (P per 1K): input 1 → 1000, cache hit 0.25 → 250, output 2 → 2000.
const PRICE = { input: 1, cachedInput: 0.25, output: 2 };
const cost = (prompt: number, cached: number, completion: number) => (prompt - cached) * 1000 + cached * 250 + completion * 2000;

// The simulator's rules: prompt = 3 + Σ(3 + tokens(role) + tokens(text)); a later call whose
// messages share the first message hits that prefix, rounded down to DeepSeek's 64-token unit.
const messageTokens = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
const promptOf = (system: string, user: string) => 3 + messageTokens('system', system) + messageTokens('user', user);
const hitOf = (system: string) => Math.floor(messageTokens('system', system) / CACHE_UNIT_TOKENS) * CACHE_UNIT_TOKENS;
const reasoningOf = (user: string) => `The user wrote "${user.slice(0, 60)}". I should understand what is asked, then answer directly and briefly.`;
const answerOf = (user: string) => `This is a simulated reply to "${user}". The quick brown fox jumps over the lazy dog.`;

/** A system prompt of its own per test, long enough to be cached (more than one 64-token unit). */
const systemFor = (tag: string) => `You are the assistant of the ${tag} test. ` + 'Answer in plain words, keep it short, cite no sources, and never use lists or tables. '.repeat(8);

/** What one dialect's client saw: the reasoning and the answer in its own form, and its usage figures. */
interface Seen {
  reasoning: string;
  text: string;
  prompt: number;
  cached: number;
  completion: number;
}

describe('DeepSeek provider (deepseek channel on the simulator)', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [{ provider: 'deepseek', name: 'deepseek', baseUrl: sim.url, secret: SIM_KEY, models: ['deepseek-reasoner', 'deepseek-chat'] }],
    });
    await setPrice(t, 'deepseek-reasoner', PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
    await setPrice(t, 'deepseek-chat', PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
  });
  afterAll(() => t?.close());

  async function client() {
    const u = await t.newUserWithKey();
    return {
      userId: u.userId,
      openai: new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 }),
      anthropic: new Anthropic({ apiKey: u.key, baseURL: t.url, maxRetries: 0 }),
      genai: new GoogleGenAI({ apiKey: u.key, httpOptions: { baseUrl: t.url } }),
    };
  }

  /** The user's log rows, oldest first, once `n` have been written. */
  async function logRows(userId: string, n: number) {
    return eventually(async () => {
      await t.flushLogs();
      const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
      expect(rows).toHaveLength(n);
      return rows;
    });
  }

  /**
   * Two calls sharing a system prompt (the second hits the simulator's prefix cache): each sees the
   * reasoning and the answer, reports the right usage, is logged with the simulator's reasoning
   * tokens and charged (prompt − cached) × input + cached × cachedInput + completion × output.
   */
  async function twoCalls(tag: string, send: (c: Awaited<ReturnType<typeof client>>, system: string, user: string) => Promise<Seen>) {
    const c = await client();
    const system = systemFor(tag);
    const users = [`First question for ${tag}`, `Second question for ${tag}`];
    expect(hitOf(system)).toBeGreaterThan(0);
    for (const [i, user] of users.entries()) {
      const seen = await send(c, system, user);
      const reasoningTokens = countTokens(reasoningOf(user));
      const expected = { prompt: promptOf(system, user), cached: i === 0 ? 0 : hitOf(system), completion: countTokens(answerOf(user)) + reasoningTokens };
      expect(seen).toEqual({ reasoning: reasoningOf(user), text: answerOf(user), ...expected });
      const row = (await logRows(c.userId, i + 1))[i];
      expect({ status: row.status, prompt: row.prompt_tokens, cached: row.cached_tokens, completion: row.completion_tokens, reasoning: row.reasoning_tokens }).toEqual({
        status: 200,
        ...expected,
        reasoning: reasoningTokens,
      });
      expect(Number(row.cost)).toBe(cost(expected.prompt, expected.cached, expected.completion));
    }
  }

  describe('OpenAI SDK (passed through: reasoning_content as DeepSeek sends it)', () => {
    it('chat.completions.create: message.reasoning_content beside content; usage with the cache hit and reasoning tokens', async () => {
      await twoCalls('openai-plain', async ({ openai }, system, user) => {
        const r = await openai.chat.completions.create({ model: 'deepseek-reasoner', messages: [{ role: 'system', content: system }, { role: 'user', content: user }] });
        const m = r.choices[0].message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
        expect(r.usage!.completion_tokens_details!.reasoning_tokens).toBe(countTokens(reasoningOf(user)));
        return { reasoning: m.reasoning_content!, text: m.content!, prompt: r.usage!.prompt_tokens, cached: r.usage!.prompt_tokens_details!.cached_tokens!, completion: r.usage!.completion_tokens };
      });
    });

    it('streamed: reasoning_content deltas first, then content deltas, then usage', async () => {
      await twoCalls('openai-stream', async ({ openai }, system, user) => {
        const stream = await openai.chat.completions.create({
          model: 'deepseek-reasoner',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'system', content: system }, { role: 'user', content: user }],
        });
        const kinds: string[] = [];
        let reasoning = '';
        let text = '';
        let usage: OpenAI.CompletionUsage | undefined;
        for await (const chunk of stream) {
          const d = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string | null }) | undefined;
          if (d?.reasoning_content) {
            reasoning += d.reasoning_content;
            kinds.push('reasoning');
          }
          if (d?.content) {
            text += d.content;
            kinds.push('content');
          }
          if (chunk.usage) usage = chunk.usage;
        }
        expect(kinds.indexOf('content')).toBe(kinds.lastIndexOf('reasoning') + 1);
        return { reasoning, text, prompt: usage!.prompt_tokens, cached: usage!.prompt_tokens_details!.cached_tokens!, completion: usage!.completion_tokens };
      });
    });
  });

  describe('Anthropic SDK (translated: thinking blocks)', () => {
    it('messages.create: a thinking block with an empty signature, then the text block', async () => {
      await twoCalls('anthropic-plain', async ({ anthropic }, system, user) => {
        const msg = await anthropic.messages.create({ model: 'deepseek-reasoner', max_tokens: 1024, system, messages: [{ role: 'user', content: user }] });
        expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
        const thinking = msg.content[0] as Anthropic.ThinkingBlock;
        // Unsigned: the gateway cannot make Anthropic's signature and does not invent one.
        expect(thinking.signature).toBe('');
        const u = msg.usage;
        return { reasoning: thinking.thinking, text: (msg.content[1] as Anthropic.TextBlock).text, prompt: u.input_tokens + (u.cache_read_input_tokens ?? 0), cached: u.cache_read_input_tokens ?? 0, completion: u.output_tokens };
      });
    });

    it('messages.stream: content_block_start of type thinking, thinking_delta events, then the text block', async () => {
      await twoCalls('anthropic-stream', async ({ anthropic }, system, user) => {
        const stream = anthropic.messages.stream({ model: 'deepseek-reasoner', max_tokens: 1024, system, messages: [{ role: 'user', content: user }] });
        const events: Anthropic.MessageStreamEvent[] = [];
        for await (const ev of stream) events.push(ev);
        const final = await stream.finalMessage();
        const starts = events.filter((e): e is Anthropic.RawContentBlockStartEvent => e.type === 'content_block_start');
        expect(starts.map((s) => [s.index, s.content_block])).toEqual([
          [0, { type: 'thinking', thinking: '', signature: '' }],
          [1, { type: 'text', text: '' }],
        ]);
        const deltas = events.filter((e): e is Anthropic.RawContentBlockDeltaEvent => e.type === 'content_block_delta');
        const thinking = deltas.filter((d) => d.delta.type === 'thinking_delta');
        expect(thinking.length).toBeGreaterThan(1);
        expect(thinking.every((d) => d.index === 0)).toBe(true);
        expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
        const u = final.usage;
        return {
          reasoning: thinking.map((d) => (d.delta as Anthropic.ThinkingDelta).thinking).join(''),
          text: (final.content[1] as Anthropic.TextBlock).text,
          prompt: u.input_tokens + (u.cache_read_input_tokens ?? 0),
          cached: u.cache_read_input_tokens ?? 0,
          completion: u.output_tokens,
        };
      });
    });
  });

  describe('Google Gen AI SDK (translated: thought parts)', () => {
    it('generateContent: a thought part first, the answer after it (response.text leaves thoughts out)', async () => {
      await twoCalls('gemini-plain', async ({ genai }, system, user) => {
        const r = await genai.models.generateContent({ model: 'deepseek-reasoner', contents: user, config: { systemInstruction: system } });
        const parts = r.candidates![0].content!.parts!;
        expect(parts.map((p) => p.thought === true)).toEqual([true, false]);
        const u = r.usageMetadata!;
        // Gemini counts thinking apart from the answer.
        expect(u.thoughtsTokenCount).toBe(countTokens(reasoningOf(user)));
        return { reasoning: parts[0].text!, text: r.text!, prompt: u.promptTokenCount!, cached: u.cachedContentTokenCount ?? 0, completion: u.candidatesTokenCount! + u.thoughtsTokenCount! };
      });
    });

    it('generateContentStream: thought parts before the answer parts', async () => {
      await twoCalls('gemini-stream', async ({ genai }, system, user) => {
        const stream = await genai.models.generateContentStream({ model: 'deepseek-reasoner', contents: user, config: { systemInstruction: system } });
        const kinds: string[] = [];
        let reasoning = '';
        let text = '';
        let usage: import('@google/genai').GenerateContentResponseUsageMetadata | undefined;
        for await (const chunk of stream) {
          for (const p of chunk.candidates?.[0]?.content?.parts ?? []) {
            if (!p.text) continue;
            if (p.thought) reasoning += p.text;
            else text += p.text;
            kinds.push(p.thought ? 'thought' : 'text');
          }
          if (chunk.usageMetadata) usage = chunk.usageMetadata;
        }
        expect(kinds.indexOf('text')).toBe(kinds.lastIndexOf('thought') + 1);
        return { reasoning, text, prompt: usage!.promptTokenCount!, cached: usage!.cachedContentTokenCount ?? 0, completion: usage!.candidatesTokenCount! + (usage!.thoughtsTokenCount ?? 0) };
      });
    });
  });

  it('a caller that turned thinking off in its own dialect gets no reasoning, and is still metered for it', async () => {
    const c = await client();
    const user = 'No thoughts please';
    const msg = await c.anthropic.messages.create({ model: 'deepseek-reasoner', max_tokens: 1024, thinking: { type: 'disabled' }, messages: [{ role: 'user', content: user }] });
    expect(msg.content).toEqual([{ type: 'text', text: answerOf(user) }]);
    const r = await c.genai.models.generateContent({ model: 'deepseek-reasoner', contents: user, config: { thinkingConfig: { includeThoughts: false } } });
    expect(r.candidates![0].content!.parts!.some((p) => p.thought)).toBe(false);
    expect(r.text).toBe(answerOf(user));
    const rows = await logRows(c.userId, 2);
    expect(rows.map((row) => row.reasoning_tokens)).toEqual([countTokens(reasoningOf(user)), countTokens(reasoningOf(user))]);
  });

  it('deepseek-chat (no reasoning): no reasoning in any dialect, reasoning_tokens 0', async () => {
    const c = await client();
    const user = 'Plain chat';
    const r = await c.openai.chat.completions.create({ model: 'deepseek-chat', messages: [{ role: 'user', content: user }] });
    expect(r.choices[0].message.content).toBe(answerOf(user));
    expect('reasoning_content' in r.choices[0].message).toBe(false);
    const msg = await c.anthropic.messages.create({ model: 'deepseek-chat', max_tokens: 256, messages: [{ role: 'user', content: user }] });
    expect(msg.content).toEqual([{ type: 'text', text: answerOf(user) }]);
    const g = await c.genai.models.generateContent({ model: 'deepseek-chat', contents: user });
    expect(g.candidates![0].content!.parts).toEqual([{ text: answerOf(user) }]);
    const rows = await logRows(c.userId, 3);
    expect(rows.map((row) => row.reasoning_tokens)).toEqual([0, 0, 0]);
  });

  describe('errors', () => {
    it('402 Insufficient Balance is the operator\'s account: 502 upstream error, not a rate limit, not retried', async () => {
      const c = await client();
      const before = t.sim.requests.length;
      const err = await c.openai.chat.completions.create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Hi [[sim fault=status:402]]' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/insufficient balance/i);
      expect(t.sim.requests.length - before).toBe(1);
      const [row] = await logRows(c.userId, 1);
      expect({ status: row.status, cost: Number(row.cost) }).toEqual({ status: 502, cost: 0 });
    });

    it('422 invalid parameters comes back as 400 in the caller\'s dialect', async () => {
      const c = await client();
      const err = await c.anthropic.messages.create({ model: 'deepseek-chat', max_tokens: 64, messages: [{ role: 'user', content: 'Hi [[sim fault=status:422]]' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    });
  });
});

describe('OpenAI-format usage readers', () => {
  const deepseekOnly = { prompt_tokens: 200, completion_tokens: 50, total_tokens: 250, prompt_cache_hit_tokens: 128, prompt_cache_miss_tokens: 72, completion_tokens_details: { reasoning_tokens: 30 } };

  it('pass-through (codec) reads prompt_cache_hit_tokens when prompt_tokens_details is absent, and reasoning_tokens', () => {
    expect(normaliseUsage(deepseekOnly)).toEqual({ promptTokens: 200, completionTokens: 50, cachedTokens: 128, reasoningTokens: 30, estimated: false });
  });

  it('translation (canonical) reads the same', () => {
    expect(usageIn(deepseekOnly)).toEqual({ promptTokens: 200, completionTokens: 50, cachedTokens: 128, reasoningTokens: 30, estimated: false });
  });

  it('prompt_tokens_details.cached_tokens wins when both are present; no reasoning figure leaves reasoningTokens out', () => {
    const u = { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 0 }, prompt_cache_hit_tokens: 64 };
    expect(normaliseUsage(u)).toEqual({ promptTokens: 10, completionTokens: 5, cachedTokens: 0, estimated: false });
    expect(usageIn(u)).toEqual({ promptTokens: 10, completionTokens: 5, cachedTokens: 0, estimated: false });
  });
});
