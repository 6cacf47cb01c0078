import type { PromptTokens, TokenCount } from './tokens.js';
import type { GatewayError } from '../core/errors.js';
import type { Dialect, Operation, Quote, Usage } from '../core/calls.js';

export interface RenderedError {
  status: number;
  body: unknown;
}

/**
 * Reads a provider stream in one dialect event by event: decides what reaches the client, and
 * keeps what metering needs (the provider's final usage report, or the produced text to count).
 */
export interface StreamTap {
  /** Feed raw upstream text; returns the text to forward (whole SSE events only). */
  push(text: string): string;
  /** End of upstream; returns whatever is left to forward. */
  end(): string;
  /** True when the stream reached its proper end marker. */
  readonly complete: boolean;
  /**
   * In the `push` that set `complete`: how much of its output comes before the event that completed
   * the stream. What precedes it flows to the caller at once; that event and all after it are the
   * stream's ending, held back until the call's charge is durable. Absent: the whole output of that
   * push is the ending.
   */
  readonly endsAt?: number;
  /** An error the provider reported inside the stream, if any. */
  readonly inBandError: string | null;
  /**
   * What the stream is charged: the provider's final usage report when it arrived; otherwise (the
   * provider cut the stream, the client left) the provider's prompt figure (or the gateway's count, `promptTokens()`)
   * and the larger of its last output figure and the tokens of the text this tap passed on to the
   * client. Early and running reports are never taken as final (formats/stream-usage.ts).
   */
  usage(promptTokens: PromptTokens): Usage;
  /**
   * A failure after the first byte in the stream's own grammar (numbered events, a terminal
   * event); when absent the dialect's codec renders it (`DialectCodec.streamError`).
   */
  streamError?(err: GatewayError): string;
}

export interface DialectCodec {
  dialect: Dialect;
  renderError(err: GatewayError): RenderedError;
  /** In-band stream error in this dialect, for failures after the first byte. */
  streamError(err: GatewayError): string;
  /** Usage from a complete (non-streamed) response body. */
  usageFromBody(operation: Operation, body: unknown, promptTokens: PromptTokens): Usage;
  /**
   * Starts reading a stream; `clientWantsUsage` controls the usage-only chunk OpenAI adds.
   * `answerModel`, when given, is the model name the caller asked for: events that name the model
   * name it instead of the provider's (a deployment, an alias's target), all else byte for byte.
   */
  tapStream(operation: Operation, clientWantsUsage: boolean, answerModel?: string): StreamTap;
  /**
   * The prompt's tokens as the gateway counts them (`count`: the tokenizer by default, or the cheap
   * upper bound, BOUND_COUNT in tokens.ts).
   */
  estimatePrompt(operation: Operation, body: Record<string, unknown>, count?: TokenCount): number;
  /** The call's units and output limit, read from this dialect's own fields, for the reservation. */
  quote(operation: Operation, body: Record<string, unknown>, count?: TokenCount): Quote;
}
