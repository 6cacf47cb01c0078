/**
 * The content-safety stage in the call pipeline, through the real gateway and the simulator over
 * HTTP: rules made with the management API, calls in every text dialect (OpenAI chat and
 * completions, Responses, Anthropic, Gemini; not streamed), blocked, masked and flagged on input and
 * on the whole output. The simulator's reply quotes the last user text, so an output-only rule sees
 * the word the caller sent after the provider answered with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { check } from '../openapi-spec.js';

type Dialect = 'chat' | 'completion' | 'responses' | 'anthropic' | 'gemini';
const DIALECTS: Dialect[] = ['chat', 'completion', 'responses', 'anthropic', 'gemini'];

/** One call in a dialect with one user text; `text` reads the answer's text, `upstream` the text the provider got. */
const CALLS: Record<Dialect, { path: string; headers: (key: string) => Record<string, string>; body: (text: string) => unknown; text: (b: any) => string; upstream: (b: any) => string }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  chat: {
    path: '/v1/chat/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }),
    text: (b) => b.choices[0].message.content,
    upstream: (b) => b.messages.at(-1).content,
  },
  completion: {
    path: '/v1/completions',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text) => ({ model: 'gpt-3.5-turbo-instruct', prompt: text }),
    text: (b) => b.choices[0].text,
    upstream: (b) => b.prompt,
  },
  responses: {
    path: '/v1/responses',
    headers: (key) => ({ authorization: `Bearer ${key}` }),
    body: (text) => ({ model: 'gpt-4o-mini', input: text, store: false }),
    text: (b) => b.output.filter((i: any) => i.type === 'message').flatMap((i: any) => i.content.map((c: any) => c.text)).join(''), // eslint-disable-line @typescript-eslint/no-explicit-any
    upstream: (b) => upstreamUserText(b),
  },
  anthropic: {
    path: '/v1/messages',
    headers: (key) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' }),
    body: (text) => ({ model: 'gpt-4o-mini', max_tokens: 200, messages: [{ role: 'user', content: text }] }),
    text: (b) => b.content.filter((c: any) => c.type === 'text').map((c: any) => c.text).join(''), // eslint-disable-line @typescript-eslint/no-explicit-any
    upstream: (b) => upstreamUserText(b),
  },
  gemini: {
    path: '/v1beta/models/gpt-4o-mini:generateContent',
    headers: (key) => ({ 'x-goog-api-key': key }),
    body: (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] }),
    text: (b) => b.candidates[0].content.parts.map((p: any) => p.text).join(''), // eslint-disable-line @typescript-eslint/no-explicit-any
    upstream: (b) => upstreamUserText(b),
  },
};

/** The last user text of an OpenAI-shaped upstream request (translated dialects reach the openai-compatible channel as chat). */
function upstreamUserText(b: any): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const m = b.messages.filter((x: any) => x.role === 'user').at(-1); // eslint-disable-line @typescript-eslint/no-explicit-any
  return typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text ?? '').join(''); // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The dialect's error message and (where the dialect has one) code. */
function errorOf(d: Dialect, b: any): { message: string; code?: string } { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (d === 'anthropic') return { message: b.error.message };
  if (d === 'gemini') return { message: b.error.message };
  return { message: b.error.message, code: b.error.code };
}

