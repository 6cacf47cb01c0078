import type { RequestOptions, Transport } from '../core/transport.js';
import { APIError } from '../core/errors.js';
import type { ImageData, ImageEditParams, ImageGenerateParams, ImagesResponse } from '../relay-types.js';
import { formOf, toBlob } from './shared.js';

/** Image generation and edits on any image provider (OpenAI, Stable Diffusion, Stability, CogView…). */
export class Images {
  constructor(private readonly transport: Transport) {}

  /** Images come back as base64 unless `response_format: 'url'` asks for signed links on the gateway. */
  async generate(params: ImageGenerateParams, options?: RequestOptions): Promise<ImagesResponse> {
    const body = { response_format: 'b64_json', ...params };
    const { data } = await this.transport.json<ImagesResponse>({ method: 'POST', path: '/v1/images/generations', body }, options);
    return data;
  }

  /** img2img / edits (multipart): on SD WebUI and OpenAI channels. */
  async edit(params: ImageEditParams, options?: RequestOptions): Promise<ImagesResponse> {
    const { image, mask, ...fields } = params;
    const form = formOf({ response_format: 'b64_json', ...fields });
    form.append('image', toBlob(image, 'image/png'), 'image.png');
    if (mask) form.append('mask', toBlob(mask, 'image/png'), 'mask.png');
    const { data } = await this.transport.json<ImagesResponse>({ method: 'POST', path: '/v1/images/edits', form }, options);
    return data;
  }

  /** The bytes of one generated image (PNG): decoded from base64, or fetched from its signed link. */
  async bytes(image: ImageData, options?: RequestOptions): Promise<Uint8Array> {
    if (image.b64_json) {
      const bin = atob(image.b64_json);
      const out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
    if (!image.url) throw new APIError('The image has neither b64_json nor url.');
    // A link on the gateway is relative to it; one elsewhere (a provider's CDN) is absolute.
    const url = new URL(image.url, this.transport.baseURL || globalThis.location?.href).href;
    const res = await fetch(url, { signal: options?.signal });
    if (!res.ok) throw new APIError(`Fetching the image failed: ${res.status}`, { status: res.status, headers: res.headers });
    return new Uint8Array(await res.arrayBuffer());
  }
}
