import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { SIM_KEY } from '../dialects/providers.js';

/**
 * What Codex sends besides messages, through the official OpenAI SDK: `reasoning.effort` in each
 * provider's own control (Chat's `reasoning_effort`, Anthropic's thinking budget under the rules
 * the simulator enforces as Anthropic does, Gemini's thinkingConfig, GLM's thinking switch),
 * `include: ["reasoning.encrypted_content"]`, and client-side tools that are not functions
 * (`custom` — Codex's free-form `apply_patch` — and `local_shell`): passed through to OpenAI,
 * offered to other providers as functions and called back as their own items.
 */

const MODELS = {
  openai: 'x-openai',
  anthropic: 'x-anthropic',
  gemini: 'x-gemini',
  zhipu: 'x-zhipu',
  compatible: 'x-compatible',
};
const APPLY_PATCH = {
  type: 'custom' as const,
  name: 'apply_patch',
  description: 'Apply a patch to files.',
  format: { type: 'grammar' as const, syntax: 'lark' as const, definition: 'start: "*** Begin Patch" LF body "*** End Patch"' },
};
/** The budgets the gateway gives each effort (formats/canonical/reasoning.ts): its documented policy. */
const BUDGET = { low: 1024, medium: 8192, high: 24576 };

describe('Responses API: reasoning effort, include and client-side tools', () => {
  let t: TestGateway;
  let openai: OpenAI;
  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [MODELS.openai]: 'gpt-5-mini' } },
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [MODELS.anthropic]: 'claude-sonnet-4-5' } },
        { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [MODELS.gemini]: 'gemini-2.5-flash' } },
        { provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, modelMap: { [MODELS.zhipu]: 'glm-4.5' } },
        { provider: 'openai-compatible', name: 'compatible', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [MODELS.compatible]: 'qwen3-8b' } },
      ],
    });
    for (const m of Object.values(MODELS)) await setPrice(t, m, 1, 2);
    const u = await t.newUserWithKey();
    openai = new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => t?.close());
  const sent = () => t.sim.requests[t.sim.requests.length - 1].body as Record<string, any>;

  describe('reasoning.effort in each provider\'s control', () => {
    it('OpenAI (pass-through): reasoning and include reach OpenAI as sent', async () => {
      const r = await openai.responses.create({ model: MODELS.openai, input: 'Think.', reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false });
      expect({ reasoning: sent().reasoning, include: sent().include }).toEqual({ reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] });
      expect(r.output[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.any(String) });
    });

    it('a chat-completions server: reasoning_effort', async () => {
      await openai.responses.create({ model: MODELS.compatible, input: 'Think.', reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'] });
      expect(sent().reasoning_effort).toBe('low');
    });

    it('Zhipu GLM: thinking on for an effort, off for none (no reasoning_effort)', async () => {
      await openai.responses.create({ model: MODELS.zhipu, input: 'Think.', reasoning: { effort: 'medium' } });
      expect({ thinking: sent().thinking, effort: sent().reasoning_effort }).toEqual({ thinking: { type: 'enabled' }, effort: undefined });
      await openai.responses.create({ model: MODELS.zhipu, input: 'Do not think.', reasoning: { effort: 'none' } });
      expect(sent().thinking).toEqual({ type: 'disabled' });
    });

    it('Gemini: thinkingConfig.thinkingBudget, and includeThoughts when a summary is asked for', async () => {
      await openai.responses.create({ model: MODELS.gemini, input: 'Think.', reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] });
      expect(sent().generationConfig.thinkingConfig).toEqual({ thinkingBudget: BUDGET.high, includeThoughts: true });
      await openai.responses.create({ model: MODELS.gemini, input: 'Do not think.', reasoning: { effort: 'none' } });
      expect(sent().generationConfig.thinkingConfig).toEqual({ thinkingBudget: 0 });
    });

    it('Anthropic: extended thinking with the effort\'s budget; max_tokens above it; no temperature', async () => {
      const r = await openai.responses.create({ model: MODELS.anthropic, input: 'Think hard.', reasoning: { effort: 'high' }, temperature: 0.2, include: ['reasoning.encrypted_content'] });
      expect(r.status).toBe('completed');
      expect({ thinking: sent().thinking, max_tokens: sent().max_tokens, temperature: sent().temperature }).toEqual({ thinking: { type: 'enabled', budget_tokens: BUDGET.high }, max_tokens: BUDGET.high + 4096, temperature: undefined });
    });

    it('Anthropic: max_output_tokens bounds thinking and answer together; too small a limit leaves thinking off', async () => {
      await openai.responses.create({ model: MODELS.anthropic, input: 'Think.', reasoning: { effort: 'medium' }, max_output_tokens: 2000 });
      expect({ thinking: sent().thinking, max_tokens: sent().max_tokens }).toEqual({ thinking: { type: 'enabled', budget_tokens: 1999 }, max_tokens: 2000 });
      await openai.responses.create({ model: MODELS.anthropic, input: 'Think briefly.', reasoning: { effort: 'medium' }, max_output_tokens: 1000 });
      expect({ thinking: sent().thinking, max_tokens: sent().max_tokens }).toEqual({ thinking: undefined, max_tokens: 1000 });
    });

    it('Anthropic: no thinking for effort none, a forced tool choice, or inside a tool loop (which Anthropic would refuse without its signed thinking)', async () => {
      await openai.responses.create({ model: MODELS.anthropic, input: 'No thinking.', reasoning: { effort: 'none' } });
      expect(sent().thinking).toBeUndefined();
      const tool = { type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false };
      const forced = await openai.responses.create({ model: MODELS.anthropic, input: 'Weather in Paris?', tools: [tool], tool_choice: { type: 'function', name: 'get_weather' }, reasoning: { effort: 'high' } });
      expect({ thinking: sent().thinking, tool_choice: sent().tool_choice }).toEqual({ thinking: undefined, tool_choice: { type: 'tool', name: 'get_weather' } });
      const call = forced.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      const loop = await openai.responses.create({
        model: MODELS.anthropic,
        tools: [tool],
        reasoning: { effort: 'high' },
        previous_response_id: forced.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' }],
      });
      expect({ thinking: sent().thinking, text: loop.output_text }).toEqual({ thinking: undefined, text: 'The tool returned: {"temp_c":21}' });
      // The loop is over: the next user turn thinks again.
      await openai.responses.create({ model: MODELS.anthropic, tools: [tool], reasoning: { effort: 'high' }, previous_response_id: loop.id, input: 'And tomorrow?' });
      expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: BUDGET.high });
    });

    it('Chat Completions callers: reasoning_effort becomes Anthropic thinking too', async () => {
      await openai.chat.completions.create({ model: MODELS.anthropic, messages: [{ role: 'user', content: 'Think.' }], reasoning_effort: 'low' });
      expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: BUDGET.low });
    });
  });

  describe('client-side tools that are not functions', () => {
    it('OpenAI (pass-through): custom and local_shell tools reach OpenAI as sent, nothing left out', async () => {
      const { response } = await openai.responses.create({ model: MODELS.openai, input: 'Patch it.', tools: [APPLY_PATCH, { type: 'local_shell' }] }).withResponse();
      expect(sent().tools).toEqual([APPLY_PATCH, { type: 'local_shell' }]);
      expect(response.headers.get('x-apigpt-dropped-tools')).toBeNull();
    });

    it('Anthropic: a custom tool is a function of one string `input`; its call comes back as a custom_tool_call, and its output goes back as the tool result', async () => {
      const { data: r, response } = await openai.responses.create({ model: MODELS.anthropic, input: 'Patch the file.', tools: [APPLY_PATCH, { type: 'web_search' }] }).withResponse();
      // web_search runs as Anthropic's own web search tool, after the custom tool.
      expect(response.headers.get('x-apigpt-dropped-tools')).toBeNull();
      expect((sent().tools as { type?: string }[])[1]).toEqual({ type: 'web_search_20250305', name: 'web_search', max_uses: 5 });
      const tool = (sent().tools as { name: string; description: string; input_schema: unknown }[])[0];
      expect(tool.name).toBe('apply_patch');
      expect(tool.description).toContain(APPLY_PATCH.format.definition);
      expect(tool.input_schema).toEqual({ type: 'object', properties: { input: { type: 'string', description: 'The free-form input of the tool.' } }, required: ['input'], additionalProperties: false });
      expect(r.output).toEqual([{ id: expect.stringMatching(/^ctc_/), type: 'custom_tool_call', status: 'completed', call_id: expect.any(String), name: 'apply_patch', input: 'Paris' }]);
      const call = r.output[0] as OpenAI.Responses.ResponseCustomToolCall;
      const next = await openai.responses.create({
        model: MODELS.anthropic,
        tools: [APPLY_PATCH],
        input: [{ role: 'user', content: 'Patch the file.' }, { type: 'custom_tool_call', call_id: call.call_id, name: 'apply_patch', input: call.input }, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done!' }],
      });
      const messages = sent().messages as { role: string; content: { type: string; id?: string; tool_use_id?: string; name?: string; input?: unknown }[] }[];
      expect(messages[1].content[0]).toEqual({ type: 'tool_use', id: call.call_id, name: 'apply_patch', input: { input: 'Paris' } });
      expect(messages[2].content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.call_id });
      expect(next.output_text).toBe('The tool returned: Done!');
    });

    it('streamed: the custom call is announced, its input sent whole, and the complete item closes it', async () => {
      const stream = openai.responses.stream({ model: MODELS.anthropic, input: 'Patch the file.', tools: [APPLY_PATCH] });
      const events: { type: string; item?: { type: string }; input?: string; delta?: string }[] = [];
      for await (const ev of stream) events.push(ev as never);
      const types = events.map((e) => e.type);
      expect(types).not.toContain('response.function_call_arguments.delta');
      const added = events.find((e) => e.type === 'response.output_item.added');
      const done = events.find((e) => e.type === 'response.output_item.done');
      expect({ added: added?.item?.type, input: events.find((e) => e.type === 'response.custom_tool_call_input.done')?.input, done: done?.item }).toEqual({
        added: 'custom_tool_call',
        input: 'Paris',
        done: expect.objectContaining({ type: 'custom_tool_call', name: 'apply_patch', input: 'Paris', status: 'completed' }),
      });
      expect(types.at(-1)).toBe('response.completed');
    });

    it('Gemini: local_shell is a function of the exec action; its call comes back as a local_shell_call and its output as the result', async () => {
      const r = await openai.responses.create({ model: MODELS.gemini, input: 'List the files.', tools: [{ type: 'local_shell' }] });
      expect((sent().tools[0].functionDeclarations as { name: string }[]).map((f) => f.name)).toEqual(['local_shell']);
      expect(r.output).toEqual([
        { id: expect.stringMatching(/^lsh_/), type: 'local_shell_call', status: 'completed', call_id: expect.any(String), action: { type: 'exec', command: ['Paris'], workdir: 'Paris', timeout_ms: 1 } },
      ]);
      const call = r.output[0] as OpenAI.Responses.ResponseOutputItem.LocalShellCall;
      const next = await openai.responses.create({ model: MODELS.gemini, tools: [{ type: 'local_shell' }], previous_response_id: r.id, input: [{ type: 'local_shell_call_output', id: call.call_id, output: 'a.txt' } as never] });
      const contents = sent().contents as { role: string; parts: { functionCall?: { name: string; args: unknown }; functionResponse?: { name: string } }[] }[];
      expect(contents[1].parts[0].functionCall).toMatchObject({ name: 'local_shell', args: { command: ['Paris'], workdir: 'Paris', timeout_ms: 1 } });
      expect(contents[2].parts[0].functionResponse?.name).toBe('local_shell');
      // (Gemini's functionResponse carries a text output as `{result}`, which the simulator quotes.)
      expect(next.output_text).toBe('The tool returned: {"result":"a.txt"}');
    });
  });
});
