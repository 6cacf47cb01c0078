import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { ChannelInput } from '../../src/channels/channels.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { balanceOf, setBalance } from '../billing/helpers.js';
import { SD15, SIM_KEY, WEBUI_AUTH } from './setup.js';

/**
 * Image calls (`/v1/images/generations` and A1111's `/sdapi/v1/txt2img`) run on the one call
 * pipeline: a refused channel key fails over and rests the channel, the configured retry statuses
 * are retried after a backoff, the circuit counts the channel's failures and not the caller's, and
 * a caller who leaves cancels the upstream call. Real HTTP to the simulator, faults injected on
 * purpose.
 */
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

type AttemptRow = { channel: string; status: number | null; code: string | null };

async function gateway(channels: (sim: Simulator) => ChannelInput[], config: Partial<Config> = {}) {
  const t = await startTestGateway({ simulator: { apiKey: SIM_KEY, basicAuth: WEBUI_AUTH }, config: { healthProbeIntervalMs: 0, ...config }, channels });
  open.push(t);
  const user = await t.newUserWithKey();
  const client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  const ids = Object.fromEntries((await t.gw.services.channels.list()).map((c) => [c.name, c.id]));
  return { t, user, client, ids };
}

const openai = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({ provider: 'openai', name, baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['dall-e-2'], ...more });
const webui = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({
  provider: 'sd-webui',
  name,
  baseUrl: sim.url,
  secret: WEBUI_AUTH,
  models: ['stable-diffusion'],
  modelMap: { 'stable-diffusion': SD15 },
  ...more,
});
const generate = (client: OpenAI, prompt = 'a lighthouse') => client.images.generate({ model: 'dall-e-2', prompt, size: '256x256', response_format: 'b64_json' });
const txt2img = (t: TestGateway, key: string, prompt = 'an owl', signal?: AbortSignal) =>
  fetch(`${t.url}/sdapi/v1/txt2img`, {
    method: 'POST',
    signal,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, width: 256, height: 256, steps: 20, batch_size: 1, override_settings: { sd_model_checkpoint: 'stable-diffusion' } }),
  });
const upstreamCalls = (sim: Simulator, path: RegExp) => sim.requests.filter((r) => path.test(r.path));
const IMAGES = /^\/v1\/images\/generations$/;
const TXT2IMG = /^\/sdapi\/v1\/txt2img$/;

async function onlyRow(t: TestGateway) {
  await t.flushLogs();
  const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().execute();
  expect(rows).toHaveLength(1);
  return rows[0];
}
async function rowOf(t: TestGateway, id: string) {
  await t.flushLogs();
  return t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** The channel's circuit is open and its history says so (events are written off the request path). */
async function expectResting(t: TestGateway, id: string) {
  await eventually(async () => {
    expect((await t.gw.services.health.circuit.view(id)).state).toBe('open');
    expect((await t.gw.services.health.events.list(id)).map((e) => e.kind)).toContain('circuit_open');
  });
}

describe('failover when a provider refuses the channel key', () => {
  it('dall-e-2: a 401 for the wrong key fails over to the next channel and rests the refused one', async () => {
    const { t, client, ids } = await gateway((sim) => [openai(sim, 'wrong key', { secret: 'sk-wrong', priority: 10 }), openai(sim, 'good')]);
    const res = await generate(client);
    expect(res.data).toHaveLength(1);
    expect(upstreamCalls(t.sim, IMAGES).map((r) => r.headers.authorization)).toEqual(['Bearer sk-wrong', `Bearer ${SIM_KEY}`]);

    const row = await onlyRow(t);
    expect(row).toMatchObject({ status: 200, attempts: 2, channel_id: ids.good });
    expect((JSON.parse(row.attempt_log!) as AttemptRow[]).map((a) => [a.channel, a.status])).toEqual([
      [ids['wrong key'], 401],
      [ids.good, 200],
    ]);
    // The refusal counts against the channel: its circuit is open, and the next call skips it.
    await expectResting(t, ids['wrong key']);
    await generate(client);
    expect(upstreamCalls(t.sim, IMAGES).map((r) => r.headers.authorization)).toEqual(['Bearer sk-wrong', `Bearer ${SIM_KEY}`, `Bearer ${SIM_KEY}`]);
  });

  it('dall-e-2: a 403 from the provider fails over the same way', async () => {
    const forbidding = await startSimulator({ apiKey: SIM_KEY, defaults: { fault: { kind: 'status', status: 403 } } });
    open.push(forbidding);
    const { t, client, ids } = await gateway((sim) => [openai(forbidding, 'forbidden', { priority: 10 }), openai(sim, 'good')]);
    const res = await generate(client);
    expect(res.data).toHaveLength(1);
    expect(upstreamCalls(forbidding, IMAGES)).toHaveLength(1);
    const row = await onlyRow(t);
    expect((JSON.parse(row.attempt_log!) as AttemptRow[]).map((a) => [a.channel, a.status])).toEqual([
      [ids.forbidden, 403],
      [ids.good, 200],
    ]);
    await expectResting(t, ids.forbidden);
  });

  it('/sdapi/v1/txt2img: a WebUI that refuses the channel login fails over to the next WebUI channel and rests the refused one', async () => {
    const { t, user, ids } = await gateway((sim) => [webui(sim, 'wrong login', { secret: 'webui:wrong', priority: 10 }), webui(sim, 'good')]);
    const res = await txt2img(t, user.key);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { images: string[] }).images).toHaveLength(1);
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(upstreamCalls(t.sim, TXT2IMG).map((r) => r.headers.authorization)).toEqual([basic('webui:wrong'), basic(WEBUI_AUTH)]);

    const row = await rowOf(t, res.headers.get('x-request-id')!);
    expect(row).toMatchObject({ status: 200, attempts: 2, channel_id: ids.good });
    expect((JSON.parse(row.attempt_log!) as AttemptRow[]).map((a) => [a.channel, a.status])).toEqual([
      [ids['wrong login'], 401],
      [ids.good, 200],
    ]);
    await expectResting(t, ids['wrong login']);
  });
});

