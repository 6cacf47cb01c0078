import type { Quote, Usage } from '../core/calls.js';
import { MICRO, toPoints } from './money.js';

/**
 * A model's price, in micro-points per unit. Each unit is priced only when its price is set: a null
 * unit price means the model is not sold by that unit (its calls of that kind cost nothing for it).
 */
export interface Price {
  model: string;
  /** Per 1K input tokens (prompt tokens that were not served from the provider's cache). */
  input: number;
  /** Per 1K output tokens (reasoning tokens included). */
  output: number;
  /** Per 1K cached input tokens. */
  cachedInput: number;
  /** Per image at 1024x1024, standard quality, 30 steps; null when the model makes no images. */
  perImage: number | null;
  /** Per 1,000 characters of text turned into speech (tts-1); null when not sold by characters. */
  perKChars: number | null;
  /** Per second of audio heard (whisper-1); null when not sold by time. */
  perSecond: number | null;
  /** Per 1,000 rerank search units (Cohere); null when not sold by searches. */
  perKSearches: number | null;
  /** Longest output the model can produce: the worst case reserved when a call sets no limit. */
  maxOutput: number;
}

/** Multiplier in parts per million (1.0 = 1_000_000), so a 0.8 discount stays exact integer math. */
export type MultiplierPpm = number;
export const PPM = 1_000_000;

const K = 1000n;
const M = BigInt(PPM);
/** Prompt-cache writes against the input price, in ppm: 1.25× (5 minutes) and 2× (1 hour). */
const CACHE_WRITE_5M_PPM = 1_250_000n;
const CACHE_WRITE_1H_PPM = 2_000_000n;

/**
 * Cost of a call in micro-points, from its units alone (never a request body): input, cached and
 * output tokens per 1K (reasoning is part of the output and priced as output), images × the price of
 * a standard image × the image factor, characters per 1K, seconds, searches per 1K; times the group
 * multiplier. Exact integer arithmetic, rounded up once at the end: a call never costs less than its
 * parts.
 */
export function costOf(price: Price, usage: Usage, multiplier: MultiplierPpm): number {
  const prompt = count(usage.promptTokens);
  const cached = Math.min(count(usage.cachedTokens), prompt);
  // Prompt-cache writes are part of the prompt, priced at Anthropic's published ratios to input:
  // 1.25× for the 5-minute lifetime, 2× for the 1-hour one
  // (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#pricing).
  const write1h = Math.min(count(usage.cacheWrite1hTokens), prompt - cached);
  const write5m = Math.min(count(usage.cacheWrite5mTokens), prompt - cached - write1h);
  const plain = prompt - cached - write1h - write5m;
  // Every term in µP × 1000 × 1e6, the common denominator of "per 1K" and "ppm": no division until the end.
  let scaled =
    (BigInt(plain) * BigInt(price.input) + BigInt(cached) * BigInt(price.cachedInput) + BigInt(count(usage.completionTokens)) * BigInt(price.output)) * M;
  scaled += BigInt(price.input) * (BigInt(write5m) * CACHE_WRITE_5M_PPM + BigInt(write1h) * CACHE_WRITE_1H_PPM);
  const images = count(usage.images);
  if (images && price.perImage !== null) scaled += BigInt(images) * BigInt(price.perImage) * BigInt(factorPpm(usage.imageFactorPpm)) * K;
  const characters = count(usage.characters);
  if (characters && price.perKChars !== null) scaled += BigInt(characters) * BigInt(price.perKChars) * M;
  const seconds = count(usage.seconds);
  if (seconds && price.perSecond !== null) scaled += BigInt(seconds) * BigInt(price.perSecond) * K * M;
  const searches = count(usage.searches);
  if (searches && price.perKSearches !== null) scaled += BigInt(searches) * BigInt(price.perKSearches) * M;
  return Number(ceilDiv(scaled * BigInt(count(multiplier)), K * M * M));
}

/**
 * The most a call can cost, reserved before it goes upstream: the units its operation quoted (the
 * prompt as the gateway counts it, images, characters, seconds, searches) plus the largest output it
 * allows (its own limit, capped by the model's maximum; the model's maximum when it set none) for
 * every choice. A free call (count_tokens) reserves nothing. `maxOutput` is the output tokens
 * reserved over all choices.
 */
