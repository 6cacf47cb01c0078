import { describe, expect, it } from 'vitest';
import type { Quote, Usage } from '../../src/core/calls.js';
import { costOf, DEFAULT_PRICE_BATCHES, DEFAULT_PRICES, worstCase, type Price } from '../../src/billing/pricing.js';

/**
 * Pricing from units alone. Every expected figure is worked out by hand in the comment beside it
 * (1 P = 1,000,000 µP), not by re-running the formula.
 */
const ONE = 1_000_000; // multiplier 1.0 in ppm

function price(over: Partial<Price>): Price {
  return { model: 'm', input: 0, output: 0, cachedInput: 0, perImage: null, perKChars: null, perSecond: null, perKSearches: null, maxOutput: 4096, ...over };
}

function usage(over: Partial<Usage>): Usage {
  return { promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: false, ...over };
}

function quote(units: Partial<Usage>, over: Partial<Omit<Quote, 'units'>> = {}): Quote {
  return { units: usage({ estimated: true, ...units }), maxOutputTokens: 0, choices: 1, ...over };
}

const defaultPrice = (model: string) => {
  const p = DEFAULT_PRICES.find((x) => x.model === model);
  if (!p) throw new Error(`no default price for ${model}`);
  return p;
};

describe('costOf: tokens', () => {
  // gpt-4o's list price: 2.5 P in, 10 P out, 1.25 P cached per 1K tokens.
  const gpt4o = price({ input: 2_500_000, output: 10_000_000, cachedInput: 1_250_000 });

  it('prices uncached input, cached input and output each at their own rate', () => {
    // 600 uncached × 2.5 P/1K = 1.5 P; 400 cached × 1.25 P/1K = 0.5 P; 500 out × 10 P/1K = 5 P → 7 P.
    expect(costOf(gpt4o, usage({ promptTokens: 1000, cachedTokens: 400, completionTokens: 500 }), ONE)).toBe(7_000_000);
  });

  it('reasoning tokens are part of the output: priced once, as output', () => {
    // 1,000 completion tokens of which 800 reasoning: 1,000 × 10 P/1K = 10 P (not 18 P).
    expect(costOf(gpt4o, usage({ completionTokens: 1000, reasoningTokens: 800 }), ONE)).toBe(10_000_000);
    expect(costOf(gpt4o, usage({ completionTokens: 1000 }), ONE)).toBe(10_000_000);
  });

  it('applies the group multiplier and rounds up once, at the end', () => {
    // 7 P × 0.8 = 5.6 P.
    expect(costOf(gpt4o, usage({ promptTokens: 1000, cachedTokens: 400, completionTokens: 500 }), 800_000)).toBe(5_600_000);
    // 1 µP per 1K tokens: 500 input (0.5 µP) + 500 output (0.5 µP) = exactly 1 µP, not 2.
    const tiny = price({ input: 1, output: 1, cachedInput: 1 });
    expect(costOf(tiny, usage({ promptTokens: 500, completionTokens: 500 }), ONE)).toBe(1);
    // One token at 1 µP per 1K is 0.001 µP: rounded up to 1 µP, never to nothing.
    expect(costOf(tiny, usage({ promptTokens: 1 }), ONE)).toBe(1);
  });
});

