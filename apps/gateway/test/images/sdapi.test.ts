import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngSize } from '@apigpt/simulator';
import type { TestGateway } from '../harness.js';
import { SD15, SDXL, startImageGateway, WEBUI_AUTH } from './setup.js';

/** What the widely used `webuiapi` Python client posts for txt2img (defaults and all). */
function webuiapiTxt2img(prompt: string, extra: Record<string, unknown> = {}) {
  return {
    enable_hr: false,
    denoising_strength: 0.7,
    firstphase_width: 0,
    firstphase_height: 0,
    hr_scale: 2,
    hr_upscaler: 'Latent',
    hr_second_pass_steps: 0,
    hr_resize_x: 0,
    hr_resize_y: 0,
    prompt,
    styles: [],
    seed: -1,
    subseed: -1,
    subseed_strength: 0.0,
    seed_resize_from_h: 0,
    seed_resize_from_w: 0,
    sampler_name: 'Euler a',
    batch_size: 2,
    n_iter: 1,
    steps: 20,
    cfg_scale: 7.0,
    width: 512,
    height: 384,
    restore_faces: false,
    tiling: false,
    do_not_save_samples: false,
    do_not_save_grid: false,
    negative_prompt: 'lowres',
    eta: 1.0,
    s_churn: 0,
    s_tmax: 0,
    s_tmin: 0,
    s_noise: 1,
    override_settings: {},
    override_settings_restore_afterwards: true,
    script_args: [],
    sampler_index: 'Euler a',
    script_name: null,
    send_images: true,
    save_images: false,
    alwayson_scripts: {},
    ...extra,
  };
}

