import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { makeWav, probeAudio, readAudioDuration, simulatedTranscript, startSimulator, TRANSCRIPT_SENTENCE, type Simulator } from '@apigpt/simulator';
import { parseSse, postJson, sseJson, tok } from './helpers.js';

const KEY = 'sk-audio';
let sim: Simulator;
let client: OpenAI;
const auth = { authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  client = new OpenAI({ apiKey: KEY, baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

/** Reads a response body chunk by chunk, as a streaming proxy would. */
async function readChunks(res: Response): Promise<Buffer[]> {
  const reader = res.body!.getReader();
  const out: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(Buffer.from(value));
  }
}

function form(fields: Record<string, string | string[]>, file?: { data: Buffer; name: string; type?: string }): FormData {
  const f = new FormData();
  if (file) f.append('file', new Blob([new Uint8Array(file.data)], { type: file.type ?? 'audio/wav' }), file.name);
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) f.append(k, x);
  return f;
}

const postForm = (path: string, f: FormData, headers: Record<string, string> = auth) => fetch(`${sim.url}${path}`, { method: 'POST', body: f, headers });

describe('audio containers', () => {
  it('makeWav builds a canonical 16-bit mono WAV whose duration reads back', () => {
    const wav = makeWav(2.5);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('latin1', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.readUInt32LE(40)).toBe(2.5 * 16000 * 2);
    expect(wav.length).toBe(44 + 80000);
    expect(probeAudio(wav)).toEqual({ format: 'wav', seconds: 2.5 });
    expect(readAudioDuration(makeWav(1, 8000))).toBe(1);
    expect(probeAudio(Buffer.from('definitely not audio'))).toBeNull();
  });

  it('reads MP4 (mvhd) and WebM (Segment/Info/Duration) durations', () => {
    const box = (type: string, body: Buffer) => {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(8 + body.length);
      h.write(type, 4, 'latin1');
      return Buffer.concat([h, body]);
    };
    const mvhd = Buffer.alloc(100);
    mvhd.writeUInt32BE(1000, 12); // timescale
    mvhd.writeUInt32BE(4250, 16); // duration
    const mp4 = Buffer.concat([box('ftyp', Buffer.from('M4A \0\0\0\0', 'latin1')), box('moov', box('mvhd', mvhd))]);
    expect(probeAudio(mp4)).toEqual({ format: 'mp4', seconds: 4.25 });

    const el = (id: number[], body: Buffer) => Buffer.concat([Buffer.from(id), Buffer.from([0x80 | body.length]), body]);
    const dur = Buffer.alloc(8);
    dur.writeDoubleBE(3500); // ms with the default 1 ms timecode scale
    const info = el([0x15, 0x49, 0xa9, 0x66], el([0x44, 0x89], dur));
    const webm = Buffer.concat([el([0x1a, 0x45, 0xdf, 0xa3], el([0x42, 0x82], Buffer.from('webm'))), Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), info]);
    expect(probeAudio(webm)).toEqual({ format: 'webm', seconds: 3.5 });
  });

  it('the transcript is one fixed sentence per started 3 s segment', () => {
    expect(simulatedTranscript(0).text).toBe('');
    expect(simulatedTranscript(3).segments).toHaveLength(1);
    const t = simulatedTranscript(7.5);
    expect(t.text).toBe([TRANSCRIPT_SENTENCE, TRANSCRIPT_SENTENCE, TRANSCRIPT_SENTENCE].join(' '));
    expect(t.segments.map((s) => [s.start, s.end])).toEqual([[0, 3], [3, 6], [6, 7.5]]);
  });
});

