import type { Simulator } from '@apigpt/simulator';
import OpenAI from 'openai';
import type { ChannelInput } from '../../src/channels/channels.js';
import { setBalance, setPrice } from '../billing/helpers.js';
import { startTestGateway, type TestGateway } from '../harness.js';

export const SIM_KEY = 'sk-sim-audio';
export const MICRO = 1_000_000;

/**
 * Round prices (P) set by the tests, so each expected charge can be worked out by hand:
 * speech per 1K characters, transcription per second, gpt-4o-* by tokens (P per 1K).
 */
export const PRICES = {
  ttsPerKChars: 30,
  whisperPerSecond: 0.5,
  miniTtsInputPerK: 1000,
  transcribeInputPerK: 2,
  transcribeOutputPerK: 4,
};

/**
 * Channels on the simulator: OpenAI itself, Azure by deployment path and by its v1 API, and a pair
 * serving the same model names where the first (higher priority) has a key the simulator refuses.
 */
export function audioChannels(sim: Simulator): ChannelInput[] {
  return [
    { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['tts-1', 'gpt-4o-mini-tts', 'whisper-1', 'gpt-4o-transcribe'] },
    {
      provider: 'azure',
      name: 'azure deployments',
      baseUrl: sim.url,
      secret: SIM_KEY,
      models: ['tts-azure', 'whisper-azure'],
      modelMap: { 'tts-azure': 'my-tts', 'whisper-azure': 'my-whisper' },
    },
    { provider: 'azure', name: 'azure v1', baseUrl: sim.url, secret: SIM_KEY, models: ['whisper-azure-v1'], modelMap: { 'whisper-azure-v1': 'my-whisper-v1' }, settings: { azureApi: 'v1' } },
    // One refused channel per model, so one test's 401 (and the circuit it may open) does not touch the other's.
    { provider: 'openai', name: 'refused key (speech)', baseUrl: `${sim.url}/v1`, secret: 'sk-not-the-simulators', priority: 10, models: ['tts-failover'], modelMap: { 'tts-failover': 'tts-1' } },
    {
      provider: 'azure',
      name: 'refused key (transcription)',
      baseUrl: sim.url,
      secret: 'sk-not-the-simulators',
      priority: 10,
      models: ['whisper-failover'],
      modelMap: { 'whisper-failover': 'whisper-1' },
    },
    {
      provider: 'openai-compatible',
      name: 'good key',
      baseUrl: `${sim.url}/v1`,
      secret: SIM_KEY,
      priority: 0,
      models: ['tts-failover', 'whisper-failover'],
      modelMap: { 'tts-failover': 'tts-1', 'whisper-failover': 'whisper-1' },
    },
  ];
}

export interface AudioFixture {
  t: TestGateway;
  user: { key: string; cookie: string; userId: string };
  client: OpenAI;
}

export async function startAudioGateway(): Promise<AudioFixture> {
  const t = await startTestGateway({ simulator: { apiKey: SIM_KEY }, channels: audioChannels });
  for (const m of ['tts-1', 'tts-azure', 'tts-failover']) await setPrice(t, m, 0, 0, { perKChars: PRICES.ttsPerKChars });
  for (const m of ['whisper-1', 'whisper-azure', 'whisper-azure-v1', 'whisper-failover']) await setPrice(t, m, 0, 0, { perSecond: PRICES.whisperPerSecond });
  await setPrice(t, 'gpt-4o-mini-tts', PRICES.miniTtsInputPerK, 0);
  await setPrice(t, 'gpt-4o-transcribe', PRICES.transcribeInputPerK, PRICES.transcribeOutputPerK);
  const user = await t.newUserWithKey();
  await setBalance(t, user.userId, user.cookie, 1000);
  const client = new OpenAI({ apiKey: user.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  return { t, user, client };
}

/**
 * Sets the user's balance once every earlier call has settled (settlement is written by the log
 * writer after the answer; a balance read before it would be moved by a late charge).
 */
export async function fund(f: AudioFixture, points: number) {
  await f.t.flushLogs();
  await setBalance(f.t, f.user.userId, f.user.cookie, points);
}

/** The ledger rows of one relayed call (after the log writer flushed). */
export async function ledgerFor(t: TestGateway, requestId: string) {
  await t.flushLogs();
  return t.gw.services.db.selectFrom('ledger').selectAll().where('request_id', '=', requestId).execute();
}

/** Every ledger row of a user (setup credits included). */
export async function ledgerOfUser(t: TestGateway, userId: string) {
  await t.flushLogs();
  return t.gw.services.db.selectFrom('ledger').selectAll().where('user_id', '=', userId).execute();
}
