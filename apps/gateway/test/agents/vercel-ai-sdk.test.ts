import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, Output, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, setBalance, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { chargesOf, expectedCharges, PRICE, startTap, textOf, wireOf, type Exchange, type Tap } from './tap.js';

/**
 * The Vercel AI SDK (`ai` 6 with `@ai-sdk/openai` 3) pointed at the gateway as its docs say to point
 * it at any OpenAI-compatible base URL. Its default `openai(model)` speaks the Responses API
 * (`POST /v1/responses`, `store` on): generateText, streamText, tools it runs itself over several
 * steps, and structured output (generateObject, and generateText with Output.object), with an
 * OpenAI channel (passed through), an Anthropic and a Gemini channel (translated) behind it.
 *
 * Each case checks what the SDK hands the application (the simulator's text, the tool's result,
 * the object of the schema, the usage) and what the gateway recorded: one request-log row per call
 * the provider answered, each charged the provider's own usage at the test's prices.
 */

const PROVIDERS = [
  { kind: 'openai (passed through)', model: 'gpt-5-mini', wire: 'responses' },
  { kind: 'anthropic', model: 'claude-sonnet-4-5', wire: 'anthropic' },
  { kind: 'gemini', model: 'gemini-2.5-flash', wire: 'gemini' },
] as const;

const reply = (user: string) => `This is a simulated reply to "${user}". The quick brown fox jumps over the lazy dog.`;

