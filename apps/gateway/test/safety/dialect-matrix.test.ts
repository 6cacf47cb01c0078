/**
 * Every text dialect × {block, mask, flag} × {whole answer, stream}, on the output, through the
 * real gateway and the simulator over HTTP. The simulator's reply quotes the caller's text, so an
 * output-only rule sees the word after the provider wrote it; `[[sim chunks=N]]` makes it split
 * the reply into N events (deterministically), so the words fall across chunk boundaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

type Dialect = 'chat' | 'completion' | 'responses' | 'anthropic' | 'gemini';
const DIALECTS: Dialect[] = ['chat', 'completion', 'responses', 'anthropic', 'gemini'];
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CALLS: Record<Dialect, { path: (stream: boolean) => string; headers: (key: string) => Record<string, string>; body: (text: string, stream: boolean) => unknown; text: (b: Json) => string }> = {
  chat: {
    path: () => '/v1/chat/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], stream }),
    text: (b) => b.choices[0].message.content,
  },
  completion: {
    path: () => '/v1/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-3.5-turbo-instruct', prompt: text, max_tokens: 300, stream }),
    text: (b) => b.choices[0].text,
  },
  responses: {
    path: () => '/v1/responses',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', input: text, store: false, stream }),
    text: (b) => responseText(b),
  },
  anthropic: {
    path: () => '/v1/messages',
    headers: (key) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
    body: (text, stream) => ({ model: 'gpt-4o-mini', max_tokens: 300, messages: [{ role: 'user', content: text }], stream }),
    text: (b) => b.content.filter((c: Json) => c.type === 'text').map((c: Json) => c.text).join(''),
  },
  gemini: {
    path: (stream) => (stream ? '/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse' : '/v1beta/models/gpt-4o-mini:generateContent'),
    headers: (key) => ({ 'x-goog-api-key': key }),
    body: (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] }),
    text: (b) => b.candidates[0].content.parts.map((p: Json) => p.text).join(''),
  },
};

function responseText(r: Json): string {
  return r.output.filter((i: Json) => i.type === 'message').flatMap((i: Json) => i.content.map((c: Json) => c.text)).join('');
}

/** Each dialect's content-filter ending of a cut stream. */
const ENDINGS: Record<Dialect, RegExp> = {
  chat: /"finish_reason":"content_filter"[^\n]*\n\ndata: \[DONE\]\n\n$/,
  completion: /"finish_reason":"content_filter"[^\n]*\n\ndata: \[DONE\]\n\n$/,
  responses: /event: response\.incomplete\ndata: [^\n]*\n\n$/,
  anthropic: /"stop_reason":"refusal"[\s\S]*event: message_stop\ndata: \{"type":"message_stop"\}\n\n$/,
  gemini: /"finishReason":"SAFETY"[^\n]*\n\n$/,
};

/** The payloads of a stream's `data:` lines. */
function payloads(body: string): Json[] {
  return body
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)));
}

/** The answer's new text in a stream, in the caller's dialect. */
function streamedText(d: Dialect, body: string): string {
  let text = '';
  for (const p of payloads(body)) {
    if (d === 'chat') text += p.choices?.[0]?.delta?.content ?? '';
    else if (d === 'completion') text += p.choices?.[0]?.text ?? '';
    else if (d === 'responses') text += p.type === 'response.output_text.delta' ? p.delta : '';
    else if (d === 'anthropic') text += p.type === 'content_block_delta' ? (p.delta.text ?? '') : '';
    else for (const part of p.candidates?.[0]?.content?.parts ?? []) text += part.text ?? '';
  }
  return text;
}

