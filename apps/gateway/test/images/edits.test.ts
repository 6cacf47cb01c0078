import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { encodePng, readPngSize } from '@apigpt/simulator';
import type { TestGateway } from '../harness.js';
import { SD15, startImageGateway } from './setup.js';

function png(width: number, height: number): Buffer {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 256;
  return encodePng(width, height, rgb);
}

/** `/v1/images/edits` as a multipart upload: img2img on a WebUI channel, OpenAI's own edits on an OpenAI channel. */
describe('image edits (multipart upload)', () => {
  let t: TestGateway;
  let key: string;
  let client: OpenAI;

  beforeAll(async () => {
    t = await startImageGateway();
    key = (await t.newUserWithKey()).key;
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => t?.close());

  const lastUpstream = () => t.sim.requests.at(-1)!;

  it('openai SDK images.edit on a WebUI model becomes img2img with the upload as init image', async () => {
    const input = png(320, 256);
    const res = await client.images.edit({ model: 'stable-diffusion', image: await toFile(input, 'in.png', { type: 'image/png' }), prompt: 'make it snow', n: 2, response_format: 'b64_json' });
    expect(res.data).toHaveLength(2);
    // No size given: the result keeps the input's size.
    for (const d of res.data!) expect(readPngSize(Buffer.from(d.b64_json!, 'base64'))).toEqual({ width: 320, height: 256 });
    const up = lastUpstream();
    expect(up.path).toBe('/sdapi/v1/img2img');
    expect(up.body).toMatchObject({ prompt: 'make it snow', init_images: [input.toString('base64')], denoising_strength: 0.75, batch_size: 2, width: 320, height: 256, override_settings: { sd_model_checkpoint: SD15 } });
  });

  it('a hand-built form with mask, size, url answer and extra reaches img2img', async () => {
    const form = new FormData();
    form.append('model', 'stable-diffusion');
    form.append('prompt', 'add a moon');
    form.append('size', '256x256');
    form.append('response_format', 'url');
    form.append('extra', JSON.stringify({ strength: 0.3, negative_prompt: 'text', seed: 5 }));
    form.append('image', new Blob([new Uint8Array(png(512, 512))], { type: 'image/png' }), 'photo with "quotes"; and semicolons.png');
    const mask = png(512, 512);
    form.append('mask', new Blob([new Uint8Array(mask)], { type: 'image/png' }), 'mask.png');
    const res = await fetch(`${t.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { url: string }[] };
    const img = await fetch(body.data[0].url);
    expect(readPngSize(Buffer.from(await img.arrayBuffer()))).toEqual({ width: 256, height: 256 });
    expect(lastUpstream().body).toMatchObject({ mask: mask.toString('base64'), denoising_strength: 0.3, negative_prompt: 'text', seed: 5, width: 256, height: 256 });
  });

  it('on an OpenAI channel the upload goes to OpenAI /images/edits as multipart', async () => {
    const input = png(256, 256);
    const res = await client.images.edit({ model: 'dall-e-2', image: await toFile(input, 'in.png', { type: 'image/png' }), prompt: 'a hat', size: '512x512', response_format: 'b64_json' });
    expect(readPngSize(Buffer.from(res.data![0].b64_json!, 'base64'))).toEqual({ width: 512, height: 512 });
    const up = lastUpstream();
    expect(up.path).toBe('/v1/images/edits');
    expect(up.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(up.headers.authorization).toBe('Bearer sk-sim-images');
    expect(up.body).toMatchObject({ model: 'dall-e-2', prompt: 'a hat', size: '512x512', n: '1', response_format: 'b64_json' });
  });

  it('providers without image-to-image get a clear 400 naming what can', async () => {
    for (const model of ['cogview-3', 'stable-image-core']) {
      const err = await client.images.edit({ model, image: await toFile(png(64, 64), 'in.png', { type: 'image/png' }), prompt: 'x' }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.code).toBe('unsupported_operation');
      expect(err.message).toMatch(/cannot edit images/);
    }
    const dalle3 = await client.images.edit({ model: 'dall-e-3', image: await toFile(png(64, 64), 'in.png', { type: 'image/png' }), prompt: 'x' }).catch((e) => e);
    expect(dalle3).toBeInstanceOf(OpenAI.BadRequestError);
    expect(dalle3.message).toMatch(/cannot edit images; use dall-e-2/);
  });

  it('malformed uploads are 400s in OpenAI shape', async () => {
    const noImage = new FormData();
    noImage.append('model', 'stable-diffusion');
    noImage.append('prompt', 'x');
    let res = await fetch(`${t.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: noImage });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ param: 'image', code: 'missing_required_parameter' });

    const notImage = new FormData();
    notImage.append('prompt', 'x');
    notImage.append('image', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    res = await fetch(`${t.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: notImage });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_image_format');

    res = await fetch(`${t.url}/v1/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nunterminated',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_multipart');

    res = await fetch(`${t.url}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"prompt":"x"}' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_content_type');
  });
});
