import type { Operation } from '../../core/calls.js';
import type { Provider as ProviderAdapter, UpstreamRequest } from '../types.js';
import { sdWebuiImageBackend } from './images.js';
import { classifyWebuiError, root, webuiAuth, webuiRequest } from './wire.js';

/**
 * AUTOMATIC1111 / Forge Stable Diffusion WebUI started with `--api` (§6.1). `baseUrl` is the server
 * root (http://host:7860); the channel secret, when set, is the `user:pass` of `--api-auth`. The
 * channel's models are checkpoint titles as `/sdapi/v1/sd-models` lists them (or names mapped to them).
 */
export const sdWebuiAdapter: ProviderAdapter = {
  kind: 'sd-webui',
  defaultBaseUrl: 'http://127.0.0.1:7860',
  label: 'Stable Diffusion WebUI (A1111 / Forge)',
  dialect: 'openai',
  operations: ['image'] satisfies Operation[],
  needsSecret: false,
  // A1111 bodies go out as they are: img2img is the call that carries input images.
  buildRequest: (call, channel) => webuiRequest(channel, Array.isArray(call.body.init_images) ? 'img2img' : 'txt2img', call.body),
  images: sdWebuiImageBackend,
  classifyError: classifyWebuiError,
  modelsRequest: (channel) => ({ method: 'GET', url: `${root(channel)}/sdapi/v1/sd-models`, headers: webuiAuth(channel) }),
  parseModels: (body) => (Array.isArray(body) ? body.map((m: { title?: string }) => m?.title).filter((t): t is string => typeof t === 'string') : []),
};
