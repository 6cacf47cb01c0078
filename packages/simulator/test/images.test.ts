import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { encodePng, readPngSize, startSimulator, type Simulator } from '@apigpt/simulator';
import { crc32 } from '../src/png.js';
import { postJson } from './helpers.js';

/** Walks PNG chunks, checking every CRC, and returns them. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const out = [];
  let p = 8;
  while (p < png.length) {
    const len = png.readUInt32BE(p);
    const type = png.toString('latin1', p + 4, p + 8);
    const data = png.subarray(p + 8, p + 8 + len);
    expect(png.readUInt32BE(p + 8 + len)).toBe(crc32(png, p + 4, p + 8 + len));
    out.push({ type, data });
    p += 12 + len;
  }
  return out;
}

function checkPng(png: Buffer, w: number, h: number): void {
  expect(readPngSize(png)).toEqual({ width: w, height: h });
  const cs = chunks(png);
  expect(cs[0].type).toBe('IHDR');
  expect(cs.at(-1)!.type).toBe('IEND');
  const idat = Buffer.concat(cs.filter((c) => c.type === 'IDAT').map((c) => c.data));
  expect(inflateSync(idat).length).toBe((w * 3 + 1) * h);
}

describe('PNG encoder', () => {
  it('produces a valid PNG that round-trips pixels', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodePng(2, 2, rgb, { parameters: 'hello' });
    checkPng(png, 2, 2);
    const raw = inflateSync(Buffer.concat(chunks(png).filter((c) => c.type === 'IDAT').map((c) => c.data)));
    expect([...raw]).toEqual([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
    expect(chunks(png).find((c) => c.type === 'tEXt')!.data.toString('latin1')).toBe('parameters\0hello');
    expect(readPngSize(Buffer.from('not a png at all, definitely not'))).toBeNull();
  });
});

describe('image endpoints', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ basicAuth: 'user:pass', apiKey: 'sk-img' });
  });
  afterAll(() => sim.close());
  const basic = { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` };

  it('A1111 txt2img: batch of PNGs at the requested size, info JSON string, Basic auth', async () => {
    const denied = await postJson(`${sim.url}/sdapi/v1/txt2img`, { prompt: 'x' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Basic');
    const r = await (await postJson(`${sim.url}/sdapi/v1/txt2img`, { prompt: 'a red fox', width: 320, height: 192, batch_size: 2, seed: 42, sampler_name: 'Euler a' }, basic)).json();
    expect(r.images).toHaveLength(2);
    for (const img of r.images) checkPng(Buffer.from(img, 'base64'), 320, 192);
    expect(r.images[0] === r.images[1]).toBe(false);
    const info = JSON.parse(r.info);
    expect(info.all_seeds).toEqual([42, 43]);
    expect(info.width).toBe(320);
    expect(r.parameters.prompt).toBe('a red fox');
    const again = await (await postJson(`${sim.url}/sdapi/v1/txt2img`, { prompt: 'a red fox', width: 320, height: 192, seed: 42, sampler_name: 'Euler a' }, basic)).json();
    expect(again.images[0] === r.images[0]).toBe(true); // same seed and prompt → same bytes
    const badSampler = await postJson(`${sim.url}/sdapi/v1/txt2img`, { prompt: 'x', sampler_name: 'Nope' }, basic);
    expect(badSampler.status).toBe(404);
    expect((await badSampler.json()).detail).toBe('Sampler not found');
  });

  it('A1111 img2img, sd-models and options', async () => {
    const r = await (await postJson(`${sim.url}/sdapi/v1/img2img`, { prompt: 'x', init_images: ['AAAA'], width: 64, height: 64, n_iter: 3 }, basic)).json();
    expect(r.images).toHaveLength(3);
    checkPng(Buffer.from(r.images[2], 'base64'), 64, 64);
    expect((await postJson(`${sim.url}/sdapi/v1/img2img`, { prompt: 'x' }, basic)).status).toBe(404);
    const models = await (await fetch(`${sim.url}/sdapi/v1/sd-models`, { headers: basic })).json();
    expect(models[0]).toHaveProperty('title');
    await postJson(`${sim.url}/sdapi/v1/options`, { sd_model_checkpoint: models[1].title }, basic);
    const opts = await (await fetch(`${sim.url}/sdapi/v1/options`, { headers: basic })).json();
    expect(opts.sd_model_checkpoint).toBe(models[1].title);
  });

  it('Stability v2beta: multipart form, image bytes or JSON base64', async () => {
    const form = () => {
      const fd = new FormData();
      fd.append('prompt', 'a lighthouse');
      fd.append('aspect_ratio', '16:9');
      fd.append('seed', '7');
      return fd;
    };
    const bytes = await fetch(`${sim.url}/v2beta/stable-image/generate/core`, { method: 'POST', body: form(), headers: { authorization: 'Bearer sk-img', accept: 'image/*' } });
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get('content-type')).toBe('image/png');
    expect(bytes.headers.get('finish-reason')).toBe('SUCCESS');
    expect(bytes.headers.get('seed')).toBe('7');
    const png = Buffer.from(await bytes.arrayBuffer());
    checkPng(png, 1344, 768);
    expect(sim.requests.at(-1)!.body).toMatchObject({ prompt: 'a lighthouse', aspect_ratio: '16:9' });
    const json = await (await fetch(`${sim.url}/v2beta/stable-image/generate/ultra`, { method: 'POST', body: form(), headers: { authorization: 'Bearer sk-img', accept: 'application/json' } })).json();
    expect(json.finish_reason).toBe('SUCCESS');
    expect(Buffer.from(json.image, 'base64').equals(png)).toBe(true);
    const asJson = await postJson(`${sim.url}/v2beta/stable-image/generate/core`, { prompt: 'x' }, { authorization: 'Bearer sk-img' });
    expect(asJson.status).toBe(400);
    expect((await asJson.json()).name).toBe('bad_request');
    const unauth = await fetch(`${sim.url}/v2beta/stable-image/generate/core`, { method: 'POST', body: form(), headers: { authorization: 'Bearer nope' } });
    expect(unauth.status).toBe(401);
  });

  it('Stability v1 text-to-image returns artifacts', async () => {
    const r = await (
      await postJson(`${sim.url}/v1/generation/stable-diffusion-v1-6/text-to-image`, { text_prompts: [{ text: 'a cat', weight: 1 }, { text: 'blurry', weight: -1 }], samples: 2, width: 512, height: 384 }, { authorization: 'Bearer sk-img', accept: 'application/json' })
    ).json();
    expect(r.artifacts).toHaveLength(2);
    expect(r.artifacts[0].finishReason).toBe('SUCCESS');
    checkPng(Buffer.from(r.artifacts[1].base64, 'base64'), 512, 384);
  });

  it('OpenAI images: dall-e url served by the simulator, gpt-image b64 with usage', async () => {
    const client = new OpenAI({ apiKey: 'sk-img', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const r = await client.images.generate({ model: 'dall-e-2', prompt: 'a boat', n: 2, size: '256x256' });
    expect(r.data).toHaveLength(2);
    const png = Buffer.from(await (await fetch(r.data![0].url!)).arrayBuffer());
    checkPng(png, 256, 256);
    const g = await client.images.generate({ model: 'gpt-image-1', prompt: 'a boat', size: '1024x1536', quality: 'low' });
    checkPng(Buffer.from(g.data![0].b64_json!, 'base64'), 1024, 1536);
    expect(g.usage!.output_tokens).toBe(272);
    await expect(client.images.generate({ model: 'dall-e-3', prompt: 'x', n: 2 })).rejects.toMatchObject({ status: 400 });
    const d3 = await client.images.generate({ model: 'dall-e-3', prompt: 'a boat', response_format: 'b64_json', size: '1024x1024' });
    expect(d3.data![0].revised_prompt).toBe('a boat');
  });
});
