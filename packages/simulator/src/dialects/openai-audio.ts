// OpenAI audio (§1.9, §15.1–15.2): POST /v1/audio/speech (JSON in, binary audio out, chunked),
// POST /v1/audio/transcriptions and /v1/audio/translations (multipart upload in, transcript out),
// and the same under Azure deployment paths. Public references:
// https://platform.openai.com/docs/api-reference/audio and
// https://learn.microsoft.com/azure/ai-services/openai/reference (audio operations).
import { makeAdts, makeFlac, makeMp3, makeOggOpus, pcm16, probeAudio, roundDuration, simulatedTranscript, TTS_SAMPLE_RATE, wavFromPcm } from '../audio.js';
import { stripDirective } from '../controls.js';
import type { Ctx, Outcome, Route } from '../route.js';
import { dataEvent } from '../sse.js';
import { splitEven, tokenizer } from '../tokens.js';
import { azureDialect } from './azure.js';
import { openaiDialect, openaiError } from './openai.js';

export const VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

/** response_format → Content-Type of /v1/audio/speech. */
export const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Simulated speaking rate: 60 ms of audio per input character (code point) at speed 1. */
export const SPEECH_SECONDS_PER_CHAR = 0.06;

/** Simulator rule for token-billed audio (gpt-4o family): 10 audio tokens per second, rounded up. */
export const AUDIO_TOKENS_PER_SECOND = 10;

/** Seconds of audio /v1/audio/speech produces for `input` (directive removed) at `speed`. */
export function speechSeconds(input: string, speed = 1): number {
  return (Array.from(input).length * SPEECH_SECONDS_PER_CHAR) / speed;
}

export function audioTokens(seconds: number): number {
  return Math.ceil(roundDuration(seconds) * AUDIO_TOKENS_PER_SECOND - 1e-9);
}

const quoteList = (xs: string[]): string => xs.map((x) => `'${x}'`).join(', ');
const invalidValue = (param: string, value: unknown, allowed: string[]): Outcome =>
  openaiError(400, `Invalid value: '${String(value)}'. Supported values are: ${quoteList(allowed.slice(0, -1))}, and '${allowed[allowed.length - 1]}'.`, 'invalid_value', param);
const missing = (param: string): Outcome => openaiError(400, `Missing required parameter: '${param}'.`, 'missing_required_parameter', param);
const tooLong = (param: string, len: number, max: number): Outcome =>
  openaiError(400, `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${len} instead.`, 'string_above_max_length', param);

/** Builds the audio bytes of one response_format. */
function renderSpeech(format: string, seconds: number): Buffer {
  switch (format) {
    case 'wav':
      return wavFromPcm(pcm16(seconds, TTS_SAMPLE_RATE), TTS_SAMPLE_RATE);
    case 'pcm':
      return pcm16(seconds, TTS_SAMPLE_RATE);
    case 'flac':
      return makeFlac(seconds);
    case 'opus':
      return makeOggOpus(seconds);
    case 'aac':
      return makeAdts(seconds);
    default:
      return makeMp3(seconds);
  }
}

/** Splits bytes into `n` near-equal pieces (at least 2 when there are 2 bytes). */
function splitBytes(b: Buffer, n: number): Buffer[] {
  const parts = Math.max(1, Math.min(Math.max(2, Math.floor(n)), b.length));
  const out: Buffer[] = [];
  for (let i = 0; i < parts; i++) out.push(b.subarray(Math.floor((b.length * i) / parts), Math.floor((b.length * (i + 1)) / parts)));
  return out;
}

