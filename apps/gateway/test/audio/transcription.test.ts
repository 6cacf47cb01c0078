import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { encode } from 'gpt-tokenizer';
import { makeWav, simulatedTranscript } from '@apigpt/simulator';
import { balanceOf } from '../billing/helpers.js';
import { fund, ledgerFor, ledgerOfUser, SIM_KEY, startAudioGateway, type AudioFixture } from './setup.js';

/** 7.5 s of 16 kHz WAV: billed as 8 s. */
const SECONDS = 7.5;
const wav = makeWav(SECONDS);
const TRANSCRIPT = simulatedTranscript(SECONDS).text;
/** 8 s × 0.5 P a second = 4 P. */
const WHISPER_CHARGE = -4 * 1_000_000;

/** `POST /v1/audio/transcriptions` and `/translations` (multipart) with the official openai SDK, on the simulator. */
describe('audio: transcriptions and translations', () => {
  let f: AudioFixture;
  beforeAll(async () => {
    f = await startAudioGateway();
  });
  afterAll(() => f?.t.close());

  const upload = () => toFile(wav, 'speech.wav', { type: 'audio/wav' });

  /** The same form sent to the simulator directly: what the provider itself answers. */
  async function providerAnswer(path: string, fields: [string, string][]) {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'speech.wav');
    const res = await fetch(`${f.t.sim.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${SIM_KEY}` }, body: form });
    expect(res.status).toBe(200);
    return { contentType: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  }

  async function throughGateway(path: string, fields: [string, string][], file: { data: Buffer; name: string; type: string } = { data: wav, name: 'speech.wav', type: 'audio/wav' }) {
    const form = new FormData();
    for (const [k, v] of fields) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(file.data)], { type: file.type }), file.name);
    return fetch(`${f.t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${f.user.key}` }, body: form });
  }

  it('json (the default): the transcript and whisper usage, charged seconds × the per-second price', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const { data, response } = await client.audio.transcriptions.create({ model: 'whisper-1', file: await upload() }).withResponse();
    expect(data).toEqual({ text: TRANSCRIPT, usage: { type: 'duration', seconds: 8 } });
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: WHISPER_CHARGE, reason: 'whisper-1' }]);
    expect(await balanceOf(t, user.cookie)).toBe(96);
    const up = t.sim.requests.at(-1)!;
    expect(up.path).toBe('/v1/audio/transcriptions');
    expect(up.body).toMatchObject({ model: 'whisper-1' });
    expect(up.files).toEqual({ file: { filename: 'speech.wav', contentType: 'audio/wav', size: wav.length } });
  });

  for (const format of ['text', 'srt', 'vtt'] as const) {
    it(`${format}: the provider's text as is, charged the seconds read from the WAV header`, async () => {
      const { t, user, client } = f;
      await fund(f, 100);
      const { data, response } = await client.audio.transcriptions.create({ model: 'whisper-1', file: await upload(), response_format: format }).withResponse();
      const expected = (await providerAnswer('/v1/audio/transcriptions', [['model', 'whisper-1'], ['response_format', format]])).bytes.toString('utf8');
      expect(data).toBe(expected);
      expect(data).toContain(TRANSCRIPT.split(' ').slice(0, 4).join(' '));
      if (format === 'srt') expect(data).toContain('00:00:06,000 --> 00:00:07,500');
      if (format === 'vtt') expect(data).toMatch(/^WEBVTT\n\n00:00.000 --> 00:03.000\n/);
      expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: WHISPER_CHARGE }]);
      expect(await balanceOf(t, user.cookie)).toBe(96);
    });
  }

  it('verbose_json with word and segment timestamps', async () => {
    const { t, client } = f;
    await fund(f, 100);
    const { data, response } = await client.audio.transcriptions
      .create({ model: 'whisper-1', file: await upload(), response_format: 'verbose_json', language: 'en', timestamp_granularities: ['word', 'segment'], temperature: 0.2 })
      .withResponse();
    expect(data).toMatchObject({ task: 'transcribe', language: 'english', duration: SECONDS, text: TRANSCRIPT });
    expect(data.segments).toHaveLength(3);
    expect(data.segments![0]).toMatchObject({ start: 0, end: 3, temperature: 0.2 });
    expect(data.words!.length).toBe(TRANSCRIPT.split(' ').length);
    const up = t.sim.requests.at(-1)!;
    expect(up.body).toMatchObject({ language: 'en', temperature: '0.2', 'timestamp_granularities[]': ['word', 'segment'] });
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: WHISPER_CHARGE }]);
  });

  it('every response format comes back byte for byte with the provider content type', async () => {
    for (const format of ['json', 'text', 'srt', 'vtt', 'verbose_json']) {
      const fields: [string, string][] = [['model', 'whisper-1'], ['response_format', format]];
      const res = await throughGateway('/v1/audio/transcriptions', fields);
      expect(res.status).toBe(200);
      const direct = await providerAnswer('/v1/audio/transcriptions', fields);
      expect(res.headers.get('content-type')).toBe(direct.contentType);
      expect(Buffer.from(await res.arrayBuffer()).equals(direct.bytes)).toBe(true);
    }
  });

  it('a token-priced transcriber (gpt-4o-transcribe) is charged the tokens the provider reports', async () => {
    const { t, client } = f;
    await fund(f, 100);
    const prompt = 'A pangram about a fox.';
    const { data, response } = await client.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file: await upload(), prompt }).withResponse();
    // The simulator's usage: the prompt's tokens plus 10 audio tokens a second (75) in, the transcript's tokens out.
    const input = encode(prompt).length + 75;
    const output = encode(TRANSCRIPT).length;
    expect(data.usage).toMatchObject({ type: 'tokens', input_tokens: input, output_tokens: output });
    // 2 P per 1K input tokens and 4 P per 1K output tokens: 2,000 µP and 4,000 µP a token.
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -(input * 2000 + output * 4000) }]);
  });

  it('uploads in other containers (MP3 frames, FLAC STREAMINFO) are measured from their headers', async () => {
    const { t, client } = f;
    // 50 characters of speech = 3 s: FLAC states 72,000 samples at 24 kHz (3 s); the MP3 is 84 frames of 36 ms (3.024 s).
    const input = 'x'.repeat(50);
    for (const [format, seconds] of [['flac', 3], ['mp3', 4]] as const) {
      const audio = Buffer.from(await (await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input, response_format: format })).arrayBuffer());
      await fund(f, 100);
      // `text` carries no usage: the charge is the gateway's own reading of the file.
      const { response } = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, `speech.${format}`), response_format: 'text' }).withResponse();
      expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -seconds * 500_000 }]);
    }
  });

  describe('refused before anything goes upstream, nothing charged', () => {
    async function refused(send: () => Promise<Response>) {
      const { t, user } = f;
      await fund(f, 100);
      const sent = t.sim.requests.length;
      const ledger = (await ledgerOfUser(t, user.userId)).length;
      const res = await send();
      expect(res.status).toBe(400);
      expect(t.sim.requests.length).toBe(sent);
      expect((await ledgerOfUser(t, user.userId)).length).toBe(ledger);
      expect(await balanceOf(t, user.cookie)).toBe(100);
      return ((await res.json()) as { error: Record<string, unknown> }).error;
    }

    it('a file that is not audio gets invalid_file_format (SDK)', async () => {
      const { t, client } = f;
      const sent = t.sim.requests.length;
      const err = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('just some meeting notes'), 'notes.txt', { type: 'text/plain' }) }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.error).toEqual({
        message: "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        type: 'invalid_request_error',
        param: 'file',
        code: 'invalid_file_format',
      });
      expect(t.sim.requests.length).toBe(sent);
    });

    it('text bytes named .wav are not audio either', async () => {
      const e = await refused(() => throughGateway('/v1/audio/transcriptions', [['model', 'whisper-1']], { data: Buffer.from('not a riff header at all'), name: 'fake.wav', type: 'audio/wav' }));
      expect(e).toMatchObject({ code: 'invalid_file_format', param: 'file' });
    });

    it('a WAV header without its data chunk is refused as unreadable', async () => {
      const e = await refused(() => throughGateway('/v1/audio/translations', [['model', 'whisper-1']], { data: wav.subarray(0, 36), name: 'cut.wav', type: 'audio/wav' }));
      expect(e).toMatchObject({ code: 'invalid_value', param: 'file', type: 'invalid_request_error' });
      expect(e.message).toMatch(/corrupted or unsupported/);
    });

    it('a form without the file', async () => {
      const form = new FormData();
      form.append('model', 'whisper-1');
      const e = await refused(() => fetch(`${f.t.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${f.user.key}` }, body: form }));
      expect(e).toMatchObject({ message: "Missing required parameter: 'file'.", param: 'file', code: 'missing_required_parameter' });
    });

    it('a form without the model', async () => {
      const e = await refused(() => throughGateway('/v1/audio/transcriptions', []));
      expect(e).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
    });

    it('an unknown response_format', async () => {
      const e = await refused(() => throughGateway('/v1/audio/transcriptions', [['model', 'whisper-1'], ['response_format', 'docx']]));
      expect(e).toMatchObject({ param: 'response_format', code: 'invalid_value' });
    });

    it('a JSON body instead of a form', async () => {
      const e = await refused(() =>
        fetch(`${f.t.url}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${f.user.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'whisper-1' }) }),
      );
      expect(e).toMatchObject({ code: 'invalid_content_type' });
    });
  });

  it('translations: the English text, charged by the second', async () => {
    const { t, user, client } = f;
    await fund(f, 100);
    const { data, response } = await client.audio.translations.create({ model: 'whisper-1', file: await upload() }).withResponse();
    expect(data).toMatchObject({ text: TRANSCRIPT });
    expect(t.sim.requests.at(-1)!.path).toBe('/v1/audio/translations');
    expect(await ledgerFor(t, response.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: WHISPER_CHARGE, reason: 'whisper-1' }]);
    expect(await balanceOf(t, user.cookie)).toBe(96);

    const verbose = await client.audio.translations.create({ model: 'whisper-1', file: await upload(), response_format: 'verbose_json' });
    expect(verbose).toMatchObject({ task: 'translate', language: 'english', duration: SECONDS });
  });
});
