import { GatewayError } from '../../core/errors.js';
import type { Credentials, Provider, ProviderChannel, UpstreamCall, UpstreamFailure, UpstreamRequest } from '../types.js';
import { parseJson, trimSlash, upstreamFailure } from '../common/failure.js';
import { ernieFormat } from './format.js';
import { ernieCredentials } from './token.js';

/**
 * Baidu ERNIE through the Qianfan v1 API (WENXINWORKSHOP, https://cloud.baidu.com/doc/WENXINWORKSHOP/).
 * `baseUrl` is the API host (https://aip.baidubce.com); the channel's secret is `API_KEY:SECRET_KEY`,
 * exchanged for an access token (token.ts) that goes in the query of every chat call:
 * `POST {base}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/{endpoint}?access_token=`.
 * Baidu reports failures inside HTTP 200 JSON answers (`{error_code, error_msg}`); an expired or
 * unknown token (110/111) makes the pipeline fetch a new one and try once more.
 */
export const ernieAdapter: Provider = {
  kind: 'ernie',
  defaultBaseUrl: 'https://aip.baidubce.com',
  label: 'Baidu ERNIE (Qianfan)',
  // A dialect no client speaks: every caller's chat is translated through ERNIE's format.
  dialect: 'ernie',
  operations: ['chat'],
  needsSecret: true,
  format: ernieFormat,
  credentials: ernieCredentials,
  buildRequest: buildErnieRequest,
  classifyError: classifyErnieError,
  failureInAnswer: ernieFailureInAnswer,
};

/**
 * Model name → the endpoint segment of its chat URL, from each model's API page. A channel's model
 * map may name the endpoint directly (a custom deployment); names not listed here are used as is.
 */
const ENDPOINTS: Record<string, string> = {
  'ernie-4.0-8k': 'completions_pro',
  'ernie-3.5-8k': 'completions',
  'ernie-4.0-turbo-8k': 'ernie-4.0-turbo-8k',
  'ernie-4.5-turbo-128k': 'ernie-4.5-turbo-128k',
  'ernie-speed-8k': 'ernie_speed',
  'ernie-speed-128k': 'ernie-speed-128k',
  'ernie-lite-8k': 'ernie-lite-8k',
};

export function ernieEndpoint(model: string): string {
  return ENDPOINTS[model.toLowerCase()] ?? model;
}

function buildErnieRequest(call: UpstreamCall, channel: ProviderChannel, creds?: Credentials): UpstreamRequest {
  if (call.operation !== 'chat') throw new GatewayError('invalid_request', `Baidu ERNIE channels cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  if (!creds) throw new GatewayError('upstream', `Channel ${channel.name} (Baidu ERNIE) has no access token.`, { code: 'bad_channel_key' });
  const body: Record<string, unknown> = { ...call.body };
  // The model is in the URL. A body still in OpenAI's shape (the channel test's one-token ping)
  // gets ERNIE's name for the output limit, which starts at 2.
  delete body.model;
  if (typeof body.max_tokens === 'number') {
    body.max_output_tokens ??= Math.max(2, body.max_tokens);
    delete body.max_tokens;
  }
  const url = `${trimSlash(channel.baseUrl)}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/${encodeURIComponent(ernieEndpoint(call.model))}?access_token=${encodeURIComponent(creds.token)}`;
  return { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * ERNIE's business codes (the error code pages of the Qianfan docs) in the gateway's terms: a
 * refused token refreshes once and then rests the channel; rate limits stay 429 for a retry;
 * bad parameters are the caller's 400; an exhausted quota is the operator's problem (502 to the
 * caller, another channel may serve); the rest is a provider failure.
 */
export function ernieFailure(code: number, msg: string, httpStatus: number, headers?: Headers): UpstreamFailure & { status: number } {
  const message = `${msg || 'ERNIE error'} (ERNIE error ${code})`;
  const facts = { message, code: String(code), headers };
  switch (code) {
    case 110: // access token invalid
    case 111: // access token expired
      return { ...upstreamFailure({ ...facts, status: 401, credentials: true }), credentials: true, status: 401 };
    case 4: // cluster over its request limit
    case 18: // QPS limit
    case 336501: // RPM limit
    case 336502: // TPM limit
      return { ...upstreamFailure({ ...facts, status: 429 }), status: 429 };
    case 17: // daily request quota used up
    case 19: // total request quota used up
      return { ...upstreamFailure({ ...facts, status: 429, kind: 'upstream' }), status: 429 };
    case 100: // invalid parameter
    case 336001: // invalid body format
    case 336002: // invalid JSON
    case 336003: // invalid parameters (messages, ranges)
      return { ...upstreamFailure({ ...facts, status: 400 }), status: 400 };
    case 336100: // try again later
      return { ...upstreamFailure({ ...facts, status: 503 }), status: 503 };
    default: {
      const status = httpStatus >= 400 ? httpStatus : 502;
      return { ...upstreamFailure({ ...facts, status }), status };
    }
  }
}

/** A 2xx JSON answer carrying `{error_code, error_msg}` is a failure; anything else is a real answer. */
export function ernieFailureInAnswer(text: string): (UpstreamFailure & { status: number }) | null {
  const body = parseJson(text) as { error_code?: unknown; error_msg?: unknown } | undefined;
  if (!body || typeof body !== 'object' || body.error_code == null) return null;
  return ernieFailure(Number(body.error_code), typeof body.error_msg === 'string' ? body.error_msg : '', 200);
}

function classifyErnieError(status: number, text: string, headers: Headers): UpstreamFailure {
  const body = parseJson(text) as { error_code?: unknown; error_msg?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (body && typeof body === 'object' && body.error_code != null) {
    return ernieFailure(Number(body.error_code), typeof body.error_msg === 'string' ? body.error_msg : '', status, headers);
  }
  const message = typeof body?.error_description === 'string' ? body.error_description : text.slice(0, 300) || `HTTP ${status}`;
  return upstreamFailure({ status, message, code: typeof body?.error === 'string' ? body.error : null, headers });
}
