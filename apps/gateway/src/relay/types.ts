import type { Channel } from '../channels/channels.js';
import type { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../formats/canonical/types.js';

/**
 * The wire format a client speaks to the gateway (and a provider natively): `openai`, `anthropic`,
 * `gemini`, ... Open, not a closed union: a new format is a folder under `formats/` and one line in
 * `formats/registry.ts`.
 */
export type Dialect = string;

/** What a relayed call does; prices, logs and providers key on it. */
export type Operation = 'chat' | 'completion' | 'embedding' | 'image' | 'count_tokens' | 'speech' | 'transcription' | 'translation' | 'rerank';

/**
 * The billable units of one call, normalised to OpenAI's meaning (prompt includes cached, completion
 * includes reasoning). Billing prices these and never reads a request body.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
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
}

/** A call as it reaches a provider adapter: the body already in that provider's dialect. */
export interface UpstreamCall {
  operation: Operation;
  /** The provider's own model name (after the channel's model mapping). */
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Text for JSON bodies; bytes for multipart uploads (image edits, Stability forms). */
  body?: string | Buffer;
}

export interface ProviderAdapter {
  kind: string;
  /** Human name for the console. */
  label: string;
  /** The wire dialect the provider speaks; pass-through happens when it equals the caller's. */
  dialect: Dialect;
  operations: readonly Operation[];
  /** Whether a channel of this kind needs a secret. */
  needsSecret: boolean;
  /** The format used when the caller speaks another dialect; default: the format of `dialect`. */
  format?: WireFormat;
  /** Operations translated even for callers of `dialect`: for near-copies of it (Zhipu, ChatGLM). */
  translateAlways?: readonly Operation[];
  buildRequest(call: UpstreamCall, channel: Channel): UpstreamRequest;
  /** Turns a non-2xx answer into a typed error (message from the provider, status a client can act on). */
  classifyError(status: number, body: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure;
  /** Request that lists the provider's models, for the "test" button and discovery. */
  modelsRequest?(channel: Channel): UpstreamRequest;
  parseModels?(body: unknown): string[];
}

export interface UpstreamFailure {
  error: GatewayError;
  /** Worth trying on another channel (rate limit, overload, 5xx, timeout). */
  retryable: boolean;
}
