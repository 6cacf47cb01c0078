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

  it('an App with no policy is not touched', async () => {
    const other = await t.newUserWithKey();
    await call('chat', other.key, `Mail ${EMAIL}`);
    expect(upstreamText(t.sim.requests.at(-1)!.body)).toBe(`Mail ${EMAIL}`);
  });
});
