import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { SIM_KEY } from '../dialects/providers.js';
import { payloads } from './tap.js';

/**
 * Codex CLI with its newer default models (0.171: gpt-6.2-sol) sends no `tools` field: its tools come
 * in an `additional_tools` input item, grouped in namespaces, and the main one is a free-form
 * (`custom`) tool inside a namespace — `functions.exec`, which takes JavaScript that calls the other
 * tools. OpenAI channels get this as sent; a translated provider is offered every one of those tools
 * (a namespaced custom tool as the function `<namespace>__<name>` of one string `input`), and its
 * call comes back as the `custom_tool_call` Codex runs, named with its namespace.
 */

const CODE_MODE = 'gpt-6.2-sol';
const VIA_ANTHROPIC = 'code-mode-via-anthropic';
const EXEC_INPUT = "const r = await tools.exec_command({cmd: 'cat notes.txt'}); text(r.output);";

/** The item Codex puts ahead of its instructions (shape as Codex 0.171 sends it, descriptions cut). */
const ADDITIONAL_TOOLS = {
  type: 'additional_tools',
  role: 'developer',
  tools: [
    {
      type: 'namespace',
      name: 'functions',
      description: '',
      tools: [
        { type: 'custom', name: 'exec', description: 'Run JavaScript code to orchestrate/compose tool calls.', format: { type: 'grammar', syntax: 'lark', definition: 'start: SOURCE\nSOURCE: /[\\s\\S]+/\n' } },
        { type: 'function', name: 'wait', description: 'Waits on a yielded `exec` cell.', strict: false, parameters: { type: 'object', properties: { cell_id: { type: 'string' } }, required: ['cell_id'] } },
      ],
    },
    { type: 'namespace', name: 'clock', description: 'Tools for reading and waiting on time.', tools: [{ type: 'function', name: 'sleep', description: 'Pause.', strict: false, parameters: { type: 'object', properties: { ms: { type: 'integer' } } } }] },
  ],
};

const request = (model: string, directive: string, extra: unknown[] = [], stream = false) => ({
  model,
  stream,
  store: false,
  tool_choice: 'auto',
  parallel_tool_calls: false,
  include: ['reasoning.encrypted_content'],
  input: [
    ADDITIONAL_TOOLS,
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Codex.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: `What does notes.txt say? ${directive}` }] },
    ...extra,
  ],
});

describe('Codex code mode: tools in additional_tools items, a free-form tool in a namespace', () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: [CODE_MODE] },
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [VIA_ANTHROPIC]: 'claude-sonnet-4-5' } },
      ],
    });
    for (const m of [CODE_MODE, VIA_ANTHROPIC]) await setPrice(t, m, 1, 2);
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const post = (body: unknown) =>
    fetch(`${t.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const lastSent = () => t.sim.requests.at(-1)!.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const quoted = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

  it('OpenAI (pass-through): the additional_tools item reaches OpenAI as sent, and the custom call in its namespace comes back as OpenAI answered it', async () => {
    const body = request(CODE_MODE, `[[sim tool=exec args=${quoted(EXEC_INPUT)}]]`);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect(lastSent().input).toEqual(body.input);
    const answer = (await res.json()) as { output: Record<string, unknown>[] };
    expect(answer.output.find((i) => i.type === 'custom_tool_call')).toMatchObject({ namespace: 'functions', name: 'exec', input: EXEC_INPUT });
  });

  it('Anthropic: every tool of the item is offered (the namespaced custom tool as a function of `input`); the call comes back as a custom_tool_call with its namespace', async () => {
    const res = await post(request(VIA_ANTHROPIC, `[[sim tool=functions__exec args=${quoted(JSON.stringify({ input: EXEC_INPUT }))}]]`));
    expect(res.status).toBe(200);
    const tools = lastSent().tools as { name: string; input_schema: { properties: Record<string, unknown>; required?: string[] }; description?: string }[];
    expect(tools.map((x) => x.name)).toEqual(['functions__exec', 'functions__wait', 'clock__sleep']);
    expect(tools[0].input_schema).toMatchObject({ properties: { input: { type: 'string' } }, required: ['input'] });
    expect(tools[0].description).toContain('SOURCE: /[\\s\\S]+/');
    const answer = (await res.json()) as { output: Record<string, unknown>[] };
    const call = answer.output.find((i) => i.type === 'custom_tool_call');
    expect(call).toMatchObject({ type: 'custom_tool_call', namespace: 'functions', name: 'exec', input: EXEC_INPUT, call_id: expect.any(String) });
  });

  it('Anthropic, streamed: the custom call is announced with its namespace and its input sent whole', async () => {
    const res = await post(request(VIA_ANTHROPIC, `[[sim tool=functions__exec args=${quoted(JSON.stringify({ input: EXEC_INPUT }))}]]`, [], true));
    expect(res.status).toBe(200);
    const events = payloads(await res.text());
    expect(events.find((e) => e.type === 'response.output_item.added' && e.item.type === 'custom_tool_call')?.item).toMatchObject({ namespace: 'functions', name: 'exec' });
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')?.input).toBe(EXEC_INPUT);
    const done = events.find((e) => e.type === 'response.completed')!.response.output as Record<string, unknown>[];
    expect(done.find((i) => i.type === 'custom_tool_call')).toMatchObject({ namespace: 'functions', name: 'exec', input: EXEC_INPUT });
  });

  it('Anthropic: the next turn sends the namespaced call and its output back as the tool call and result they were', async () => {
    const history = [
      { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_1', namespace: 'functions', name: 'exec', input: EXEC_INPUT, status: 'completed' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: 'Script completed\nOutput:\n' }, { type: 'input_text', text: 'The secret word is pelican.\n' }] },
    ];
    const res = await post(request(VIA_ANTHROPIC, '', history));
    expect(res.status).toBe(200);
    const messages = lastSent().messages as { role: string; content: Record<string, unknown>[] }[];
    expect(messages.slice(-2)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'functions__exec', input: { input: EXEC_INPUT } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'Script completed\nOutput:\nThe secret word is pelican.\n' }] },
    ]);
    const answer = (await res.json()) as { output: { type: string; content?: { text: string }[] }[] };
    expect(answer.output.at(-1)!.content![0].text).toBe('The tool returned: Script completed\nOutput:\nThe secret word is pelican.\n');
  });
});