export function worstCase(price: Price, quote: Quote, multiplier: MultiplierPpm): { cost: number; maxOutput: number } {
  if (quote.free) return { cost: 0, maxOutput: 0 };
  const perChoice = Math.min(quote.maxOutputTokens === null ? price.maxOutput : count(quote.maxOutputTokens), price.maxOutput);
  const maxOutput = perChoice * Math.max(1, count(quote.choices));
  const usage: Usage = { ...quote.units, completionTokens: count(quote.units.completionTokens) + maxOutput, estimated: true };
  return { cost: costOf(price, usage, multiplier), maxOutput };
}

/** A price as the management API and the CLI show it: every amount in P (null: not sold by that unit). */
export function priceView(p: Price) {
  const points = (v: number | null) => (v === null ? null : toPoints(v));
  return {
    model: p.model,
    input: toPoints(p.input),
    output: toPoints(p.output),
    cachedInput: toPoints(p.cachedInput),
    perImage: points(p.perImage),
    perKChars: points(p.perKChars),
    perSecond: points(p.perSecond),
    perKSearches: points(p.perKSearches),
    maxOutput: p.maxOutput,
  };
}

/**
 * A unit count as billing uses it: whole (a fraction is rounded up, never given away), and nothing
 * for what is missing, negative or not a number.
 */
function count(v: number | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.ceil(v) : 0;
}

