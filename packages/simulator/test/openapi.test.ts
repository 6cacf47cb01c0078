// Validates the simulator's OpenAI-dialect bodies against OpenAI's published OpenAPI document
// (shared/spec), after rewriting its OpenAPI-3.0 `nullable` into JSON Schema (docs §12).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { makeWav, startSimulator, type Simulator } from '@apigpt/simulator';
import { postJson, sseJson } from './helpers.js';
import { requireOpenAISpec } from '../../../test-util/openai-spec.js';

const SUITE = 'OpenAI responses match the OpenAPI document';
const SPEC = requireOpenAISpec();

function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = denullable(v);
  if (o.nullable === true) {
    delete o.nullable;
    if (typeof o.type === 'string') {
      o.type = [o.type, 'null'];
      if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
      return o;
    }
    return { anyOf: [o, { type: 'null' }] };
  }
  delete o.nullable;
  return o;
}

describe(SUITE, () => {
  let sim: Simulator;
  let ajv: InstanceType<typeof Ajv2020>;
  const validate = (name: string, value: unknown): string | null => {
    const v = ajv.getSchema(`openai#/components/schemas/${name}`)!;
    return v(value) ? null : ajv.errorsText(v.errors);
  };
  beforeAll(async () => {
    const doc = parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: unknown } };
    ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'openai', components: { schemas: denullable(doc.components.schemas) } });
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  it('chat completion (text, tools, n) and the validator rejects a broken body', async () => {
    const text = await (await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', n: 2, messages: [{ role: 'user', content: 'hi' }] })).json();
    expect(validate('CreateChatCompletionResponse', text)).toBeNull();
    const tools = await (
      await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }], messages: [{ role: 'user', content: 'hi' }] })
    ).json();
    expect(validate('CreateChatCompletionResponse', tools)).toBeNull();
    expect(validate('CreateChatCompletionResponse', { ...text, choices: [{ index: 0 }] })).not.toBeNull();
  });

  it('chat stream chunks, including the usage chunk and tool-call fragments', async () => {
    const s = sseJson(await (await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] })).text());
    for (const c of s) expect(validate('CreateChatCompletionStreamResponse', c)).toBeNull();
    const t = sseJson(
      await (
        await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }], messages: [{ role: 'user', content: 'hi' }] })
      ).text(),
    );
    for (const c of t) expect(validate('CreateChatCompletionStreamResponse', c)).toBeNull();
  });

  it('completions and embeddings', async () => {
    const c = await (await postJson(`${sim.url}/v1/completions`, { model: 'gpt-3.5-turbo-instruct', prompt: 'hi' })).json();
    expect(validate('CreateCompletionResponse', c)).toBeNull();
    const e = await (await postJson(`${sim.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 })).json();
    expect(validate('CreateEmbeddingResponse', e)).toBeNull();
    const err = await (await postJson(`${sim.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: '' })).json();
    expect(validate('ErrorResponse', err)).toBeNull();
    const img = await (await postJson(`${sim.url}/v1/images/generations`, { model: 'gpt-image-1', prompt: 'a boat', size: '1024x1024', quality: 'low' })).json();
    expect(validate('ImagesResponse', img)).toBeNull();
  });

  it('audio: transcription/translation bodies, transcript and speech stream events', async () => {
    const upload = async (path: string, fields: Record<string, string>) => {
      const f = new FormData();
      f.append('file', new Blob([new Uint8Array(makeWav(4))], { type: 'audio/wav' }), 'a.wav');
      for (const [k, v] of Object.entries(fields)) f.append(k, v);
      return fetch(`${sim.url}${path}`, { method: 'POST', body: f });
    };
    const json = await (await upload('/v1/audio/transcriptions', { model: 'whisper-1' })).json();
    expect(validate('CreateTranscriptionResponseJson', json)).toBeNull();
    const tokens = await (await upload('/v1/audio/transcriptions', { model: 'gpt-4o-transcribe' })).json();
    expect(validate('CreateTranscriptionResponseJson', tokens)).toBeNull();
    const verbose = await (await upload('/v1/audio/transcriptions', { model: 'whisper-1', response_format: 'verbose_json', 'timestamp_granularities[]': 'word' })).json();
    expect(validate('CreateTranscriptionResponseVerboseJson', verbose)).toBeNull();
    const segments = await (await upload('/v1/audio/transcriptions', { model: 'whisper-1', response_format: 'verbose_json' })).json();
    expect(validate('CreateTranscriptionResponseVerboseJson', segments)).toBeNull();
    expect(validate('CreateTranscriptionResponseVerboseJson', { ...segments, segments: [{ id: 0 }] })).not.toBeNull();
    const translated = await (await upload('/v1/audio/translations', { model: 'whisper-1', response_format: 'verbose_json' })).json();
    expect(validate('CreateTranslationResponseVerboseJson', translated)).toBeNull();
    expect(validate('CreateTranslationResponseJson', await (await upload('/v1/audio/translations', { model: 'whisper-1' })).json())).toBeNull();
    const stream = sseJson(await (await upload('/v1/audio/transcriptions', { model: 'gpt-4o-transcribe', stream: 'true' })).text());
    for (const e of stream.slice(0, -1)) expect(validate('TranscriptTextDeltaEvent', e)).toBeNull();
    expect(validate('TranscriptTextDoneEvent', stream.at(-1))).toBeNull();
    const speech = sseJson(await (await postJson(`${sim.url}/v1/audio/speech`, { model: 'gpt-4o-mini-tts', input: 'hi there', voice: 'alloy', stream_format: 'sse' })).text());
    for (const e of speech.slice(0, -1)) expect(validate('SpeechAudioDeltaEvent', e)).toBeNull();
    expect(validate('SpeechAudioDoneEvent', speech.at(-1))).toBeNull();
    const err = await (await postJson(`${sim.url}/v1/audio/speech`, { model: 'tts-1', input: 'hi', voice: 'alloy', response_format: 'ogg' })).json();
    expect(validate('ErrorResponse', err)).toBeNull();
  });
});