describe('costOf: images', () => {
  // dall-e-3: 40 P per standard image.
  const dalle3 = price({ perImage: 40_000_000 });

  it('a standard image when no factor is given', () => {
    expect(costOf(dalle3, usage({ images: 1 }), ONE)).toBe(40_000_000);
  });

  it('scales by the image factor (size, quality, steps)', () => {
    // 2 hd images (factor 2.0): 2 × 40 P × 2 = 160 P.
    expect(costOf(dalle3, usage({ images: 2, imageFactorPpm: 2_000_000 }), ONE)).toBe(160_000_000);
    // 1792x1024 is 1.75 standard images of pixels: 40 P × 1.75 = 70 P.
    expect(costOf(dalle3, usage({ images: 1, imageFactorPpm: 1_750_000 }), ONE)).toBe(70_000_000);
    // 3 low-quality images (factor 0.5): 3 × 40 P × 0.5 = 60 P.
    expect(costOf(dalle3, usage({ images: 3, imageFactorPpm: 500_000 }), ONE)).toBe(60_000_000);
    // 3 µP × 0.333333 = 0.999999 µP: rounded up to 1 µP.
    expect(costOf(price({ perImage: 3 }), usage({ images: 1, imageFactorPpm: 333_333 }), ONE)).toBe(1);
  });

  it('adds image tokens to the images, and applies the multiplier to both', () => {
    // gpt-image-1: 5 P per 1K input tokens, 42 P per image. 200 tokens = 1 P; 1 image at factor 1.5 = 63 P → 64 P; × 0.5 = 32 P.
    const gptImage = price({ input: 5_000_000, cachedInput: 1_250_000, output: 40_000_000, perImage: 42_000_000 });
    expect(costOf(gptImage, usage({ promptTokens: 200, images: 1, imageFactorPpm: 1_500_000 }), 500_000)).toBe(32_000_000);
  });

  it('a model without an image price charges nothing for images', () => {
    expect(costOf(price({ input: 1_000_000 }), usage({ promptTokens: 1000, images: 4 }), ONE)).toBe(1_000_000);
  });
});

describe('costOf: characters, seconds, searches', () => {
  it('characters per 1K (speech)', () => {
    // tts-1: 15 P per 1K characters. 2,500 characters = 37.5 P.
    const tts = price({ perKChars: 15_000_000 });
    expect(costOf(tts, usage({ characters: 2500 }), ONE)).toBe(37_500_000);
    // One character = 0.015 P.
    expect(costOf(tts, usage({ characters: 1 }), ONE)).toBe(15_000);
    // × 0.8 = 30 P.
    expect(costOf(tts, usage({ characters: 2500 }), 800_000)).toBe(30_000_000);
  });

  it('seconds (transcription)', () => {
    // whisper-1: 0.1 P per second. 90 s = 9 P; a minute = 6 P (US$0.006).
    const whisper = price({ perSecond: 100_000 });
    expect(costOf(whisper, usage({ seconds: 90 }), ONE)).toBe(9_000_000);
    expect(costOf(whisper, usage({ seconds: 60 }), ONE)).toBe(6_000_000);
    // × 1.5 = 13.5 P.
    expect(costOf(whisper, usage({ seconds: 90 }), 1_500_000)).toBe(13_500_000);
    // A fraction of a second counts as a whole one: 12.3 s → 13 s = 1.3 P.
    expect(costOf(whisper, usage({ seconds: 12.3 }), ONE)).toBe(1_300_000);
  });

  it('searches per 1K (rerank)', () => {
    // Cohere rerank: 2,000 P per 1K searches = 2 P a search. 3 searches = 6 P.
    const rerank = price({ perKSearches: 2_000_000_000 });
    expect(costOf(rerank, usage({ searches: 3 }), ONE)).toBe(6_000_000);
    // Tokens of a search-priced model cost what its token prices say (here nothing).
    expect(costOf(rerank, usage({ searches: 1, promptTokens: 5000 }), ONE)).toBe(2_000_000);
  });

  it('every unit in one call adds up, rounded once', () => {
    // 1,000 input at 1 P/1K = 1 P; 200 characters at 15 P/1K = 3 P; 10 s at 0.1 P = 1 P; 1 search at 2 P; 1 image at 4 P → 11 P.
    const all = price({ input: 1_000_000, perKChars: 15_000_000, perSecond: 100_000, perKSearches: 2_000_000_000, perImage: 4_000_000 });
    expect(costOf(all, usage({ promptTokens: 1000, characters: 200, seconds: 10, searches: 1, images: 1 }), ONE)).toBe(11_000_000);
    // 1 µP per 1K tokens and 1 µP per 1K characters: 500 of each = 0.5 µP + 0.5 µP = exactly 1 µP.
    expect(costOf(price({ input: 1, perKChars: 1 }), usage({ promptTokens: 500, characters: 500 }), ONE)).toBe(1);
  });

  it('a unit without a price is not charged; nothing and nonsense cost nothing', () => {
    const tokensOnly = price({ input: 1_000_000 });
    expect(costOf(tokensOnly, usage({ characters: 10_000, seconds: 600, searches: 50 }), ONE)).toBe(0);
    const whisper = price({ perSecond: 100_000 });
    expect(costOf(whisper, usage({ seconds: -5 }), ONE)).toBe(0);
    expect(costOf(whisper, usage({ seconds: Number.NaN }), ONE)).toBe(0);
    expect(costOf(whisper, usage({ seconds: 90 }), 0)).toBe(0); // a free group
  });
});

