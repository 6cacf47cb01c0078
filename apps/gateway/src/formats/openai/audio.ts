import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FormPart, Operation, Usage } from '../../core/calls.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { utf8Text } from '../../core/utf8.js';
import { billableSeconds, probeAudio } from '../../media/audio-duration.js';
import { AUDIO_LIMITS, filesOf, readMultipart } from '../../media/multipart.js';
import type { FormatHost } from '../host.js';
import { countText, countTokens, type OffLoopCounter } from '../tokens.js';
import { lazyValidators } from '../validation.js';

/**
 * OpenAI's audio endpoints (https://platform.openai.com/docs/api-reference/audio):
 * - `POST /v1/audio/speech`: JSON in, audio bytes out, streamed to the caller as they come;
 *   priced per 1K characters of `input` (Unicode code points) and, for token-priced models
 *   (gpt-4o-mini-tts), by the input's tokens;
 * - `POST /v1/audio/transcriptions` and `/v1/audio/translations`: a multipart upload; the audio's
 *   duration is read from the file's header before anything goes upstream (a file that is not
 *   audio is refused here), priced per second, and the provider's answer goes back byte for byte.
 * The bodies go to the provider in OpenAI's own shape (a `forward` call), the model renamed to the
 * channel's.
 */

const stringEnum = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

export const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;
/** OpenAI's limit on `input` and on `instructions`, in characters. */
export const SPEECH_MAX_CHARS = 4096;

export const SpeechRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'tts-1, tts-1-hd, gpt-4o-mini-tts, or a model a channel maps to one' }),
    input: Type.String({ description: `The text to speak, at most ${SPEECH_MAX_CHARS} characters` }),
    voice: Type.Union([Type.String({ minLength: 1 }), Type.Object({ id: Type.String({ minLength: 1 }) }, { additionalProperties: false })], {
      description: 'A built-in voice (alloy, ash, coral, ...) or a custom voice object `{id}`',
    }),
    response_format: Type.Optional(stringEnum(SPEECH_FORMATS, 'Audio format; mp3 by default')),
    speed: Type.Optional(Type.Number({ minimum: 0.25, maximum: 4 })),
    instructions: Type.Optional(Type.String({ description: `Voice instructions (not for tts-1), at most ${SPEECH_MAX_CHARS} characters` })),
    stream_format: Type.Optional(stringEnum(['audio', 'sse'] as const, '`audio` (raw bytes, default) or `sse` (not for tts-1)')),
  },
  { additionalProperties: true },
);
export type SpeechRequest = Static<typeof SpeechRequest>;

export const TRANSCRIPT_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
const oneOrMany = (item: TSchema) => Type.Union([item, Type.Array(item)]);

/** The text fields of a transcription form (the file is checked apart); numbers arrive as text. */
export const TranscriptionFields = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    language: Type.Optional(Type.String()),
    prompt: Type.Optional(Type.String()),
    response_format: Type.Optional(stringEnum(TRANSCRIPT_FORMATS)),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    'timestamp_granularities[]': Type.Optional(oneOrMany(stringEnum(['word', 'segment'] as const))),
  },
  { additionalProperties: true },
);

/** Translations take no language (the output is English) and no timestamp granularities. */
export const TranslationFields = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    prompt: Type.Optional(Type.String()),
    response_format: Type.Optional(stringEnum(TRANSCRIPT_FORMATS)),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: true },
);

/** Extensions OpenAI's speech-to-text accepts, as its own error message lists them. */
export const UPLOAD_EXTENSIONS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'];

// The form's text fields, checked strictly as a JSON body is; compiled on first use (formats/validation.ts).
const fieldCheck = lazyValidators(false);
const FIELD_CHECKS = { transcription: fieldCheck(TranscriptionFields), translation: fieldCheck(TranslationFields) };

export function registerAudioRoutes(app: FastifyInstance, host: FormatHost): void {
  const config = { dialect: 'openai' as const };
  const tags = ['Audio'];
  const security = [{ bearer: [] }];
  app.post(
    '/v1/audio/speech',
    { config, schema: { tags, summary: 'Text to speech (OpenAI-compatible): the audio is streamed as the provider makes it', body: SpeechRequest, security } },
    async (request, reply) => host.run(request, reply, speechSpec(request.body as SpeechRequest), 'openai'),
  );
  for (const [path, operation, summary] of [
    ['/v1/audio/transcriptions', 'transcription', 'Speech to text (multipart upload): json, text, srt, vtt or verbose_json'],
    ['/v1/audio/translations', 'translation', 'Speech to English text (multipart upload)'],
  ] as const) {
    app.post(path, { config, schema: { tags, summary, consumes: ['multipart/form-data'], security } }, async (request, reply) =>
      host.run(request, reply, await transcriptionSpec(request, path, operation, host.counter), 'openai'),
    );
  }
}

