import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, balanceOf, chat, setBalance, setPrice } from './helpers.js';
import { openaiCodec } from '../../src/formats/openai/codec.js';
import { BOUND_COUNT } from '../../src/formats/tokens.js';
import { worstCase, type Price } from '../../src/billing/pricing.js';
import { formatPoints } from '../../src/billing/money.js';
import type { CountThread } from '../../src/formats/count-thread.js';
import { countTokens as reference } from 'gpt-tokenizer';

/**
 * Calls are admitted with a bound on the prompt's tokens (its UTF-8 bytes), not the tokenizer: the
 * tokenizer costs CPU per call and tens of MB (issue 19). The bound is several times the count, so
 * a call the bound would refuse (credit, tokens per minute) is admitted again with the count before
 * it is refused: these cases sit between the two.
 */
describe('admission with the prompt bound, and the count before a refusal', () => {
  let t: TestGateway;
  // 3 P / 15 P per 1K tokens, as the price book keeps them (µP per 1K).
  const PRICE: Price = { model: 'gpt-4o-mini', input: 3_000_000, output: 15_000_000, cachedInput: 3_000_000, perImage: null, perKChars: null, perSecond: null, perKSearches: null, maxOutput: 16_384 };
  // About 1,000 tokens of English, 4,400 bytes: the bound is four times the count.
  const ask = { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(100) }] };
  const exactWorst = worstCase(PRICE, openaiCodec.quote('chat', ask), 1_000_000).cost / 1_000_000;
  const boundWorst = worstCase(PRICE, openaiCodec.quote('chat', ask, BOUND_COUNT), 1_000_000).cost / 1_000_000;

  beforeAll(async () => {
    t = await startTestGateway();
    await setPrice(t, 'gpt-4o-mini', 3, 15);
  });
  afterAll(() => t?.close());

  it('the bound of this prompt is well above its count (the premise of the cases below)', () => {
    expect(boundWorst).toBeGreaterThan(exactWorst * 3);
  });

  it('a balance that covers the counted prompt but not its bound is served and charged the usage', async () => {
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, Math.ceil(exactWorst * 100) / 100 + 0.01);
    const res = await chat(t, u.key, ask);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    await t.flushLogs();
    const charged = (body.usage.prompt_tokens * 3 + body.usage.completion_tokens * 15) / 1000;
    const before = Math.ceil(exactWorst * 100) / 100 + 0.01;
    expect(await balanceOf(t, u.cookie)).toBeCloseTo(before - charged, 5);
    expect((await audit(t)).problems).toEqual([]);
  });

  it('a balance below the counted prompt is refused, naming the counted cost, and nothing goes upstream', async () => {
    const u = await t.newUserWithKey();
    await setBalance(t, u.userId, u.cookie, Math.floor(exactWorst * 100) / 100 - 0.01);
    const before = t.sim.stats.total;
    const res = await chat(t, u.key, ask);
    expect(res.status).toBe(429);
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('insufficient_quota');
    expect(err.message).toContain(`may cost up to ${formatPoints(Math.round(exactWorst * 1_000_000))}`);
    expect(t.sim.stats.total).toBe(before);
  });

  it("a key's tokens-per-minute limit between the count and the bound lets the call through", async () => {
    const u = await t.newUserWithKey();
    const keys = await t.api('GET', '/api/keys', undefined, { cookie: u.cookie });
    const counted = openaiCodec.estimatePrompt('chat', ask) + 10;
    const bound = openaiCodec.estimatePrompt('chat', ask, BOUND_COUNT) + 10;
    expect(bound).toBeGreaterThan(counted * 3);
    const r = await t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { tpm: counted * 2 }, { cookie: u.cookie });
    expect(r.status).toBe(200);
    expect((await chat(t, u.key, ask)).status).toBe(200);
  });

  describe('a large prompt is counted off the event loop, on the count thread (formats/count-thread.ts)', () => {
    // About 1 MB of English: ~230,000 tokens; counting it on the loop would hold every other call.
    const big = { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(23_000) }] };
    const counter = () => t.gw.services.text.counter as CountThread;

    it('a balance between its count and its bound: counted on the thread, served and charged the usage', async () => {
      const worst = worstCase(PRICE, openaiCodec.quote('chat', big), 1_000_000).cost / 1_000_000;
      expect(worstCase(PRICE, openaiCodec.quote('chat', big, BOUND_COUNT), 1_000_000).cost / 1_000_000).toBeGreaterThan(worst * 3);
      await counter().close();
      const u = await t.newUserWithKey();
      const before = Math.ceil(worst * 100) / 100 + 0.01;
      await setBalance(t, u.userId, u.cookie, before);
      const res = await chat(t, u.key, big);
      expect(res.status).toBe(200);
      expect(counter().running).toBe(true);
      const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      await t.flushLogs();
      expect(await balanceOf(t, u.cookie)).toBeCloseTo(before - (body.usage.prompt_tokens * 3 + body.usage.completion_tokens * 15) / 1000, 5);
      expect((await audit(t)).problems).toEqual([]);
    });

    it('a streamed call whose provider reports no usage is charged the prompt as counted on the thread', async () => {
      const ask = { ...big, stream: true, messages: [{ role: 'user', content: `${big.messages[0].content} [[sim no-usage]]` }] };
      await counter().close();
      const u = await t.newUserWithKey();
      await setBalance(t, u.userId, u.cookie, 100_000);
      const res = await chat(t, u.key, ask);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('[DONE]');
      await t.flushLogs();
      expect(counter().running).toBe(true);
      const log = await t.gw.services.db.selectFrom('request_logs').select(['prompt_tokens', 'status']).where('user_id', '=', u.userId).executeTakeFirstOrThrow();
      expect(log).toEqual({ prompt_tokens: openaiCodec.estimatePrompt('chat', ask), status: 200 });
    });

    it('a count the gateway answers itself (/v1/messages/count_tokens for a model served elsewhere) is made on the thread', async () => {
      const u = await t.newUserWithKey();
      const count = async (content: string) => {
        const res = await fetch(`${t.url}/v1/messages/count_tokens`, {
          method: 'POST',
          headers: { 'x-api-key': u.key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { input_tokens: number }).input_tokens;
      };
      const text = big.messages[0].content;
      const framing = (await count('x')) - reference('x');
      await counter().close();
      // The independent tokenizer's count of the text, plus the framing measured on a one-token text.
      expect(await count(text)).toBe(framing + reference(text));
      expect(counter().running).toBe(true);
    });
  });
});
