import { asGatewayError, GatewayError } from '../core/errors.js';
import { providerFor } from '../providers/registry.js';
import type { ProviderChannel } from '../providers/types.js';
import type { UpstreamClient } from './upstream.js';

/** An upstream that answers its model list in megabytes is refused rather than parsed. */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * The models an upstream offers, as its own model-list endpoint names them (OpenAI's `GET /models`,
 * Anthropic's `GET /v1/models`, Gemini's `GET /v1beta/models`, A1111's `/sdapi/v1/sd-models`…),
 * asked through the channel's provider with the channel's key. The channel form offers them, so
 * an admin picks names the upstream really serves instead of typing them.
 *
 * Failures are typed: a provider without a list endpoint is the admin's request that cannot be
 * served (400), a refusal or an unreachable upstream is the upstream's (502 with its words).
 */
export async function listUpstreamModels(channel: ProviderChannel, upstream: UpstreamClient, timeoutMs = 15_000): Promise<string[]> {
  const provider = providerFor(channel.provider);
  if (!provider) throw new GatewayError('invalid_request', `Unknown provider kind "${channel.provider}".`, { code: 'unknown_provider', param: 'provider' });
  if (!provider.modelsRequest || !provider.parseModels)
    throw new GatewayError('invalid_request', `${provider.label} has no model list to read: type the model names.`, { code: 'model_list_unsupported', param: 'provider' });
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  let headers: Record<string, string | string[] | undefined>;
  try {
    const res = await upstream.send(provider.modelsRequest(channel), signal, { headersMs: timeoutMs, idleMs: timeoutMs });
    status = res.status;
    headers = res.headers;
    text = await res.body.text();
  } catch (err) {
    const e = asGatewayError(err);
    throw new GatewayError('upstream', `The upstream could not be reached: ${e.message}`, { code: 'upstream_unreachable' });
  }
  if (status >= 400) {
    const failure = provider.classifyError(status, text, headers);
    throw new GatewayError('upstream', `The upstream refused the model list (HTTP ${status}): ${failure.error.message}`, { code: 'upstream_refused' });
  }
  if (text.length > MAX_BODY) throw new GatewayError('upstream', 'The upstream model list is too large to read.', { code: 'upstream_bad_answer' });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError('upstream', 'The upstream answered its model list with something other than JSON.', { code: 'upstream_bad_answer' });
  }
  return [...new Set(provider.parseModels(body).filter((m) => m.length > 0))].sort();
}
