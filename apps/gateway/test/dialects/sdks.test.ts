import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import { startTestGateway, type TestGateway } from '../harness.js';
import { PNG_1PX, WEATHER_TOOL } from './clients.js';
import { allChannels, modelFor, NO_BILLING, PROVIDERS, SIM_KEY } from './providers.js';

/**
 * The official SDKs as clients, each pointed at the gateway by base URL and an App key only, each
 * talking to providers of other dialects (and to its own, passed through).
 */
describe('official SDKs across dialects', () => {
  let t: TestGateway;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let genai: GoogleGenAI;

  beforeAll(async () => {
    t = await startTestGateway({ simulator: { apiKey: SIM_KEY }, channels: allChannels, start: NO_BILLING });
    const key = (await t.newUserWithKey()).key;
    openai = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
    anthropic = new Anthropic({ apiKey: key, baseURL: t.url, maxRetries: 0 });
    genai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: t.url } });
  });
  afterAll(() => t?.close());

  describe('@anthropic-ai/sdk', () => {
    it('models.list and models.retrieve in Anthropic\'s shape (same path as OpenAI\'s, told apart by anthropic-version)', async () => {
      const ids: string[] = [];
      for await (const m of anthropic.models.list()) {
        expect(m.type).toBe('model');
        ids.push(m.id);
      }
      expect(ids).toContain('m-openai');
      const one = await anthropic.models.retrieve('m-openai');
      expect(one).toMatchObject({ type: 'model', id: 'm-openai' });
      // The OpenAI SDK still gets OpenAI's shape from the same route.
      const openaiIds: string[] = [];
      for await (const m of openai.models.list()) openaiIds.push(m.id);
      expect(openaiIds).toEqual([...ids].sort());
    });

    it('messages.create to an OpenAI channel, with system and usage', async () => {
      const msg = await anthropic.messages.create({ model: 'm-openai', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi there' }] });
      expect(msg.type).toBe('message');
      expect(msg.stop_reason).toBe('end_turn');
      expect(msg.content[0]).toMatchObject({ type: 'text', text: 'This is a simulated reply to "Hi there". The quick brown fox jumps over the lazy dog.' });
      expect(msg.usage.input_tokens).toBeGreaterThan(0);
      expect(msg.usage.output_tokens).toBeGreaterThan(0);
      const upstream = t.sim.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
      expect(upstream.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    });

    it('messages.stream from a Gemini channel: text events and a final message with usage', async () => {
      const stream = anthropic.messages.stream({ model: 'm-gemini', max_tokens: 200, messages: [{ role: 'user', content: 'Stream it [[sim chunks=6]]' }] });
      let text = '';
      stream.on('text', (d) => (text += d));
      const final = await stream.finalMessage();
      expect(text).toBe('This is a simulated reply to "Stream it". The quick brown fox jumps over the lazy dog.');
      expect(final.content).toEqual([{ type: 'text', text, citations: undefined }].map(({ citations: _c, ...b }) => b));
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      expect(final.usage.input_tokens).toBeGreaterThan(0);
    });

    it('tool use round trip against Zhipu, streamed and plain', async () => {
      const tools = [{ name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, input_schema: WEATHER_TOOL.parameters as Anthropic.Tool.InputSchema }];
      const first = await anthropic.messages.stream({ model: 'm-zhipu', max_tokens: 200, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] }).finalMessage();
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
      const second = await anthropic.messages.create({
        model: 'm-zhipu',
        max_tokens: 200,
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":21}' }] },
        ],
      });
      expect(second.stop_reason).toBe('end_turn');
      expect(second.content[0]).toMatchObject({ type: 'text', text: 'The tool returned: {"temp_c":21}' });
      // Zhipu saw the OpenAI shape: the call on the assistant turn, the result as a tool turn.
      const upstream = t.sim.requests.at(-1)!.body as { messages: { role: string; tool_call_id?: string; tool_calls?: unknown[] }[] };
      expect(upstream.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
      expect(upstream.messages[2].tool_call_id).toBe(use.id);
    });

    it('an image goes to a Gemini channel as inlineData', async () => {
      const msg = await anthropic.messages.create({
        model: 'm-gemini',
        max_tokens: 100,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } }] }],
      });
      expect((msg.content[0] as Anthropic.TextBlock).text).toMatch(/^I see 1 image\./);
      const upstream = t.sim.requests.at(-1)!.body as { contents: { parts: Record<string, unknown>[] }[] };
      expect(upstream.contents[0].parts[1]).toEqual({ inlineData: { mimeType: 'image/png', data: PNG_1PX } });
    });

    it('messages.countTokens: exact from Anthropic, counted by the gateway elsewhere', async () => {
      const params = { messages: [{ role: 'user' as const, content: 'Count these words please' }] };
      const native = await anthropic.messages.countTokens({ model: 'm-anthropic', ...params });
      expect(t.sim.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
      const local = await anthropic.messages.countTokens({ model: 'm-openai', ...params });
      expect(native.input_tokens).toBeGreaterThan(5);
      // The simulator counts with the same framing rule, so the gateway's estimate agrees with it.
      expect(local.input_tokens).toBe(native.input_tokens);
    });

    it("messages.countTokens answers for every provider kind, each count equal to Anthropic's own", async () => {
      const params = { system: 'Be brief.', messages: [{ role: 'user' as const, content: 'Count these words please' }] };
      const counts: Record<string, number> = {};
      for (const p of PROVIDERS) counts[p.name] = (await anthropic.messages.countTokens({ model: modelFor(p), ...params })).input_tokens;
      const native = counts.anthropic;
      expect(native).toBeGreaterThan(10);
      expect(counts).toEqual(Object.fromEntries(PROVIDERS.map((p) => [p.name, native])));
    });
  });

  describe('@google/genai', () => {
    it('generateContent against an Anthropic channel', async () => {
      const res = await genai.models.generateContent({ model: 'm-anthropic', contents: 'Hello Gemini', config: { systemInstruction: 'Be nice.', maxOutputTokens: 300 } });
      expect(res.text).toBe('This is a simulated reply to "Hello Gemini". The quick brown fox jumps over the lazy dog.');
      expect(res.candidates![0].finishReason).toBe('STOP');
      expect(res.usageMetadata!.promptTokenCount).toBeGreaterThan(0);
      expect(res.usageMetadata!.candidatesTokenCount).toBeGreaterThan(0);
      const upstream = t.sim.requests.at(-1)!.body as { system: string; max_tokens: number };
      expect(upstream).toMatchObject({ system: 'Be nice.', max_tokens: 300 });
    });

    it('generateContentStream against an OpenAI channel', async () => {
      const stream = await genai.models.generateContentStream({ model: 'm-openai', contents: 'Stream to Gemini [[sim chunks=5]]' });
      let text = '';
      let chunks = 0;
      let last;
      for await (const c of stream) {
        chunks++;
        text += c.text ?? '';
        last = c;
      }
      expect(chunks).toBeGreaterThanOrEqual(5);
      expect(text).toBe('This is a simulated reply to "Stream to Gemini". The quick brown fox jumps over the lazy dog.');
      expect(last!.candidates![0].finishReason).toBe('STOP');
      expect(last!.usageMetadata!.candidatesTokenCount).toBeGreaterThan(0);
    });

    it('function calling round trip against an Anthropic channel', async () => {
      const config = { tools: [{ functionDeclarations: [{ name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parametersJsonSchema: WEATHER_TOOL.parameters }] }] };
      const contents: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
      const first = await genai.models.generateContent({ model: 'm-anthropic', contents, config });
      const call = first.functionCalls![0];
      expect(call).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
      contents.push(first.candidates![0].content!, { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name, response: { temp_c: 21 } } }] });
      const second = await genai.models.generateContent({ model: 'm-anthropic', contents, config });
      expect(second.text).toBe('The tool returned: {"temp_c":21}');
      const upstream = t.sim.requests.at(-1)!.body as { messages: { role: string; content: { type: string; tool_use_id?: string }[] }[] };
      expect(upstream.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(upstream.messages[2].content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.id });
    });

    it('embedContent (the SDK calls :batchEmbedContents) against an OpenAI channel and a Gemini one', async () => {
      const viaOpenAI = await genai.models.embedContent({ model: 'm-openai', contents: ['alpha', 'beta'] });
      expect(t.sim.requests.at(-1)!.path).toBe('/v1/embeddings');
      expect(viaOpenAI.embeddings).toHaveLength(2);
      expect(viaOpenAI.embeddings![0].values!.length).toBeGreaterThan(100);
      const native = await genai.models.embedContent({ model: 'm-gemini', contents: ['alpha'] });
      expect(t.sim.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:batchEmbedContents');
      expect(native.embeddings![0].values!.length).toBe(768);
    });

    it('countTokens: exact from Gemini, counted by the gateway elsewhere', async () => {
      const native = await genai.models.countTokens({ model: 'm-gemini', contents: 'Count these words please' });
      const local = await genai.models.countTokens({ model: 'm-zhipu', contents: 'Count these words please' });
      expect(native.totalTokens).toBeGreaterThan(5);
      expect(local.totalTokens).toBe(native.totalTokens);
    });
  });

  describe('openai SDK', () => {
    it('chat to an Anthropic channel with parallel tool calls, streamed', async () => {
      const tools: OpenAI.ChatCompletionTool[] = [
        { type: 'function', function: WEATHER_TOOL },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      ];
      const stream = await openai.chat.completions.create({ model: 'm-anthropic', stream: true, tools, messages: [{ role: 'user', content: 'Weather and time, in parallel [[sim chunks=3]]' }] });
      const calls: { id?: string; name?: string; args: string }[] = [];
      let finish: string | null = null;
      for await (const c of stream) {
        for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
          calls[tc.index] ??= { args: '' };
          if (tc.id) Object.assign(calls[tc.index], { id: tc.id, name: tc.function?.name });
          calls[tc.index].args += tc.function?.arguments ?? '';
        }
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('tool_calls');
      expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      expect(calls.map((c) => JSON.parse(c.args))).toEqual([{ city: 'Paris' }, { city: 'Paris' }]);
    });

    it('JSON mode reaches Gemini as responseMimeType and comes back as JSON', async () => {
      const res = await openai.chat.completions.create({ model: 'm-gemini', response_format: { type: 'json_object' }, messages: [{ role: 'user', content: 'Answer in JSON' }] });
      expect(JSON.parse(res.choices[0].message.content!)).toHaveProperty('reply');
      expect((t.sim.requests.at(-1)!.body as { generationConfig: unknown }).generationConfig).toMatchObject({ responseMimeType: 'application/json' });
    });

    it('n=2 reaches Gemini as candidateCount; Anthropic answers a clear 400', async () => {
      const two = await openai.chat.completions.create({ model: 'm-gemini', n: 2, messages: [{ role: 'user', content: 'Two please' }] });
      expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
      const err = await openai.chat.completions.create({ model: 'm-anthropic', n: 2, messages: [{ role: 'user', content: 'Two please' }] }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.param).toBe('n');
    });

    it('legacy functions / function_call against ChatGLM come back in the legacy shape', async () => {
      const res = await openai.chat.completions.create({
        model: 'm-chatglm',
        functions: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      } as never);
      const m = (res as OpenAI.ChatCompletion).choices[0];
      expect(m.finish_reason).toBe('function_call');
      expect(m.message.function_call).toMatchObject({ name: 'get_weather' });
      expect(JSON.parse(m.message.function_call!.arguments)).toEqual({ city: 'Paris' });
    });

    it('embeddings from Gemini in base64 (the SDK default) and float agree', async () => {
      const asFloat = await openai.embeddings.create({ model: 'm-gemini', input: ['alpha', 'beta'], encoding_format: 'float' });
      const asDefault = await openai.embeddings.create({ model: 'm-gemini', input: ['alpha', 'beta'] });
      expect(asFloat.data[0].embedding.length).toBe(768);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 768; j += 61) expect(asDefault.data[i].embedding[j]).toBeCloseTo(asFloat.data[i].embedding[j], 6);
      // Gemini reports no usage for embeddings: the gateway counts the input.
      expect(asFloat.usage.prompt_tokens).toBeGreaterThan(0);
    });
  });
});
