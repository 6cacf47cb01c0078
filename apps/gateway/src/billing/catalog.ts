import { toPoints } from './money.js';
import { PPM, type MultiplierPpm, type Price } from './pricing.js';

/**
 * What a user sees of the price list: each model with what it does and what one unit costs *this*
 * account (its group's multiplier applied), in P. The console's Models & prices page, the
 * management API's `/api/models`, the OpenAI dialect's `GET /v1/models` (`pricing` on each model)
 * and the SDKs all read this one function, so no two of them can disagree on a price.
 */

/** What a model does: the endpoint a first call to it should use. */
export type Capability = 'chat' | 'completion' | 'image' | 'embedding' | 'speech' | 'transcription' | 'rerank';
export const CAPABILITIES: readonly Capability[] = ['chat', 'completion', 'image', 'embedding', 'speech', 'transcription', 'rerank'];

/** 1 P is a tenth of a US cent (the default prices are written so: "P per 1K tokens" = US$ per 1M tokens). */
export const POINT_IN_USD = 0.001;

/**
 * The price of one model as an account pays it, in P. Token prices are per 1K tokens; reasoning
 * tokens are billed as output tokens (`costOf`), so `reasoning` always equals `output` and is shown
 * for the reader who asks. The other units are null when the model is not sold by them.
 */
export interface AccountPrice {
  input: number;
  cachedInput: number;
  output: number;
  reasoning: number;
  perImage: number | null;
  perKChars: number | null;
  perSecond: number | null;
  /** `perSecond` × 60: audio is usually priced per minute. */
  perMinute: number | null;
  perKSearches: number | null;
}

export interface CatalogEntry {
  id: string;
  ownedBy: string;
  capability: Capability;
  /** null: the model has no price, so its calls are refused (`PriceBook.require`). */
  price: AccountPrice | null;
}

/**
 * What a model does. The price row says it first (a model priced per image makes images, per
 * character speaks, per second listens, per search reranks); token-priced models are told apart
 * by their published names (embeddings and rerankers have no output price; OpenAI's
 * `gpt-4o-mini-tts` / `-transcribe` are token-priced audio models; `-instruct` models answer only
 * the legacy completions endpoint).
 */
export function capabilityOf(model: string, price: Price | undefined): Capability {
  const name = model.toLowerCase();
  if (price?.perImage != null) return 'image';
  if (price?.perKChars != null) return 'speech';
  if (price?.perSecond != null) return 'transcription';
  if (price?.perKSearches != null || /rerank/.test(name)) return 'rerank';
  if (/(^|[-_])tts([-_]|$)/.test(name)) return 'speech';
  if (/whisper|transcribe/.test(name)) return 'transcription';
  if (/embed/.test(name) || (price && price.output === 0 && price.maxOutput === 0)) return 'embedding';
  if (/instruct$/.test(name)) return 'completion';
  // An unpriced model named like an image model (an admin's custom SD checkpoint before its price).
  if (!price && /dall-e|gpt-image|stable-diffusion|sdxl|cogview|flux/.test(name)) return 'image';
  return 'chat';
}

/** A price as the account pays it: exact µP × multiplier, rounded to the nearest µP, in P. */
export function accountPrice(p: Price, multiplier: MultiplierPpm): AccountPrice {
  const pay = (micro: number) => toPoints(Math.round((micro * multiplier) / PPM));
  const unit = (micro: number | null) => (micro === null ? null : pay(micro));
  const output = pay(p.output);
  return {
    input: pay(p.input),
    cachedInput: pay(p.cachedInput),
    output,
    reasoning: output,
    perImage: unit(p.perImage),
    perKChars: unit(p.perKChars),
    perSecond: unit(p.perSecond),
    perMinute: p.perSecond === null ? null : pay(p.perSecond * 60),
    perKSearches: unit(p.perKSearches),
  };
}

/** The models a caller may use, each with its capability and the price its group pays. */
export function catalog(models: readonly { id: string; ownedBy: string }[], prices: ReadonlyMap<string, Price>, multiplier: MultiplierPpm): CatalogEntry[] {
  return models.map((m) => {
    const price = prices.get(m.id);
    return { id: m.id, ownedBy: m.ownedBy, capability: capabilityOf(m.id, price), price: price ? accountPrice(price, multiplier) : null };
  });
}
