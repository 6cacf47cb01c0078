import { zhipuImageBackend } from './images.js';
import { createHmac } from 'node:crypto';
import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';
import { zhipuFormat } from './format.js';
import { jsonBody } from '../common/json-body.js';

const PATHS: Partial<Record<Operation, string>> = { chat: '/chat/completions', embedding: '/embeddings', image: '/images/generations', rerank: '/rerank' };

/**
 * Zhipu's GLM open platform. `baseUrl` includes the version (https://open.bigmodel.cn/api/paas/v4).
 * Chat and embeddings are translated even for OpenAI callers (see format.ts); CogView images share
 * OpenAI's shape and pass through; rerank (文本重排序, https://docs.bigmodel.cn/api-reference) takes
 * the Cohere / Jina request as is.
 */
export const zhipuAdapter: ProviderAdapter = {
  kind: 'zhipu',
  defaultBaseUrl: 'https://open.bigmodel.cn/api/paas/v4',
  label: 'Zhipu GLM',
  dialect: 'openai',
  operations: ['chat', 'embedding', 'image', 'rerank'],
  needsSecret: true,
  format: zhipuFormat,
  translateAlways: ['chat', 'embedding'],
  buildRequest: buildZhipuRequest,
  classifyError: classifyZhipuError,
  images: zhipuImageBackend({ build: buildZhipuRequest, classify: classifyZhipuError }),
};

function buildZhipuRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = PATHS[call.operation];
  if (!path) throw new GatewayError('invalid_request', `Zhipu channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return { method: 'POST', url: trimSlash(channel.baseUrl) + path, headers: { 'content-type': 'application/json', ...authHeaders(channel) }, body: jsonBody(call) };
}

/** `settings.zhipuAuth: "jwt"` signs a short-lived token from the `id.secret` key (§5.2); default sends the key itself. */
function authHeaders(channel: Channel): Record<string, string> {
  if (!channel.secret) return {};
  const token = channel.settings.zhipuAuth === 'jwt' ? zhipuJwt(channel.secret) : channel.secret;
  return { authorization: `Bearer ${token}` };
}

/**
 * The legacy signed token: HS256 with the key's secret, a non-standard `sign_type` header, and
 * `exp` / `timestamp` in milliseconds (seconds make every token look expired).
 */
export function zhipuJwt(apiKey: string, now = Date.now(), ttlMs = 210_000): string {
  const dot = apiKey.indexOf('.');
  if (dot <= 0) throw new GatewayError('upstream', 'This Zhipu channel is set to sign tokens, but its key is not of the form id.secret.', { code: 'bad_channel_key' });
  const b64u = (s: string) => Buffer.from(s).toString('base64url');
  const head = b64u(JSON.stringify({ alg: 'HS256', sign_type: 'SIGN' }));
  const payload = b64u(JSON.stringify({ api_key: apiKey.slice(0, dot), exp: now + ttlMs, timestamp: now }));
  const sig = createHmac('sha256', apiKey.slice(dot + 1)).update(`${head}.${payload}`).digest('base64url');
  return `${head}.${payload}.${sig}`;
}

/** `{error:{code:"1211", message}}`: business codes say more than the status (1211 = no such model, sent as 400). */
export function classifyZhipuError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { error?: { code?: string | number; message?: string } } | undefined;
  const code = body?.error?.code != null ? String(body.error.code) : null;
  const message = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${status}`);
  const n = Number(code);
  const credentials = n >= 1000 && n <= 1004;
  // Account trouble (1110–1121: locked, in arrears) is the operator's, like a bad key; the status
  // decides the rest (1302–1305 come as 429 when rate-limited and 503 when the platform is saturated).
  const kind = code === '1211' ? 'not_found' : n >= 1110 && n <= 1121 ? 'upstream' : undefined;
  return upstreamFailure({ status, message, code, kind, credentials, headers: hdrs });
}
