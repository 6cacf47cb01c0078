// Steering tool calls (for tests that drive a coding agent, which offers dozens of tools): the
// `tool=` / `args=` directive (and x-sim-tool headers, and instance defaults) pick the tool and its
// arguments, `tool=none` answers in text; never right after a tool result. And the Responses API's
// free-form (`custom`) tools, in namespaces and in `additional_tools` input items, as Codex sends them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, parseDirective, type Simulator } from '@apigpt/simulator';
import { postJson, sseJson, tok } from './helpers.js';

const KEY = 'sk-sim';
const TOOLS = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
];
const turn = (role: string, text: string) => 3 + tok(role) + tok(text);

describe('the tool directive', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: KEY });
  });
  afterAll(() => sim.close());

  const chat = (messages: unknown[], headers: Record<string, string> = {}) =>
    postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages, tools: TOOLS }, { authorization: `Bearer ${KEY}`, ...headers }).then((r) => r.json() as Promise<any>); // eslint-disable-line @typescript-eslint/no-explicit-any

  it('parses tool and args (a quoted value keeps its quotes and brackets)', () => {
    expect(parseDirective('x [[sim tool=read_file args="{\\"path\\":\\"a]b\\"}"]]')).toEqual({ tool: 'read_file', toolArgs: '{"path":"a]b"}' });
  });

  it('calls the named tool with the given arguments instead of the first tool with sampled ones', async () => {
    const r = await chat([{ role: 'user', content: 'Read it [[sim tool=read_file args="{\\"path\\":\\"/tmp/x\\"}"]]' }]);
    expect(r.choices[0].message.tool_calls.map((c: any) => [c.function.name, c.function.arguments])).toEqual([['read_file', '{"path":"/tmp/x"}']]); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(r.usage.completion_tokens).toBe(tok('read_file') + tok('{"path":"/tmp/x"}'));
  });

  it('arguments that are not a JSON object are sampled from the schema instead', async () => {
    const r = await chat([{ role: 'user', content: 'Read it [[sim tool=read_file args=oops]]' }]);
    expect(r.choices[0].message.tool_calls[0].function.arguments).toBe('{"path":"Paris"}');
  });

  it('tool=none answers in text though tools are offered; the x-sim-tool header works alike', async () => {
    const r = await chat([{ role: 'user', content: 'Just talk [[sim tool=none reply="Fine."]]' }]);
    expect({ text: r.choices[0].message.content, calls: r.choices[0].message.tool_calls }).toEqual({ text: 'Fine.', calls: undefined });
    const h = await chat([{ role: 'user', content: 'Weather?' }], { 'x-sim-tool': 'read_file', 'x-sim-tool-args': '{"path":"h"}' });
    expect(h.choices[0].message.tool_calls[0].function).toEqual({ name: 'read_file', arguments: '{"path":"h"}' });
  });

  it('after a tool result the answer is text, though the directive still names a tool', async () => {
    const r = await chat([
      { role: 'user', content: 'Read it [[sim tool=read_file]]' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'contents' },
    ]);
    expect(r.choices[0].message.content).toBe('The tool returned: contents');
  });

  it('Anthropic and Gemini take it too', async () => {
    const a = (await (
      await postJson(
        `${sim.url}/v1/messages`,
        { model: 'claude-sonnet-4-5', max_tokens: 100, tools: [{ name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }, { name: 'Bash', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'Go [[sim tool=Bash args="{\\"command\\":\\"ls\\"}"]]' }] },
        { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      )
    ).json()) as { content: unknown[] };
    expect(a.content).toEqual([{ type: 'tool_use', id: expect.any(String), name: 'Bash', input: { command: 'ls' } }]);
    const g = (await (
      await postJson(
        `${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`,
        { tools: [{ functionDeclarations: [{ name: 'list_directory' }, { name: 'read_file', parametersJsonSchema: { type: 'object', properties: { file_path: { type: 'string' } } } }] }], contents: [{ role: 'user', parts: [{ text: 'Go [[sim tool=read_file args="{\\"file_path\\":\\"n.txt\\"}"]]' }] }] },
        { 'x-goog-api-key': KEY },
      )
    ).json()) as { candidates: { content: { parts: unknown[] } }[] };
    expect(g.candidates[0].content.parts).toEqual([expect.objectContaining({ functionCall: expect.objectContaining({ name: 'read_file', args: { file_path: 'n.txt' } }) })]);
  });
});

describe('Responses API: custom tools and additional_tools items (Codex code mode)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: KEY });
  });
  afterAll(() => sim.close());

  const EXEC = { type: 'custom', name: 'exec', description: 'Run JavaScript.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } };
  const ADDITIONAL = { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', description: '', tools: [EXEC] }] };
  const CODE = "text(await tools.exec_command({cmd: 'ls'}))";
  const respond = (body: Record<string, unknown>) => postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o-mini', ...body }, { authorization: `Bearer ${KEY}` });

  it('a custom tool offered in an additional_tools item is called as a custom_tool_call with its namespace and the input as text', async () => {
    const prompt = `List files [[sim tool=exec args="${CODE}"]]`;
    const res = await respond({ input: [ADDITIONAL, { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] }] });
    const body = (await res.json()) as { output: unknown[]; usage: { input_tokens: number; output_tokens: number } };
    expect(body.output).toEqual([{ id: expect.stringMatching(/^ctc_/), type: 'custom_tool_call', status: 'completed', call_id: expect.any(String), name: 'exec', input: CODE, namespace: 'functions' }]);
    // The item's tool list counts as serialised tools; the user turn without its directive.
    expect(body.usage.input_tokens).toBe(3 + turn('user', 'List files') + tok(JSON.stringify(ADDITIONAL.tools)));
    expect(body.usage.output_tokens).toBe(tok('exec') + tok(CODE));
  });

  it('streamed: added with an empty input, the input in deltas, done with it whole', async () => {
    const res = await respond({ stream: true, tools: [EXEC], input: `List files [[sim tool=exec args="${CODE}"]]` });
    const events = sseJson(await res.text());
    expect(events.find((e) => e.type === 'response.output_item.added')!.item).toMatchObject({ type: 'custom_tool_call', input: '', status: 'in_progress' });
    const deltas = events.filter((e) => e.type === 'response.custom_tool_call_input.delta').map((e) => e.delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(CODE);
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')!.input).toBe(CODE);
  });

  it('after a custom_tool_call_output the answer quotes it; both items count as turns', async () => {
    const input = [
      ADDITIONAL,
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files [[sim tool=exec]]' }] },
      { type: 'custom_tool_call', call_id: 'c1', namespace: 'functions', name: 'exec', input: CODE },
      { type: 'custom_tool_call_output', call_id: 'c1', output: [{ type: 'input_text', text: 'a.txt' }] },
    ];
    const body = (await (await respond({ input })).json()) as { output: { content: { text: string }[] }[]; usage: { input_tokens: number } };
    expect(body.output[0].content[0].text).toBe('The tool returned: a.txt');
    expect(body.usage.input_tokens).toBe(3 + turn('user', 'List files') + turn('assistant', `exec${CODE}`) + turn('tool', 'a.txt') + tok(JSON.stringify(ADDITIONAL.tools)));
  });
});
