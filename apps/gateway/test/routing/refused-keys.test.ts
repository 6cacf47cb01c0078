import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '@apigpt/simulator';
import type { ChannelInput } from '../../src/channels/channels.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';

/**
 * Providers that refuse a channel's key with a status other than 401/403 (Google answers a wrong
 * key with 400 API_KEY_INVALID): the provider's classifier says so, and the pipeline treats it as
 * the refused key it is — another channel serves the call and the refused channel rests — not as
 * the caller's 400.
 */
const SIM_KEY = 'sk-sim-refused';
const open: TestGateway[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const gemini = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({ provider: 'gemini', name, baseUrl: sim.url, secret: SIM_KEY, models: ['gemini-2.5-flash'], ...more });

describe('a refused key that the provider reports as a 400', () => {
  it('Gemini API_KEY_INVALID fails over to the next channel and rests the refused one', async () => {
    const t = await startTestGateway({ simulator: { apiKey: SIM_KEY }, config: { healthProbeIntervalMs: 0 } as never, channels: (sim) => [gemini(sim, 'wrong key', { secret: 'bad-google-key', priority: 10 }), gemini(sim, 'good')] });
    open.push(t);
    const { key } = await t.newUserWithKey();
    const ids = Object.fromEntries((await t.gw.services.channels.list()).map((c) => [c.name, c.id]));

    const res = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: unknown[] }).choices).toHaveLength(1);

    await t.flushLogs();
    const row = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    expect(row.channel_id).toBe(ids.good);
    expect((JSON.parse(row.attempt_log!) as { channel: string; status: number }[]).map((a) => [a.channel, a.status])).toEqual([
      [ids['wrong key'], 400],
      [ids.good, 200],
    ]);
    await eventually(async () => expect((await t.gw.services.health.circuit.view(ids['wrong key'])).state).toBe('open'));
  });
});
