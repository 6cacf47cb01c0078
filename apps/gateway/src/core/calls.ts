/**
 * The vocabulary every layer shares about a call: which wire format, which operation, and the
 * billable units. It imports nothing, so formats, providers, the relay and billing can all use it.
 */

/**
 * The wire format a client speaks to the gateway (and a provider natively): `openai`, `anthropic`,
 * `gemini`, ... Open, not a closed union: a new format is a folder under `formats/` and one line in
 * `formats/registry.ts`.
 */
export type Dialect = string;

/** What a relayed call does; prices, logs and providers key on it. */
export type Operation = 'chat' | 'completion' | 'embedding' | 'image' | 'count_tokens' | 'speech' | 'transcription' | 'translation' | 'rerank' | 'moderation';

/**
 * The billable units of one call, normalised to OpenAI's meaning (prompt includes cached, completion
 * includes reasoning). Billing prices these and never reads a request body.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /**
   * The part of `promptTokens` written to the provider's prompt cache, by lifetime (Anthropic's
   * `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`): priced above input.
   * Absent when nothing was written.
   */
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
  /** The part of `completionTokens` the model spent reasoning (metered, priced as output). */
  reasoningTokens?: number;
  images?: number;
  /** Price factor of each image against the standard one (1024x1024, standard quality, 30 steps), in ppm. */
  imageFactorPpm?: number;
  /** Characters of text turned into speech (Unicode code points). */
  characters?: number;
  /** Seconds of audio heard (transcription, translation), rounded up. */
  seconds?: number;
  /** Rerank search units (one query with up to 100 documents). */
  searches?: number;
  /** True when the gateway counted because the provider reported nothing. */
  estimated: boolean;
}

export const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: false };

/**
 * What a call may cost, stated by its operation before it runs: the units known up front, and how
 * much output it may produce. Billing reserves the worst case of this and never reads the body.
 */
export interface Quote {
  /** Units known before the call: the prompt as the gateway counts it, images, characters, seconds, searches. */
  units: Usage;
  /** Output tokens per choice the caller allows; null when it set no limit (the model's maximum applies). */
  maxOutputTokens: number | null;
  /** Choices the call asks for (`n`, `candidateCount`): each may produce the maximum output. */
  choices: number;
  /** Calls that cost nothing but are still rate-limited and logged (Anthropic's count_tokens). */
  free?: boolean;
  /**
   * Present when `units` hold an upper bound rather than a count (text prompts: formats/tokens.ts
   * BOUND_COUNT): the same quote counted exactly, which admission falls back to before it refuses
   * (large prompts are counted off the event loop, hence a promise).
   */
  exact?: () => Promise<Quote>;
}

/** One part of a multipart form sent to a provider (transcription, translation, image edits). */
export type FormPart = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Buffer };
