// The Responses API (POST /v1/responses and Azure's paths): the Response object, the stream
// grammar, usage by the documented rule, tool calls, reasoning items, max_output_tokens; bodies
// and events checked against OpenAI's OpenAPI document when it is available.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { parseSse, postJson, tok } from './helpers.js';
import { requireOpenAISpec } from '../../../test-util/openai-spec.js';

const KEY = 'sk-sim';
const auth = { authorization: `Bearer ${KEY}` };
const turn = (role: string, text: string) => 3 + tok(role) + tok(text);
const reply = (user: string) => `This is a simulated reply to "${user}". The quick brown fox jumps over the lazy dog.`;
const SPEC = requireOpenAISpec();

function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = denullable(v);
  if (o.nullable === true) {
    delete o.nullable;
    if (typeof o.type === 'string') return { ...o, type: [o.type, 'null'] };
    return { anyOf: [o, { type: 'null' }] };
  }
  return o;
}

describe('Responses API', () => {
  let sim: Simulator;
  let validate: (name: string, value: unknown) => string | null = () => null;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: KEY });
    {
      const doc = parse(readFileSync(SPEC, 'utf8')) as { components: { schemas: unknown } };
      const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
      ajv.addSchema({ $id: 'openai', components: { schemas: denullable(doc.components.schemas) } });
      validate = (name, value) => {
        const v = ajv.getSchema(`openai#/components/schemas/${name}`)!;
        return v(value) ? null : ajv.errorsText(v.errors);
      };
    }
  });
  afterAll(() => sim.close());

  it('answers a string input with a message item and usage by the documented rule', async () => {
    const res = await postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', instructions: 'Be brief.', input: 'Hello there' }, auth);
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(validate('Response', body)).toBeNull();
    expect(body.status).toBe('completed');
    expect(body.output).toHaveLength(1);
    expect(body.output[0]).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: reply('Hello there') }] });
    const input = 3 + turn('system', 'Be brief.') + turn('user', 'Hello there');
    const output = tok(reply('Hello there'));
    expect(body.usage).toEqual({ input_tokens: input, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output });
  });

  it('streams the event grammar with sequence numbers and event lines', async () => {
    const res = await postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', input: 'Stream me', stream: true }, auth);
    const events = parseSse(await res.text());
    const types = events.map((e) => JSON.parse(e.data).type);
    expect(events.every((e) => e.event === JSON.parse(e.data).type)).toBe(true);
    expect(events.map((e) => JSON.parse(e.data).sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = types.filter((t) => t === 'response.output_text.delta').length;
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    for (const e of events) expect(validate('ResponseStreamEvent', JSON.parse(e.data))).toBeNull();
    expect(events.filter((e) => e.event === 'response.output_text.delta').map((e) => JSON.parse(e.data).delta).join('')).toBe(reply('Stream me'));
  });

  it('calls a namespaced function tool, and quotes its output on the next turn', async () => {
    const tools = [{ type: 'web_search' }, { type: 'namespace', name: 'crm', description: 'CRM', tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }];
    const first = await (await postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', input: 'Find it', tools }, auth)).json();
    expect(first.output).toEqual([expect.objectContaining({ type: 'function_call', namespace: 'crm', name: 'lookup', arguments: '{"city":"Paris"}' })]);
    const call = first.output[0];
    const second = await (
      await postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', tools, input: [{ role: 'user', content: 'Find it' }, call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }] }, auth)
    ).json();
    expect(second.output[0].content[0].text).toBe('The tool returned: sunny');
  });

  it('reasoning models: a reasoning item with a summary when asked; max_output_tokens → incomplete', async () => {
    const body = await (await postJson(`${sim.url}/v1/responses`, { model: 'gpt-5-mini', input: 'Think', reasoning: { summary: 'auto' } }, auth)).json();
    const thought = 'The user wrote "Think". I should understand what is asked, then answer directly and briefly.';
    expect(body.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: thought }] });
    expect(body.usage.output_tokens_details.reasoning_tokens).toBe(tok(thought));
    const cut = await (await postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', input: 'Cut me', max_output_tokens: 16 }, auth)).json();
    expect({ status: cut.status, details: cut.incomplete_details, out: cut.usage.output_tokens }).toEqual({ status: 'incomplete', details: { reason: 'max_output_tokens' }, out: 16 });
  });

  it('Azure: /openai/v1/responses and /openai/responses?api-version= with the api-key header', async () => {
    const v1 = await postJson(`${sim.url}/openai/v1/responses`, { model: 'my-deployment', input: 'Hi' }, { 'api-key': KEY });
    expect((await v1.json()).model).toBe('my-deployment');
    const dated = await postJson(`${sim.url}/openai/responses?api-version=2025-04-01-preview`, { model: 'my-deployment', input: 'Hi' }, { 'api-key': KEY });
    expect(dated.status).toBe(200);
    const unversioned = await postJson(`${sim.url}/openai/responses`, { model: 'my-deployment', input: 'Hi' }, { 'api-key': KEY });
    expect(unversioned.status).toBe(404);
  });
});
