import { dependencyFailure } from './dependency-errors.js';

/**
 * Errors are values with a kind. Each ingress dialect renders them in its own shape
 * (relay/dialects/<name>/errors.ts), so the same failure reads naturally to every client.
 */
export type ErrorKind =
  | 'invalid_request' // 400: the caller's body or parameters are wrong
  | 'authentication' // 401: missing or bad credentials
  | 'permission' // 403: authenticated but not allowed
  | 'not_found' // 404
  | 'conflict' // 409
  | 'payload_too_large' // 413
  | 'rate_limit' // 429, retryable
  | 'insufficient_quota' // 429 (OpenAI's status), not retryable
  | 'upstream' // 502: the provider failed
  | 'upstream_timeout' // 504
  | 'overloaded' // 503/529
  | 'unavailable' // 503, retryable: a service the gateway needs (its database, Redis) cannot be reached for a moment
  | 'internal'; // 500: our fault; the message never carries details

const STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limit: 429,
  insufficient_quota: 429,
  upstream: 502,
  upstream_timeout: 504,
  overloaded: 503,
  unavailable: 503,
  internal: 500,
};

export interface GatewayErrorInit {
  /** Offending request field, e.g. `messages[0].content`. */
  param?: string | null;
  /** Machine-readable code (OpenAI's `code`), e.g. `model_not_found`. */
  code?: string | null;
  /** Overrides the status the kind implies (e.g. an upstream 400 relayed as 400). */
  status?: number;
  /** Seconds the client should wait (sent as `retry-after`). */
  retryAfter?: number;
  /** Extra response headers (rate-limit headers and the like). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly retryAfter?: number;
  readonly headers?: Record<string, string>;

  constructor(kind: ErrorKind, message: string, init: GatewayErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = init.status ?? STATUS[kind];
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.retryAfter = init.retryAfter;
    this.headers = init.headers;
  }
}

export const invalidRequest = (message: string, param?: string, code = 'invalid_value') =>
  new GatewayError('invalid_request', message, { param, code });

/** Seconds a caller is told to wait when the database or Redis is unreachable: an outage is often brief. */
export const UNAVAILABLE_RETRY_AFTER_SEC = 2;

/**
 * A 503 the caller should retry: the database or the shared state cannot be reached for a moment.
 * The message names neither (no internal detail reaches a client); the cause goes to the log.
 */
/**
 * A failure of the gateway's own — a bug while building or translating a request (`internal`), a
 * dependency away or the process out of descriptors (`unavailable`) — which no channel caused and no
 * other channel would escape: never counted against a channel, by a call or by a health probe.
 */
export function gatewaysOwn(e: GatewayError): boolean {
  return e.kind === 'internal' || e.kind === 'unavailable';
}

export function serviceUnavailable(cause: unknown): GatewayError {
  return new GatewayError('unavailable', 'The service is temporarily unavailable. Please retry in a moment.', { code: 'service_unavailable', retryAfter: UNAVAILABLE_RETRY_AFTER_SEC, cause });
}

/**
 * Anything thrown that is not a GatewayError becomes an opaque internal error for the client, but
 * for a lost or refused connection to the database or Redis: that is a retryable 503.
 */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  // Fastify's own errors (body limit, bad JSON, bad content type) carry a statusCode.
  if (e && e.statusCode === 413) return new GatewayError('payload_too_large', 'Request body is too large.', { code: 'request_too_large' });
  if (e && (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && /JSON/i.test(e.message ?? ''))))
    return new GatewayError('invalid_request', 'We could not parse the JSON body of your request. The body must be valid JSON.', { code: 'invalid_json' });
  if (e && e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return new GatewayError('invalid_request', 'The request body is empty; a JSON body is required.', { code: 'invalid_json' });
  if (e && e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new GatewayError('invalid_request', 'Unsupported Content-Type; send application/json.', { code: 'invalid_content_type' });
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.message)
    return new GatewayError(e.statusCode === 404 ? 'not_found' : 'invalid_request', e.message, { status: e.statusCode });
  if (dependencyFailure(err)) return serviceUnavailable(err);
  return new GatewayError('internal', 'The server had an error while processing your request.', { cause: err, code: 'internal_error' });
}
