import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { readPngSize } from '@apigpt/simulator';
import { loadMasterKey } from '../../src/core/master-key.js';
import { UrlSigner } from '../../src/media/signing.js';
import type { TestGateway } from '../harness.js';
import { SD15, SDXL, startImageGateway, WEBUI_AUTH } from './setup.js';

/**
 * `/v1/images/generations` through every image provider, with the official openai SDK as the client:
 * base64 answers decode to PNGs of the requested size, `url` answers are the gateway's own signed
 * links, and each provider got the request in its own wire format.
 */
describe('image generation through every provider', () => {
  let t: TestGateway;
  let client: OpenAI;
  let key: string;

  beforeAll(async () => {
    t = await startImageGateway();
    key = (await t.newUserWithKey()).key;
    client = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => t?.close());

  const lastUpstream = (path: RegExp) => [...t.sim.requests].reverse().find((r) => path.test(r.path))!;

  async function fetchPng(url: string) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    return Buffer.from(await res.arrayBuffer());
  }

  const cases: { model: string; size: string; upstream: RegExp; n?: number }[] = [
    { model: 'dall-e-3', size: '1792x1024', upstream: /^\/v1\/images\/generations$/ },
    { model: 'dall-e-2', size: '512x512', upstream: /^\/v1\/images\/generations$/, n: 2 },
    { model: 'dall-e-3-azure', size: '1024x1792', upstream: /^\/openai\/deployments\/my-dalle3\/images\/generations$/ },
    { model: 'cogview-3', size: '1344x768', upstream: /^\/api\/paas\/v4\/images\/generations$/, n: 2 },
    { model: 'stable-diffusion', size: '640x384', upstream: /^\/sdapi\/v1\/txt2img$/, n: 3 },
    { model: 'stable-image-core', size: '1024x1024', upstream: /^\/v2beta\/stable-image\/generate\/core$/, n: 2 },
    { model: 'stable-diffusion-xl-1024-v1-0', size: '1152x896', upstream: /^\/v1\/generation\/stable-diffusion-xl-1024-v1-0\/text-to-image$/, n: 2 },
  ];

  for (const c of cases) {
    it(`${c.model}: b64_json images are PNGs of ${c.size}`, async () => {
      const res = await client.images.generate({ model: c.model, prompt: `a lighthouse for ${c.model}`, size: c.size as '1024x1024', n: c.n ?? 1, response_format: 'b64_json' });
      expect(res.data).toHaveLength(c.n ?? 1);
      for (const d of res.data!) {
        expect(d.url).toBeUndefined();
        const [w, h] = c.size.split('x').map(Number);
        expect(readPngSize(Buffer.from(d.b64_json!, 'base64'))).toEqual({ width: w, height: h });
      }
      expect(lastUpstream(c.upstream)).toBeTruthy();
    });

    it(`${c.model}: url answers are signed gateway links to a PNG of ${c.size}`, async () => {
      const res = await client.images.generate({ model: c.model, prompt: `a harbour for ${c.model}`, size: c.size as '1024x1024', response_format: 'url' });
      const url = res.data![0].url!;
      expect(url.startsWith(`${t.url}/files/images/`)).toBe(true);
      expect(url).toMatch(/\.png\?exp=\d+&sig=[\w-]+$/);
      const [w, h] = c.size.split('x').map(Number);
      expect(readPngSize(await fetchPng(url))).toEqual({ width: w, height: h });
    });
  }

  it('maps the OpenAI request into each provider wire format (§6.3)', async () => {
    await client.images.generate({
      model: 'stable-diffusion',
      prompt: 'a red fox',
      size: '512x768',
      n: 2,
      quality: 'hd',
      response_format: 'b64_json',
      // @ts-expect-error: the gateway's extension for diffusion back-ends
      extra: { negative_prompt: 'blurry', sampler: 'DPM++ 2M', seed: 42, cfg_scale: 5.5 },
    });
    const a1111 = lastUpstream(/^\/sdapi\/v1\/txt2img$/);
    expect(a1111.headers.authorization).toBe(`Basic ${Buffer.from(WEBUI_AUTH).toString('base64')}`);
    expect(a1111.body).toMatchObject({
      prompt: 'a red fox',
      negative_prompt: 'blurry',
      width: 512,
      height: 768,
      batch_size: 2,
      steps: 50, // hd buys more steps
      sampler_name: 'DPM++ 2M',
      seed: 42,
      cfg_scale: 5.5,
      override_settings: { sd_model_checkpoint: SD15, return_grid: false },
    });

    await client.images.generate({ model: 'stable-diffusion-xl-1024-v1-0', prompt: 'a red fox', size: '1216x832', response_format: 'b64_json', extra: { negative_prompt: 'fog', steps: 25, seed: 7 } } as never);
    const v1 = lastUpstream(/text-to-image$/);
    expect(v1.body).toMatchObject({ text_prompts: [{ text: 'a red fox', weight: 1 }, { text: 'fog', weight: -1 }], width: 1216, height: 832, samples: 1, steps: 25, seed: 7 });

    await client.images.generate({ model: 'stable-image-core', prompt: 'a red fox', size: '1792x1024', quality: 'hd', response_format: 'b64_json', user: 'user-9' });
    const v2 = lastUpstream(/^\/v2beta\//);
    expect(v2.path).toBe('/v2beta/stable-image/generate/ultra'); // hd → ultra
    expect(v2.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(v2.headers.accept).toBe('application/json');
    expect(v2.headers['stability-client-user-id']).toBe('user-9');
    expect(v2.body).toMatchObject({ prompt: 'a red fox', aspect_ratio: '16:9', output_format: 'png' });

    await client.images.generate({ model: 'dall-e-3', prompt: 'a red fox', size: '1024x1024', quality: 'hd', style: 'natural', response_format: 'url' });
    const oa = lastUpstream(/^\/v1\/images\/generations$/);
    // The gateway always asks for base64 and serves links itself.
    expect(oa.body).toMatchObject({ model: 'dall-e-3', prompt: 'a red fox', n: 1, size: '1024x1024', quality: 'hd', style: 'natural', response_format: 'b64_json' });
  });

  it('gpt-image-1 answers base64 by default, with the provider token usage, and never sends response_format', async () => {
    const res = await client.images.generate({ model: 'gpt-image-1', prompt: 'a tiny robot', size: '1024x1536', quality: 'low' });
    expect(readPngSize(Buffer.from(res.data![0].b64_json!, 'base64'))).toEqual({ width: 1024, height: 1536 });
    expect(res.usage!.output_tokens).toBe(272);
    expect(lastUpstream(/^\/v1\/images\/generations$/).body).not.toHaveProperty('response_format');
  });

  it('dall-e-3 passes revised_prompt through', async () => {
    const res = await client.images.generate({ model: 'dall-e-3', prompt: 'a calm sea', response_format: 'b64_json' });
    expect(res.data![0].revised_prompt).toBe('a calm sea');
    expect(readPngSize(Buffer.from(res.data![0].b64_json!, 'base64'))).toEqual({ width: 1024, height: 1024 });
  });

  it('an SDXL checkpoint is routed by its title; the request-log row records the call', async () => {
    const res = await client.images.generate({ model: SDXL, prompt: 'mountains', size: '1024x1024', response_format: 'b64_json' });
    expect(res.data).toHaveLength(1);
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('model_requested', '=', SDXL).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ endpoint: '/v1/images/generations', status: 200, model_sent: SDXL, attempts: 1, error_code: null });
  });

  it('expired and tampered links are refused with 403', async () => {
    const res = await client.images.generate({ model: 'stable-diffusion', prompt: 'a link to break', size: '256x256', response_format: 'url' });
    const url = new URL(res.data![0].url!);
    expect((await fetch(url)).status).toBe(200);

    const tampered = new URL(url);
    tampered.searchParams.set('sig', url.searchParams.get('sig')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect((await bad.json()).error.code).toBe('invalid_signature');

    // A later expiry with the old signature is a forgery, not an extension.
    const extended = new URL(url);
    extended.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    expect((await fetch(extended)).status).toBe(403);

    const otherName = new URL(url);
    otherName.pathname = otherName.pathname.replace(/\/[^/]+$/, '/AAAAAAAAAAAAAAAAAAAAAA.png');
    expect((await fetch(otherName)).status).toBe(403);

    // A genuinely signed link whose time is up.
    const signer = new UrlSigner(loadMasterKey(t.config.secret, t.config.dataDir).key);
    const name = url.pathname.split('/').pop()!;
    const past = Math.floor(Date.now() / 1000) - 5;
    const expired = await fetch(`${t.url}/files/images/${name}?${signer.query(name, past)}`);
    expect(expired.status).toBe(403);
    expect((await expired.json()).error.code).toBe('link_expired');
    const fresh = await fetch(`${t.url}/files/images/${name}?${signer.query(name, past + 600)}`);
    expect(fresh.status).toBe(200);
  });
});