export function speech(ctx: Ctx, modelOverride?: string): Outcome {
  const b = ctx.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return openaiError(400, 'Request body must be a JSON object.');
  const model = modelOverride ?? b.model;
  if (typeof model !== 'string' || !model) return openaiError(400, 'you must provide a model parameter', 'missing_required_parameter', 'model');
  if (typeof b.input !== 'string') return missing('input');
  const input = stripDirective(b.input);
  const chars = Array.from(b.input).length;
  if (chars > 4096) return tooLong('input', chars, 4096);
  if (!input) return openaiError(400, "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string instead.", 'empty_string', 'input');
  if (b.voice === undefined || b.voice === null) return missing('voice');
  const customVoice = typeof b.voice === 'object' && typeof b.voice.id === 'string' && b.voice.id.startsWith('voice_');
  if (!customVoice && !VOICES.includes(b.voice)) return invalidValue('voice', typeof b.voice === 'string' ? b.voice : JSON.stringify(b.voice), VOICES);
  const format = b.response_format ?? 'mp3';
  if (!(format in SPEECH_CONTENT_TYPES)) return invalidValue('response_format', format, Object.keys(SPEECH_CONTENT_TYPES));
  const speed = b.speed ?? 1;
  if (typeof speed !== 'number' || !Number.isFinite(speed)) return openaiError(400, `Invalid type for 'speed': expected a decimal, but got a ${typeof speed} instead.`, 'invalid_type', 'speed');
  if (speed < 0.25) return openaiError(400, `Invalid 'speed': decimal below minimum value. Expected a value >= 0.25, but got ${speed} instead.`, 'decimal_below_min_value', 'speed');
  if (speed > 4) return openaiError(400, `Invalid 'speed': decimal above maximum value. Expected a value <= 4, but got ${speed} instead.`, 'decimal_above_max_value', 'speed');
  if (b.instructions !== undefined && typeof b.instructions === 'string' && b.instructions.length > 4096) return tooLong('instructions', b.instructions.length, 4096);
  const streamFormat = b.stream_format ?? 'audio';
  if (streamFormat !== 'audio' && streamFormat !== 'sse') return invalidValue('stream_format', streamFormat, ['sse', 'audio']);
  if (streamFormat === 'sse' && model.startsWith('tts-1')) return openaiError(400, `stream_format 'sse' is not supported for model '${model}'.`, 'invalid_value', 'stream_format');

  const seconds = speechSeconds(input, speed);
  const audio = renderSpeech(format, seconds);
  const chunks = splitBytes(audio, ctx.controls.chunks);
  if (streamFormat === 'sse') {
    const events = chunks.map((c) => dataEvent({ type: 'speech.audio.delta', audio: c.toString('base64') }));
    const inTokens = ctx.sim.tokens.count(input) + (typeof b.instructions === 'string' ? ctx.sim.tokens.count(b.instructions) : 0);
    const outTokens = audioTokens(seconds);
    const done: Record<string, unknown> = { type: 'speech.audio.done' };
    if (!ctx.controls.noUsage) done.usage = { input_tokens: inTokens, output_tokens: outTokens, total_tokens: inTokens + outTokens };
    events.push(dataEvent(done));
    return { kind: 'sse', events };
  }
  return { kind: 'stream', chunks, contentType: SPEECH_CONTENT_TYPES[format] };
}

/** Upload extensions OpenAI accepts (its own error message lists them). */
export const UPLOAD_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];
const MAX_UPLOAD = 25 * 1024 * 1024;
const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'];

const LANGUAGES: Record<string, string> = {
  en: 'english', zh: 'chinese', de: 'german', es: 'spanish', fr: 'french', ja: 'japanese', ko: 'korean', ru: 'russian',
  it: 'italian', pt: 'portuguese', nl: 'dutch', ar: 'arabic', hi: 'hindi', tr: 'turkish', pl: 'polish', sv: 'swedish',
};

/** Models billed by tokens rather than by duration (gpt-4o-transcribe, gpt-4o-mini-transcribe...). */
export const isTokenBilledTranscriber = (model: string): boolean => model.startsWith('gpt-4o');

/** `HH:MM:SS,mmm` (SRT) or `[HH:]MM:SS.mmm` (WebVTT, hours only from one hour on, as Whisper writes). */
export function subtitleTime(seconds: number, srt: boolean): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const frac = String(ms % 1000).padStart(3, '0');
  const p2 = (n: number) => String(n).padStart(2, '0');
  if (srt) return `${p2(h)}:${p2(m)}:${p2(s)},${frac}`;
  return `${h > 0 ? `${p2(h)}:` : ''}${p2(m)}:${p2(s)}.${frac}`;
}

type Field = string | string[] | undefined;
const one = (v: Field): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);

