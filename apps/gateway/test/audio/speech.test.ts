import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { encode } from 'gpt-tokenizer';
import { makeWav, speechSeconds, stripDirective } from '@apigpt/simulator';
import { balanceOf } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { fund, ledgerFor, ledgerOfUser, MICRO, PRICES, startAudioGateway, type AudioFixture } from './setup.js';

/** `POST /v1/audio/speech` through the gateway with the official openai SDK, on the simulator. */
describe('audio: speech', () => {
  let f: AudioFixture;
  beforeAll(async () => {
    f = await startAudioGateway();
  });
  afterAll(() => f?.t.close());

  const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

  it('returns the exact WAV the provider made and charges characters × the per-1K-characters price', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    // 15 code points (the emoji is one code point but two UTF-16 units): "Hello, world! " is 14, "🎧" is 1.
    const input = 'Hello, world! 🎧';
    const { data: res, response } = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' }).withResponse();
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const audio = await bytesOf(res);
    // The simulator speaks 60 ms per character: 15 × 0.06 = 0.9 s of 24 kHz 16-bit mono = 21,600 samples = 43,200 bytes after a 44-byte header.
    expect(audio.length).toBe(44 + 43_200);
    expect(audio.toString('latin1', 0, 4)).toBe('RIFF');
    expect(audio.readUInt32LE(24)).toBe(24_000);
    expect(audio.readUInt32LE(40)).toBe(43_200);
    expect(audio.equals(makeWav(speechSeconds(input), 24_000))).toBe(true);

    // 15 characters × 30 P per 1K characters = 0.45 P = 450,000 µP.
    const id = response.headers.get('x-request-id')!;
    expect(await ledgerFor(t, id)).toMatchObject([{ kind: 'charge', amount: -450_000, reason: 'tts-1' }]);
    expect(await balanceOf(t, user.cookie)).toBe(99.55);
    const up = t.sim.requests.at(-1)!;
    expect(up.path).toBe('/v1/audio/speech');
    expect(up.body).toEqual({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' });
  });

  it('passes the provider content type through (mp3 by default) and honours speed', async () => {
    const { client } = f;
    const { data: res, response } = await client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'Quick', speed: 2 }).withResponse();
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    const mp3 = await bytesOf(res);
    expect(mp3.toString('latin1', 0, 3)).toBe('ID3');
    expect(t().sim.requests.at(-1)!.body).toMatchObject({ speed: 2 });
  });

  it('charges a token-priced speech model (gpt-4o-mini-tts) by the input tokens', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const input = 'Token priced speech, please.';
    const instructions = 'Speak calmly.';
    const { response } = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'coral', input, instructions, response_format: 'pcm' }).withResponse();
    // 1,000 P per 1K tokens = 1 P per token; the text in is the input and the instructions.
    const tokens = encode(input).length + encode(instructions).length;
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -tokens * (PRICES.miniTtsInputPerK / 1000) * MICRO }]);
    expect(await balanceOf(t, user.cookie)).toBe(100 - tokens);
  });

  it('streams: the client has the first bytes while the provider is still producing the rest', async () => {
    const { t, client } = f;
    const aborted = t.sim.stats.aborted;
    // Two pieces a minute apart: a gateway that buffered the answer would hand over nothing for a minute.
    const input = 'Stream me [[sim chunks=2 delay=60000]]';
    const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const whole = makeWav(speechSeconds(stripDirective(input)), 24_000);
    const piece = Buffer.from(first.value!);
    expect(piece.length).toBeGreaterThan(0);
    expect(piece.length).toBeLessThan(whole.length);
    expect(piece.equals(whole.subarray(0, piece.length))).toBe(true);
    // Hanging up stops the upstream call too.
    await reader.cancel();
    await eventually(() => expect(t.sim.stats.aborted).toBe(aborted + 1));
  });

  describe('OpenAI-shaped 400s before anything goes upstream, nothing charged', () => {
    async function refused(body: Record<string, unknown>) {
      const { t, user, client } = f;
      const sent = t.sim.requests.length;
      const ledger = (await ledgerOfUser(t, user.userId)).length;
      const err = await client.audio.speech.create(body as never).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(t.sim.requests.length).toBe(sent);
      expect((await ledgerOfUser(t, user.userId)).length).toBe(ledger);
      return (err as InstanceType<typeof OpenAI.BadRequestError>).error as { message: string; type: string; param: string; code: string };
    }

    it('input longer than 4096 characters', async () => {
      const e = await refused({ model: 'tts-1', voice: 'alloy', input: 'é'.repeat(4097) });
      expect(e).toEqual({
        message: "Invalid 'input': string too long. Expected a string with maximum length 4096, but got a string with length 4097 instead.",
        type: 'invalid_request_error',
        param: 'input',
        code: 'string_above_max_length',
      });
    });

    it('4096 characters of four-byte code points are within the limit', async () => {
      const { client } = f;
      await fund(f, 1000);
      const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: '🎧'.repeat(4096), response_format: 'pcm' });
      // 4096 × 60 ms = 245.76 s of 24 kHz 16-bit samples.
      expect((await bytesOf(res)).length).toBe(Math.round(245.76 * 24_000) * 2);
    });

    it('a missing voice', async () => {
      const e = await refused({ model: 'tts-1', input: 'hi' });
      expect(e).toMatchObject({ message: "Missing required parameter: 'voice'.", param: 'voice', code: 'missing_required_parameter', type: 'invalid_request_error' });
    });

    it('a missing input', async () => {
      const e = await refused({ model: 'tts-1', voice: 'alloy' });
      expect(e).toMatchObject({ param: 'input', code: 'missing_required_parameter' });
    });

    it('an empty input', async () => {
      const e = await refused({ model: 'tts-1', voice: 'alloy', input: '' });
      expect(e).toMatchObject({ param: 'input', code: 'empty_string' });
    });

    it('a speed outside 0.25–4', async () => {
      const e = await refused({ model: 'tts-1', voice: 'alloy', input: 'hi', speed: 5 });
      expect(e).toMatchObject({ param: 'speed', type: 'invalid_request_error' });
    });

    it('an unknown response_format', async () => {
      const e = await refused({ model: 'tts-1', voice: 'alloy', input: 'hi', response_format: 'ogg' });
      expect(e.param).toBe('response_format');
      expect(e.message).toContain('"mp3"');
    });
  });

  const t = () => f.t;
});
