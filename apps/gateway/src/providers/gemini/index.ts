import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import { geminiFormat } from '../../formats/gemini/canonical.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';

/**
 * Google's Gemini API (AI Studio keys). `baseUrl` is the host (https://generativelanguage.googleapis.com);
 * the API version comes from `settings.apiVersion` (default v1beta, the SDK's).
 */
export const geminiAdapter: ProviderAdapter = {
  kind: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  label: 'Google Gemini',
  dialect: 'gemini',
  operations: ['chat', 'embedding', 'count_tokens'],
  needsSecret: true,
  format: geminiFormat,
  buildRequest: buildGeminiRequest,
  classifyError: classifyGeminiError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${root(channel)}/models?pageSize=1000`, headers: headers(channel) }),
  parseModels: (body) => ((body as { models?: { name: string }[] })?.models ?? []).map((m) => m.name.replace(/^models\//, '')),
};

function root(channel: Channel): string {
  const version = typeof channel.settings.apiVersion === 'string' ? channel.settings.apiVersion : 'v1beta';
  const base = trimSlash(channel.baseUrl);
  return /\/v1(beta|alpha)?$/.test(base) ? base : `${base}/${version}`;
}

function headers(channel: Channel): Record<string, string> {
  return { 'content-type': 'application/json', ...(channel.secret ? { 'x-goog-api-key': channel.secret } : {}) };
}

function buildGeminiRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  // The model travels in the path; Google rejects unknown body fields, so the relay's `model` and
  // `stream` are taken out again.
  const { model: _model, stream: _stream, ...body } = call.body;
  let method: string;
  if (call.operation === 'chat') method = call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  else if (call.operation === 'count_tokens') {
    method = 'countTokens';
    // A whole request counted (`generateContentRequest`) must name its model, and it is the
    // channel's model, not the caller's name for it (an alias).
    const inner = body.generateContentRequest;
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) body.generateContentRequest = { ...inner, model: `models/${call.model}` };
  }
  else if (call.operation === 'embedding') {
    if (Array.isArray(body.requests)) {
      method = 'batchEmbedContents';
      body.requests = body.requests.map((r: unknown) => (r && typeof r === 'object' ? { ...(r as object), model: `models/${call.model}` } : r));
    } else method = 'embedContent';
  } else throw new GatewayError('invalid_request', `Gemini channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return { method: 'POST', url: `${root(channel)}/models/${encodeURIComponent(call.model)}:${method}`, headers: headers(channel), body: JSON.stringify(body) };
}

/**
 * `{error:{code, message, status, details}}`. Google answers a wrong key with 400 and reason
 * API_KEY_INVALID: that is the channel's credentials, not the caller's request.
 */
export function classifyGeminiError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { message?: string; status?: string; details?: { reason?: string }[] } } | undefined;
  const reason = body?.error?.details?.find((d) => d?.reason)?.reason;
  const message = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  return upstreamFailure({ status, message, code: reason ?? body?.error?.status ?? null, credentials: reason === 'API_KEY_INVALID', headers: hdrs });
}
