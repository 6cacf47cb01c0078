import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import { anthropicFormat } from '../../formats/anthropic/canonical.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';
import { jsonBody } from '../common/json-body.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's Messages API. `baseUrl` is the host (https://api.anthropic.com); a trailing /v1 is tolerated. */
export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  label: 'Anthropic',
  dialect: 'anthropic',
  operations: ['chat', 'count_tokens'],
  needsSecret: true,
  format: anthropicFormat,
  buildRequest: buildAnthropicRequest,
  classifyError: classifyAnthropicError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${root(channel)}/v1/models?limit=1000`, headers: headers(channel) }),
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

function root(channel: Channel): string {
  return trimSlash(channel.baseUrl).replace(/\/v1$/, '');
}

/**
 * `anthropic-version` is the caller's when an Anthropic client sent one (pass-through), else the
 * channel's setting, else 2023-06-01; `anthropic-beta` is the caller's, every flag, unchanged
 * (https://docs.anthropic.com/en/api/versioning, https://docs.anthropic.com/en/api/beta-headers).
 */
function headers(channel: Channel, pass?: Record<string, string>): Record<string, string> {
  const version = pass?.['anthropic-version'] ?? (typeof channel.settings.anthropicVersion === 'string' ? channel.settings.anthropicVersion : ANTHROPIC_VERSION);
  const beta = pass?.['anthropic-beta'];
  return {
    'content-type': 'application/json',
    'anthropic-version': version,
    ...(beta ? { 'anthropic-beta': beta } : {}),
    ...(channel.secret ? { 'x-api-key': channel.secret } : {}),
  };
}

function buildAnthropicRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = call.operation === 'chat' ? '/v1/messages' : call.operation === 'count_tokens' ? '/v1/messages/count_tokens' : null;
  if (!path) throw new GatewayError('invalid_request', `Anthropic channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  // The Anthropic SDK's beta namespace adds `?beta=true`; it goes on as the caller sent it.
  const query = call.passQuery && Object.keys(call.passQuery).length ? `?${new URLSearchParams(call.passQuery).toString()}` : '';
  return { method: 'POST', url: root(channel) + path + query, headers: headers(channel, call.passHeaders), body: call.operation === 'count_tokens' ? countBody(call.body) : jsonBody(call) };
}

/** A token count's body: the message's, without the two fields the count endpoint refuses. */
function countBody(message: Record<string, unknown>): string {
  const { stream: _stream, max_tokens: _max, ...body } = message;
  return JSON.stringify(body);
}

/** `{type:"error", error:{type, message}}`; 529 is Anthropic's "overloaded". */
export function classifyAnthropicError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { type?: string; message?: string } } | undefined;
  const message = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  return upstreamFailure({ status, message, code: body?.error?.type ?? null, headers: hdrs });
}
