import { openaiStyleBackend } from './images.js';
import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import { encodeMultipart, type FormValue } from '../../media/multipart.js';
import { parseJson, upstreamFailure } from '../common/failure.js';
import { jsonBody } from '../common/json-body.js';
import type { Operation } from '../../core/calls.js';
import { RESPONSES_DIALECT } from '../../formats/openai-responses/canonical.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';

/** OpenAI's path per operation, under the version segment; Azure's resources use the same suffixes. */
export const OPENAI_PATHS: Record<string, string> = {
  chat: '/chat/completions',
  completion: '/completions',
  embedding: '/embeddings',
  image: '/images/generations',
  speech: '/audio/speech',
  transcription: '/audio/transcriptions',
  translation: '/audio/translations',
  moderation: '/moderations',
};

/** OpenAI itself. `baseUrl` includes the version segment, as the SDK's does: https://api.openai.com/v1. */
export const openaiAdapter: ProviderAdapter = {
  kind: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  label: 'OpenAI',
  dialect: 'openai',
  // The Responses API (POST /v1/responses) is OpenAI's own too: its callers pass through, and its
  // input-token count (POST /v1/responses/input_tokens) is the only token count OpenAI has.
  nativeDialects: [RESPONSES_DIALECT],
  operations: ['chat', 'completion', 'embedding', 'image', 'speech', 'transcription', 'translation', 'count_tokens', 'moderation'] satisfies Operation[],
  needsSecret: true,
  buildRequest: (call, channel) => buildOpenAIRequest(call, channel),
  classifyError: classifyOpenAIError,
  images: openaiStyleBackend('openai', { build: buildOpenAIRequest, classify: classifyOpenAIError }),
  modelsRequest: (channel) => ({ method: 'GET', url: `${channel.baseUrl}/models`, headers: authHeaders(channel) }),
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

export function buildOpenAIRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = upstreamPath(call, OPENAI_PATHS);
  if (!path) throw new GatewayError('invalid_request', `This channel cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  const { contentType, body } = openaiRequestBody(call);
  return { method: 'POST', url: channel.baseUrl + path, headers: { 'content-type': contentType, ...authHeaders(channel) }, body };
}

/**
 * The endpoint of a call: by operation, except that a call whose body is in the Responses API's
 * format goes to `/responses` (https://platform.openai.com/docs/api-reference/responses/create), or
 * to `/responses/input_tokens` for its token count.
 */
export function upstreamPath(call: UpstreamCall, paths: Partial<Record<string, string>>): string | undefined {
  if (call.dialect === RESPONSES_DIALECT) return call.operation === 'chat' ? '/responses' : call.operation === 'count_tokens' ? '/responses/input_tokens' : undefined;
  return paths[call.operation];
}

/** The body of an OpenAI-shaped request: JSON, or multipart/form-data (with its boundary) for a call carrying a form (audio uploads). */
export function openaiRequestBody(call: UpstreamCall): { contentType: string; body: string | Buffer } {
  if (!call.form) return { contentType: 'application/json', body: jsonBody(call) };
  return encodeMultipart(call.form.map((p): [string, FormValue] => [p.name, 'value' in p ? p.value : { filename: p.filename, contentType: p.contentType, data: p.data }]));
}

export function authHeaders(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Bearer ${channel.secret}` } : {};
}

/**
 * Maps a provider's failure to what our caller should see, by the one policy every provider shares
 * (providers/common/failure.ts). An empty provider account (429 `insufficient_quota`) is the
 * operator's problem, not a rate limit the caller should wait out.
 */
export function classifyOpenAIError(status: number, text: string, headers?: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { message?: string; code?: string | number; type?: string; param?: string }; detail?: unknown; message?: string } | undefined;
  const message = body?.error?.message ?? (typeof body?.detail === 'string' ? body.detail : undefined) ?? body?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const code = body?.error?.code != null ? String(body.error.code) : null;
  return upstreamFailure({ status, message, code, headers, ...(code === 'insufficient_quota' ? { kind: 'upstream' as const } : {}) });
}

