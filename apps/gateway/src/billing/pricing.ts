import type { Operation, Usage } from '../relay/types.js';
import { MICRO } from './money.js';

/** A model's price. Money in micro-points: per 1K tokens, or per standard image. */
export interface Price {
  model: string;
  input: number;
  output: number;
  cachedInput: number;
  /** Per image at 1024x1024, standard quality, 30 steps; null when the model makes no images. */
  perImage: number | null;
  /** Longest output the model can produce: the worst case reserved when a call sets no limit. */
  maxOutput: number;
}

/** Multiplier in parts per million (1.0 = 1_000_000), so a 0.8 discount stays exact integer math. */
export type MultiplierPpm = number;
export const PPM = 1_000_000;

/**
 * Cost of a call in micro-points: tokens × price, images × price × size/quality/steps factor, times
 * the group multiplier, rounded up once at the end (a call never costs less than its parts).
 */
export function costOf(price: Price, usage: Usage, multiplier: MultiplierPpm, body?: Record<string, unknown>): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  // In µP·tokens per 1K: divided by 1000 below, after the multiplier, in BigInt to stay exact.
  let scaled =
    BigInt(usage.promptTokens - cached) * BigInt(price.input) + BigInt(cached) * BigInt(price.cachedInput) + BigInt(usage.completionTokens) * BigInt(price.output);
  if (usage.images && price.perImage !== null) scaled += (BigInt(usage.images) * BigInt(price.perImage) * BigInt(imageFactorPpm(body)) * 1000n) / BigInt(PPM);
  return Number(ceilDiv(scaled * BigInt(multiplier), 1000n * BigInt(PPM)));
}

/**
 * The most a call can cost, reserved before it goes upstream: the prompt as the gateway counts it
 * plus the largest output the call allows (its own limit, else the model's), for every choice.
 */
export function worstCase(price: Price, operation: Operation, body: Record<string, unknown>, promptEstimate: number, multiplier: MultiplierPpm): { cost: number; maxOutput: number } {
  if (operation === 'count_tokens') return { cost: 0, maxOutput: 0 };
  if (operation === 'image') {
    const n = positiveInt(body.n) ?? positiveInt(body.batch_size) ?? positiveInt(body.samples) ?? 1;
    return { cost: costOf(price, { promptTokens: promptEstimate, completionTokens: 0, cachedTokens: 0, images: n, estimated: true }, multiplier, body), maxOutput: 0 };
  }
  if (operation === 'embedding') return { cost: costOf(price, { promptTokens: promptEstimate, completionTokens: 0, cachedTokens: 0, estimated: true }, multiplier), maxOutput: 0 };
  const asked = requestedMaxOutput(operation, body);
  const maxOutput = Math.min(asked ?? price.maxOutput, price.maxOutput);
  const choices = Math.max(positiveInt(body.n) ?? 1, positiveInt(body.best_of) ?? 1, positiveInt((body.generationConfig as Record<string, unknown> | undefined)?.candidateCount) ?? 1);
  const usage: Usage = { promptTokens: promptEstimate, completionTokens: maxOutput * choices, cachedTokens: 0, estimated: true };
  return { cost: costOf(price, usage, multiplier), maxOutput: maxOutput * choices };
}

/** The output limit the caller set, in whichever dialect's field; legacy completions default to 16 as OpenAI does. */
export function requestedMaxOutput(operation: Operation, body: Record<string, unknown>): number | undefined {
  const gen = body.generationConfig as Record<string, unknown> | undefined;
  const v = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? positiveInt(body.max_output_tokens) ?? positiveInt(gen?.maxOutputTokens);
  if (v === undefined && operation === 'completion') return 16;
  return v;
}

/**
 * Image price factor against the standard image (1024x1024, standard quality, 30 steps): by pixel
 * count, ×2 for `hd` / `high` quality (½ for `low`), and by sampling steps for diffusion models.
 */
export function imageFactorPpm(body: Record<string, unknown> | undefined): number {
  if (!body) return PPM;
  let factor = 1;
  const size = typeof body.size === 'string' ? /^(\d+)x(\d+)$/.exec(body.size) : null;
  const w = size ? Number(size[1]) : positiveInt(body.width);
  const h = size ? Number(size[2]) : positiveInt(body.height);
  if (w && h) factor *= (w * h) / (1024 * 1024);
  const q = typeof body.quality === 'string' ? body.quality : '';
  if (q === 'hd' || q === 'high') factor *= 2;
  else if (q === 'low') factor *= 0.5;
  const steps = positiveInt(body.steps);
  if (steps) factor *= steps / 30;
  return Math.max(1, Math.round(factor * PPM));
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}

/** P per 1K tokens → µP. The table below is written in P so it reads like a price list. */
const p = (points: number) => Math.round(points * MICRO);

/**
 * Default prices, applied once on a new database (admins edit them afterwards). 1 P is a tenth of
 * a US cent, so "P per 1K tokens" equals the provider's list price in US$ per 1M tokens.
 */
export const DEFAULT_PRICES: Price[] = [
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
];

function row(model: string, input: number, output: number, cachedInput: number, maxOutput: number): Price {
  return { model, input: p(input), output: p(output), cachedInput: p(cachedInput), perImage: null, maxOutput };
}