/** Unicode code points, the characters speech is priced by (what OpenAI's 4096-character limit counts too). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function speechSpec(b: SpeechRequest) {
  const chars = codePoints(b.input);
  if (chars > SPEECH_MAX_CHARS) throw tooLong('input', chars);
  if (chars === 0)
    throw new GatewayError('invalid_request', "Invalid 'input': empty string. Expected a string with minimum length 1, but got an empty string instead.", { param: 'input', code: 'empty_string' });
  if (b.instructions !== undefined && codePoints(b.instructions) > SPEECH_MAX_CHARS) throw tooLong('instructions', codePoints(b.instructions));
  const units: Usage = {
    // Token-priced speech models (gpt-4o-mini-tts) bill the text in as tokens, instructions included.
    promptTokens: countTokens(b.input) + countTokens(b.instructions ?? ''),
    completionTokens: 0,
    cachedTokens: 0,
    characters: chars,
    estimated: true,
  };
  return { kind: 'forward' as const, dialect: 'openai', operation: 'speech' as const, endpoint: '/v1/audio/speech', model: b.model, body: b as Record<string, unknown>, units, maxOutputTokens: null, streamBytes: true };
}

const tooLong = (param: string, length: number) =>
  new GatewayError('invalid_request', `Invalid '${param}': string too long. Expected a string with maximum length ${SPEECH_MAX_CHARS}, but got a string with length ${length} instead.`, {
    param,
    code: 'string_above_max_length',
  });

async function transcriptionSpec(request: FastifyRequest, endpoint: string, operation: Extract<Operation, 'transcription' | 'translation'>, counter: OffLoopCounter) {
  if (!Buffer.isBuffer(request.body)) throw invalidRequest(`Send ${endpoint} as multipart/form-data with the audio as a file part named 'file'.`, undefined, 'invalid_content_type');
  const form = await readMultipart(request.body, request.headers['content-type'], AUDIO_LIMITS);
  const file = filesOf(form, 'file')[0];
  if (!file) throw new GatewayError('invalid_request', "Missing required parameter: 'file'.", { param: 'file', code: 'missing_required_parameter' });

  // Form fields are text: the one number is read back into its type before the check.
  const fields: Record<string, unknown> = { ...form.fields };
  const temperature = fields.temperature;
  if (typeof temperature === 'string' && temperature.trim() !== '' && Number.isFinite(Number(temperature))) fields.temperature = Number(temperature);
  const checked = FIELD_CHECKS[operation](fields);
  if (checked.error) throw checked.error;
  const model = fields.model as string;

  const ext = /\.([A-Za-z0-9]+)$/.exec(file.filename)?.[1]?.toLowerCase();
  const probe = probeAudio(file.data);
  if (!probe || (ext !== undefined && !UPLOAD_EXTENSIONS.includes(ext)))
    throw new GatewayError('invalid_request', `Invalid file format. Supported formats: [${UPLOAD_EXTENSIONS.map((e) => `'${e}'`).join(', ')}]`, { param: 'file', code: 'invalid_file_format' });
  if (probe.seconds === null) throw new GatewayError('invalid_request', 'Audio file might be corrupted or unsupported: its duration cannot be read from its header.', { param: 'file', code: 'invalid_value' });

  const prompt = typeof fields.prompt === 'string' ? fields.prompt : '';
  const units: Usage = { promptTokens: await countText(prompt, counter), completionTokens: 0, cachedTokens: 0, seconds: billableSeconds(probe.seconds), estimated: true };
  // The form as sent (the model part first, renamed per channel by the exchange), the file last.
  const parts: FormPart[] = [{ name: 'model', value: model }];
  for (const [name, value] of Object.entries(form.fields)) {
    if (name === 'model') continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push({ name, value: v });
  }
  parts.push({ name: 'file', filename: file.filename || `audio.${probe.format}`, contentType: file.contentType, data: file.data });
  return { kind: 'forward' as const, dialect: 'openai', operation, endpoint, model, form: parts, units, maxOutputTokens: null, readUsage: (body: Buffer, contentType: string | undefined) => transcriptionUsage(body, contentType, units) };
}

interface ReportedUsage {
  type?: string;
  seconds?: number;
  input_tokens?: number;
  output_tokens?: number;
}

/**
 * The units of a transcription answer, in whichever format it came (json, verbose_json, text, srt,
 * vtt, or the SSE of `stream: true`): the provider's usage when it reports one — seconds
 * (whisper-1: `{type: "duration", seconds}`) or tokens (gpt-4o-transcribe: `{type: "tokens",
 * input_tokens, output_tokens}`) — and the duration read from the upload otherwise. The audio's
 * seconds are kept either way; the price of the model decides which units cost.
 */
export function transcriptionUsage(body: Buffer, contentType: string | undefined, upFront: Usage): Usage {
  const ct = (contentType ?? '').toLowerCase();
  let reported: ReportedUsage | undefined;
  let text: string | undefined;
  if (ct.includes('json')) {
    const parsed = parseJson(utf8Text(body)) as { text?: unknown; usage?: ReportedUsage } | undefined;
    reported = parsed?.usage;
    text = typeof parsed?.text === 'string' ? parsed.text : undefined;
  } else if (ct.includes('text/event-stream')) {
    for (const line of utf8Text(body).split('\n')) {
      if (!line.startsWith('data:')) continue;
      const ev = parseJson(line.slice(5).trim()) as { type?: string; text?: unknown; usage?: ReportedUsage } | undefined;
      if (ev?.type !== 'transcript.text.done') continue;
      reported = ev.usage;
      text = typeof ev.text === 'string' ? ev.text : undefined;
    }
  } else {
    text = utf8Text(body); // text, srt, vtt: what the model wrote
  }
  if (reported && typeof reported.input_tokens === 'number') {
    return { ...upFront, promptTokens: reported.input_tokens, completionTokens: count(reported.output_tokens), estimated: false };
  }
  if (reported && typeof reported.seconds === 'number' && reported.seconds >= 0) {
    return { ...upFront, seconds: Math.ceil(reported.seconds), completionTokens: countTokens(text ?? ''), estimated: true };
  }
  // Nothing reported (text, srt, vtt): the duration read from the file. In every branch but the
  // provider's token count, the transcript's tokens are counted here, so a token-priced model is
  // charged for its output whichever format was asked for.
  return { ...upFront, completionTokens: countTokens(text ?? ''), estimated: true };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
