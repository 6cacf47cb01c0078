import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import { anthropicFormat } from '../../formats/anthropic/canonical.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's Messages API. `baseUrl` is the host (https://api.anthropic.com); a trailing /v1 is tolerated. */
export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',
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

function headers(channel: Channel): Record<string, string> {
  const version = typeof channel.settings.anthropicVersion === 'string' ? channel.settings.anthropicVersion : ANTHROPIC_VERSION;
  return { 'content-type': 'application/json', 'anthropic-version': version, ...(channel.secret ? { 'x-api-key': channel.secret } : {}) };
}

function buildAnthropicRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = call.operation === 'chat' ? '/v1/messages' : call.operation === 'count_tokens' ? '/v1/messages/count_tokens' : null;
  if (!path) throw new GatewayError('invalid_request', `Anthropic channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  const body = { ...call.body };
  if (call.operation === 'count_tokens') {
    delete body.stream;
    delete body.max_tokens;
  }
  return { method: 'POST', url: root(channel) + path, headers: headers(channel), body: JSON.stringify(body) };
}

/** `{type:"error", error:{type, message}}`; 529 is Anthropic's "overloaded". */
export function classifyAnthropicError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { type?: string; message?: string } } | undefined;
  const message = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  return upstreamFailure({ status, message, code: body?.error?.type ?? null, headers: hdrs });
}
