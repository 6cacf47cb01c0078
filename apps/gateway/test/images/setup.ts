import type { Simulator } from '@apigpt/simulator';
import type { ChannelInput } from '../../src/channels/channels.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../harness.js';

export const SIM_KEY = 'sk-sim-images';
export const WEBUI_AUTH = 'webui:secret-pass';
export const SD15 = 'v1-5-pruned-emaonly.safetensors [6ce0161689]';
export const SDXL = 'sd_xl_base_1.0.safetensors [31e35c80fc]';

/** One channel per image provider, all on the harness's simulator (which checks each one's credentials). */
export function imageChannels(sim: Simulator): ChannelInput[] {
  return [
    { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['dall-e-2', 'dall-e-3', 'gpt-image-1'] },
    { provider: 'azure', name: 'azure', baseUrl: sim.url, secret: SIM_KEY, models: ['dall-e-3-azure'], modelMap: { 'dall-e-3-azure': 'my-dalle3' } },
    { provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, models: ['cogview-3'] },
    {
      provider: 'sd-webui',
      name: 'webui',
      baseUrl: sim.url,
      secret: WEBUI_AUTH,
      models: ['stable-diffusion', SDXL],
      modelMap: { 'stable-diffusion': SD15 },
      settings: { maxBatch: 4 },
    },
    { provider: 'stability', name: 'stability v2beta', baseUrl: sim.url, secret: SIM_KEY, models: ['stable-image-core', 'sd3.5-large'] },
    { provider: 'stability', name: 'stability v1', baseUrl: sim.url, secret: SIM_KEY, models: ['stable-diffusion-xl-1024-v1-0'], settings: { stabilityApi: 'v1' } },
  ];
}

/** Per-image prices (P) for the models the default price table lacks. */
export const EXTRA_IMAGE_PRICES: Record<string, number> = { 'dall-e-3-azure': 40, 'stable-image-core': 3, [SDXL]: 2 };

export async function startImageGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const t = await startTestGateway({ simulator: { apiKey: SIM_KEY, basicAuth: WEBUI_AUTH }, channels: imageChannels, ...opts });
  for (const [model, perImage] of Object.entries(EXTRA_IMAGE_PRICES)) {
    const r = await t.api('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, { input: 0, output: 0, perImage }, { token: t.rootToken });
    if (r.status !== 200) throw new Error(`price set failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return t;
}
