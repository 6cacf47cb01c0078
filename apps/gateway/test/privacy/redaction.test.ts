/**
 * Redaction through the real gateway and the simulator over HTTP, in every text dialect (OpenAI chat
 * and completions, Responses, Anthropic, Gemini), whole and streamed. The policy is set with the
 * management API on the caller's App. The simulator's reply quotes the last user text, so the answer
 * carries the placeholders the provider saw: the simulator's request journal must show only
 * placeholders, and the caller must get the originals back (reversible) or the placeholders (mask).
 * Streams are cut into many small chunks (`[[sim chunks=N]]`), so every placeholder reaches the
 * gateway split across chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

type Dialect = 'chat' | 'completion' | 'responses' | 'anthropic' | 'gemini';
const DIALECTS: Dialect[] = ['chat', 'completion', 'responses', 'anthropic', 'gemini'];
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const EMAIL = 'alice.wong@example.com';
const MOBILE = '13812345678';
const CARD = '4111 1111 1111 1111';

/** One call in a dialect: its path (whole, streamed), headers, body, and how to read the answer's text. */
const CALLS: Record<Dialect, { path: string; streamPath: string; headers: (key: string) => Record<string, string>; body: (text: string, stream: boolean) => unknown; text: (b: Any) => string; streamText: (events: Any[]) => string }> = {
  chat: {
    path: '/v1/chat/completions',
    streamPath: '/v1/chat/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], stream }),
    text: (b) => b.choices[0].message.content,
    streamText: (ev) => ev.map((e) => e.choices?.[0]?.delta?.content ?? '').join(''),
  },
  completion: {
    path: '/v1/completions',
    streamPath: '/v1/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-3.5-turbo-instruct', prompt: text, max_tokens: 300, stream }),
    text: (b) => b.choices[0].text,
    streamText: (ev) => ev.map((e) => e.choices?.[0]?.text ?? '').join(''),
  },
  responses: {
    path: '/v1/responses',
    streamPath: '/v1/responses',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', input: text, store: false, stream }),
    text: (b) => b.output.filter((i: Any) => i.type === 'message').flatMap((i: Any) => i.content.map((c: Any) => c.text)).join(''),
    streamText: (ev) => ev.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''),
  },
  anthropic: {
    path: '/v1/messages',
    streamPath: '/v1/messages',
    headers: (key) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', max_tokens: 300, messages: [{ role: 'user', content: text }], stream }),
    text: (b) => b.content.filter((c: Any) => c.type === 'text').map((c: Any) => c.text).join(''),
    streamText: (ev) => ev.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text ?? '').join(''),
  },
  gemini: {
    path: '/v1beta/models/gpt-4o-mini:generateContent',
    streamPath: '/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse',
    headers: (key) => ({ 'x-goog-api-key': key }),
    body: (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] }),
    text: (b) => b.candidates[0].content.parts.map((p: Any) => p.text).join(''),
    streamText: (ev) => ev.map((e) => (e.candidates?.[0]?.content?.parts ?? []).map((p: Any) => p.text ?? '').join('')).join(''),
  },
};

/** The user text the provider got: the simulator's journal, OpenAI-shaped (translated dialects reach the channel as chat). */
function upstreamText(b: Any): string {
  if (typeof b.prompt === 'string') return b.prompt;
  const m = b.messages.filter((x: Any) => x.role === 'user').at(-1);
  return typeof m.content === 'string' ? m.content : m.content.map((p: Any) => p.text ?? '').join('');
}

/** The JSON payloads of an SSE body. */
function events(body: string): Any[] {
  return body
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:') && !l.includes('[DONE]'))
    .map((l) => JSON.parse(l.slice(5)));
}

