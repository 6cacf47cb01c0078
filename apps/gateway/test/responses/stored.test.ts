import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { ResponseStore } from '../../src/responses-store/store.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * Stored responses of the Responses API through the official OpenAI SDK, on a gateway in front of
 * the simulator (which stores nothing and refuses `previous_response_id`): responses kept per
 * account (`store` defaults to true), read back, listed and deleted by id, continued with
 * `previous_response_id` on any provider — the gateway sends the stored conversation itself — and
 * never visible to another account. Expected token counts come from the simulator's documented rule
 * (3 + Σ(3 + role + text) per turn), computed here with the same tokenizer.
 */

const turn = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
const reply = (user: string) => `This is a simulated reply to "${user}". The quick brown fox jumps over the lazy dog.`;
const RETENTION_DAYS = 2;
const DAY_MS = 86_400_000;

type Kind = 'openai' | 'anthropic' | 'gemini';
interface Case {
  name: string;
  model: string;
  kind: Kind;
}
const CASES: Case[] = [
  { name: 'openai (pass-through)', model: 's-openai', kind: 'openai' },
  { name: 'anthropic (translated)', model: 's-anthropic', kind: 'anthropic' },
  { name: 'gemini (translated)', model: 's-gemini', kind: 'gemini' },
];
/** The role name each provider's wire gives the model's own turns (the simulator counts it). */
const ASSISTANT: Record<Kind, string> = { openai: 'assistant', anthropic: 'assistant', gemini: 'model' };

const WEATHER = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

async function gateway(db: 'sqlite' | 'postgres'): Promise<TestGateway> {
  const t = await startTestGateway({
    db,
    simulator: { apiKey: SIM_KEY },
    config: { responsesRetentionDays: RETENTION_DAYS },
    channels: (sim): ChannelInput[] => [
      { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 's-openai': 'gpt-4o-mini' } },
      { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 's-anthropic': 'claude-sonnet-4-5' } },
      { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 's-gemini': 'gemini-2.5-flash' } },
    ],
  });
  for (const c of CASES) await setPrice(t, c.model, 1, 2);
  return t;
}

async function client(t: TestGateway) {
  const u = await t.newUserWithKey();
  return { ...u, openai: new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 }) };
}

/** The turns a provider received, as (role, text), whatever its wire shape. */
function upstreamTurns(kind: Kind, body: Record<string, any>): { role: string; text: string }[] {
  const text = (c: unknown): string =>
    typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: any) => p?.text ?? '').join('') : '';
  if (kind === 'openai') return (body.input as any[]).map((i) => ({ role: i.role ?? i.type, text: text(i.content) }));
  if (kind === 'anthropic') return (body.messages as any[]).map((m) => ({ role: m.role, text: text(m.content) }));
  return (body.contents as any[]).map((c) => ({ role: c.role, text: text(c.parts) }));
}

