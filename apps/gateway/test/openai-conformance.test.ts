import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.js';
import { check } from './openapi-spec.js';
import { requireOpenAISpec } from '../../../test-util/openai-spec.js';

/** The gateway's OpenAI-dialect responses validate against OpenAI's own OpenAPI document. */
const SUITE = 'responses conform to the OpenAI OpenAPI document';
requireOpenAISpec();
describe(SUITE, () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway();
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  async function post(path: string, body: unknown) {
    const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res;
  }

  it('rejects what it should: a validator that accepts everything proves nothing', () => {
    expect(check('CreateChatCompletionResponse', { object: 'chat.completion' })).not.toBeNull();
    expect(check('CreateEmbeddingResponse', { object: 'list', data: [{ embedding: 'x' }] })).not.toBeNull();
    expect(check('ListModelsResponse', { object: 'list', data: [{ id: 1 }] })).not.toBeNull();
  });

  it('POST /v1/chat/completions', async () => {
    const body = await (await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] })).json();
    expect(check('CreateChatCompletionResponse', body)).toBeNull();
  });

  it('POST /v1/chat/completions with tools', async () => {
    const body = await (
      await post('/v1/chat/completions', {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      })
    ).json();
    expect(body.choices[0].message.tool_calls).toHaveLength(1);
    expect(check('CreateChatCompletionResponse', body)).toBeNull();
  });

  it('every chunk of a streamed chat completion (with the usage chunk)', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello' }] });
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(check('CreateChatCompletionStreamResponse', c)).toBeNull();
  });

  it('POST /v1/embeddings (float; base64 is compared with float elsewhere, the schema allows only floats)', async () => {
    const body = await (await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['one', 'two'], encoding_format: 'float' })).json();
    expect(check('CreateEmbeddingResponse', body)).toBeNull();
  });

  it('POST /v1/completions', async () => {
    const body = await (await post('/v1/completions', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test' })).json();
    expect(check('CreateCompletionResponse', body)).toBeNull();
  });

  it('GET /v1/models', async () => {
    const res = await fetch(`${t.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    expect(check('ListModelsResponse', await res.json())).toBeNull();
  });
});