describe.each(PROVIDERS)('Vercel AI SDK, default openai(model) — the Responses API — on $kind', ({ model, wire }) => {
  let t: TestGateway;
  let upstream: Tap;

  beforeAll(async () => {
    upstream = await startTap();
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => {
        upstream.target = sim.url;
        return [
          { provider: 'openai', name: 'openai', baseUrl: `${upstream.url}/v1`, secret: SIM_KEY, models: ['gpt-5-mini'] },
          { provider: 'anthropic', name: 'anthropic', baseUrl: upstream.url, secret: SIM_KEY, models: ['claude-sonnet-4-5'] },
          { provider: 'gemini', name: 'gemini', baseUrl: upstream.url, secret: SIM_KEY, models: ['gemini-2.5-flash'] },
        ];
      },
    });
    for (const p of PROVIDERS) await setPrice(t, p.model, PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  /** A fresh user and SDK provider; `calls()` is what the provider answered since, checked against the log and the charges. */
  async function client() {
    const user = await t.newUserWithKey();
    await setBalance(t, user.userId, user.cookie, 1000);
    const openai = createOpenAI({ apiKey: user.key, baseURL: `${t.url}/v1` });
    const from = upstream.exchanges.length;
    const calls = () => upstream.exchanges.slice(from);
    /** Every call the provider answered has its 200 row, charged exactly its usage; the ledger agrees. */
    async function expectBilled(n: number): Promise<Exchange[]> {
      const answered = calls();
      expect(answered.length).toBe(n);
      for (const x of answered) expect({ status: x.status, wire: wireOf(x.url) }).toEqual({ status: 200, wire });
      const rows = await eventually(async () => {
        await t.flushLogs();
        const got = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).execute();
        expect(got.length).toBe(n);
        return got;
      });
      for (const r of rows) expect({ status: r.status, model: r.model_requested, endpoint: r.endpoint }).toEqual({ status: 200, model, endpoint: '/v1/responses' });
      expect(chargesOf(rows)).toEqual(expectedCharges(answered));
      expect((await audit(t)).problems).toEqual([]);
      return answered;
    }
    return { openai, expectBilled };
  }

  it('generateText: the text, the finish reason and the usage the gateway logged', async () => {
    const { openai, expectBilled } = await client();
    const r = await generateText({ model: openai(model), system: 'You are terse.', prompt: 'Name a colour.' });
    expect(r.text).toBe(reply('Name a colour.'));
    expect(r.finishReason).toBe('stop');
    const [call] = await expectBilled(1);
    expect(textOf(call)).toBe(r.text);
    const row = (await t.gw.services.db.selectFrom('request_logs').selectAll().orderBy('created_at', 'desc').executeTakeFirst())!;
    expect({ input: r.usage.inputTokens, output: r.usage.outputTokens }).toEqual({ input: row.prompt_tokens, output: row.completion_tokens });
  });

  it('streamText: the text arrives in pieces and whole; usage at the end', async () => {
    const { openai, expectBilled } = await client();
    const r = streamText({ model: openai(model), prompt: 'Tell me a story.' });
    const pieces: string[] = [];
    for await (const p of r.textStream) pieces.push(p);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(reply('Tell me a story.'));
    expect(await r.finishReason).toBe('stop');
    const usage = await r.usage;
    await expectBilled(1);
    const row = (await t.gw.services.db.selectFrom('request_logs').selectAll().orderBy('created_at', 'desc').executeTakeFirst())!;
    expect({ input: usage.inputTokens, output: usage.outputTokens, stream: row.stream }).toEqual({ input: row.prompt_tokens, output: row.completion_tokens, stream: 1 });
  });

  const weather = tool({
    description: 'The weather in a city.',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, forecast: 'sunny', celsius: 21 }),
  });

  it('tools: the model calls the tool, the SDK runs it and sends the result back, the next step answers with it', async () => {
    const { openai, expectBilled } = await client();
    const r = await generateText({ model: openai(model), tools: { weather }, stopWhen: stepCountIs(3), prompt: 'What is the weather in Paris?' });
    expect(r.steps.map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(r.steps[0].toolCalls.map((c) => [c.toolName, c.input])).toEqual([['weather', { city: 'Paris' }]]);
    expect(r.steps[0].toolResults.map((x) => x.output)).toEqual([{ city: 'Paris', forecast: 'sunny', celsius: 21 }]);
    expect(r.text).toBe(`The tool returned: ${JSON.stringify({ city: 'Paris', forecast: 'sunny', celsius: 21 })}`);
    await expectBilled(2);
  });

  it('tools, streamed: the call streams in, runs, and the second step streams the answer', async () => {
    const { openai, expectBilled } = await client();
    const r = streamText({ model: openai(model), tools: { weather }, stopWhen: stepCountIs(3), prompt: 'What is the weather in Paris?' });
    const kinds = new Set<string>();
    for await (const part of r.fullStream) kinds.add(part.type);
    expect([...kinds]).toEqual(expect.arrayContaining(['tool-input-start', 'tool-input-delta', 'tool-call', 'tool-result', 'text-delta', 'finish']));
    expect(await r.text).toBe(`The tool returned: ${JSON.stringify({ city: 'Paris', forecast: 'sunny', celsius: 21 })}`);
    expect((await r.steps).length).toBe(2);
    await expectBilled(2);
  });

  const recipe = z.object({ name: z.string(), servings: z.number(), vegetarian: z.boolean(), steps: z.array(z.string()) });

  it('generateObject: a JSON-schema answer parsed into the schema', async () => {
    const { openai, expectBilled } = await client();
    const r = await generateObject({ model: openai(model), schema: recipe, schemaName: 'recipe', prompt: 'A soup recipe.' });
    expect(recipe.safeParse(r.object).success).toBe(true);
    expect(r.object).toEqual({ name: 'Alice', servings: 1, vegetarian: true, steps: ['Paris'] });
    await expectBilled(1);
  });

  it('generateText with Output.object: the same, as the structured output of a text call', async () => {
    const { openai, expectBilled } = await client();
    const r = await generateText({ model: openai(model), output: Output.object({ schema: recipe }), prompt: 'A salad recipe.' });
    expect(r.output).toEqual({ name: 'Alice', servings: 1, vegetarian: true, steps: ['Paris'] });
    await expectBilled(1);
  });

  it('a conversation continued from the first answer (the SDK sends it back as an item reference: store is on)', async () => {
    const { openai, expectBilled } = await client();
    const first = await generateText({ model: openai(model), prompt: 'My name is Ada.' });
    const next = await generateText({ model: openai(model), messages: [{ role: 'user', content: 'My name is Ada.' }, ...first.response.messages, { role: 'user', content: 'What is my name?' }] });
    expect(next.text).toBe(reply('What is my name?'));
    const [, second] = await expectBilled(2);
    // The earlier answer reached the provider in the second call, whichever provider it is.
    expect(second.request).toContain('This is a simulated reply to \\"My name is Ada.\\"');
  });
});
