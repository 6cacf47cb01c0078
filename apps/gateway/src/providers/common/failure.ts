import { GatewayError, type ErrorKind } from '../../core/errors.js';
import { scrub } from '../../core/logger.js';
import type { UpstreamFailure } from '../types.js';

export interface FailureFacts {
  status: number;
  /** The provider's own words. */
  message: string;
  /** The provider's machine code (OpenAI `code`, Anthropic `type`, Google `reason`/`status`, Zhipu business code). */
  code: string | null;
  /** Overrides the kind the status implies (a Zhipu 400 that means "no such model"). */
  kind?: ErrorKind;
  /** The provider rejected the channel's own credentials, whatever status it used to say so. */
  credentials?: boolean;
  headers?: Record<string, string | string[] | undefined>;
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504, 529]);

/**
 * What the caller (and the request log it can read) is told when a provider refuses the channel's
 * own key: the status, never the provider's words — those often quote the key ("Incorrect API key
 * provided: sk-…"), and the caller can do nothing about them anyway. The pipeline puts it in place
 * of the provider's message; admins' surfaces (the channel test, the health probe) keep the
 * provider's scrubbed words.
 */
export function credentialsRefusedMessage(status: number): string {
  return `The provider refused the channel's credentials (${status}). An administrator needs to check the channel's key.`;
}

/**
 * A provider's message as the caller may read it: anything shaped like a key or a token (`sk-…`,
 * `Bearer …`, `key=…`, Google `AIza…` keys) and the given secrets (the channel's own) are replaced by
 * `[redacted]`.
 */
export function scrubProviderText(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    // The whole secret, and the parts of a composite one (Zhipu's `id.secret`, ERNIE's
    // `client_id:client_secret`, a WebUI's `user:pass`) that are long enough to be secret.
    for (const part of new Set([secret, ...secret.split(/[.:|\s]+/)])) if (part.length >= 8) out = out.split(part).join('[redacted]');
  }
  return scrub(out);
}

/**
 * One policy for every provider's failures, so a client sees the same status for the same trouble
 * whichever provider served it: a rejected channel key is the operator's problem (502, not the
 * caller's 401; callers are told without the provider's words), rate limits stay 429 with the provider's
 * retry-after, overload is 503, a provider 5xx is 502, and the caller's own mistakes (400, 404, 413)
 * keep their status. Provider messages are passed on scrubbed of anything shaped like a key.
 */
export function upstreamFailure(f: FailureFacts): UpstreamFailure {
  const kind: ErrorKind = f.credentials || f.status === 401 || f.status === 403 ? 'upstream' : (f.kind ?? kindFor(f.status));
  const message = kind === 'upstream' && (f.credentials || f.status === 401 || f.status === 403) ? `The provider refused the channel's credentials (${f.status}): ${scrubProviderText(f.message)}` : scrubProviderText(f.message);
  const retryAfter = f.headers ? retryAfterSeconds(f.headers) : undefined;
  const error = new GatewayError(kind, message, { status: statusFor(kind, f.status), code: f.code, retryAfter: kind === 'rate_limit' || kind === 'overloaded' ? retryAfter : undefined });
  return { error, retryable: !f.credentials && RETRYABLE.has(f.status), ...(f.credentials ? { credentials: true } : {}) };
}

function kindFor(status: number): ErrorKind {
  if (status === 429) return 'rate_limit';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 504 || status === 408) return 'upstream_timeout';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'upstream';
}

function statusFor(kind: ErrorKind, status: number): number {
  switch (kind) {
    case 'invalid_request':
      return status >= 400 && status < 500 ? status : 400;
    case 'not_found':
      return 404;
    case 'payload_too_large':
      return 413;
    case 'rate_limit':
      return 429;
    case 'overloaded':
      return 503;
    case 'upstream_timeout':
      return 504;
    default:
      return 502;
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `https://host/` → `https://host`, so paths join cleanly. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * OpenAI-shaped failures (Azure, ChatGLM's FastAPI `{detail}`), read with the common policy so the
 * provider's `retry-after` reaches the caller.
 */
export function classifyOpenAIShapedError(status: number, text: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { message?: string; code?: string | number | null; type?: string }; detail?: unknown } | undefined;
  const message = body?.error?.message ?? (typeof body?.detail === 'string' ? body.detail : undefined) ?? (text.slice(0, 300) || `HTTP ${status}`);
  const code = body?.error?.code != null ? String(body.error.code) : (body?.error?.type ?? null);
  // OpenAI's out-of-credit answer is a 429 that no retry will fix.
  return upstreamFailure({ status, message, code, kind: code === 'insufficient_quota' ? 'upstream' : undefined, headers });
}

/** `retry-after` in seconds from a provider's headers (seconds or an HTTP date; `retry-after-ms` too). */
export function retryAfterSeconds(headers: Record<string, string | string[] | undefined>): number | undefined {
  const one = (n: string) => {
    const v = headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = one('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const ra = one('retry-after');
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Number(ra);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, (at - Date.now()) / 1000) : undefined;
}

/**
 * A provider's refusal met before the call itself, in a token exchange: thrown by a provider's
 * `credentials`, and read by the pipeline as it reads a refused answer (rejected keys rest the
 * channel and the call moves on to another; a 5xx or 429 is retried as usual). A GatewayError, so
 * anything else that calls `credentials` (the channel test) shows its message as is.
 */
export class ExchangeFailure extends GatewayError {
  constructor(readonly failure: UpstreamFailure & { status: number }) {
    super(failure.error.kind, failure.error.message, { status: failure.error.status, code: failure.error.code, retryAfter: failure.error.retryAfter });
  }
}