describe('Stored responses through the gateway (official OpenAI SDK)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await gateway('sqlite');
  });
  afterAll(() => t?.close());
  const lastUpstream = () => t.sim.requests[t.sim.requests.length - 1];

  describe.each(CASES)('$name', (c) => {
    it('responses.create keeps the response (store defaults to true): GET /v1/responses/{id} answers it as it was answered', async () => {
      const { openai } = await client(t);
      const r = await openai.responses.create({ model: c.model, instructions: 'Answer briefly.', input: `Keep this, ${c.kind}` });
      const got = await openai.responses.retrieve(r.id);
      expect(got).toEqual(r);
      expect({ id: got.id, object: got.object, model: got.model, text: got.output_text, previous: got.previous_response_id }).toEqual({
        id: r.id,
        object: 'response',
        model: c.model,
        text: reply(`Keep this, ${c.kind}`),
        previous: null,
      });
    });

    it('responses.stream: the final response can be read back as soon as the stream ended', async () => {
      const { openai } = await client(t);
      const stream = openai.responses.stream({ model: c.model, input: `Stream and keep, ${c.kind}` });
      for await (const _ of stream) void _;
      const final = await stream.finalResponse();
      // No waiting: the gateway holds the stream's last event until the response is stored.
      const got = await openai.responses.retrieve(final.id);
      // (The SDK's stream helper adds `parsed` to the text parts it hands back.)
      const plain = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'parsed' ? undefined : v)));
      expect({ id: got.id, status: got.status, output: got.output, usage: got.usage }).toEqual({ id: final.id, status: 'completed', output: plain(final.output), usage: final.usage });
    });

    it('previous_response_id continues the conversation: the provider receives the stored turns (never the id) and counts them', async () => {
      const { openai } = await client(t);
      const first = 'My name is Ada.';
      const second = 'What is my name?';
      const r1 = await openai.responses.create({ model: c.model, input: first });
      const r2 = await openai.responses.create({ model: c.model, input: second, previous_response_id: r1.id });
      const sent = lastUpstream().body as Record<string, any>;
      expect('previous_response_id' in sent).toBe(false);
      expect(upstreamTurns(c.kind, sent)).toEqual([
        { role: 'user', text: first },
        { role: ASSISTANT[c.kind], text: reply(first) },
        { role: 'user', text: second },
      ]);
      const input = 3 + turn('user', first) + turn(ASSISTANT[c.kind], reply(first)) + turn('user', second);
      expect({ previous: r2.previous_response_id, text: r2.output_text, input: r2.usage?.input_tokens }).toEqual({ previous: r1.id, text: reply(second), input });
      expect((await openai.responses.retrieve(r2.id)).previous_response_id).toBe(r1.id);
    });

    it('a streamed continuation names the response it continues from its first event to its last', async () => {
      const { openai } = await client(t);
      const r1 = await openai.responses.create({ model: c.model, input: 'Start here.' });
      const stream = openai.responses.stream({ model: c.model, input: 'Go on.', previous_response_id: r1.id });
      const named: (string | null)[] = [];
      for await (const ev of stream) if ('response' in ev) named.push(ev.response.previous_response_id ?? null);
      const final = await stream.finalResponse();
      expect(named.length).toBeGreaterThanOrEqual(3);
      expect(new Set(named)).toEqual(new Set([r1.id]));
      expect({ previous: final.previous_response_id, text: final.output_text }).toEqual({ previous: r1.id, text: reply('Go on.') });
    });

    it('store: false keeps nothing: GET is 404 and the id cannot be continued', async () => {
      const { openai } = await client(t);
      const r = await openai.responses.create({ model: c.model, input: 'Forget this.', store: false });
      const err = await openai.responses.retrieve(r.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const cont = await openai.responses.create({ model: c.model, input: 'Go on.', previous_response_id: r.id }).catch((e: unknown) => e);
      expect(cont).toBeInstanceOf(OpenAI.BadRequestError);
      expect((cont as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('previous_response_not_found');
    });
  });

  it('one conversation across providers: a tool call on Anthropic, its result on Gemini, a follow-up on OpenAI', async () => {
    const { openai } = await client(t);
    const r1 = await openai.responses.create({ model: 's-anthropic', input: 'Weather in Paris?', tools: [WEATHER] });
    const call = r1.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    const r2 = await openai.responses.create({ model: 's-gemini', tools: [WEATHER], previous_response_id: r1.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' }] });
    expect(r2.output_text).toBe('The tool returned: {"temp_c":21}');
    const r3 = await openai.responses.create({ model: 's-openai', previous_response_id: r2.id, input: 'Thanks!' });
    const sent = (lastUpstream().body as { input: Record<string, unknown>[] }).input;
    expect(sent.map((i) => i.type ?? i.role)).toEqual(['message', 'function_call', 'function_call_output', 'message', 'message']);
    // Item ids name a provider's own stored copy: none travels to another provider.
    expect(sent.filter((i) => 'id' in i)).toEqual([]);
    expect(sent[1]).toMatchObject({ call_id: call.call_id, name: 'get_weather', arguments: '{"city":"Paris"}' });
    const input =
      3 +
      turn('user', 'Weather in Paris?') +
      turn('assistant', 'get_weather{"city":"Paris"}') +
      turn('tool', '{"temp_c":21}') +
      turn('assistant', 'The tool returned: {"temp_c":21}') +
      turn('user', 'Thanks!');
    expect({ text: r3.output_text, input: r3.usage?.input_tokens }).toEqual({ text: reply('Thanks!'), input });
  });
});

describe.each(DB_KINDS)('Stored responses on %s: ownership, deletion, input items, retention', (db) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await gateway(db);
  });
  afterAll(() => t?.close());
  const model = 's-anthropic';

  it('another account can neither read, list, continue nor delete a response; its answers are those of an unknown id', async () => {
    const a = await client(t);
    const b = await client(t);
    const r = await a.openai.responses.create({ model, input: 'Private to A.' });
    const unknown = 'resp_unknown000000000000';
    const status = async (p: Promise<unknown>) => {
      const e = (await p.catch((x: unknown) => x)) as InstanceType<typeof OpenAI.APIError>;
      return { status: e.status, code: e.code ?? null, message: e.message };
    };
    const shape = (s: { status?: number; code: string | null; message: string }, id: string) => ({ ...s, message: s.message.replaceAll(id, '<id>') });
    const cases: [string, (id: string) => Promise<unknown>][] = [
      ['retrieve', (id) => b.openai.responses.retrieve(id)],
      ['input items', (id) => b.openai.responses.inputItems.list(id)],
      ['delete', (id) => b.openai.responses.delete(id)],
      ['continue', (id) => b.openai.responses.create({ model, input: 'Go on.', previous_response_id: id })],
    ];
    for (const [name, call] of cases) {
      const foreign = shape(await status(call(r.id)), r.id);
      expect(foreign, name).toEqual(shape(await status(call(unknown)), unknown));
      expect(foreign.status, name).toBe(name === 'continue' ? 400 : 404);
    }
    expect(shape(await status(b.openai.responses.retrieve(r.id)), r.id).message).toMatch(/Response with id '<id>' not found/);
    // Still A's, untouched by B's attempts.
    expect((await a.openai.responses.retrieve(r.id)).output_text).toBe(reply('Private to A.'));
  });

  it('DELETE /v1/responses/{id}: deleted once, then unknown to every call', async () => {
    const { openai } = await client(t);
    const r = await openai.responses.create({ model, input: 'Delete me.' });
    const res = await fetch(`${t.url}/v1/responses/${r.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${openai.apiKey}` } });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { id: r.id, object: 'response', deleted: true } });
    expect(await openai.responses.retrieve(r.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await openai.responses.delete(r.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await openai.responses.create({ model, input: 'Go on.', previous_response_id: r.id }).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('GET /v1/responses/{id}/input_items: the whole conversation a response was made from, with ids, newest first, in pages', async () => {
    const { openai, key } = await client(t);
    const r1 = await openai.responses.create({ model, input: [{ role: 'developer', content: 'Be terse.' }, { role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }] });
    const r2 = await openai.responses.create({ model, input: 'And then?', previous_response_id: r1.id });
    const first = await openai.responses.inputItems.list(r1.id, { order: 'asc' });
    expect(first.data.map((i) => [i.type, (i as { role?: string }).role])).toEqual([
      ['message', 'developer'],
      ['message', 'user'],
    ]);
    const all: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of openai.responses.inputItems.list(r2.id, { limit: 1, order: 'asc' })) all.push(item);
    // r1's input (the same ids as listed for r1), r1's output, then r2's own input.
    expect(all.map((i) => i.id)).toEqual([first.data[0].id, first.data[1].id, r1.output[0].id, all[3].id]);
    expect(all.every((i) => typeof i.id === 'string' && i.id.length > 4)).toBe(true);
    expect(all[3]).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And then?' }] });
    const page = async (q: string) => {
      const res = await fetch(`${t.url}/v1/responses/${r2.id}/input_items${q}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const desc = await page('?limit=3');
    expect({ ...desc.body, data: desc.body.data.map((i: { id: string }) => i.id) }).toEqual({
      object: 'list',
      data: [all[3].id, all[2].id, all[1].id],
      first_id: all[3].id,
      last_id: all[1].id,
      has_more: true,
    });
    const rest = await page(`?limit=3&after=${all[1].id}`);
    expect({ ...rest.body, data: rest.body.data.map((i: { id: string }) => i.id) }).toEqual({ object: 'list', data: [all[0].id], first_id: all[0].id, last_id: all[0].id, has_more: false });
    expect((await page('?limit=101')).status).toBe(400);
  });

  it(`kept ${RETENTION_DAYS} days (APIGPT_RESPONSES_RETENTION_DAYS); an expired response is answered as unknown`, async () => {
    const { openai, userId } = await client(t);
    const r = await openai.responses.create({ model, input: 'Remember me for a while.' });
    const rows = () => t.gw.services.db.selectFrom('stored_responses').select(['created_at', 'expires_at']).where('user_id', '=', userId).where('id', '=', r.id).execute();
    const [row] = await rows();
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(RETENTION_DAYS * DAY_MS);
    await t.gw.services.db.updateTable('stored_responses').set({ expires_at: Date.now() - 1 }).where('user_id', '=', userId).where('id', '=', r.id).execute();
    expect(await openai.responses.retrieve(r.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await openai.responses.create({ model, input: 'Go on.', previous_response_id: r.id }).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('expired rows are pruned by a later save, at most once per pruning interval', async () => {
    let now = 1_000_000;
    const store = new ResponseStore(t.gw.services.db, { retentionMs: 1_000, pruneEveryMs: 5_000, now: () => now });
    const owner = `prune-${db}-${Date.now()}`;
    const ids = () =>
      t.gw.services.db
        .selectFrom('stored_responses')
        .select('id')
        .where('user_id', '=', owner)
        .orderBy('id')
        .execute()
        .then((r) => r.map((x) => x.id));
    const save = (id: string) => store.save(owner, { id, model, response: { id, object: 'response', output: [] }, inputItems: [] });
    await save('resp_a'); // the first save prunes (nothing of this owner is old yet)
    now += 2_000; // resp_a expired
    expect(await store.get(owner, 'resp_a')).toBeNull();
    await save('resp_b'); // within the pruning interval: the expired row stays
    expect(await ids()).toEqual(['resp_a', 'resp_b']);
    now += 6_000; // past the interval (resp_b expired too): this save prunes
    await save('resp_c');
    await eventually(async () => expect(await ids()).toEqual(['resp_c']));
  });
});
