/**
 * Every failure is an APIError (or a subclass a caller can catch by kind). The gateway answers
 * errors in OpenAI's envelope `{error: {message, type, param, code}}`, on the relay and the
 * management API alike, so one reader maps both.
 */
export interface ErrorBody {
  message?: string;
  type?: string | null;
  param?: string | null;
  code?: string | null;
}

export class APIError extends Error {
  /** HTTP status; 0 when no answer arrived (connection failure, timeout). */
  readonly status: number;
  readonly code: string | null;
  readonly param: string | null;
  readonly type: string | null;
  /** The gateway's `x-request-id`, to quote when asking about a call. */
  readonly requestId: string | null;
  /** Seconds the server asked to wait (`retry-after`), when it said. */
  readonly retryAfter: number | null;
  readonly headers: Headers;

  constructor(message: string, init: { status?: number; body?: ErrorBody; headers?: Headers; retryAfter?: number | null; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status ?? 0;
    this.code = init.body?.code ?? null;
    this.param = init.body?.param ?? null;
    this.type = init.body?.type ?? null;
    this.headers = init.headers ?? new Headers();
    this.requestId = this.headers.get('x-request-id');
    this.retryAfter = init.retryAfter !== undefined ? init.retryAfter : retryAfterSeconds(this.headers);
  }
}

/** 400: the request's body or parameters are wrong (`param` names the field). */
export class BadRequestError extends APIError {}
/** 401: missing, wrong, revoked or expired key (or session). */
export class AuthenticationError extends APIError {}
/** 403: known caller, not allowed (model, IP, origin, admin-only route). */
export class PermissionDeniedError extends APIError {}
/** 404: unknown model, route or object. */
export class NotFoundError extends APIError {}
/** 409: a conflicting request (an idempotency key reused with other parameters, one still running). */
export class ConflictError extends APIError {}
/** 429 `insufficient_quota`: the balance (or the key's credit limit) cannot cover the call. Never retried. */
export class InsufficientCreditError extends APIError {}
/** 429: a rate, token or concurrency limit; `retryAfter` says how long to wait. */
export class RateLimitError extends APIError {}
/** The content was refused by a safety filter (`code: content_filter`). */
export class ContentFilterError extends APIError {}
/** 500: the gateway itself failed. */
export class InternalServerError extends APIError {}
/** 502, 503, 504, 529: the provider failed, timed out, or the gateway's store was out for a moment. */
export class UpstreamError extends APIError {}
/** No answer: the connection failed or was reset. */
export class APIConnectionError extends APIError {}
/** No answer within the timeout. */
export class APITimeoutError extends APIConnectionError {}
/** The caller's AbortSignal ended the call. */
export class APIUserAbortError extends APIError {}

const INSUFFICIENT = new Set(['insufficient_quota', 'insufficient_balance']);

/** The error class for a status and body: content filtering and credit first (they cross statuses). */
export function errorClassFor(status: number, body: ErrorBody | undefined): typeof APIError {
  if (body?.code === 'content_filter') return ContentFilterError;
  if ((body?.code && INSUFFICIENT.has(body.code)) || body?.type === 'insufficient_quota') return InsufficientCreditError;
  if (status === 400 || status === 413 || status === 422) return BadRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 429) return RateLimitError;
  if (status === 500) return InternalServerError;
  if (status >= 500) return UpstreamError;
  return APIError;
}

/** Builds the error for an answer whose body was already read (`text`). */
export function makeError(status: number, text: string, headers: Headers): APIError {
  const body = parseErrorBody(text);
  const message = body?.message || text.trim().slice(0, 500) || `HTTP ${status}`;
  const Cls = errorClassFor(status, body);
  return new Cls(message, { status, body, headers });
}

/** Reads the error out of a failed Response. */
export async function errorFromResponse(res: Response): Promise<APIError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // the body broke off: the status alone speaks
  }
  return makeError(res.status, text || `${res.status} ${res.statusText}`.trim(), res.headers);
}

/** An `{error: …}` event inside a stream: the call failed after its first byte. */
export function streamError(payload: { error?: ErrorBody | string }, headers?: Headers): APIError {
  const e = typeof payload.error === 'string' ? { message: payload.error } : (payload.error ?? {});
  const Cls = errorClassFor(0, e);
  return new (Cls === APIError ? UpstreamError : Cls)(e.message ?? 'The stream ended with an error.', { body: e, headers });
}

function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const json = JSON.parse(text) as { error?: ErrorBody | string; message?: string; detail?: string };
    if (json && typeof json.error === 'object' && json.error) return json.error;
    if (typeof json?.error === 'string') return { message: json.error };
    if (typeof json?.message === 'string') return { message: json.message };
    if (typeof json?.detail === 'string') return { message: json.detail };
  } catch {
    // not JSON
  }
  return undefined;
}

/** `retry-after-ms`, then `retry-after` in seconds or as an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const v = headers.get('retry-after');
  if (v === null || v.trim() === '') return null;
  if (Number.isFinite(Number(v))) return Math.max(0, Number(v));
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}