/** A1111's own API through the gateway: `/sdapi/v1/txt2img`, `img2img` and `sd-models` with a gateway key. */
describe('SD WebUI pass-through (/sdapi/v1/*)', () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startImageGateway();
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, auth: string | null = `Bearer ${key}`) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
  const lastUpstream = () => t.sim.requests.at(-1)!;

  it('txt2img: the body reaches the WebUI untouched, with the channel credentials; the answer comes back as the WebUI sent it', async () => {
    const body = webuiapiTxt2img('a watercolour owl');
    const res = await post('/sdapi/v1/txt2img', body);
    expect(res.status).toBe(200);
    const out = (await res.json()) as { images: string[]; parameters: Record<string, unknown>; info: string };
    expect(out.images).toHaveLength(2);
    for (const img of out.images) expect(readPngSize(Buffer.from(img, 'base64'))).toEqual({ width: 512, height: 384 });
    expect(JSON.parse(out.info)).toMatchObject({ prompt: 'a watercolour owl', all_seeds: expect.any(Array), negative_prompt: 'lowres' });

    const up = lastUpstream();
    expect(up.path).toBe('/sdapi/v1/txt2img');
    expect(up.body).toEqual(body);
    expect(up.headers.authorization).toBe(`Basic ${Buffer.from(WEBUI_AUTH).toString('base64')}`);

    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', res.headers.get('x-request-id')!).executeTakeFirstOrThrow();
    // No checkpoint named: the channel's first model.
    expect(row).toMatchObject({ endpoint: '/sdapi/v1/txt2img', dialect: 'sd-webui', model_requested: 'stable-diffusion', status: 200 });
  });

  it('a checkpoint in override_settings routes the call, and a gateway model name is mapped to the WebUI title', async () => {
    const res = await post('/sdapi/v1/txt2img', webuiapiTxt2img('a castle', { batch_size: 1, override_settings: { sd_model_checkpoint: 'stable-diffusion', CLIP_stop_at_last_layers: 2 } }));
    expect(res.status).toBe(200);
    expect(lastUpstream().body).toMatchObject({ override_settings: { sd_model_checkpoint: SD15, CLIP_stop_at_last_layers: 2 } });

    const xl = await post('/sdapi/v1/txt2img', webuiapiTxt2img('a castle', { batch_size: 1, width: 1024, height: 1024, override_settings: { sd_model_checkpoint: SDXL } }));
    expect(xl.status).toBe(200);
    expect(lastUpstream().body).toMatchObject({ override_settings: { sd_model_checkpoint: SDXL } });
  });

  it('img2img passes init_images and mask through', async () => {
    const first = (await (await post('/sdapi/v1/txt2img', webuiapiTxt2img('seed image', { batch_size: 1, width: 256, height: 256 }))).json()) as { images: string[] };
    const body = { init_images: [first.images[0]], mask: first.images[0], denoising_strength: 0.4, prompt: 'the same, at night', width: 256, height: 256, sampler_name: 'Euler' };
    const res = await post('/sdapi/v1/img2img', body);
    expect(res.status).toBe(200);
    const out = (await res.json()) as { images: string[] };
    expect(readPngSize(Buffer.from(out.images[0], 'base64'))).toEqual({ width: 256, height: 256 });
    expect(lastUpstream().path).toBe('/sdapi/v1/img2img');
    expect(lastUpstream().body).toEqual(body);
  });

  it('HTTP Basic with the gateway key as password works, as --api-auth clients send it', async () => {
    const res = await post('/sdapi/v1/txt2img', webuiapiTxt2img('basic auth', { batch_size: 1 }), `Basic ${Buffer.from(`anyone:${key}`).toString('base64')}`);
    expect(res.status).toBe(200);
  });

  it('sd-models lists the checkpoints the key may use, in A1111 shape', async () => {
    const res = await fetch(`${t.url}/sdapi/v1/sd-models`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { title: string; model_name: string }[];
    // Gateway model names only: the WebUI title behind a mapped name is the operator's business.
    expect(list.map((m) => m.title).sort()).toEqual([SDXL, 'stable-diffusion'].sort());
    expect(list.find((m) => m.title === SDXL)!.model_name).toBe('sd_xl_base_1.0');

    // A key limited to some models sees only those.
    const u = await t.newUserWithKey();
    const keyId = (await t.api('GET', '/api/keys', undefined, { cookie: u.cookie })).body.items[0].id;
    expect((await t.api('PATCH', `/api/keys/${keyId}`, { models: [SDXL] }, { cookie: u.cookie })).status).toBe(200);
    const limited = await fetch(`${t.url}/sdapi/v1/sd-models`, { headers: { authorization: `Bearer ${u.key}` } });
    expect(((await limited.json()) as { title: string }[]).map((m) => m.title)).toEqual([SDXL]);
  });

  it("the admin test button probes a WebUI channel by listing its checkpoints, not by generating", async () => {
    const channels = await t.api<{ items?: { id: string; provider: string }[] } | { id: string; provider: string }[]>('GET', '/api/admin/channels', undefined, { token: t.rootToken });
    const list = Array.isArray(channels.body) ? channels.body : channels.body.items!;
    const webui = list.find((c) => c.provider === 'sd-webui')!;
    const probe = await t.api('POST', `/api/admin/channels/${webui.id}/test`, {}, { token: t.rootToken });
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({ ok: true, status: 200 });
    expect(lastUpstream().method).toBe('GET');
    expect(lastUpstream().path).toBe('/sdapi/v1/sd-models');
    expect(lastUpstream().headers.authorization).toBe(`Basic ${Buffer.from(WEBUI_AUTH).toString('base64')}`);
  });

  it('errors come in A1111 shape: no key, a model no WebUI serves, and the WebUI own 404 verbatim', async () => {
    const none = await post('/sdapi/v1/txt2img', webuiapiTxt2img('x'), null);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'missing_api_key', detail: expect.stringContaining('API key') });

    const notWebui = await post('/sdapi/v1/txt2img', webuiapiTxt2img('x', { override_settings: { sd_model_checkpoint: 'dall-e-3' } }));
    expect(notWebui.status).toBe(400);
    expect(await notWebui.json()).toMatchObject({ error: 'unsupported_operation', detail: expect.stringContaining('/v1/images/generations') });

    const badType = await post('/sdapi/v1/txt2img', { prompt: 'x', width: 'wide' });
    expect(badType.status).toBe(400);
    expect(await badType.json()).toMatchObject({ error: 'invalid_value', detail: expect.stringContaining('width') });

    const sampler = await post('/sdapi/v1/txt2img', webuiapiTxt2img('x', { sampler_name: 'No Such Sampler' }));
    expect(sampler.status).toBe(404);
    expect(await sampler.json()).toEqual({ error: 'HTTPException', detail: 'Sampler not found', body: '', errors: '' });
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', sampler.headers.get('x-request-id')!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 404, cost: 0 });
  });
});