describe('worstCase', () => {
  // 1 P per 1K input, 2 P per 1K output, up to 4,096 output tokens.
  const chat = price({ input: 1_000_000, output: 2_000_000, cachedInput: 1_000_000, maxOutput: 4096 });

  it('the quoted prompt plus the output the call allows, for every choice', () => {
    // 100 prompt × 1 P/1K = 0.1 P; 3 choices × 50 out = 150 × 2 P/1K = 0.3 P → 0.4 P.
    expect(worstCase(chat, quote({ promptTokens: 100 }, { maxOutputTokens: 50, choices: 3 }), ONE)).toEqual({ cost: 400_000, maxOutput: 150 });
  });

  it("no limit: the model's maximum; a limit above it is capped by it", () => {
    // 0.1 P + 4,096 × 2 P/1K (8.192 P) = 8.292 P.
    expect(worstCase(chat, quote({ promptTokens: 100 }, { maxOutputTokens: null }), ONE)).toEqual({ cost: 8_292_000, maxOutput: 4096 });
    expect(worstCase(chat, quote({ promptTokens: 100 }, { maxOutputTokens: 100_000 }), ONE)).toEqual({ cost: 8_292_000, maxOutput: 4096 });
    // × 0.5 = 4.146 P.
    expect(worstCase(chat, quote({ promptTokens: 100 }, { maxOutputTokens: null }), 500_000).cost).toBe(4_146_000);
  });

  it('a free call reserves nothing', () => {
    expect(worstCase(chat, quote({ promptTokens: 100_000 }, { maxOutputTokens: null, free: true }), ONE)).toEqual({ cost: 0, maxOutput: 0 });
  });

  it('a reasoning model reserves its whole output limit, reasoning included (deepseek-reasoner default)', () => {
    // 0.55 P in, 2.19 P out per 1K, up to 65,536 out: 1,000 × 0.55/1K = 0.55 P; 65,536 × 2.19/1K = 143.52384 P → 144.07384 P.
    const r1 = defaultPrice('deepseek-reasoner');
    expect(worstCase(r1, quote({ promptTokens: 1000 }, { maxOutputTokens: null }), ONE).cost).toBe(144_073_840);
    // × 0.8 = 115.259072 P.
    expect(worstCase(r1, quote({ promptTokens: 1000 }, { maxOutputTokens: null }), 800_000).cost).toBe(115_259_072);
  });

  it('images, characters, seconds and searches quoted up front are reserved', () => {
    // dall-e-3: 2 hd images = 2 × 40 P × 2 = 160 P.
    expect(worstCase(defaultPrice('dall-e-3'), quote({ promptTokens: 30, images: 2, imageFactorPpm: 2_000_000 }), ONE).cost).toBe(160_000_000);
    // tts-1: 2,000 characters × 15 P/1K = 30 P.
    expect(worstCase(defaultPrice('tts-1'), quote({ characters: 2000 }), ONE).cost).toBe(30_000_000);
    // whisper-1: 125 s × 0.1 P = 12.5 P (the model makes no tokens worth pricing).
    expect(worstCase(defaultPrice('whisper-1'), quote({ seconds: 125 }, { maxOutputTokens: null }), ONE).cost).toBe(12_500_000);
    // rerank-v3.5: 1 search = 2 P.
    expect(worstCase(defaultPrice('rerank-v3.5'), quote({ searches: 1, promptTokens: 3000 }), ONE).cost).toBe(2_000_000);
    // gpt-4o-transcribe: 1,000 in × 2.5 P/1K = 2.5 P; 2,000 out × 10 P/1K = 20 P → 22.5 P.
    expect(worstCase(defaultPrice('gpt-4o-transcribe'), quote({ promptTokens: 1000, seconds: 60 }, { maxOutputTokens: null }), ONE).cost).toBe(22_500_000);
  });

  it('never reserves less than the same units settle for', () => {
    const units = { promptTokens: 700, cachedTokens: 0, characters: 300, seconds: 7, searches: 2, images: 1, imageFactorPpm: 1_250_000 };
    const all = price({ input: 1_234_567, output: 7_654_321, cachedInput: 1, perImage: 3_333_333, perKChars: 15_000_001, perSecond: 99_999, perKSearches: 2_000_000_003, maxOutput: 999 });
    const reserved = worstCase(all, quote(units, { maxOutputTokens: 333, choices: 2 }), 777_777).cost;
    const settled = costOf(all, usage({ ...units, completionTokens: 666 }), 777_777);
    expect(reserved).toBe(settled);
    expect(costOf(all, usage({ ...units, completionTokens: 100 }), 777_777)).toBeLessThan(reserved);
  });
});

