import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { SIM_KEY } from '../dialects/providers.js';

/**
 * `item_reference` inputs — how the Vercel AI SDK (store on, its default) sends the earlier answers
 * of a conversation back: `{type: "item_reference", id}` for each assistant message and reasoning
 * item. OpenAI follows them into its own store; a translated provider cannot, so the gateway sends
 * the items it holds for the caller (those of the caller's stored responses) in their place, as it
 * sends a `previous_response_id` conversation: without ids, reasoning without content left out.
 * References it does not hold — unknown, or another account's — are refused, as OpenAI refuses an
 * unknown item.
 */

const MODEL = 'refs-via-anthropic';

describe.each(DB_KINDS)('Responses API: item references resolved from the caller\'s stored responses (%s)', (db) => {
  let t: TestGateway;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    t = await startTestGateway({
      db,
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [{ provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [MODEL]: 'claude-sonnet-4-5' } }],
    });
    await setPrice(t, MODEL, 1, 2);
    alice = (await t.newUserWithKey()).key;
    bob = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const create = async (key: string, body: Record<string, unknown>) => {
    const res = await fetch(`${t.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, ...body }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string; output: { id: string; type: string; call_id?: string; name?: string }[] };
  };
  const turn = (role: string, text: string) => ({ role, content: [{ type: 'text', text }] });
  const sentMessages = () => (t.sim.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages;

  it('a referenced answer and tool call reach the provider as the turns they were', async () => {
    const first = await create(alice, { input: 'My name is Ada. [[sim reply="Hello Ada."]]' });
    const called = await create(alice, {
      input: 'Weather? [[sim tool=weather args="{\\"city\\":\\"Oslo\\"}"]]',
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const call = called.output.find((o) => o.type === 'function_call')!;
    await create(alice, {
      tools: [{ type: 'function', name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      input: [
        { role: 'user', content: 'My name is Ada.' },
        { type: 'item_reference', id: first.output[0].id },
        { role: 'user', content: 'Weather?' },
        { type: 'item_reference', id: call.id },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny' },
      ],
    });
    expect(sentMessages()).toEqual([
      turn('user', 'My name is Ada.'),
      turn('assistant', 'Hello Ada.'),
      turn('user', 'Weather?'),
      { role: 'assistant', content: [{ type: 'tool_use', id: call.call_id, name: 'weather', input: { city: 'Oslo' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.call_id, content: 'sunny' }] },
    ]);
  });

  it("a reference it does not hold is refused, another account's alike, beside other input or alone, and no provider is called", async () => {
    const secret = await create(alice, { input: 'Remember: the code is 4417. [[sim reply="The code is 4417."]]' });
    const before = t.sim.requests.length;
    const inputs: [string, unknown[]][] = [
      [secret.output[0].id, [{ type: 'item_reference', id: secret.output[0].id }, { type: 'item_reference', id: 'msg_other' }]],
      ['msg_unknown', [{ type: 'item_reference', id: 'msg_unknown' }, { type: 'item_reference', id: 'msg_other' }]],
      [secret.output[0].id, [{ role: 'user', content: 'Hi.' }, { type: 'item_reference', id: secret.output[0].id }, { role: 'user', content: 'What is the code?' }]],
      ['msg_unknown', [{ role: 'user', content: 'Hi.' }, { type: 'item_reference', id: 'msg_unknown' }, { role: 'user', content: 'Go on.' }]],
    ];
    for (const [id, input] of inputs) {
      const res = await fetch(`${t.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, input }) });
      expect([res.status, await res.json()]).toEqual([400, { error: { message: `Item with id '${id}' not found.`, type: 'invalid_request_error', param: 'input', code: 'invalid_value' } }]);
    }
    expect(t.sim.requests.length).toBe(before);
  });
});
