import type { Channel } from '../channels/channels.js';
import type { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../formats/canonical/types.js';

/** The wire dialects clients speak to the gateway (and providers speak natively). */
export type Dialect = 'openai' | 'anthropic' | 'gemini';

/** What a relayed call does; prices, logs and adapters key on it. */
export type Operation = 'chat' | 'completion' | 'embedding' | 'image' | 'count_tokens';

/** Token and unit counts of one call, normalised to OpenAI's meaning (prompt includes cached). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  images?: number;
  /** True when the gateway counted because the provider reported nothing. */
  estimated: boolean;
}

export const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, cachedTokens: 0, estimated: false };

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
