import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, balanceOf, chat, setBalance, setPrice } from './helpers.js';
import { openaiCodec } from '../../src/formats/openai/codec.js';
import { BOUND_COUNT } from '../../src/formats/tokens.js';
import { worstCase, type Price } from '../../src/billing/pricing.js';
import { formatPoints } from '../../src/billing/money.js';

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
});
