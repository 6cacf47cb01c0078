import type { ServerResponse } from 'node:http';
import { asGatewayError, GatewayError } from '../core/errors.js';
import { dependencyFailure } from '../core/dependency-errors.js';
import type { Logger } from '../core/logger.js';
import { FORMATS_BY_ID } from '../formats/registry.js';
import type { Dialect } from '../core/calls.js';
import { validationError } from '../formats/validation.js';
import { newId } from '../core/ids.js';
import { LogThrottle } from '../core/log-throttle.js';

export type ErrorDialect = Dialect | 'api';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * One place turns anything thrown into the caller's error shape. Internal errors are logged with
 * their stack and reach the client as a plain message: no trace, no secret.
 */
export function toErrorResponse(err: unknown, dialect: ErrorDialect, log: Logger, requestId?: string): ErrorResponse {
  const v = (err as { validation?: unknown[] })?.validation;
  const e = Array.isArray(v) ? ((err as { cause?: unknown }).cause instanceof GatewayError ? ((err as { cause: GatewayError }).cause) : validationError(v as never)) : asGatewayError(err);
  // The call's id (the caller has it in x-request-id) ties the line to the request log and the trace.
  if (e.kind === 'internal') log.error('internal error', (e.cause as Error) ?? err, requestId ? { request_id: requestId } : undefined);
  // An outage of the database or Redis: the caller is told to retry; the log says which and why (no stack).
  else if (e.kind === 'unavailable') logOutage(log, e.cause ?? err, requestId);
  const headers: Record<string, string> = { ...(e.headers ?? {}) };
  if (e.retryAfter !== undefined) headers['retry-after'] = String(Math.ceil(e.retryAfter));
  const format = dialect === 'api' ? undefined : FORMATS_BY_ID.get(dialect);
  if (format) {
    const r = format.renderError(e);
    return { status: r.status, headers, body: r.body };
  }
  // The management API's own shape: the OpenAI envelope too, so one client helper reads both.
  return { status: e.status, headers, body: { error: { message: e.message, type: e.kind, param: e.param, code: e.code } } };
}

/**
 * The id an answer names in `x-request-id`: the call's log row id once the pipeline has named it;
 * a refusal before that (a bad key, a malformed body, a model the key may not use) gets a fresh one
 * in the same shape, so every answer has an id a caller can quote and the server log line carries.
 * Such a refusal has no request-log row.
 */
export function answerId(res: ServerResponse): string {
  const named = res.getHeader('x-request-id');
  if (typeof named === 'string') return named;
  const id = newId('req');
  if (!res.headersSent) res.setHeader('x-request-id', id);
  return id;
}

/** For replies that bypassed the framework (hijacked streams) and failed before any byte was sent. */
export function writeErrorResponse(res: ServerResponse, r: ErrorResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers });
  res.end(JSON.stringify(r.body));
}

/** A ready-made non-streamed relay answer, written straight to the socket. */
export function writeReply(res: ServerResponse, r: { status: number; contentType: string; body: Buffer; headers: Record<string, string> }): void {
  // The reply's own headers object (made for this answer): completed in place, not copied.
  const headers = r.headers;
  headers['content-type'] = r.contentType;
  headers['content-length'] = String(r.body.length);
  res.writeHead(r.status, headers);
  res.end(r.body);
}

/** One line a second at most, with how many answers it stands for: an outage under load refuses hundreds a second. */
const outageLog = new LogThrottle(1_000);
function logOutage(log: Logger, cause: unknown, requestId?: string): void {
  const held = outageLog.pass();
  if (held === null) return;
  const f = dependencyFailure(cause);
  const more = held ? ` (and ${held} more 503s since the last line)` : '';
  log.warn(`answered 503: ${f ? `${f.dependency} unavailable (${f.reason})` : 'a dependency is unavailable'}${more}`, requestId ? { request_id: requestId } : undefined);
}
