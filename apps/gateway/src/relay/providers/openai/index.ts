import type { Channel } from '../../../channels/channels.js';
import { GatewayError, type ErrorKind } from '../../../core/errors.js';
import type { Operation, ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../../types.js';

const PATHS: Record<string, string> = {
  chat: '/chat/completions',
  completion: '/completions',
  embedding: '/embeddings',
  image: '/images/generations',
};

/** OpenAI itself. `baseUrl` includes the version segment, as the SDK's does: https://api.openai.com/v1. */
export const openaiAdapter: ProviderAdapter = {
  kind: 'openai',
  label: 'OpenAI',
  dialect: 'openai',
  operations: ['chat', 'completion', 'embedding', 'image'] satisfies Operation[],
  needsSecret: true,
  buildRequest: (call, channel) => buildOpenAIRequest(call, channel),
  classifyError: classifyOpenAIError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${channel.baseUrl}/models`, headers: authHeaders(channel) }),
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

export function buildOpenAIRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = PATHS[call.operation];
  if (!path) throw new GatewayError('invalid_request', `This channel cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return {
    method: 'POST',
    url: channel.baseUrl + path,
    headers: { 'content-type': 'application/json', ...authHeaders(channel) },
    body: JSON.stringify(call.body),
  };
}

export function authHeaders(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);

/**
 * Maps a provider's failure to what our caller should see. A provider 401/403 is the gateway
 * operator's problem (a bad channel key), not the caller's, so it becomes a 502 rather than telling
 * the caller their own key is wrong.
 */
export function classifyOpenAIError(status: number, text: string): UpstreamFailure {
  const body = safeJson(text) as { error?: { message?: string; code?: string | number; type?: string; param?: string }; detail?: unknown; message?: string } | undefined;
  const upstreamMessage =
    body?.error?.message ?? (typeof body?.detail === 'string' ? body.detail : undefined) ?? body?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const code = body?.error?.code != null ? String(body.error.code) : null;
  const kind = kindForStatus(status, code);
  const message = status === 401 || status === 403 ? `The provider refused the channel's credentials (${status}): ${upstreamMessage}` : upstreamMessage;
  const error = new GatewayError(kind, message, {
    status: kind === 'upstream' ? 502 : status >= 400 && status < 600 ? statusFor(kind, status) : 502,
    code,
    param: body?.error?.param ?? null,
  });
  return { error, retryable: RETRYABLE.has(status) };
}

function kindForStatus(status: number, code: string | null): ErrorKind {
  if (status === 401 || status === 403) return 'upstream';
  if (status === 429) return code === 'insufficient_quota' ? 'upstream' : 'rate_limit';
  if (status === 404) return 'not_found';
  if (status === 413) return 'payload_too_large';
  if (status >= 400 && status < 500) return 'invalid_request';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 504) return 'upstream_timeout';
  return 'upstream';
}

function statusFor(kind: ErrorKind, status: number): number {
  if (kind === 'invalid_request' || kind === 'not_found' || kind === 'payload_too_large' || kind === 'rate_limit') return status;
  if (kind === 'overloaded') return 503;
  if (kind === 'upstream_timeout') return 504;
  return 502;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
