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
