import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import type { Provider, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';

/**
 * Jina AI's reranker (https://jina.ai/reranker/): `POST {base}/rerank` with a Bearer key.
 * `baseUrl` includes the version (https://api.jina.ai/v1). Jina bills by tokens, reported in
 * `usage.total_tokens`.
 */
export const jinaProvider: Provider = {
  kind: 'jina',
  defaultBaseUrl: 'https://api.jina.ai/v1',
  label: 'Jina AI',
  // Jina serves no chat through the gateway; its rerank requests and answers pass through as they are.
  dialect: 'rerank',
  operations: ['rerank'],
  needsSecret: true,
  buildRequest: buildJinaRequest,
  classifyError: classifyJinaError,
  // Jina publishes no model list: the channel test is the smallest rerank (one one-word document).
  modelsRequest: (channel) => buildJinaRequest({ operation: 'rerank', model: PROBE_MODEL, stream: false, body: { model: PROBE_MODEL, query: 'ping', documents: ['ping'], top_n: 1, return_documents: false } }, channel),
};

const PROBE_MODEL = 'jina-reranker-v2-base-multilingual';

function buildJinaRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  if (call.operation !== 'rerank') throw new GatewayError('invalid_request', `Jina channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return {
    method: 'POST',
    url: `${trimSlash(channel.baseUrl)}/rerank`,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(channel.secret ? { authorization: `Bearer ${channel.secret}` } : {}) },
    body: JSON.stringify(call.body),
  };
}

/** Jina's failures are FastAPI's `{detail}`: a message, or a list of `{loc, msg}` for invalid fields. */
export function classifyJinaError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { detail?: unknown } | undefined;
  const detail = body?.detail;
  const message =
    typeof detail === 'string'
      ? detail
      : Array.isArray(detail) && detail.length
        ? detail.map((d) => (d && typeof d === 'object' && typeof (d as { msg?: unknown }).msg === 'string' ? fieldMessage(d as { msg: string; loc?: unknown }) : JSON.stringify(d))).join('; ')
        : text.slice(0, 300) || `HTTP ${status}`;
  return upstreamFailure({ status, message, code: null, headers: hdrs });
}

function fieldMessage(d: { msg: string; loc?: unknown }): string {
  const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '';
  return loc ? `${loc}: ${d.msg}` : d.msg;
}