describe('retries', () => {
  it('a status in the configured retry list is retried on the same channel after a backoff; a 400 is not', async () => {
    // 425 is not a default retry status (nor one any provider calls retryable): only the
    // configuration makes it one.
    const { t, client, ids } = await gateway((sim) => [openai(sim, 'only')], { retryStatuses: ['425'], retryBaseDelayMs: 400, retryMaxAttempts: 3 });
    // The simulator faults every other request, the first one not: the first call is served, the
    // second meets one 425 and its retry is served.
    t.sim.setDefaults({ fault: { kind: 'status', status: 425 }, faultRate: 0.5 });
    await generate(client, 'first');
    const res = await generate(client, 'second');
    expect(res.data).toHaveLength(1);
    const second = upstreamCalls(t.sim, IMAGES).slice(1);
    expect(second).toHaveLength(2);
    // Backoff for the first round: 400 ms × (½ … 1).
    expect(second[1].at - second[0].at).toBeGreaterThanOrEqual(195);
    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().where('attempts', '=', 2).executeTakeFirstOrThrow();
    expect(row.status).toBe(200);
    expect((JSON.parse(row.attempt_log!) as AttemptRow[]).map((a) => [a.channel, a.status])).toEqual([
      [ids.only, 425],
      [ids.only, 200],
    ]);

    t.sim.setDefaults({ fault: null, faultRate: 1 });
    const before = upstreamCalls(t.sim, IMAGES).length;
    const err = await generate(client, 'bad [[sim fault=status:400]]').catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(upstreamCalls(t.sim, IMAGES)).toHaveLength(before + 1);
  });
});

