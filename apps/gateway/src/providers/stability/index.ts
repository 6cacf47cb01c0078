import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamRequest } from '../types.js';
import { stabilityImageBackend } from './images.js';
import { classifyStabilityError, stabilityAuth, stabilityRoot } from './wire.js';

/**
 * Stability AI's REST API (§6.2). `baseUrl` is the host without a version (https://api.stability.ai);
 * `settings.stabilityApi` chooses `v2beta` (Stable Image, the default) or the legacy `v1` engines.
 */
export const stabilityAdapter: ProviderAdapter = {
  kind: 'stability',
  defaultBaseUrl: 'https://api.stability.ai',
  label: 'Stability AI',
  dialect: 'openai',
  operations: ['image'] satisfies Operation[],
  needsSecret: true,
  // The generic shape is v1's JSON text-to-image (the model is the engine); the image pipeline
  // builds v2beta's multipart forms itself (providers/stability/images.ts).
  buildRequest: (call, channel) => ({
    method: 'POST',
    url: `${stabilityRoot(channel)}/v1/generation/${encodeURIComponent(call.model)}/text-to-image`,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...stabilityAuth(channel) },
    body: JSON.stringify(call.body),
  }),
  images: stabilityImageBackend,
  classifyError: classifyStabilityError,
  modelsRequest: (channel): UpstreamRequest => ({ method: 'GET', url: `${stabilityRoot(channel)}/v1/engines/list`, headers: stabilityAuth(channel) }),
  parseModels: (body) => (Array.isArray(body) ? body.map((e: { id?: string }) => e?.id).filter((id): id is string => typeof id === 'string') : []),
};
