import { parseJson } from '../common/failure.js';
import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError, type ErrorKind } from '../../core/errors.js';
import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamFailure, UpstreamRequest } from '../types.js';


export function webuiRequest(channel: Channel, endpoint: 'txt2img' | 'img2img', body: Record<string, unknown>): UpstreamRequest {
  return {
    method: 'POST',
    url: `${root(channel)}/sdapi/v1/${endpoint}`,
    headers: { 'content-type': 'application/json', ...webuiAuth(channel) },
    body: JSON.stringify(body),
  };
}

/** HTTP Basic from the channel secret `user:pass` (`--api-auth`); no secret, no header. */
export function webuiAuth(channel: Channel): Record<string, string> {
  return channel.secret ? { authorization: `Basic ${Buffer.from(channel.secret, 'utf8').toString('base64')}` } : {};
}

export function root(channel: Channel): string {
  return channel.baseUrl.replace(/\/+$/, '');
}

/**
 * WebUI errors are FastAPI's: `{error, detail, body, errors}` with the exception's status, or a 422
 * whose `detail` lists pydantic's complaints. A 404 there means a sampler, checkpoint or init image
 * the caller named does not exist: the caller's mistake, so a 400, and not worth another channel.
 */
export function classifyWebuiError(status: number, text: string): UpstreamFailure {
  const body = parseJson(text) as { detail?: unknown; error?: string } | undefined;
  const detail = describeDetail(body?.detail) ?? (text.slice(0, 300) || `HTTP ${status}`);
  let kind: ErrorKind = 'upstream';
  let out = 502;
  let message = detail;
  if (status === 401 || status === 403) message = `The WebUI refused the channel's credentials (${status}): ${detail}`;
  else if (status === 404 || status === 422 || status === 400) [kind, out] = ['invalid_request', 400];
  else if (status === 413) [kind, out] = ['payload_too_large', 413];
  else if (status === 429) [kind, out] = ['rate_limit', 429];
  else if (status === 503) [kind, out] = ['overloaded', 503];
  else if (status === 504) [kind, out] = ['upstream_timeout', 504];
  const error = new GatewayError(kind, message, { status: out, code: kind === 'invalid_request' ? 'invalid_value' : 'upstream_error' });
  return { error, retryable: status === 429 || status >= 500 };
}

function describeDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail))
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => `${Array.isArray(d?.loc) ? d.loc.join('.') : ''}: ${d?.msg ?? 'invalid'}`)
      .join('; ');
  return undefined;
}