describe('POST /v1/audio/speech', () => {
  const input = 'Hello from the speech simulator.'; // 32 characters → 1.92 s

  it('answers a real 24 kHz 16-bit mono WAV, sent chunked in several writes', async () => {
    const res = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy', response_format: 'wav' }, { ...auth, 'x-sim-chunk-delay-ms': '15' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const chunks = await readChunks(res);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    const wav = Buffer.concat(chunks);
    expect(wav.readUInt32LE(24)).toBe(24000);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(readAudioDuration(wav)).toBeCloseTo(input.length * 0.06, 6);
    expect(wav.length).toBe(44 + Math.round(input.length * 0.06 * 24000) * 2);
    expect(sim.requests.at(-1)!.body).toMatchObject({ model: 'tts-1', voice: 'alloy' });
  });

  it('works through the SDK: mp3 by default, pcm raw samples, speed shortens the audio', async () => {
    const mp3 = await client.audio.speech.create({ model: 'gpt-4o-mini-tts', input, voice: 'coral', instructions: 'Cheerful.' });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await mp3.arrayBuffer());
    expect(bytes.toString('latin1', 0, 3)).toBe('ID3');
    const probe = probeAudio(bytes)!;
    expect(probe.format).toBe('mp3');
    expect(probe.seconds!).toBeGreaterThanOrEqual(input.length * 0.06);
    expect(probe.seconds!).toBeLessThan(input.length * 0.06 + 0.036 + 1e-9);
    expect(Buffer.from(await (await client.audio.speech.create({ model: 'tts-1', input, voice: 'alloy', response_format: 'mp3' })).arrayBuffer()).equals(bytes)).toBe(true); // deterministic

    const pcm = await client.audio.speech.create({ model: 'tts-1', input, voice: 'alloy', response_format: 'pcm' });
    expect(pcm.headers.get('content-type')).toBe('audio/pcm');
    expect((await pcm.arrayBuffer()).byteLength).toBe(Math.round(input.length * 0.06 * 24000) * 2);
    const fast = await client.audio.speech.create({ model: 'tts-1', input, voice: 'alloy', response_format: 'pcm', speed: 2 });
    expect((await fast.arrayBuffer()).byteLength).toBe(Math.round(input.length * 0.03 * 24000) * 2);
  });

  it('opus, aac and flac come with their content types and container headers', async () => {
    const get = async (response_format: string) => {
      const r = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'echo', response_format }, auth);
      return { type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
    };
    const opus = await get('opus');
    expect(opus.type).toBe('audio/opus');
    expect(opus.body.toString('latin1', 0, 4)).toBe('OggS');
    expect(opus.body.toString('latin1', 28, 36)).toBe('OpusHead');
    expect(readAudioDuration(opus.body)).toBeCloseTo(input.length * 0.06, 3);
    const aac = await get('aac');
    expect(aac.type).toBe('audio/aac');
    expect([aac.body[0], aac.body[1] & 0xf6]).toEqual([0xff, 0xf0]); // ADTS sync word
    const flac = await get('flac');
    expect(flac.type).toBe('audio/flac');
    expect(flac.body.toString('latin1', 0, 4)).toBe('fLaC');
    expect(readAudioDuration(flac.body)).toBeCloseTo(input.length * 0.06, 6);
  });

  it('validates like OpenAI: 400 error envelopes naming the parameter', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const r = await postJson(`${sim.url}/v1/audio/speech`, body, auth);
      expect(r.status).toBe(400);
      const e = (await r.json()).error;
      expect(Object.keys(e).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(e.type).toBe('invalid_request_error');
      return e;
    };
    expect((await bad({ model: 'tts-1', voice: 'alloy' })).param).toBe('input');
    const long = await bad({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) });
    expect(long.message).toContain('maximum length 4096');
    expect(long.code).toBe('string_above_max_length');
    expect((await bad({ model: 'tts-1', input: 'hi' })).param).toBe('voice');
    expect((await bad({ model: 'tts-1', input: 'hi', voice: 'robot' })).param).toBe('voice');
    const fmt = await bad({ model: 'tts-1', input: 'hi', voice: 'alloy', response_format: 'ogg' });
    expect(fmt.message).toBe("Invalid value: 'ogg'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.");
    expect(fmt.param).toBe('response_format');
    expect((await bad({ model: 'tts-1', input: 'hi', voice: 'alloy', speed: 5 })).param).toBe('speed');
    expect((await bad({ input: 'hi', voice: 'alloy' })).param).toBe('model');
    // 4096 characters exactly is fine; a custom voice object is accepted.
    expect((await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', voice: { id: 'voice_123' }, input: 'x'.repeat(4096), response_format: 'mp3' }, auth)).status).toBe(200);
  });

  it('checks the key, and applies faults and latency controls', async () => {
    const denied = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy' }, { authorization: 'Bearer nope' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error.code).toBe('invalid_api_key');

    const limited = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy' }, { ...auth, 'x-sim-fault': 'status:429' });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.code).toBe('rate_limit_exceeded');

    // The directive works in `input` (and is not spoken: the audio length ignores it).
    const viaDirective = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input: `${input} [[sim fault=status:503]]`, voice: 'alloy' }, auth);
    expect(viaDirective.status).toBe(503);
    const stripped = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input: `${input} [[sim chunks=3]]`, voice: 'alloy', response_format: 'pcm' }, auth);
    expect((await stripped.arrayBuffer()).byteLength).toBe(Math.round(input.length * 0.06 * 24000) * 2);

    // drop:2 → two chunks arrive, then the connection is cut.
    const dropped = await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy', response_format: 'wav' }, { ...auth, 'x-sim-fault': 'drop:2', 'x-sim-chunk-delay-ms': '5' });
    expect(dropped.status).toBe(200);
    await expect(readChunks(dropped)).rejects.toThrow();

    const t0 = Date.now();
    await (await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy' }, { ...auth, 'x-sim-ttft-ms': '120' })).arrayBuffer();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('stream_format "sse": base64 audio deltas, then done with usage; not for tts-1', async () => {
    const r = await postJson(`${sim.url}/v1/audio/speech`, { model: 'gpt-4o-mini-tts', input, voice: 'alloy', response_format: 'pcm', stream_format: 'sse' }, { ...auth, 'x-sim-chunks': '4' });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = sseJson(await r.text());
    expect(events.filter((e) => e.type === 'speech.audio.delta')).toHaveLength(4);
    const audio = Buffer.concat(events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio, 'base64')));
    expect(audio.length).toBe(Math.round(input.length * 0.06 * 24000) * 2);
    const done = events.at(-1);
    expect(done.type).toBe('speech.audio.done');
    expect(done.usage).toEqual({ input_tokens: tok(input), output_tokens: Math.ceil(input.length * 0.06 * 10), total_tokens: tok(input) + Math.ceil(input.length * 0.06 * 10) });
    expect((await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy', stream_format: 'sse' }, auth)).status).toBe(400);
  });

  it('Azure deployment path: api-key header, api-version required', async () => {
    const url = `${sim.url}/openai/deployments/my-tts/audio/speech`;
    const ok = await postJson(`${url}?api-version=2025-03-01-preview`, { input, voice: 'alloy', response_format: 'wav' }, { 'api-key': KEY });
    expect(ok.status).toBe(200);
    expect(readAudioDuration(Buffer.from(await ok.arrayBuffer()))).toBeCloseTo(input.length * 0.06, 6);
    expect((await postJson(url, { input, voice: 'alloy' }, { 'api-key': KEY })).status).toBe(404);
    const denied = await postJson(`${url}?api-version=2025-03-01-preview`, { input, voice: 'alloy' }, { 'api-key': 'wrong' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error.code).toBe('401');
  });
});