describe('content rules on the output, every dialect, whole and streamed', () => {
  let t: TestGateway;
  let key: string;
  const rules: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestGateway();
    ({ key } = await t.newUserWithKey());
    const make = async (name: string, body: Record<string, unknown>) => {
      const r = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name, directions: ['output'], ...body }, { token: t.rootToken });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      rules[name] = r.body.id;
    };
    await make('codename', { kind: 'words', action: 'block', words: ['bluefalcon'] });
    await make('animal', { kind: 'words', action: 'mask', words: ['crimsonwombat', '紅袋熊'] });
    await make('fruit', { kind: 'words', action: 'flag', words: ['dragonfruit'] });
    await make('ticket', { kind: 'regex', action: 'mask', pattern: 'tkt-\\d{6}' });
  });
  afterAll(() => t?.close());

  async function call(d: Dialect, text: string, stream: boolean): Promise<{ status: number; body: string }> {
    const c = CALLS[d];
    const res = await fetch(t.url + c.path(stream), { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(c.body(text, stream)) });
    return { status: res.status, body: await res.text() };
  }

  const decisions = (rule: string) => t.gw.services.db.selectFrom('safety_decisions').selectAll().where('rule_id', '=', rules[rule]).execute();

  for (const d of DIALECTS) {
    describe(d, () => {
      it('block, whole answer: the content_filter error in the dialect', async () => {
        const r = await call(d, `say bluefalcon please (${d})`, false);
        expect(r.status).toBe(400);
        const b = JSON.parse(r.body);
        expect(b.error.message).toContain('The answer was blocked by the content policy (rule: codename)');
        if (d !== 'anthropic' && d !== 'gemini') expect(b.error.code).toBe('content_filter');
      });

      it('block, stream: a word split across chunks cuts the stream with the dialect ending; the text before it goes out', async () => {
        const r = await call(d, `[[sim chunks=40]]tell them bluefalcon and then more words (${d})`, true);
        expect(r.status).toBe(200);
        expect(r.body).toMatch(ENDINGS[d]);
        const text = streamedText(d, r.body);
        expect(text).toContain('tell them ');
        expect(text).not.toMatch(/blue|falcon|more words/);
        if (d === 'responses') {
          const last = payloads(r.body).at(-1);
          expect(last.response.status).toBe('incomplete');
          expect(last.response.incomplete_details).toEqual({ reason: 'content_filter' });
        }
      });

      it('mask, whole answer: the word and the pattern are starred, the rest is untouched', async () => {
        const r = await call(d, `the crimsonwombat has tkt-123456 (${d})`, false);
        expect(r.status).toBe(200);
        const text = CALLS[d].text(JSON.parse(r.body));
        expect(text).toContain(`the ************* has ********** (${d})`);
      });

      it('mask, stream: a word split across chunks, full-width and spaced out, is starred in the events', async () => {
        const r = await call(d, `[[sim chunks=60]]tkt-654321, ＣＲＩＭＳＯＮ ｗｏｍｂａｔ, c-r-i-m-s-o-n-w-o-m-b-a-t, 紅袋熊 (${d})`, true);
        expect(r.status).toBe(200);
        const text = streamedText(d, r.body);
        expect(text).toContain("\"**********, **************, *************************, *** (");
        expect(text).not.toMatch(/ＣＲＩＭＳＯＮ|ｗｏｍｂａｔ|c-r-i|紅袋熊|654321/);
        // Completed normally, with the dialect's usual ending.
        expect(r.body).not.toMatch(ENDINGS[d]);
        if (d === 'responses') {
          // The texts the Responses events repeat whole are masked too.
          const done = payloads(r.body).filter((p) => p.type === 'response.output_text.done' || p.type === 'response.completed');
          expect(done.length).toBe(2);
          for (const p of done) expect(JSON.stringify(p)).not.toMatch(/ＣＲＩＭＳＯＮ|紅袋熊|654321/);
          expect(responseText(done[1].response)).toBe(text);
        }
      });

      it('flag, whole and stream: the text passes unchanged, one decision per call', async () => {
        const before = (await decisions('fruit')).length;
        const plain = await call(d, `a dragonfruit smoothie (${d})`, false);
        expect(CALLS[d].text(JSON.parse(plain.body))).toContain('a dragonfruit smoothie');
        const streamed = await call(d, `[[sim chunks=30]]a dragonfruit and a dragonfruit (${d})`, true);
        expect(streamedText(d, streamed.body)).toContain('a dragonfruit and a dragonfruit');
        await eventually(async () => (await decisions('fruit')).length === before + 2);
      });
    });
  }

  it('the simulator does split the words across events (what holding text back is for)', async () => {
    const res = await fetch(`${t.sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: '[[sim chunks=40]]tell them bluefalcon' }] }) });
    const deltas = payloads(await res.text()).map((p) => p.choices?.[0]?.delta?.content ?? '');
    const joined = deltas.join('');
    const start = joined.indexOf('bluefalcon');
    expect(start).toBeGreaterThan(0);
    // Some event boundary falls inside the word.
    let at = 0;
    const boundaries = deltas.map((x) => (at += x.length));
    expect(boundaries.some((b) => b > start && b < start + 'bluefalcon'.length)).toBe(true);
  });
});