describe('default prices', () => {
  it('one price per model, and the first batch unchanged in size', () => {
    const models = DEFAULT_PRICES.map((p) => p.model);
    expect(new Set(models).size).toBe(models.length);
    expect(DEFAULT_PRICE_BATCHES[0]).toHaveLength(48);
  });

  it('the list prices of the speech, transcription, rerank, DeepSeek and ERNIE models', () => {
    // US$ per 1M tokens = P per 1K tokens = that many million µP.
    expect(defaultPrice('tts-1')).toMatchObject({ perKChars: 15_000_000, input: 0, output: 0 });
    expect(defaultPrice('tts-1-hd')).toMatchObject({ perKChars: 30_000_000 });
    expect(defaultPrice('gpt-4o-mini-tts')).toMatchObject({ input: 600_000, output: 12_000_000, perKChars: null });
    expect(defaultPrice('whisper-1')).toMatchObject({ perSecond: 100_000 }); // US$0.006 a minute
    expect(defaultPrice('gpt-4o-transcribe')).toMatchObject({ input: 2_500_000, output: 10_000_000 });
    expect(defaultPrice('gpt-4o-mini-transcribe')).toMatchObject({ input: 1_250_000, output: 5_000_000 });
    expect(defaultPrice('deepseek-chat')).toMatchObject({ input: 270_000, output: 1_100_000, cachedInput: 70_000, maxOutput: 8192 });
    expect(defaultPrice('deepseek-reasoner')).toMatchObject({ input: 550_000, output: 2_190_000, cachedInput: 140_000, maxOutput: 65_536 });
    for (const m of ['rerank-v3.5', 'rerank-english-v3.0', 'rerank-multilingual-v3.0']) expect(defaultPrice(m)).toMatchObject({ perKSearches: 2_000_000_000 }); // US$2 per 1K searches
    expect(defaultPrice('jina-reranker-v2-base-multilingual')).toMatchObject({ input: 20_000 });
    expect(defaultPrice('bge-reranker-v2-m3')).toMatchObject({ input: 10_000 });
    expect(defaultPrice('ernie-4.0-8k')).toMatchObject({ input: 4_300_000, output: 12_900_000 });
    expect(defaultPrice('ernie-3.5-8k')).toMatchObject({ input: 110_000, output: 290_000 });
    expect(defaultPrice('ernie-speed-128k')).toMatchObject({ input: 10_000, output: 10_000 });
    expect(defaultPrice('ernie-4.5-turbo-128k')).toMatchObject({ input: 110_000, output: 460_000 });
  });
});
