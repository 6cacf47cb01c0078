import { GatewayError } from '../../core/errors.js';
import { openaiFormat } from '../../formats/openai/canonical.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';
import type { ProviderChannel as Channel, Provider, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { jsonBody } from '../common/json-body.js';

/**
 * DeepSeek (https://api-docs.deepseek.com): OpenAI's chat shape at `POST {base}/chat/completions`,
 * Bearer key, base URL `https://api.deepseek.com` (the `/v1` form works too, as a channel's
 * `baseUrl`), models `deepseek-chat` and `deepseek-reasoner`.
 *
 * OpenAI-dialect callers pass through, so `reasoning_content` (the reasoner's chain of thought,
 * beside `content` and streamed ahead of it) reaches them as DeepSeek sends it, and the OpenAI
 * codec meters DeepSeek's usage: `prompt_cache_hit_tokens` (= `prompt_tokens_details.cached_tokens`)
 * as cached input, `completion_tokens_details.reasoning_tokens` as reasoning. Other dialects are
 * translated through OpenAI's format, which carries `reasoning_content` into the canonical
 * reasoning (Anthropic `thinking` blocks, Gemini `thought` parts).
 */
export const deepseekAdapter: Provider = {
  kind: 'deepseek',
  defaultBaseUrl: 'https://api.deepseek.com',
  label: 'DeepSeek',
  dialect: 'openai',
  operations: ['chat'],
  needsSecret: true,
  format: openaiFormat,
  buildRequest: buildDeepseekRequest,
  classifyError: classifyDeepseekError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${trimSlash(channel.baseUrl)}/models`, headers: authHeaders(channel) }),
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

function buildDeepseekRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  if (call.operation !== 'chat') throw new GatewayError('invalid_request', `DeepSeek channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return { method: 'POST', url: `${trimSlash(channel.baseUrl)}/chat/completions`, headers: { 'content-type': 'application/json', ...authHeaders(channel) }, body: jsonBody(call) };
}

function authHeaders(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
}

/**
 * DeepSeek's error codes (api-docs.deepseek.com/quick_start/error_codes), in OpenAI's envelope:
 * 400 invalid format, 401 authentication fails, 402 insufficient balance, 422 invalid parameters,
 * 429 rate limit reached, 500 server error, 503 server overloaded. 402 is the operator's account
 * running dry: an upstream failure (502), not the caller's fault and not a rate limit to wait out.
 * 422 is the caller's bad parameters, shown as the 400 every dialect uses for that.
 */
export function classifyDeepseekError(status: number, text: string, headers: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { message?: string; code?: string | number | null; type?: string } } | undefined;
  const message = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const code = body?.error?.code != null ? String(body.error.code) : (body?.error?.type ?? null);
  if (status === 402) return upstreamFailure({ status, message: `The DeepSeek account of this channel has insufficient balance: ${message}`, code: code ?? 'insufficient_balance', kind: 'upstream', headers });
  return upstreamFailure({ status: status === 422 ? 400 : status, message, code, headers });
}