describe('POST /v1/audio/transcriptions and /translations', () => {
  const three = [TRANSCRIPT_SENTENCE, TRANSCRIPT_SENTENCE, TRANSCRIPT_SENTENCE].join(' ');

  it('whisper-1 json: transcript from the WAV duration, usage in whole seconds (ceil)', async () => {
    const r = await client.audio.transcriptions.create({ file: await toFile(makeWav(7.5), 'speech.wav', { type: 'audio/wav' }), model: 'whisper-1' });
    expect(r.text).toBe(three);
    expect((r as unknown as { usage: unknown }).usage).toEqual({ type: 'duration', seconds: 8 });
    const rec = sim.requests.at(-1)!;
    expect(rec.path).toBe('/v1/audio/transcriptions');
    expect(rec.body).toMatchObject({ model: 'whisper-1' });
    expect(rec.files!.file).toMatchObject({ filename: 'speech.wav', contentType: 'audio/wav', size: makeWav(7.5).length });
  });

  it('verbose_json with segment and word timestamps', async () => {
    const r = await client.audio.transcriptions.create({
      file: await toFile(makeWav(4), 'a.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: 'en',
      temperature: 0.2,
      timestamp_granularities: ['word', 'segment'],
    });
    expect(r).toMatchObject({ task: 'transcribe', language: 'english', duration: 4, text: `${TRANSCRIPT_SENTENCE} ${TRANSCRIPT_SENTENCE}`, usage: { type: 'duration', seconds: 4 } });
    expect(r.segments!.map((s) => [s.id, s.start, s.end, s.text])).toEqual([
      [0, 0, 3, ` ${TRANSCRIPT_SENTENCE}`],
      [1, 3, 4, ` ${TRANSCRIPT_SENTENCE}`],
    ]);
    expect(r.segments![0].temperature).toBe(0.2);
    expect(r.segments![1].seek).toBe(300);
    expect(r.words).toHaveLength(18);
    expect(r.words![0]).toEqual({ word: 'The', start: 0, end: 0.333 });
    expect(r.words!.at(-1)).toMatchObject({ word: 'dog', end: 4 });
    const onlyWords = await client.audio.transcriptions.create({ file: await toFile(makeWav(1), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word'] });
    expect(onlyWords.segments).toBeUndefined();
    expect(onlyWords.words).toHaveLength(9);
  });

  it('text, srt and vtt bodies with correctly formatted timestamps', async () => {
    const wav = { data: makeWav(3723.5, 200), name: 'long.wav' }; // 1 h 2 min 3.5 s
    const text = await (await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', response_format: 'text' }, { data: makeWav(2), name: 'a.wav' }))).text();
    expect(text).toBe(`${TRANSCRIPT_SENTENCE}\n`);

    const srt = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', response_format: 'srt' }, wav));
    expect(srt.headers.get('content-type')).toContain('text/plain');
    const srtText = await srt.text();
    expect(srtText.startsWith(`1\n00:00:00,000 --> 00:00:03,000\n${TRANSCRIPT_SENTENCE}\n\n2\n00:00:03,000 --> 00:00:06,000\n`)).toBe(true);
    expect(srtText.endsWith(`1242\n01:02:03,000 --> 01:02:03,500\n${TRANSCRIPT_SENTENCE}\n\n`)).toBe(true);

    const vtt = await (await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', response_format: 'vtt' }, wav))).text();
    expect(vtt.startsWith(`WEBVTT\n\n00:00.000 --> 00:03.000\n${TRANSCRIPT_SENTENCE}\n\n00:03.000 --> 00:06.000\n`)).toBe(true);
    expect(vtt.endsWith(`01:02:03.000 --> 01:02:03.500\n${TRANSCRIPT_SENTENCE}\n\n`)).toBe(true);
  });

  it('gpt-4o-transcribe: token usage in json, only json/text, SSE when stream=true', async () => {
    const prompt = 'Expect a pangram.';
    const r = await (await postForm('/v1/audio/transcriptions', form({ model: 'gpt-4o-transcribe', prompt }, { data: makeWav(5), name: 'a.wav' }))).json();
    const out = tok(`${TRANSCRIPT_SENTENCE} ${TRANSCRIPT_SENTENCE}`);
    expect(r).toEqual({
      text: `${TRANSCRIPT_SENTENCE} ${TRANSCRIPT_SENTENCE}`,
      usage: { type: 'tokens', input_tokens: tok(prompt) + 50, input_token_details: { text_tokens: tok(prompt), audio_tokens: 50 }, output_tokens: out, total_tokens: tok(prompt) + 50 + out },
    });
    const srt = await postForm('/v1/audio/transcriptions', form({ model: 'gpt-4o-mini-transcribe', response_format: 'srt' }, { data: makeWav(1), name: 'a.wav' }));
    expect(srt.status).toBe(400);
    expect((await srt.json()).error.param).toBe('response_format');

    const s = await postForm('/v1/audio/transcriptions', form({ model: 'gpt-4o-transcribe', stream: 'true' }, { data: makeWav(2), name: 'a.wav' }), { ...auth, 'x-sim-chunks': '3' });
    expect(s.headers.get('content-type')).toContain('text/event-stream');
    const events = sseJson(await s.text());
    expect(events.slice(0, -1).every((e) => e.type === 'transcript.text.delta')).toBe(true);
    expect(events.slice(0, -1).map((e) => e.delta).join('')).toBe(TRANSCRIPT_SENTENCE);
    expect(events.at(-1)).toMatchObject({ type: 'transcript.text.done', text: TRANSCRIPT_SENTENCE, usage: { type: 'tokens', input_token_details: { audio_tokens: 20 } } });
  });

  it('reads durations of the MP3, FLAC and Ogg files the speech endpoint makes (round trip)', async () => {
    const input = 'x'.repeat(100); // 6 s
    for (const [response_format, name] of [['mp3', 'a.mp3'], ['flac', 'a.flac'], ['opus', 'a.ogg']]) {
      const audio = Buffer.from(await (await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input, voice: 'alloy', response_format }, auth)).arrayBuffer());
      const r = await (await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', response_format: 'verbose_json' }, { data: audio, name }))).json();
      expect(r.duration).toBeGreaterThanOrEqual(6);
      expect(r.duration).toBeLessThan(6.04);
      expect(r.segments).toHaveLength(response_format === 'mp3' && r.duration > 6 ? 3 : 2);
    }
  });

  it('rejects missing and unrecognisable files like OpenAI', async () => {
    const noFile = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1' }));
    expect(noFile.status).toBe(400);
    expect((await noFile.json()).error.param).toBe('file');
    const noModel = await postForm('/v1/audio/transcriptions', form({}, { data: makeWav(1), name: 'a.wav' }));
    expect(noModel.status).toBe(400);

    const garbage = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1' }, { data: Buffer.from('this is not audio at all'), name: 'notes.wav' }));
    expect(garbage.status).toBe(400);
    const e = (await garbage.json()).error;
    expect(e.message).toBe("Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']");
    expect(e.type).toBe('invalid_request_error');
    const ext = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1' }, { data: makeWav(1), name: 'a.txt', type: 'text/plain' }));
    expect((await ext.json()).error.message).toMatch(/^Invalid file format/);
    const corrupt = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1' }, { data: makeWav(1).subarray(0, 36), name: 'a.wav' }));
    expect(corrupt.status).toBe(400);
    expect((await corrupt.json()).error.message).toBe('Audio file might be corrupted or unsupported');
    const badFormat = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', response_format: 'xml' }, { data: makeWav(1), name: 'a.wav' }));
    expect((await badFormat.json()).error.param).toBe('response_format');
    const json = await postJson(`${sim.url}/v1/audio/transcriptions`, { model: 'whisper-1' }, auth);
    expect(json.status).toBe(400);
  });

  it('translations: task translate, English; directive in the prompt; auth; faults', async () => {
    const r = await client.audio.translations.create({ file: await toFile(makeWav(2), 'de.wav'), model: 'whisper-1', response_format: 'verbose_json' });
    expect(r).toMatchObject({ task: 'translate', language: 'english', duration: 2, text: TRANSCRIPT_SENTENCE });
    const j = await client.audio.translations.create({ file: await toFile(makeWav(2), 'de.wav'), model: 'whisper-1' });
    expect(j).toEqual({ text: TRANSCRIPT_SENTENCE, usage: { type: 'duration', seconds: 2 } });

    const replied = await (await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1', prompt: '[[sim reply="Custom words."]]', response_format: 'verbose_json' }, { data: makeWav(5), name: 'a.wav' }))).json();
    expect(replied.text).toBe('Custom words.');
    expect(replied.segments).toHaveLength(1);
    const faulted = await postForm('/v1/audio/translations', form({ model: 'whisper-1', prompt: '[[sim fault=status:500]]' }, { data: makeWav(1), name: 'a.wav' }));
    expect(faulted.status).toBe(500);
    expect((await faulted.json()).error.type).toBe('server_error');
    const denied = await postForm('/v1/audio/transcriptions', form({ model: 'whisper-1' }, { data: makeWav(1), name: 'a.wav' }), { authorization: 'Bearer wrong' });
    expect(denied.status).toBe(401);
  });

  it('Azure deployment paths; the model allow-list applies to the form field', async () => {
    const az = await postForm('/openai/deployments/whisper/audio/transcriptions?api-version=2024-06-01', form({ response_format: 'json' }, { data: makeWav(3.2), name: 'a.wav' }), { 'api-key': KEY });
    expect(await az.json()).toEqual({ text: `${TRANSCRIPT_SENTENCE} ${TRANSCRIPT_SENTENCE}`, usage: { type: 'duration', seconds: 4 } });
    const tr = await postForm('/openai/deployments/whisper/audio/translations?api-version=2024-06-01', form({ response_format: 'text' }, { data: makeWav(1), name: 'a.wav' }), { 'api-key': KEY });
    expect(await tr.text()).toBe(`${TRANSCRIPT_SENTENCE}\n`);

    const strict = await startSimulator({ models: ['whisper-1'] });
    try {
      const nf = await fetch(`${strict.url}/v1/audio/transcriptions`, { method: 'POST', body: form({ model: 'whisper-9' }, { data: makeWav(1), name: 'a.wav' }) });
      expect(nf.status).toBe(404);
      expect((await nf.json()).error.code).toBe('model_not_found');
    } finally {
      await strict.close();
    }
  });

  it('SSE framing of the streamed transcript ends without [DONE]', async () => {
    const raw = await (await postForm('/v1/audio/transcriptions', form({ model: 'gpt-4o-mini-transcribe', stream: 'true' }, { data: makeWav(1), name: 'a.wav' }))).text();
    expect(parseSse(raw).every((e) => e.data !== '[DONE]')).toBe(true);
  });
});