describe('content-safety stage', () => {
  let t: TestGateway;
  let key: string;
  let userId: string;
  const rules: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestGateway();
    ({ key, userId } = await t.newUserWithKey());
    const root = { token: t.rootToken };
    const make = async (name: string, body: Record<string, unknown>) => {
      const r = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name, ...body }, root);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      rules[name] = r.body.id;
    };
    await make('gambling', { kind: 'words', action: 'block', words: ['赌博', 'casino'] });
    await make('swearing', { kind: 'words', action: 'mask', words: ['darn'] });
    await make('mobile number', { kind: 'regex', action: 'flag', pattern: '1[3-9]\\d{9}' });
    await make('secret codename', { kind: 'words', action: 'block', words: ['bluefalcon'], directions: ['output'] });
    await make('rude answer', { kind: 'words', action: 'mask', words: ['heck'], directions: ['output'] });
    await make('flagged answer', { kind: 'words', action: 'flag', words: ['pineapple'], directions: ['output'] });
    await make('masked pattern', { kind: 'regex', action: 'mask', pattern: 'order-\\d{4}' });
    await make('blocked pattern', { kind: 'regex', action: 'block', pattern: 'wire \\$\\d+' });
  });
  afterAll(() => t?.close());

  async function call(d: Dialect, text: string): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const c = CALLS[d];
    const res = await fetch(t.url + c.path, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(c.body(text)) });
    return { status: res.status, body: await res.json() };
  }

  async function decisions(ruleName: string) {
    return t.gw.services.db.selectFrom('safety_decisions').selectAll().where('rule_id', '=', rules[ruleName]).execute();
  }

  for (const d of DIALECTS) {
    describe(d, () => {
      it('blocks a listed word on input, full-width and spaced out, before the provider sees it and without a charge', async () => {
        for (const text of [`let us visit the ＣＡＳＩＮＯ today (${d})`, `let us visit the c a s i n o today (${d})`]) {
          const before = t.sim.requests.length;
          const r = await call(d, text);
          expect(r.status).toBe(400);
          const e = errorOf(d, r.body);
          expect(e.message).toContain('content policy');
          expect(e.message).toContain('gambling');
          if (e.code !== undefined) expect(e.code).toBe('content_filter');
          expect(t.sim.requests.length).toBe(before);
        }
        await t.flushLogs();
        const row = await t.gw.services.db.selectFrom('request_logs').select(['status', 'error_code', 'cost']).where('user_id', '=', userId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
        expect(row).toEqual({ status: 400, error_code: 'content_filter', cost: 0 });
      });

      it('blocks the traditional spelling of a simplified word', async () => {
        const r = await call(d, '我們去賭博吧');
        expect(r.status).toBe(400);
        expect(errorOf(d, r.body).message).toContain('gambling');
      });

      it('blocks a regular-expression hit on input', async () => {
        const r = await call(d, `please wire $500 now (${d})`);
        expect(r.status).toBe(400);
      });

      it('masks a listed word and a pattern before the text goes upstream', async () => {
        const r = await call(d, `oh d.a.r.n, my order-1234 is late (${d})`);
        expect(r.status).toBe(200);
        const sent = CALLS[d].upstream(t.sim.requests.at(-1)!.body);
        expect(sent).toContain('oh *******, my ********** is late');
        expect(sent).not.toMatch(/d.a.r.n|order-1234/);
      });

      it('flags a pattern: the call goes through unchanged and the decision is recorded on input and output', async () => {
        const before = await decisions('mobile number');
        const r = await call(d, `my number is 13800138000 (${d})`);
        expect(r.status).toBe(200);
        expect(CALLS[d].upstream(t.sim.requests.at(-1)!.body)).toContain('13800138000');
        // The reply quotes the number: the rule (both directions) flags the answer too. Decisions are
        // written in the background.
        const added = await eventually(async () => {
          const now = await decisions('mobile number');
          return now.length === before.length + 2 && now.filter((x) => !before.some((b) => b.id === x.id));
        });
        expect(added.map((x) => [x.action, x.direction, x.user_id]).sort()).toEqual([
          ['flag', 'input', userId],
          ['flag', 'output', userId],
        ]);
      });

      it('blocks a whole answer holding an output-only word (the input passes)', async () => {
        const r = await call(d, `repeat: bluefalcon (${d})`);
        expect(CALLS[d].upstream(t.sim.requests.at(-1)!.body)).toContain('bluefalcon');
        expect(r.status).toBe(400);
        const e = errorOf(d, r.body);
        expect(e.message).toContain('The answer was blocked');
        if (e.code !== undefined) expect(e.code).toBe('content_filter');
      });

      it('masks an output-only word in the answer, and flags another', async () => {
        const before = (await decisions('flagged answer')).length;
        const r = await call(d, `what the heck, pineapple (${d})`);
        expect(r.status).toBe(200);
        expect(CALLS[d].upstream(t.sim.requests.at(-1)!.body)).toContain('heck');
        const text = CALLS[d].text(r.body);
        expect(text).toContain('what the ****, pineapple');
        await eventually(async () => (await decisions('flagged answer')).length === before + 1);
      });
    });
  }

  describe('streamed calls: input checked before the stream begins', () => {
    async function stream(d: 'chat' | 'anthropic' | 'gemini', text: string): Promise<{ status: number; body: string }> {
      const c = CALLS[d];
      const body = { ...(c.body(text) as object), ...(d === 'gemini' ? {} : { stream: true }) };
      const path = d === 'gemini' ? '/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse' : c.path;
      const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.text() };
    }

    for (const d of ['chat', 'anthropic', 'gemini'] as const) {
      it(`${d}: a blocked input is refused before the stream begins, in the dialect's error shape`, async () => {
        const before = t.sim.requests.length;
        const r = await stream(d, 'ＣＡＳＩＮＯ night');
        expect(r.status).toBe(400);
        expect(errorOf(d, JSON.parse(r.body)).message).toContain('gambling');
        expect(t.sim.requests.length).toBe(before);
      });

      it(`${d}: a masked input reaches the provider masked`, async () => {
        const r = await stream(d, `d a r n it (${d} stream)`);
        expect(r.status).toBe(200);
        expect(CALLS[d].upstream(t.sim.requests.at(-1)!.body)).toContain('******* it');
      });
    }
  });

  describe('streamed output, checked as the text accumulates', () => {
    const ENDINGS: Record<'chat' | 'completion' | 'anthropic' | 'gemini', RegExp> = {
      chat: /"finish_reason":"content_filter"[^\n]*\n\ndata: \[DONE\]\n\n$/,
      completion: /"finish_reason":"content_filter"[^\n]*\n\ndata: \[DONE\]\n\n$/,
      anthropic: /"stop_reason":"refusal"[\s\S]*event: message_stop\ndata: \{"type":"message_stop"\}\n\n$/,
      gemini: /"finishReason":"SAFETY"[^\n]*\n\n$/,
    };

    async function streamCall(d: 'chat' | 'completion' | 'anthropic' | 'gemini', text: string): Promise<{ status: number; body: string }> {
      const c = CALLS[d];
      const body = { ...(c.body(text) as object), ...(d === 'gemini' ? {} : { stream: true }) };
      const path = d === 'gemini' ? '/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse' : c.path;
      const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers(key) }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.text() };
    }

    /** The answer's text in the caller's events. */
    function streamedText(body: string): string {
      let text = '';
      for (const line of body.split('\n')) {
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const p = JSON.parse(line.slice(6));
        text += p.choices?.[0]?.delta?.content ?? p.choices?.[0]?.text ?? (p.type === 'content_block_delta' ? (p.delta.text ?? '') : '') ?? '';
        for (const part of p.candidates?.[0]?.content?.parts ?? []) text += part.text ?? '';
      }
      return text;
    }

    it('the simulator splits the word over several events (what the window is for)', async () => {
      const r = await streamCall('chat', 'a watermelonsmoothie and a kiwi');
      expect(r.status).toBe(200);
      expect(r.body.split('\n\n').some((e) => e.includes('watermelonsmoothie'))).toBe(false);
      expect(streamedText(r.body)).toContain('a watermelonsmoothie and a kiwi');
    });

    for (const d of ['chat', 'completion', 'anthropic', 'gemini'] as const) {
      it(`${d}: a blocked word split across chunks cuts the stream with the dialect's content-filter ending`, async () => {
        const r = await streamCall(d, `please repeat this: bluefalcon and more words after it (${d})`);
        expect(r.status).toBe(200);
        expect(r.body).toMatch(ENDINGS[d]);
        const text = streamedText(r.body);
        expect(text).toContain('please repeat this');
        expect(text).not.toContain('bluefalcon');
        expect(text).not.toContain('more words after it');
        await t.flushLogs();
        const row = await t.gw.services.db.selectFrom('request_logs').select(['status', 'error_code']).where('user_id', '=', userId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
        expect(row).toEqual({ status: 200, error_code: 'content_filter' });
      });
    }

    it('a spaced-out, full-width blocked word is cut too', async () => {
      const r = await streamCall('chat', 'say ＢＬＵＥ ＦＡＬＣＯＮ now');
      expect(r.body).toMatch(ENDINGS.chat);
      expect(streamedText(r.body)).not.toContain('ＦＡＬＣＯＮ');
    });

    it('a flagged word passes and is recorded once per call', async () => {
      const before = (await decisions('flagged answer')).length;
      const r = await streamCall('chat', 'pineapple, pineapple and pineapple');
      expect(streamedText(r.body)).toContain('pineapple, pineapple and pineapple');
      expect(r.body).toContain('data: [DONE]');
      await eventually(async () => (await decisions('flagged answer')).length === before + 1);
    });
  });

  it('records decisions without the checked text', async () => {
    const marker = 'casino-zq81x';
    const r = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(CALLS.chat.body(`a unique ${marker} prompt`)) });
    expect(r.status).toBe(400);
    await t.flushLogs();
    const { id } = await t.gw.services.db.selectFrom('request_logs').select('id').where('user_id', '=', userId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    // The blocked call's own decision, written in the background.
    await eventually(async () => (await t.gw.services.db.selectFrom('safety_decisions').select('id').where('request_id', '=', id).execute()).length === 1);
    const rows = await t.gw.services.db.selectFrom('safety_decisions').selectAll().execute();
    expect(Object.keys(rows[0]).sort()).toEqual(['action', 'created_at', 'direction', 'id', 'request_id', 'rule_id', 'user_id']);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain('zq81x');
  });

  it('answers POST /v1/moderations with the rules', async () => {
    const res = await fetch(`${t.url}/v1/moderations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ input: ['fine text', 'to the 賭博 hall', 'call 13800138000'] }) });
    expect(res.status).toBe(200);
    const b = (await res.json()) as { results: { flagged: boolean; categories: Record<string, boolean>; apigpt_action: string | null }[] };
    expect(b.results.map((r) => r.flagged)).toEqual([false, true, true]);
    expect(b.results[1].categories.gambling).toBe(true);
    expect(b.results[1].categories.hate).toBe(false);
    expect(b.results.map((r) => r.apigpt_action)).toEqual([null, 'block', 'flag']);
    // The answer is what OpenAI's own document describes (extra categories and fields allowed).
    expect(check('CreateModerationResponse', b)).toBeNull();
  });

  it('refuses /v1/moderations without a key', async () => {
    const res = await fetch(`${t.url}/v1/moderations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: 'x' }) });
    expect(res.status).toBe(401);
  });
});
