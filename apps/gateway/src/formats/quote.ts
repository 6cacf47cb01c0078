import type { Operation, Quote } from '../core/calls.js';

/** A whole number above zero, or undefined: the limits a caller sets, whatever else it sends. */
export function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * A text call's quote: the prompt as the gateway counts it, the output limit the caller set in its
 * dialect's own field (null: the model's maximum), and how many choices may each reach it.
 * Embeddings produce no output; Anthropic's token count is free.
 */
export function textQuote(operation: Operation, promptTokens: number, maxOutputTokens: number | undefined, choices = 1): Quote {
  const units = { promptTokens, completionTokens: 0, cachedTokens: 0, estimated: true };
  if (operation === 'count_tokens') return { units, maxOutputTokens: 0, choices: 1, free: true };
  if (operation === 'embedding') return { units, maxOutputTokens: 0, choices: 1 };
  return { units, maxOutputTokens: maxOutputTokens ?? null, choices };
}

/**
 * Web searches reserved for a call that lets the model search with no limit of its own (Anthropic's
 * `max_uses`, the Responses API's `max_tool_calls`). Translated calls to Anthropic are capped at it
 * (its web search tool's `max_uses`), so their reservation covers every search they can run.
 */
export const SEARCH_ALLOWANCE = 5;

/**
 * The worst case of what a call's prompt and tools may add to its price, beyond tokens at the input
 * price: the whole prompt written to the provider's prompt cache (at the 1-hour rate when any
 * breakpoint asks for it, else the 5-minute one), and the searches it may run. Billing reserves
 * the quote's worst case, so a call that writes its cache or searches is never charged above it.
 */
export function withExtras(q: Quote, extras: { cacheWrite?: '5m' | '1h' | null; searches?: number }): Quote {
  if (q.free) return q;
  const units = { ...q.units };
  if (extras.cacheWrite === '1h') units.cacheWrite1hTokens = units.promptTokens;
  else if (extras.cacheWrite === '5m') units.cacheWrite5mTokens = units.promptTokens;
  if (extras.searches) units.searches = (units.searches ?? 0) + extras.searches;
  return { ...q, units };
}