/** The image factor in ppm; a missing or meaningless one is the standard image's (1.0). */
function factorPpm(v: number | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.ceil(v) : PPM;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

/** P → µP. The tables below are written in P so they read like a price list. */
const p = (points: number) => Math.round(points * MICRO);

/**
 * Default prices in batches, one per release that added some. A new database gets them all; an
 * existing one gets each later batch once (`PriceBook.seedDefaults`), only for models it has no
 * price for, so an admin's price is never overwritten and a default an admin deleted stays deleted.
 * Append a new batch rather than editing a shipped one. 1 P is a tenth of a US cent, so "P per 1K
 * tokens" equals the provider's list price in US$ per 1M tokens.
 */
export const DEFAULT_PRICE_BATCHES: readonly (readonly Price[])[] = [
  // 1: the first defaults.
  [
    // OpenAI
    row('gpt-4o', 2.5, 10, 1.25, 16_384),
    row('gpt-4o-mini', 0.15, 0.6, 0.075, 16_384),
    row('gpt-4.1', 2, 8, 0.5, 32_768),
    row('gpt-4.1-mini', 0.4, 1.6, 0.1, 32_768),
    row('gpt-4.1-nano', 0.1, 0.4, 0.025, 32_768),
    row('o3', 2, 8, 0.5, 100_000),
    row('o4-mini', 1.1, 4.4, 0.275, 100_000),
    row('gpt-4-turbo', 10, 30, 10, 4_096),
    row('gpt-3.5-turbo', 0.5, 1.5, 0.5, 4_096),
    row('gpt-3.5-turbo-instruct', 1.5, 2, 1.5, 4_096),
    row('text-embedding-3-small', 0.02, 0, 0.02, 0),
    row('text-embedding-3-large', 0.13, 0, 0.13, 0),
    row('text-embedding-ada-002', 0.1, 0, 0.1, 0),
    { ...row('dall-e-3', 0, 0, 0, 0), perImage: p(40) },
    { ...row('dall-e-2', 0, 0, 0, 0), perImage: p(20) },
    { ...row('gpt-image-1', 5, 40, 1.25, 0), perImage: p(42) },
    // Anthropic Claude
    row('claude-opus-4-1', 15, 75, 1.5, 32_000),
    row('claude-opus-4-0', 15, 75, 1.5, 32_000),
    row('claude-sonnet-4-5', 3, 15, 0.3, 64_000),
    row('claude-sonnet-4-0', 3, 15, 0.3, 64_000),
    row('claude-3-7-sonnet-latest', 3, 15, 0.3, 64_000),
    row('claude-3-5-sonnet-latest', 3, 15, 0.3, 8_192),
    row('claude-haiku-4-5', 1, 5, 0.1, 64_000),
    row('claude-3-5-haiku-latest', 0.8, 4, 0.08, 8_192),
    row('claude-3-haiku-20240307', 0.25, 1.25, 0.03, 4_096),
    // Google Gemini
    row('gemini-2.5-pro', 1.25, 10, 0.31, 65_536),
    row('gemini-2.5-flash', 0.3, 2.5, 0.075, 65_536),
    row('gemini-2.5-flash-lite', 0.1, 0.4, 0.025, 65_536),
    row('gemini-2.0-flash', 0.1, 0.4, 0.025, 8_192),
    row('gemini-1.5-pro', 1.25, 5, 0.31, 8_192),
    row('gemini-1.5-flash', 0.075, 0.3, 0.019, 8_192),
    row('gemini-embedding-001', 0.15, 0, 0.15, 0),
    row('text-embedding-004', 0.02, 0, 0.02, 0),
    // Zhipu GLM (list prices in CNY converted at about 7 CNY = 1 US$)
    row('glm-4.5', 0.6, 2.2, 0.11, 96_000),
    row('glm-4-plus', 0.7, 0.7, 0.7, 4_095),
    row('glm-4-air', 0.07, 0.07, 0.07, 4_095),
    row('glm-4-flash', 0.01, 0.01, 0.01, 4_095),
    row('glm-4v', 0.7, 0.7, 0.7, 1_024),
    row('glm-4v-plus', 0.57, 0.57, 0.57, 1_024),
    row('embedding-3', 0.07, 0, 0.07, 0),
    row('chatglm3-6b', 0.05, 0.05, 0.05, 8_192),
    { ...row('cogview-3', 0, 0, 0, 0), perImage: p(14) },
    // Stable Diffusion
    { ...row('stable-diffusion-xl-1024-v1-0', 0, 0, 0, 0), perImage: p(4) },
    { ...row('sd3.5-large', 0, 0, 0, 0), perImage: p(65) },
    { ...row('stable-diffusion', 0, 0, 0, 0), perImage: p(2) },
    { ...row('stable-diffusion-xl', 0, 0, 0, 0), perImage: p(2) },
    { ...row('stable-image-core', 0, 0, 0, 0), perImage: p(30) },
    { ...row('stable-image-ultra', 0, 0, 0, 0), perImage: p(80) },
  ],
  // 2: speech, transcription, rerank; DeepSeek and Baidu ERNIE.
  [
    // OpenAI speech: tts-1 by characters, gpt-4o-mini-tts by tokens (text in, audio out).
    { ...row('tts-1', 0, 0, 0, 0), perKChars: p(15) },
    { ...row('tts-1-hd', 0, 0, 0, 0), perKChars: p(30) },
    row('gpt-4o-mini-tts', 0.6, 12, 0.6, 16_384),
    // OpenAI transcription: whisper-1 by time (US$0.006 a minute = 0.1 P a second), the others by tokens.
    { ...row('whisper-1', 0, 0, 0, 0), perSecond: p(0.1) },
    row('gpt-4o-transcribe', 2.5, 10, 2.5, 2_000),
    row('gpt-4o-mini-transcribe', 1.25, 5, 1.25, 2_000),
    // DeepSeek (cached: the price of a cache hit)
    row('deepseek-chat', 0.27, 1.1, 0.07, 8_192),
    row('deepseek-reasoner', 0.55, 2.19, 0.14, 65_536),
    // Rerank: Cohere by search units (US$2 per 1K searches), Jina and BGE by tokens.
    { ...row('rerank-v3.5', 0, 0, 0, 0), perKSearches: p(2000) },
    { ...row('rerank-english-v3.0', 0, 0, 0, 0), perKSearches: p(2000) },
    { ...row('rerank-multilingual-v3.0', 0, 0, 0, 0), perKSearches: p(2000) },
    row('jina-reranker-v2-base-multilingual', 0.02, 0, 0.02, 0),
    row('bge-reranker-v2-m3', 0.01, 0, 0.01, 0),
    // Baidu ERNIE (list prices in CNY converted at about 7 CNY = 1 US$; ERNIE Speed is free at Baidu
    // but not here: a price of zero would hide a misrouted call)
    row('ernie-4.0-8k', 4.3, 12.9, 4.3, 2_048),
    row('ernie-3.5-8k', 0.11, 0.29, 0.11, 2_048),
    row('ernie-speed-128k', 0.01, 0.01, 0.01, 4_096),
    row('ernie-4.5-turbo-128k', 0.11, 0.46, 0.11, 12_288),
  ],
];

/** Every default price (the batches together). */
export const DEFAULT_PRICES: readonly Price[] = DEFAULT_PRICE_BATCHES.flat();

function row(model: string, input: number, output: number, cachedInput: number, maxOutput: number): Price {
  return { model, input: p(input), output: p(output), cachedInput: p(cachedInput), perImage: null, perKChars: null, perSecond: null, perKSearches: null, maxOutput };
}
