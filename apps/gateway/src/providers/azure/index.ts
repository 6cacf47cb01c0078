import { openaiStyleBackend } from '../openai/images.js';
// Azure's resources take OpenAI's path suffixes (learn.microsoft.com/azure/ai-services/openai/reference).
import { OPENAI_PATHS, openaiRequestBody, upstreamPath } from '../openai/index.js';
import { RESPONSES_DIALECT } from '../../formats/openai-responses/canonical.js';
import type { ProviderChannel as Channel } from '../types.js';
import { GatewayError } from '../../core/errors.js';
import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamCall, UpstreamRequest } from '../types.js';
import { classifyOpenAIShapedError, trimSlash } from '../common/failure.js';


export const DEFAULT_AZURE_API_VERSION = '2024-10-21';
/** The first dated version with the Responses API (learn.microsoft.com/azure/ai-foundry/openai/how-to/responses). */
export const DEFAULT_AZURE_RESPONSES_API_VERSION = '2025-04-01-preview';

/**
 * How a channel reaches its Azure resource. `baseUrl` is the resource endpoint
 * (https://{resource}.openai.azure.com). The channel's model map names the deployment for each
 * model; `settings.azureApi` picks the URL style:
 * - `deployments` (default): /openai/deployments/{deployment}/...?api-version=..., the deployment in the path;
 * - `v1`: /openai/v1/..., the deployment in the body's `model` (no dated api-version).
 * The Responses API has no deployment path: /openai/v1/responses, or /openai/responses?api-version=
 * (`settings.responsesApiVersion`), the deployment in the body's `model` either way.
 */
export interface AzureSettings {
  api: 'deployments' | 'v1';
  apiVersion: string;
  responsesApiVersion: string;
}

export function azureSettings(channel: Channel): AzureSettings {
  const s = channel.settings;
  return {
    api: s.azureApi === 'v1' ? 'v1' : 'deployments',
    apiVersion: typeof s.apiVersion === 'string' && s.apiVersion ? s.apiVersion : DEFAULT_AZURE_API_VERSION,
    responsesApiVersion: typeof s.responsesApiVersion === 'string' && s.responsesApiVersion ? s.responsesApiVersion : DEFAULT_AZURE_RESPONSES_API_VERSION,
  };
}

export const azureAdapter: ProviderAdapter = {
  kind: 'azure',
  label: 'Azure OpenAI',
  dialect: 'openai',
  nativeDialects: [RESPONSES_DIALECT],
  operations: ['chat', 'completion', 'embedding', 'image', 'speech', 'transcription', 'translation'],
  needsSecret: true,
  buildRequest: buildAzureRequest,
  // Azure's bodies are OpenAI's envelope (sometimes with numeric-string codes), so OpenAI's reading applies.
  classifyError: classifyOpenAIShapedError,
  images: openaiStyleBackend('azure', { build: buildAzureRequest, classify: classifyOpenAIShapedError }),
  modelsRequest(channel) {
    const s = azureSettings(channel);
    const url = s.api === 'v1' ? `${trimSlash(channel.baseUrl)}/openai/v1/models` : `${trimSlash(channel.baseUrl)}/openai/models?api-version=${encodeURIComponent(s.apiVersion)}`;
    return { method: 'GET', url, headers: authHeaders(channel) };
  },
  parseModels: (body) => ((body as { data?: { id: string }[] })?.data ?? []).map((m) => m.id),
};

function buildAzureRequest(call: UpstreamCall, channel: Channel): UpstreamRequest {
  const path = upstreamPath(call, OPENAI_PATHS);
  if (!path) throw new GatewayError('invalid_request', `This channel cannot serve ${call.operation} requests.`, { code: 'unsupported_operation' });
  const s = azureSettings(channel);
  const base = trimSlash(channel.baseUrl);
  const responses = path === '/responses';
  const url =
    s.api === 'v1'
      ? `${base}/openai/v1${path}`
      : responses
        ? `${base}/openai/responses?api-version=${encodeURIComponent(s.responsesApiVersion)}`
        : `${base}/openai/deployments/${encodeURIComponent(call.model)}${path}?api-version=${encodeURIComponent(s.apiVersion)}`;
  const { contentType, body } = openaiRequestBody(call);
  return { method: 'POST', url, headers: { 'content-type': contentType, ...authHeaders(channel) }, body };
}

function authHeaders(channel: Channel): Record<string, string> {
  return channel.secret ? { 'api-key': channel.secret } : {};
}
