import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { TestGateway } from '../harness.js';
import { balanceOf, setBalance } from '../billing/helpers.js';
import { startImageGateway } from './setup.js';

const MICRO = 1_000_000;

/** Clear 400s for what a provider cannot do, and money: reserved before, charged per image after, nothing on failure. */
describe('image errors and billing', () => {
  let t: TestGateway;
  let user: { key: string; cookie: string; userId: string };
  let client: OpenAI;

  beforeAll(async () => {
    t = await startImageGateway();
    user = await t.newUserWithKey();
    client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    await t.gw.services.channels.create({ provider: 'openai', name: 'bad key', baseUrl: `${t.sim.url}/v1`, secret: 'sk-wrong', models: ['dall-e-2-badkey'], modelMap: { 'dall-e-2-badkey': 'dall-e-2' } });
    const priced = await t.api('PUT', '/api/admin/prices/dall-e-2-badkey', { input: 0, output: 0, perImage: 20 }, { token: t.rootToken });
    expect(priced.status).toBe(200);
  });
  afterAll(() => t?.close());

  const generate = (body: Record<string, unknown>) =>
    fetch(`${t.url}/v1/images/generations`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ledgerFor = (requestId: string) => t.gw.services.db.selectFrom('ledger').selectAll().where('request_id', '=', requestId).execute();

  async function badRequest(body: Parameters<OpenAI['images']['generate']>[0]) {
    const before = t.sim.requests.length;
    const err = await client.images.generate(body).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(t.sim.requests.length).toBe(before); // refused before any upstream call
    // The SDK prefixes its message with the status; the gateway's own words are in the body.
    return Object.assign(err, { message: (err.error as { message: string }).message }) as InstanceType<typeof OpenAI.BadRequestError>;
  }

  it('a size the provider cannot make is a 400 that lists the sizes it can', async () => {
    let err = await badRequest({ model: 'dall-e-3', prompt: 'x', size: '512x512' });
    expect(err.param).toBe('size');
    expect(err.message).toBe('The size 512x512 is not supported by the model dall-e-3. Supported sizes: 1024x1024, 1792x1024, 1024x1792.');
    err = await badRequest({ model: 'stable-diffusion-xl-1024-v1-0', prompt: 'x', size: '1000x1000' as never });
    expect(err.message).toContain('1152x896');
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', size: '500x500' as never });
    expect(err.message).toMatch(/multiples of 8 between 64 and 2048/);
    err = await badRequest({ model: 'cogview-3', prompt: 'x', size: '4096x512' as never });
    expect(err.message).toMatch(/512–2048 px/);
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', size: 'big' as never });
    expect(err.code).toBe('invalid_size');
  });

  it('n beyond the provider limit is a 400 that says the limit', async () => {
    let err = await badRequest({ model: 'dall-e-3', prompt: 'x', n: 2 });
    expect(err.param).toBe('n');
    expect(err.message).toBe('The model dall-e-3 makes one image per request: n must be 1 (got 2).');
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', n: 5 });
    expect(err.message).toBe('This Stable Diffusion WebUI channel makes at most 4 images per request: n must be between 1 and 4 (got 5).');
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', n: 11 });
    expect(err.param).toBe('n');
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', extra: { steps: 500 } } as never);
    expect(err.param).toBe('extra.steps');
    err = await badRequest({ model: 'stable-diffusion', prompt: 'x', extra: { unknown: 1 } } as never);
    expect(err.message).toContain("unknown field 'unknown'");
  });

  it('a model that makes no images, and an unknown model, are refused in OpenAI shape', async () => {
    const res = await generate({ model: 'no-such-model', prompt: 'x' });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
  });

  it('charges per image by model, size and steps, in the ledger, once', async () => {
    await setBalance(t, user.userId, user.cookie, 100);
    // stable-diffusion: 2 P per standard image (1024x1024, 30 steps); 512x512 is a quarter of that.
    const res = await generate({ model: 'stable-diffusion', prompt: 'priced', n: 2, size: '512x512', response_format: 'b64_json' });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id')!;
    await t.flushLogs();
    expect(await ledgerFor(id)).toMatchObject([{ kind: 'charge', amount: -1 * MICRO, reason: 'stable-diffusion' }]);
    expect(await balanceOf(t, user.cookie)).toBe(99);
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ cost: 1 * MICRO, status: 200, endpoint: '/v1/images/generations' });

    // Twice the steps, twice the price.
    const steps = await generate({ model: 'stable-diffusion', prompt: 'priced', n: 2, size: '512x512', response_format: 'b64_json', extra: { steps: 60 } });
    await t.flushLogs();
    expect(await ledgerFor(steps.headers.get('x-request-id')!)).toMatchObject([{ amount: -2 * MICRO }]);
    expect(await balanceOf(t, user.cookie)).toBe(97);
  });

  it('the A1111 pass-through is charged the same way', async () => {
    await setBalance(t, user.userId, user.cookie, 100);
    const res = await fetch(`${t.url}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'priced', width: 1024, height: 512, steps: 30, batch_size: 2, override_settings: { sd_model_checkpoint: 'stable-diffusion' } }),
    });
    expect(res.status).toBe(200);
    await t.flushLogs();
    // 2 images × 2 P × half a standard image's pixels.
    expect(await ledgerFor(res.headers.get('x-request-id')!)).toMatchObject([{ amount: -2 * MICRO }]);
    expect(await balanceOf(t, user.cookie)).toBe(98);
  });

  it('a provider failure charges nothing and releases the reservation', async () => {
    await setBalance(t, user.userId, user.cookie, 100);
    const res = await generate({ model: 'stable-diffusion', prompt: 'fail please [[sim fault=status:500]]', n: 2, response_format: 'b64_json' });
    expect(res.status).toBe(502);
    expect((await res.json()).error.type).toBe('upstream_error');
    const wrongKey = await client.images.generate({ model: 'dall-e-2-badkey', prompt: 'x', response_format: 'b64_json' }).catch((e) => e);
    expect(wrongKey.status).toBe(502); // the channel's key is the operator's problem, not the caller's 401
    expect(wrongKey.message).toMatch(/refused the channel's credentials/);
    await t.flushLogs();
    const failed = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).where('status', '=', 502).execute();
    expect(failed).toHaveLength(2);
    for (const row of failed) {
      expect(row.cost).toBe(0);
      expect(await ledgerFor(row.id)).toEqual([]);
    }
    expect(await balanceOf(t, user.cookie)).toBe(100);
    // The whole balance is available again: a call reserving most of it goes through.
    await setBalance(t, user.userId, user.cookie, 8);
    const big = await generate({ model: 'stable-diffusion', prompt: 'all in', n: 4, response_format: 'b64_json' });
    expect(big.status).toBe(200);
    await t.flushLogs();
    expect(await balanceOf(t, user.cookie)).toBe(0); // 4 standard images × 2 P
  });

  it('a balance that cannot cover the images is refused before the provider is called', async () => {
    await setBalance(t, user.userId, user.cookie, 0.5);
    const before = t.sim.requests.length;
    const err = await client.images.generate({ model: 'stable-diffusion', prompt: 'too dear', n: 1, size: '1024x1024' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('insufficient_quota');
    expect(t.sim.requests.length).toBe(before);
    expect(await balanceOf(t, user.cookie)).toBe(0.5);
  });

  it('the console playground calls with the session cookie and header, billed to the user', async () => {
    await setBalance(t, user.userId, user.cookie, 10);
    const res = await fetch(`${t.url}/v1/images/generations`, {
      method: 'POST',
      headers: { cookie: user.cookie, 'x-apigpt-playground': '1', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stable-diffusion', prompt: 'from the playground', size: '1024x1024', response_format: 'b64_json' }),
    });
    expect(res.status).toBe(200);
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', res.headers.get('x-request-id')!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ key_prefix: 'console', user_id: user.userId, cost: 2 * MICRO });
    // Without the header the cookie alone is not a key.
    const noHeader = await fetch(`${t.url}/v1/images/generations`, { method: 'POST', headers: { cookie: user.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'stable-diffusion', prompt: 'x' }) });
    expect(noHeader.status).toBe(401);
  });
});