describe('the circuit counts the channel, not the caller', () => {
  it('5xx failures open the circuit at the threshold; then the only channel is unavailable (503)', async () => {
    const { t, client, ids } = await gateway((sim) => [openai(sim, 'only')], { circuitFailures: 2, circuitCooldownMs: 30_000, retryMaxAttempts: 1 });
    for (let i = 0; i < 2; i++) {
      const err = await generate(client, 'boom [[sim fault=status:500]]').catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect(err.status).toBe(502);
    }
    await expectResting(t, ids.only);
    const err = await generate(client).catch((e) => e);
    expect(err.status).toBe(503);
    expect(err.code).toBe('channels_unavailable');
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(upstreamCalls(t.sim, IMAGES)).toHaveLength(2);
  });

  it("a provider's content-policy 400 counts as the channel answering: it ends a run of failures", async () => {
    // Two failures in a row would open the circuit; a 400 between them counts as a success.
    const { t, client, ids } = await gateway((sim) => [openai(sim, 'only')], { circuitFailures: 2, circuitCooldownMs: 30_000, retryMaxAttempts: 1 });
    expect((await generate(client, 'boom [[sim fault=status:500]]').catch((e) => e)).status).toBe(502);
    t.sim.setDefaults({
      fault: { kind: 'status', status: 400, body: { error: { message: 'Your request was rejected as a result of our safety system.', type: 'invalid_request_error', param: null, code: 'content_policy_violation' } } },
    });
    const refused = await generate(client, 'something unsafe').catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused.code).toBe('content_policy_violation');
    t.sim.setDefaults({ fault: null });
    expect((await generate(client, 'boom [[sim fault=status:500]]').catch((e) => e)).status).toBe(502);
    const res = await generate(client);
    expect(res.data).toHaveLength(1);
    expect(upstreamCalls(t.sim, IMAGES)).toHaveLength(4);
    expect((await t.gw.services.health.circuit.view(ids.only)).state).toBe('closed');
  });

  it("Stability's moderation 403 is the caller's content, not a refused key: a 400 for the caller, and the channel stays in service", async () => {
    const { t, client, ids } = await gateway((sim) => [{ provider: 'stability', name: 'stability', baseUrl: sim.url, secret: SIM_KEY, models: ['stable-image-core'] }], { circuitCooldownMs: 30_000, retryMaxAttempts: 1 });
    const err = await client.images.generate({ model: 'stable-image-core', prompt: 'something unsafe [[sim fault=status:403]]', response_format: 'b64_json' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('content_policy_violation');
    const res = await client.images.generate({ model: 'stable-image-core', prompt: 'a calm sea', response_format: 'b64_json' });
    expect(res.data).toHaveLength(1);
    expect((await t.gw.services.health.circuit.view(ids.stability)).state).toBe('closed');
    expect((await t.gw.services.health.events.list(ids.stability)).map((e) => e.kind)).not.toContain('circuit_open');
  });
});

describe('a caller who leaves cancels the upstream call', () => {
  const cases: { name: string; path: RegExp; call: (g: Awaited<ReturnType<typeof gateway>>, signal: AbortSignal) => Promise<Response> }[] = [
    {
      name: '/v1/images/generations',
      path: IMAGES,
      call: ({ t, user }, signal) =>
        fetch(`${t.url}/v1/images/generations`, {
          method: 'POST',
          signal,
          headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'dall-e-2', prompt: 'slow [[sim ttft=5000]]', size: '256x256', response_format: 'b64_json' }),
        }),
    },
    { name: '/sdapi/v1/txt2img', path: TXT2IMG, call: ({ t, user }, signal) => txt2img(t, user.key, 'slow [[sim ttft=5000]]', signal) },
  ];

  for (const c of cases) {
    it(`${c.name}: the upstream request is aborted, the call is logged as 499 and nothing is charged`, async () => {
      const g = await gateway((sim) => [openai(sim, 'openai'), webui(sim, 'webui')]);
      const { t, user } = g;
      await setBalance(t, user.userId, user.cookie, 100);
      const ac = new AbortController();
      const pending = c.call(g, ac.signal).catch((e) => e);
      await eventually(() => expect(upstreamCalls(t.sim, c.path)).toHaveLength(1));
      const abortedBefore = t.sim.stats.aborted;
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      // The simulator sees its response to the gateway closed early, long before its 5 s answer.
      await eventually(() => expect(t.sim.stats.aborted).toBe(abortedBefore + 1), { timeoutMs: 1000 });
      const row = await eventually(async () => {
        await t.flushLogs();
        return t.gw.services.db.selectFrom('request_logs').selectAll().where('status', '=', 499).executeTakeFirstOrThrow();
      });
      expect(row).toMatchObject({ error_code: 'client_closed', cost: 0 });
      expect(row.latency_ms).toBeLessThan(3000);
      expect(await t.gw.services.db.selectFrom('ledger').selectAll().where('request_id', '=', row.id).execute()).toEqual([]);
      expect(await balanceOf(t, user.cookie)).toBe(100);
    });
  }
});
