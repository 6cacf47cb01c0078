import type { KeyContext } from '../apps/keys.js';
import type { Dialect, Operation, Usage } from '../core/calls.js';
import type { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { CallTexts } from '../formats/safety-text.js';
import type { PrivacyCall } from './privacy.js';
import type { RequestLogRow } from './request-log.js';

/** One call as a format's route hands it to the pipeline. */
export interface CallRequest {
  key: KeyContext;
  dialect: Dialect;
  operation: Operation;
  /** The route's path, for the log (`/v1/chat/completions`, `/v1beta/models/{model}:generateContent`). */
  endpoint: string;
  /** The model the caller asked for ('' until an exchange resolves it, as for A1111's default checkpoint). */
  model: string;
  stream: boolean;
  clientIp: string | null;
  /** The browser's Origin header, for keys limited to some web pages. */
  origin?: string | null;
  /** The dialect written in the log when it is not the route's (A1111's own API). */
  logDialect?: string;
  /** The session the call belongs to, for prompt-cache affinity (`CallSpec.affinity`: read only when needed); absent when it names none. */
  affinity?: () => string | undefined;
  /** The texts the content rules read, as the call's format states them; absent: the call is not checked. */
  texts?: CallTexts | null;
  /** The call's privacy handling (redaction, content log), set by the pipeline when a policy applies. */
  privacy?: PrivacyCall | null;
  /**
   * A text call's body as the caller's bytes (http/json-body.ts `rawJsonOf`), while the parsed body
   * is unchanged: sent in place of a serialisation when the call goes to the provider as it came.
   * The pipeline drops it before anything may rewrite the body (the input screens, redaction).
   */
  raw?: Buffer;
}

/** A ready answer: bytes the HTTP layer writes as they are. */
export interface BufferedReply {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * Why one attempt on one channel failed, for the pipeline's one failover policy. `status` is the
 * provider's HTTP status, or null when no answer came (connection, timeout, an unreadable answer, or
 * a call this provider cannot express).
 */
export class AttemptFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly status: number | null,
    readonly retryable: boolean,
    /** The provider refused the channel's own credentials. */
    readonly credentials = false,
    readonly retryAfterSec?: number,
  ) {
    super(error.message);
  }
}

/** The longest caller id kept: OpenAI's limit for `X-Client-Request-Id`. */
export const CLIENT_REQUEST_ID_MAX = 512;

/**
 * The caller's own id for a call, so its logs and ours can be matched: `X-Client-Request-Id` (the
 * header OpenAI's API takes for this, platform.openai.com/docs/api-reference/debugging-requests), or
 * else an `X-Request-Id` the caller's proxy or client set. Printable ASCII up to 512 characters, as
 * OpenAI requires; anything else is ignored (the call is still served). It never replaces the
 * gateway's own id (`x-request-id` of the answer, the log row's key), which no caller can choose.
 */
export function clientRequestId(headers: Record<string, string | string[] | undefined>): string | null {
  const v = headers['x-client-request-id'] ?? headers['x-request-id'];
  if (typeof v !== 'string' || v.length === 0 || v.length > CLIENT_REQUEST_ID_MAX || !/^[\x20-\x7e]+$/.test(v)) return null;
  return v;
}

/** A call's request-log row before anything happened. Every column is set: a batch insert writes one column list. */
export function baseLog(req: CallRequest, clientId: string | null = null): RequestLogRow {
  return {
    id: newId('req'),
    created_at: Date.now(),
    user_id: req.key.userId,
    app_id: req.key.appId,
    key_id: req.key.keyId,
    key_prefix: req.key.prefix,
    endpoint: req.endpoint,
    dialect: req.logDialect ?? req.dialect,
    model_requested: req.model || null,
    model_sent: null,
    channel_id: null,
    stream: req.stream ? 1 : 0,
    status: 0,
    error_code: null,
    error_message: null,
    latency_ms: 0,
    ttft_ms: null,
    prompt_tokens: 0,
    completion_tokens: 0,
    cached_tokens: 0,
    attempts: 0,
    client_ip: req.clientIp,
    client_request_id: clientId,
    cost: 0,
    attempt_log: null,
    cache_hit: 0,
    ...ZERO_UNITS,
  } as RequestLogRow;
}

/** The unit columns of a log row (migration: request_logs unit columns). */
const ZERO_UNITS = { reasoning_tokens: 0, images: 0, characters: 0, seconds: 0, searches: 0, cache_write_5m_tokens: 0, cache_write_1h_tokens: 0 };

export function applyUsage(log: RequestLogRow, usage: Usage): void {
  log.prompt_tokens = usage.promptTokens;
  log.completion_tokens = usage.completionTokens;
  log.cached_tokens = usage.cachedTokens;
  const units = log as unknown as Record<keyof typeof ZERO_UNITS, number>;
  units.reasoning_tokens = usage.reasoningTokens ?? 0;
  units.images = usage.images ?? 0;
  units.characters = usage.characters ?? 0;
  units.seconds = usage.seconds ?? 0;
  units.searches = usage.searches ?? 0;
  units.cache_write_5m_tokens = usage.cacheWrite5mTokens ?? 0;
  units.cache_write_1h_tokens = usage.cacheWrite1hTokens ?? 0;
}

/** Completes a log row: status, latency, and the error when there was one. */
export function finish(log: RequestLogRow, started: number, status: number, error?: GatewayError): RequestLogRow {
  log.status = status;
  log.latency_ms = Math.round(performance.now() - started);
  if (error) {
    log.error_code = error.code ?? error.kind;
    log.error_message = error.message.slice(0, 500);
  }
  return log;
}
