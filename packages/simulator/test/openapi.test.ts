// Validates the simulator's OpenAI-dialect bodies against OpenAI's published OpenAPI document
// (shared/spec), after rewriting its OpenAPI-3.0 `nullable` into JSON Schema (docs §12).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { postJson, sseJson } from './helpers.js';
import { OPENAI_SPEC as SPEC, openaiSpecAvailable } from '../../../test-util/openai-spec.js';

const SUITE = 'OpenAI responses match the OpenAPI document';
const HAVE_SPEC = openaiSpecAvailable(SUITE);

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

describe.skipIf(!HAVE_SPEC)(SUITE, () => {
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
});