export function transcription(ctx: Ctx, task: 'transcribe' | 'translate', modelOverride?: string): Outcome {
  const ct = String(ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (!ct.startsWith('multipart/form-data')) return openaiError(400, 'Invalid Content-Type header (expected multipart/form-data).');
  const f = (ctx.body && typeof ctx.body === 'object' ? ctx.body : {}) as Record<string, Field>;
  const file = ctx.files.file;
  if (!file) return missing('file');
  const model = modelOverride ?? one(f.model);
  if (!model) return openaiError(400, 'you must provide a model parameter', 'missing_required_parameter', 'model');
  const format = one(f.response_format) ?? 'json';
  if (!RESPONSE_FORMATS.includes(format)) return invalidValue('response_format', format, RESPONSE_FORMATS);
  const tokenBilled = isTokenBilledTranscriber(model);
  if (tokenBilled && format !== 'json' && format !== 'text') {
    return openaiError(400, `response_format '${format}' is not compatible with model '${model}'. Use 'json' or 'text' instead.`, 'unsupported_value', 'response_format');
  }
  if (file.data.length > MAX_UPLOAD) return openaiError(413, `Maximum content size limit (${MAX_UPLOAD}) exceeded (${file.data.length} bytes read)`);
  const invalidFormat = openaiError(400, `Invalid file format. Supported formats: [${UPLOAD_EXTENSIONS.map((e) => `'${e}'`).join(', ')}]`);
  const ext = /\.([A-Za-z0-9]+)$/.exec(file.filename)?.[1]?.toLowerCase();
  if (ext !== undefined && !UPLOAD_EXTENSIONS.includes(ext)) return invalidFormat;
  const probe = probeAudio(file.data);
  if (!probe) return invalidFormat;
  if (probe.seconds === null) return openaiError(400, 'Audio file might be corrupted or unsupported', 'invalid_value', 'file');

  const duration = roundDuration(probe.seconds);
  const { controls, sim } = ctx;
  let { text, segments } = simulatedTranscript(duration);
  if (controls.reply !== null) {
    text = controls.reply;
    segments = text ? [{ start: 0, end: duration, text }] : [];
  }
  const temperature = Number(one(f.temperature) ?? 0) || 0;
  const prompt = stripDirective(one(f.prompt) ?? '');
  const seconds = Math.ceil(duration - 1e-9);
  let usage: Record<string, unknown>;
  if (tokenBilled) {
    const textTokens = sim.tokens.count(prompt);
    const audio = audioTokens(duration);
    const output = sim.tokens.count(text);
    usage = { type: 'tokens', input_tokens: textTokens + audio, input_token_details: { text_tokens: textTokens, audio_tokens: audio }, output_tokens: output, total_tokens: textTokens + audio + output };
  } else usage = { type: 'duration', seconds };

  if (tokenBilled && one(f.stream) === 'true') {
    const events = splitEven(text, controls.chunks)
      .filter((d) => d)
      .map((delta) => dataEvent({ type: 'transcript.text.delta', delta }));
    events.push(dataEvent({ type: 'transcript.text.done', text, ...(controls.noUsage ? {} : { usage }) }));
    return { kind: 'sse', events };
  }
  switch (format) {
    case 'text':
      return { kind: 'bytes', body: `${text}\n`, contentType: 'text/plain; charset=utf-8' };
    case 'srt':
      return {
        kind: 'bytes',
        contentType: 'text/plain; charset=utf-8',
        body: segments.map((s, i) => `${i + 1}\n${subtitleTime(s.start, true)} --> ${subtitleTime(s.end, true)}\n${s.text}\n\n`).join(''),
      };
    case 'vtt':
      return {
        kind: 'bytes',
        contentType: 'text/plain; charset=utf-8',
        body: `WEBVTT\n\n${segments.map((s) => `${subtitleTime(s.start, false)} --> ${subtitleTime(s.end, false)}\n${s.text}\n\n`).join('')}`,
      };
    case 'verbose_json': {
      const gran = f['timestamp_granularities[]'] ?? f.timestamp_granularities;
      const granularities = (Array.isArray(gran) ? gran : gran ? [gran] : []).flatMap((g) => g.split(',')).map((g) => g.trim());
      const wantSegments = granularities.length === 0 || granularities.includes('segment');
      const language = task === 'translate' ? 'english' : (LANGUAGES[one(f.language) ?? 'en'] ?? one(f.language) ?? 'english');
      const out: Record<string, unknown> = { task, language, duration, text };
      if (granularities.includes('word')) out.words = segments.flatMap((s) => segmentWords(s));
      if (wantSegments) {
        out.segments = segments.map((s, id) => ({
          id,
          seek: Math.round(s.start * 100),
          start: s.start,
          end: s.end,
          text: ` ${s.text}`,
          tokens: tokenizer().encode(` ${s.text}`),
          temperature,
          avg_logprob: -0.25,
          compression_ratio: 1.2,
          no_speech_prob: 0.01,
        }));
      }
      if (!controls.noUsage) out.usage = { type: 'duration', seconds };
      return { kind: 'json', body: out };
    }
    default: {
      const out: Record<string, unknown> = { text };
      if (!controls.noUsage) out.usage = usage;
      return { kind: 'json', body: out };
    }
  }
}

/** Words of a segment, spread evenly over its time span, punctuation removed. */
function segmentWords(s: { start: number; end: number; text: string }): Array<{ word: string; start: number; end: number }> {
  const words = s.text.split(/\s+/).map((w) => w.replace(/[^\p{L}\p{N}'-]/gu, '')).filter(Boolean);
  const step = (s.end - s.start) / Math.max(1, words.length);
  return words.map((word, i) => ({ word, start: roundDuration(s.start + i * step), end: roundDuration(s.start + (i + 1) * step) }));
}

const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
const inputOf = (b: { input?: unknown }): string => (typeof b.input === 'string' ? b.input : '');
const promptOf = (b: { prompt?: unknown }): string => (typeof b.prompt === 'string' ? b.prompt : '');
const deployment = (ctx: Ctx): string => decodeURIComponent(ctx.params.deployment);
const DEP = '\\/openai\\/deployments\\/(?<deployment>[^/]+)';
const RESOURCE_NOT_FOUND: Outcome = { kind: 'json', status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
const dated = (ctx: Ctx, then: () => Outcome): Outcome => (ctx.query['api-version'] ? then() : RESOURCE_NOT_FOUND);

export const openaiAudioRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/audio\/speech\/?$/, dialect: openaiDialect, directiveText: inputOf, model: bodyModel, handle: (ctx) => speech(ctx) },
  { method: 'POST', pattern: /^\/v1\/audio\/transcriptions\/?$/, dialect: openaiDialect, directiveText: promptOf, model: bodyModel, handle: (ctx) => transcription(ctx, 'transcribe') },
  { method: 'POST', pattern: /^\/v1\/audio\/translations\/?$/, dialect: openaiDialect, directiveText: promptOf, model: bodyModel, handle: (ctx) => transcription(ctx, 'translate') },
  // Azure OpenAI: the deployment in the path is the model; `api-version` is required.
  { method: 'POST', pattern: new RegExp(`^${DEP}\\/audio\\/speech$`), dialect: azureDialect, directiveText: inputOf, model: deployment, handle: (ctx) => dated(ctx, () => speech(ctx, deployment(ctx))) },
  {
    method: 'POST',
    pattern: new RegExp(`^${DEP}\\/audio\\/transcriptions$`),
    dialect: azureDialect,
    directiveText: promptOf,
    model: deployment,
    handle: (ctx) => dated(ctx, () => transcription(ctx, 'transcribe', deployment(ctx))),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${DEP}\\/audio\\/translations$`),
    dialect: azureDialect,
    directiveText: promptOf,
    model: deployment,
    handle: (ctx) => dated(ctx, () => transcription(ctx, 'translate', deployment(ctx))),
  },
  // Azure's v1 API: OpenAI paths under /openai/v1, the body's `model` names the deployment.
  { method: 'POST', pattern: /^\/openai\/v1\/audio\/speech$/, dialect: azureDialect, directiveText: inputOf, model: bodyModel, handle: (ctx) => speech(ctx) },
  { method: 'POST', pattern: /^\/openai\/v1\/audio\/transcriptions$/, dialect: azureDialect, directiveText: promptOf, model: bodyModel, handle: (ctx) => transcription(ctx, 'transcribe') },
  { method: 'POST', pattern: /^\/openai\/v1\/audio\/translations$/, dialect: azureDialect, directiveText: promptOf, model: bodyModel, handle: (ctx) => transcription(ctx, 'translate') },
];
