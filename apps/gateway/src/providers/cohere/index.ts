import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import type { Provider, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';

/**
 * Cohere's rerank (https://docs.cohere.com/reference/rerank): `POST {base}/v2/rerank` with a Bearer
 * key. `baseUrl` is the host (https://api.cohere.com); a trailing /v1 or /v2 is tolerated. Cohere
 * bills rerank by search units (a query with up to 100 documents), reported in
 * `meta.billed_units.search_units`.
 */
export const cohereProvider: Provider = {
  kind: 'cohere',
  defaultBaseUrl: 'https://api.cohere.com',
  label: 'Cohere',
  // Cohere serves no chat through the gateway; its rerank requests and answers pass through as they are.
  dialect: 'rerank',
  operations: ['rerank'],
  needsSecret: true,
  buildRequest: buildCohereRequest,
  classifyError: classifyCohereError,
  // The channel test lists the rerank models (https://docs.cohere.com/reference/list-models): it costs nothing.
  modelsRequest: (channel) => ({ method: 'GET', url: `${root(channel)}/v1/models?endpoint=rerank`, headers: headers(channel) }),
  parseModels: (body) => ((body as { models?: { name?: string }[] })?.models ?? []).flatMap((m) => (typeof m.name === 'string' ? [m.name] : [])),
};

function root(channel: Channel): string {
  return trimSlash(channel.baseUrl).replace(/\/v[12]$/, '');
}

function headers(channel: Channel): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json', ...(channel.secret ? { authorization: `Bearer ${channel.secret}` } : {}) };
}

function buildCohereRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  if (call.operation !== 'rerank') throw new GatewayError('invalid_request', `Cohere channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  return { method: 'POST', url: `${root(channel)}/v2/rerank`, headers: headers(channel), body: JSON.stringify(call.body) };
}

/**
 * Cohere's failures are `{message}` or `{id, message}` (https://docs.cohere.com/reference/errors):
 * 402 (the account must pay) is the operator's trouble like a refused key; the rest goes by status.
 */
export function classifyCohereError(status: number, text: string, hdrs: Record<string, string | string[] | undefined>): UpstreamFailure {
  const body = parseJson(text) as { id?: unknown; message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : text.slice(0, 300) || `HTTP ${status}`;
  return upstreamFailure({ status, message, code: null, kind: status === 402 ? 'upstream' : undefined, headers: hdrs });
}
