import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toFile } from 'openai';
import { makeWav, simulatedTranscript, speechSeconds } from '@apigpt/simulator';
import { balanceOf } from '../billing/helpers.js';
import { fund, ledgerFor, SIM_KEY, startAudioGateway, type AudioFixture } from './setup.js';

const wav = makeWav(4.2); // billed as 5 s: 5 × 0.5 P = 2.5 P
const TRANSCRIPT = simulatedTranscript(4.2).text;

/** Audio on Azure channels (both URL styles) and failover between channels, with the official openai SDK. */
describe('audio: Azure channels and failover', () => {
  let f: AudioFixture;
  beforeAll(async () => {
    f = await startAudioGateway();
  });
  afterAll(() => f?.t.close());

  it('Azure (deployment path) serves speech: the deployment in the path, api-version in the query, api-key header', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const input = 'Azure speaks.';
    const { data, response } = await client.audio.speech.create({ model: 'tts-azure', voice: 'echo', input, response_format: 'wav' }).withResponse();
    expect(Buffer.from(await data.arrayBuffer()).equals(makeWav(speechSeconds(input), 24_000))).toBe(true);
    const up = t.sim.requests.at(-1)!;
    expect(up.path).toBe('/openai/deployments/my-tts/audio/speech');
    expect(up.query['api-version']).toBeTruthy();
    expect(up.headers['api-key']).toBe(SIM_KEY);
    expect(up.body).toMatchObject({ model: 'my-tts', input });
    // 13 characters × 30 P per 1K = 0.39 P.
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -390_000, reason: 'tts-azure' }]);
    expect(await balanceOf(t, user.cookie)).toBe(99.61);
  });

  it('Azure (deployment path) serves transcription as a multipart upload', async () => {
    const { t, client } = f;
    await fund(f, 100);
    const { data, response } = await client.audio.transcriptions.create({ model: 'whisper-azure', file: await toFile(wav, 'a.wav', { type: 'audio/wav' }) }).withResponse();
    expect(data.text).toBe(TRANSCRIPT);
    const up = t.sim.requests.at(-1)!;
    expect(up.path).toBe('/openai/deployments/my-whisper/audio/transcriptions');
    expect(up.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(up.files?.file).toMatchObject({ filename: 'a.wav', size: wav.length });
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -2_500_000 }]);
  });

  it('Azure v1 API serves transcription: /openai/v1 path, the deployment in the form', async () => {
    const { t, client } = f;
    const data = await client.audio.transcriptions.create({ model: 'whisper-azure-v1', file: await toFile(wav, 'a.wav', { type: 'audio/wav' }), response_format: 'text' });
    expect(data).toBe(`${TRANSCRIPT}\n`);
    const up = t.sim.requests.at(-1)!;
    expect(up.path).toBe('/openai/v1/audio/transcriptions');
    expect(up.body).toMatchObject({ model: 'my-whisper-v1', response_format: 'text' });
  });

  it('speech: a 401 from the first channel fails over to the next, charged once', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const before = t.sim.requests.length;
    const input = 'Fail over.';
    const { data, response } = await client.audio.speech.create({ model: 'tts-failover', voice: 'alloy', input, response_format: 'wav' }).withResponse();
    expect(Buffer.from(await data.arrayBuffer()).equals(makeWav(speechSeconds(input), 24_000))).toBe(true);
    const sent = t.sim.requests.slice(before);
    expect(sent.map((r) => r.headers.authorization)).toEqual(['Bearer sk-not-the-simulators', `Bearer ${SIM_KEY}`]);
    expect(sent.map((r) => (r.body as { model: string }).model)).toEqual(['tts-1', 'tts-1']);
    // 10 characters × 30 P per 1K = 0.3 P.
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -300_000 }]);
    expect(await balanceOf(t, user.cookie)).toBe(99.7);
  });

  it('transcription: a 401 from the first channel fails over to the next, the upload sent again whole', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const before = t.sim.requests.length;
    const { data, response } = await client.audio.transcriptions.create({ model: 'whisper-failover', file: await toFile(wav, 'a.wav', { type: 'audio/wav' }) }).withResponse();
    expect(data.text).toBe(TRANSCRIPT);
    const sent = t.sim.requests.slice(before);
    // First the refused Azure channel (deployment path, api-key), then the OpenAI-compatible one; each got the whole file.
    expect(sent.map((r) => r.path)).toEqual(['/openai/deployments/whisper-1/audio/transcriptions', '/v1/audio/transcriptions']);
    expect(sent.map((r) => r.headers['api-key'] ?? r.headers.authorization)).toEqual(['sk-not-the-simulators', `Bearer ${SIM_KEY}`]);
    for (const r of sent) expect(r.files?.file).toMatchObject({ filename: 'a.wav', size: wav.length });
    expect(sent[1].body).toMatchObject({ model: 'whisper-1' });
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -2_500_000 }]);
    expect(await balanceOf(t, user.cookie)).toBe(97.5);
  });
});
