import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError, type ErrorKind } from '../../core/errors.js';
import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamFailure, UpstreamRequest } from '../types.js';


export function stabilityRoot(channel: Channel): string {
  return channel.baseUrl.replace(/\/+$/, '');
}

export function stabilityAuth(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
}

/**
 * `{id, name, errors:[...]}` (v2beta) or `{id, name, message}` (v1). A 403 is Stability's moderation
 * flag, which OpenAI callers know as a 400 `content_policy_violation`.
 */
export function classifyStabilityError(status: number, text: string, headers: Record<string, string | string[] | undefined> = {}): UpstreamFailure {
  let body: { name?: string; errors?: unknown; message?: string } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const detail = (Array.isArray(body?.errors) ? body.errors.join('; ') : undefined) ?? body?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const ra = Number(Array.isArray(headers['retry-after']) ? headers['retry-after'][0] : headers['retry-after']);
  const make = (kind: ErrorKind, out: number, message: string, code: string | null) =>
    new GatewayError(kind, message, { status: out, code, retryAfter: kind === 'rate_limit' && ra > 0 ? ra : undefined });
  if (status === 401) return { error: make('upstream', 502, `The provider refused the channel's credentials (401): ${detail}`, 'upstream_auth'), retryable: false };
  if (status === 403) return { error: make('invalid_request', 400, `The provider's moderation rejected the request: ${detail}`, 'content_policy_violation'), retryable: false };
  if (status === 400 || status === 404 || status === 422) return { error: make('invalid_request', 400, detail, body?.name ?? 'invalid_value'), retryable: false };
  if (status === 413) return { error: make('payload_too_large', 413, detail, 'payload_too_large'), retryable: false };
  if (status === 429) return { error: make('rate_limit', 429, detail, 'rate_limit_exceeded'), retryable: true };
  if (status === 503) return { error: make('overloaded', 503, detail, 'overloaded'), retryable: true };
  return { error: make('upstream', 502, detail, body?.name ?? 'upstream_error'), retryable: status >= 500 || status === 408 };
}
