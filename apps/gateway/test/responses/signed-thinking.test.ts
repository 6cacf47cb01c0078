import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setBalance, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';

/**
 * Multi-turn tool loops with signed reasoning, against the simulator, which signs Anthropic's
 * thinking and Gemini's thought signatures and refuses a changed or missing one on the next turn as
 * the providers do. A 200 on the second turn is the provider's word that what came back is what it
 * wrote.
 *
 * - Responses dialect → Anthropic channel: the thinking blocks travel inside the reasoning item's
 *   `encrypted_content` (stateless, as Codex sends with `store: false`) or in the stored response
 *   (`previous_response_id`), so the loop keeps thinking on.
 * - Gemini dialect → Gemini channel: `thoughtSignature` on the function call part, byte for byte.
 * - Anthropic dialect → other providers: `thinking` as their reasoning control.
 */

const MODELS = { anthropic: 'x-claude', gemini: 'x-gemini3', openai: 'x-gpt', gemini25: 'x-gemini25' };
const REDACT = 'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253';
const TOOL = { type: 'function' as const, name: 'read_file', description: 'Reads a file.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, strict: false };
const ASK = 'Read a.ts [[sim tool=read_file args="{\\"path\\":\\"a.ts\\"}"]]';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('signed reasoning through the gateway', () => {
  let t: TestGateway;
  let openai: OpenAI;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [MODELS.anthropic]: 'claude-sonnet-4-5' } },
        { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [MODELS.gemini]: 'gemini-3-pro-preview', [MODELS.gemini25]: 'gemini-2.5-flash' } },
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [MODELS.openai]: 'gpt-4o-mini' } },
      ],
    });
    for (const m of Object.values(MODELS)) await setPrice(t, m, 3, 15);
    const u = await t.newUserWithKey();
    key = u.key;
    userId = u.userId;
    await setBalance(t, userId, u.cookie, 100_000);
    openai = new OpenAI({ apiKey: key, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(() => t?.close());

  const upstream = (path: string) => t.sim.requests.filter((r) => r.path === path);
  const lastTo = (path: string) => upstream(path).at(-1)!.body as Json;

  describe('Responses dialect → Anthropic channel', () => {
    const first = (extra: Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming> = {}, text = ASK) =>
      openai.responses.create({ model: MODELS.anthropic, input: [{ role: 'user', content: text }], tools: [TOOL], reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false, ...extra });
    /** Codex's next turn: everything so far, the output items as they came, the tool's output. */
    const followUp = (text: string, output: OpenAI.Responses.ResponseOutputItem[]) => {
      const call = output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      return [{ role: 'user' as const, content: text }, ...(output as never[]), { type: 'function_call_output' as const, call_id: call.call_id, output: 'export {}' }];
    };

    it('plain: the reasoning item carries the signed thinking; sent back, it leads the assistant turn and thinking stays on', async () => {
      const r1 = await first();
      expect(r1.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
      const reasoning = r1.output[0] as OpenAI.Responses.ResponseReasoningItem;
      expect(reasoning.encrypted_content).toMatch(/^apigpt\.signed-reasoning\.v1\./);
      expect(lastTo('/v1/messages').thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });

      const r2 = await openai.responses.create({ model: MODELS.anthropic, input: followUp(ASK, r1.output), tools: [TOOL], reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false });
      expect(r2.status).toBe('completed');
      expect(r2.output_text).toBe('The tool returned: export {}');
      const sent = lastTo('/v1/messages');
      expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
      expect(sent.messages[1].content.map((b: Json) => b.type)).toEqual(['thinking', 'tool_use']);
      // The text the caller was shown is the text that went back, under the provider's own signature (the simulator checked it).
      expect(sent.messages[1].content[0].thinking).toBe(reasoning.summary[0].text);
    });

    it('streamed: the signature_delta ends up in the item\'s encrypted_content; the next streamed turn is taken', async () => {
      const stream = openai.responses.stream({ model: MODELS.anthropic, input: [{ role: 'user', content: ASK }], tools: [TOOL], reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false });
      const done: OpenAI.Responses.ResponseOutputItem[] = [];
      for await (const ev of stream) if (ev.type === 'response.output_item.done') done.push(ev.item);
      const final = await stream.finalResponse();
      expect(done.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
      expect((done[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content).toBe((final.output[0] as OpenAI.Responses.ResponseReasoningItem).encrypted_content);

      const next = openai.responses.stream({ model: MODELS.anthropic, input: followUp(ASK, final.output), tools: [TOOL], reasoning: { effort: 'low', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false });
      const r2 = await next.finalResponse();
      expect(r2.status).toBe('completed');
      expect(r2.output_text).toBe('The tool returned: export {}');
      expect(lastTo('/v1/messages').messages[1].content[0].type).toBe('thinking');
    });

    it('redacted thinking has no text: an item with an empty summary and the sealed block, sent back whole', async () => {
      const text = `${REDACT} ${ASK}`;
      const r1 = await first({}, text);
      expect(r1.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
      const r2 = await openai.responses.create({ model: MODELS.anthropic, input: followUp(text, r1.output), tools: [TOOL], reasoning: { effort: 'low' }, store: false });
      expect(r2.status).toBe('completed');
      expect(lastTo('/v1/messages').messages[1].content.map((b: Json) => b.type)).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
    });

    it('stored: previous_response_id continues the loop with the stored thinking', async () => {
      const r1 = await first({ store: true, include: [] });
      const call = r1.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      const r2 = await openai.responses.create({ model: MODELS.anthropic, previous_response_id: r1.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'export {}' }], tools: [TOOL], reasoning: { effort: 'low' } });
      expect(r2.output_text).toBe('The tool returned: export {}');
      const sent = lastTo('/v1/messages');
      expect({ thinking: sent.thinking, blocks: sent.messages[1].content.map((b: Json) => b.type) }).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 }, blocks: ['thinking', 'tool_use'] });
    });

    it('a changed thinking block is the provider\'s 400, in the Responses error shape; the channel is not blamed', async () => {
      const r1 = await first();
      const reasoning = r1.output[0] as OpenAI.Responses.ResponseReasoningItem;
      const prefix = 'apigpt.signed-reasoning.v1.';
      const inner = JSON.parse(Buffer.from(reasoning.encrypted_content!.slice(prefix.length), 'base64url').toString());
      inner.blocks[0].thinking += ' (edited)';
      const forged = [{ ...reasoning, encrypted_content: prefix + Buffer.from(JSON.stringify(inner)).toString('base64url') }, ...r1.output.slice(1)];
      const err = await openai.responses.create({ model: MODELS.anthropic, input: followUp(ASK, forged as never), tools: [TOOL], reasoning: { effort: 'low' }, store: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('Invalid `signature` in `thinking` block');
      const channel = await t.gw.services.db.selectFrom('channels').select('id').where('name', '=', 'anthropic').executeTakeFirstOrThrow();
      expect((await t.gw.services.health.circuit.view(channel.id)).consecutiveFailures).toBe(0);
    });

    it('the thinking tokens are billed as output, exactly as the provider reported them', async () => {
      const r = await first();
      const row = await eventually(async () => {
        await t.flushLogs();
        const found = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).where('model_requested', '=', MODELS.anthropic).orderBy('created_at', 'desc').executeTakeFirst();
        expect(found?.completion_tokens).toBe(r.usage!.output_tokens);
        return found!;
      });
      // 3 P and 15 P per 1K tokens: 3000 and 15000 µP per token.
      expect(Number(row.cost)).toBe(r.usage!.input_tokens * 3000 + r.usage!.output_tokens * 15000);
    });
  });

  describe('Gemini dialect → Gemini channel', () => {
    const tools = [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }] }];
    const gen = (model: string, contents: unknown[], stream: boolean) =>
      fetch(`${t.url}/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': key }, body: JSON.stringify({ contents, tools }) });
    const modelTurn = async (res: Response, stream: boolean): Promise<Json> => {
      expect(res.status).toBe(200);
      if (!stream) return ((await res.json()) as Json).candidates[0].content;
      const chunks = (await res.text()).split(/\r?\n\r?\n/).filter((e) => e.startsWith('data: ')).map((e) => JSON.parse(e.slice(6)) as Json);
      return { role: 'model', parts: chunks.flatMap((c) => c.candidates[0].content.parts) };
    };

    for (const stream of [false, true]) {
      it(`${stream ? 'streamed' : 'plain'}: the signed function call goes back byte for byte and Gemini 3 takes it`, async () => {
        const opening = { role: 'user', parts: [{ text: ASK }] };
        const turn = await modelTurn(await gen(MODELS.gemini, [opening], stream), stream);
        expect(turn.parts[0]).toMatchObject({ functionCall: { name: 'read_file' }, thoughtSignature: expect.any(String) });
        const contents = [opening, turn, { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: { output: 'export {}' } } }] }];
        const next = await modelTurn(await gen(MODELS.gemini, contents, stream), stream);
        expect(next.parts.map((p: Json) => p.text ?? '').join('')).toBe('The tool returned: {"output":"export {}"}');
        const got = upstream(`/v1beta/models/gemini-3-pro-preview:${stream ? 'streamGenerateContent' : 'generateContent'}`).at(-1)!.body as Json;
        expect(JSON.stringify(got.contents[1])).toBe(JSON.stringify(turn));
      });
    }
  });

  describe('Anthropic dialect → other providers: thinking as their reasoning control', () => {
    const messages = (model: string, thinking: Json, extra: Json = {}) =>
      fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 30000, thinking, messages: [{ role: 'user', content: 'Think.' }], ...extra }),
      });

    it('an OpenAI channel gets reasoning_effort from the thinking budget, or from adaptive thinking\'s effort', async () => {
      const cases: [Json, Json, string | undefined][] = [
        [{ type: 'enabled', budget_tokens: 1024 }, {}, 'low'],
        [{ type: 'enabled', budget_tokens: 8192 }, {}, 'medium'],
        [{ type: 'enabled', budget_tokens: 20000 }, {}, 'high'],
        [{ type: 'adaptive' }, { output_config: { effort: 'high' } }, 'high'],
        [{ type: 'adaptive' }, {}, undefined],
        [{ type: 'disabled' }, {}, undefined],
      ];
      for (const [thinking, extra, effort] of cases) {
        expect((await messages(MODELS.openai, thinking, extra)).status).toBe(200);
        const sent = lastTo('/v1/chat/completions');
        expect({ thinking, effort: sent.reasoning_effort, leaked: sent.thinking ?? sent.output_config }).toEqual({ thinking, effort, leaked: undefined });
      }
    });

    it('a Gemini channel gets the thinking budget of the effort; the answer names the caller\'s model', async () => {
      const res = await messages(MODELS.gemini25, { type: 'enabled', budget_tokens: 8192 });
      expect(res.status).toBe(200);
      expect(lastTo('/v1beta/models/gemini-2.5-flash:generateContent').generationConfig.thinkingConfig).toEqual({ thinkingBudget: 8192 });
      const msg = (await res.json()) as Json;
      expect(msg.model).toBe(MODELS.gemini25);
      // (The simulated Gemini shows no thought text, so no thinking block is made up either.)
      expect(msg.content.map((b: Json) => b.type)).toEqual(['text']);
    });
  });
});