describe('redaction', () => {
  let t: TestGateway;
  let reversible: { key: string; appId: string };
  let masking: { key: string; appId: string };

  beforeAll(async () => {
    t = await startTestGateway();
    const root = { token: t.rootToken };
    const a = await t.newUserWithKey();
    const b = await t.newUserWithKey();
    reversible = { key: a.key, appId: a.appId };
    masking = { key: b.key, appId: b.appId };
    const all = ['email', 'phone', 'id_number', 'bank_card', 'ip'];
    let r = await t.api('PUT', `/api/admin/privacy/policies/app/${a.appId}`, { redaction: 'reversible', kinds: all }, root);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await t.api('PUT', `/api/admin/privacy/policies/app/${b.appId}`, { redaction: 'mask', kinds: all }, root);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });
  afterAll(() => t?.close());

  async function call(d: Dialect, key: string, text: string): Promise<{ status: number; body: Any }> {
    const c = CALLS[d];
    const res = await fetch(t.url + c.path, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(c.body(text, false)) });
    return { status: res.status, body: await res.json() };
  }

  async function stream(d: Dialect, key: string, text: string): Promise<{ status: number; body: string }> {
    const c = CALLS[d];
    const res = await fetch(t.url + c.streamPath, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(c.body(text, true)) });
    return { status: res.status, body: await res.text() };
  }

  for (const d of DIALECTS) {
    describe(d, () => {
      it('reversible: the provider sees placeholders, the caller gets the originals back', async () => {
        const r = await call(d, reversible.key, `Mail ${EMAIL} or call ${MOBILE} (${d})`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const sent = upstreamText(t.sim.requests.at(-1)!.body);
        expect(sent).toBe(`Mail [EMAIL_1] or call [PHONE_1] (${d})`);
        const text = CALLS[d].text(r.body);
        expect(text).toContain(`Mail ${EMAIL} or call ${MOBILE} (${d})`);
        expect(text).not.toContain('[EMAIL_1]');
      });

      it('reversible, streamed in small chunks: placeholders split across chunks come back whole as the originals', async () => {
        const r = await stream(d, reversible.key, `card ${CARD}, mail ${EMAIL} [[sim chunks=60]]`);
        expect(r.status, r.body).toBe(200);
        const sent = upstreamText(t.sim.requests.at(-1)!.body);
        expect(sent).toContain('card [BANK_CARD_1], mail [EMAIL_1]');
        expect(sent).not.toContain(EMAIL);
        const ev = events(r.body);
        // The reply was cut into 60 pieces of two or three characters: no placeholder arrived whole.
        expect(ev.length).toBeGreaterThan(30);
        const text = CALLS[d].streamText(ev);
        expect(text).toContain(`card ${CARD}, mail ${EMAIL}`);
        expect(r.body).not.toMatch(/\[EMAIL|BANK_CARD/);
      });

      it('mask: the provider and the caller both see placeholders', async () => {
        const r = await call(d, masking.key, `Mail ${EMAIL} please (${d})`);
        expect(r.status).toBe(200);
        expect(upstreamText(t.sim.requests.at(-1)!.body)).toBe(`Mail [EMAIL_1] please (${d})`);
        expect(CALLS[d].text(r.body)).toContain('Mail [EMAIL_1] please');
        expect(JSON.stringify(r.body)).not.toContain(EMAIL);
        const s = await stream(d, masking.key, `Mail ${EMAIL} please (${d}) [[sim chunks=40]]`);
        expect(CALLS[d].streamText(events(s.body))).toContain('Mail [EMAIL_1] please');
        expect(s.body).not.toContain(EMAIL);
      });
    });
  }

  it('the same value gets the same placeholder; the caller\'s own literal placeholder is left alone', async () => {
    const r = await call('chat', reversible.key, `[EMAIL_1] ${EMAIL} ${EMAIL}`);
    expect(upstreamText(t.sim.requests.at(-1)!.body)).toBe('[EMAIL_1] [EMAIL_2] [EMAIL_2]');
    expect(CALLS.chat.text(r.body)).toContain(`[EMAIL_1] ${EMAIL} ${EMAIL}`);
  });

  it('a Responses stream restores the whole texts of its closing events too', async () => {
    const r = await stream('responses', reversible.key, `note ${MOBILE} [[sim chunks=30]]`);
    const done = events(r.body).find((e) => e.type === 'response.completed');
    expect(JSON.stringify(done.response.output)).toContain(`note ${MOBILE}`);
    expect(r.body).not.toContain('[PHONE_1]');
  });

  describe('tools: definitions, earlier calls and their results are redacted too', () => {
    const PHONE_NUMBER = Number(MOBILE);
    const schema = { type: 'object', properties: { email: { type: 'string', description: `the address, e.g. ${EMAIL}`, format: 'email' } }, required: ['email'] };
    const result = JSON.stringify({ name: 'Alice', mobile: MOBILE, card: CARD });
    /** One conversation per dialect: a tool offered, the model's call of it, and the tool's result (the simulator answers "The tool returned: …"). */
    const BODIES: Record<Exclude<Dialect, 'completion'>, (stream: boolean) => unknown> = {
      chat: (stream) => ({
        model: 'gpt-4o-mini',
        stream,
        tools: [{ type: 'function', function: { name: 'lookup', description: `Looks up a customer such as ${EMAIL}`, parameters: schema } }],
        messages: [
          { role: 'user', content: 'find her' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ email: EMAIL, phone: PHONE_NUMBER }) } }] },
          { role: 'tool', tool_call_id: 'call_1', content: result },
        ],
      }),
      responses: (stream) => ({
        model: 'gpt-4o-mini',
        store: false,
        stream,
        tools: [{ type: 'function', name: 'lookup', description: `Looks up a customer such as ${EMAIL}`, parameters: schema }],
        input: [
          { role: 'user', content: 'find her' },
          { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: JSON.stringify({ email: EMAIL, phone: PHONE_NUMBER }) },
          { type: 'function_call_output', call_id: 'call_1', output: result },
        ],
      }),
      anthropic: (stream) => ({
        model: 'gpt-4o-mini',
        max_tokens: 300,
        stream,
        tools: [{ name: 'lookup', description: `Looks up a customer such as ${EMAIL}`, input_schema: schema }],
        messages: [
          { role: 'user', content: 'find her' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { email: EMAIL, phone: PHONE_NUMBER } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: result }] },
        ],
      }),
      gemini: () => ({
        tools: [{ functionDeclarations: [{ name: 'lookup', description: `Looks up a customer such as ${EMAIL}`, parameters: schema }] }],
        contents: [
          { role: 'user', parts: [{ text: 'find her' }] },
          { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { email: EMAIL, phone: PHONE_NUMBER } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { name: 'Alice', mobile: MOBILE, card: CARD } } }] },
        ],
      }),
    };

    for (const d of ['chat', 'responses', 'anthropic', 'gemini'] as const) {
      it(`${d}: the provider sees only placeholders, whole and streamed; the caller gets the tool's values back`, async () => {
        const c = CALLS[d];
        for (const stream of [false, true]) {
          const res = await fetch(t.url + (stream ? c.streamPath : c.path), { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(reversible.key) }, body: JSON.stringify(BODIES[d](stream)) });
          const text = await res.text();
          expect(res.status, text).toBe(200);
          const sent = JSON.stringify(t.sim.requests.at(-1)!.body);
          // The journal: the description, the schema's text, the call's arguments and the tool's result, placeholders only.
          for (const original of [EMAIL, MOBILE, '4111']) expect(sent).not.toContain(original);
          expect(sent).toContain('Looks up a customer such as [EMAIL_1]');
          expect(sent).toContain('e.g. [EMAIL_1]');
          expect(sent).toContain('[PHONE_1]');
          expect(sent).toContain('[BANK_CARD_1]');
          // The schema's own words are left alone.
          expect(sent).toContain('"format":"email"');
          const answer = stream ? c.streamText(events(text)) : c.text(JSON.parse(text));
          expect(answer).toContain('The tool returned:');
          expect(answer).toContain(MOBILE);
          expect(answer).toContain(CARD);
          expect(text).not.toMatch(/\[(PHONE|BANK_CARD|EMAIL)_/);
        }
      });
    }

    it("a tool call the model makes with a placeholder comes back to the caller with the original, whole and streamed", async () => {
      const args = JSON.stringify({ email: EMAIL }).replace(/"/g, '\\"');
      const body = (stream: boolean) => ({
        model: 'gpt-4o-mini',
        stream,
        tools: [{ type: 'function', function: { name: 'lookup', parameters: schema } }],
        messages: [{ role: 'user', content: `find ${EMAIL} [[sim tool=lookup args="${args}" chunks=40]]` }],
      });
      const whole = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${reversible.key}` }, body: JSON.stringify(body(false)) });
      const w = (await whole.json()) as Any;
      expect(JSON.stringify(t.sim.requests.at(-1)!.body)).not.toContain(EMAIL);
      expect(JSON.parse(w.choices[0].message.tool_calls[0].function.arguments)).toEqual({ email: EMAIL });
      const streamed = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${reversible.key}` }, body: JSON.stringify(body(true)) });
      const ev = events(await streamed.text());
      const argText = ev.map((e) => (e.choices?.[0]?.delta?.tool_calls ?? []).map((c: Any) => c.function?.arguments ?? '').join('')).join('');
      expect(JSON.parse(argText)).toEqual({ email: EMAIL });
    });
  });

  it('an App with no policy is not touched', async () => {
    const other = await t.newUserWithKey();
    await call('chat', other.key, `Mail ${EMAIL}`);
    expect(upstreamText(t.sim.requests.at(-1)!.body)).toBe(`Mail ${EMAIL}`);
  });
});
