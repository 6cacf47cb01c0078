import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { chatPromptTokens, parseSse, postJson, sseJson, tok } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  // apiKey is set to show that ERNIE's credential is the OAuth token, not the simulator key.
  sim = await startSimulator({ apiKey: 'unrelated-key' });
});
afterAll(() => sim.close());

const tokenUrl = (base: string, ak = 'my-ak', sk = 'my-sk') => `${base}/oauth/2.0/token?grant_type=client_credentials&client_id=${ak}&client_secret=${sk}`;
const chatUrl = (base: string, token: string, endpoint = 'completions_pro') => `${base}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/${endpoint}?access_token=${encodeURIComponent(token)}`;

async function getToken(base: string): Promise<string> {
  const r = await fetch(tokenUrl(base), { method: 'POST' });
  expect(r.status).toBe(200);
  return (await r.json()).access_token;
}

describe('Baidu OAuth token endpoint', () => {
  it('issues random tokens with Baidu fields; counts exchanges; accepts a form body', async () => {
    const before = sim.ernie.exchanges;
    const r = await (await fetch(tokenUrl(sim.url), { method: 'POST' })).json();
    expect(Object.keys(r).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'session_key', 'session_secret']);
    expect(r.expires_in).toBe(2592000);
    expect(r.access_token).toMatch(/^24\.[0-9a-f]{32}\.2592000\.\d+\.282335-\d+$/);
    expect(r.refresh_token).toMatch(/^25\./);
    const form = await fetch(`${sim.url}/oauth/2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'ak2', client_secret: 'sk2' }).toString(),
    });
    const r2 = await form.json();
    expect(r2.access_token).not.toBe(r.access_token);
    expect(sim.ernie.exchanges).toBe(before + 2);
    expect(sim.ernie.list().at(-1)).toMatchObject({ access_token: r2.access_token, client_id: 'ak2', expired: false });
    expect(sim.requests.filter((q) => q.path === '/oauth/2.0/token').length).toBeGreaterThanOrEqual(2);
  });

  it('rejects a bad secret, missing credentials and other grant types', async () => {
    const bad = await fetch(tokenUrl(sim.url, 'ak', 'bad'), { method: 'POST' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'invalid_client', error_description: 'unknown client id' });
    expect((await fetch(`${sim.url}/oauth/2.0/token?grant_type=client_credentials&client_id=ak`, { method: 'POST' })).status).toBe(401);
    const grant = await fetch(`${sim.url}/oauth/2.0/token?grant_type=password&client_id=a&client_secret=b`, { method: 'POST' });
    expect(grant.status).toBe(400);
    expect((await grant.json()).error).toBe('unsupported_grant_type');
  });
});

describe('ERNIE chat (wenxinworkshop)', () => {
  it('answers with Baidu fields and honest usage (system counted as a turn)', async () => {
    const token = await getToken(sim.url);
    const messages = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: '介绍一下北京' },
    ];
    const r = await (await postJson(chatUrl(sim.url, token), { messages, system: 'You are ERNIE.', temperature: 0.5, top_p: 0.8 })).json();
    expect(r.id).toMatch(/^as-/);
    expect(r.object).toBe('chat.completion');
    expect(typeof r.created).toBe('number');
    expect(r.result).toContain('介绍一下北京');
    expect(r).toMatchObject({ is_truncated: false, need_clear_history: false, finish_reason: 'normal' });
    const prompt = chatPromptTokens([{ role: 'system', content: 'You are ERNIE.' }, ...messages]);
    expect(r.usage).toEqual({ prompt_tokens: prompt, completion_tokens: tok(r.result), total_tokens: prompt + tok(r.result) });
    // Any endpoint name works (custom deployments).
    const other = await (await postJson(chatUrl(sim.url, token, 'ernie-speed-128k'), { messages: [{ role: 'user', content: 'x' }] })).json();
    expect(other.result).toBeTruthy();
  });

  it('error 110 for unknown or missing tokens, 111 once expired; refresh fixes it', async () => {
    const body = { messages: [{ role: 'user', content: 'hello' }] };
    const unknown = await postJson(chatUrl(sim.url, '24.nope'), body);
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ error_code: 110, error_msg: 'Access token invalid or no longer valid' });
    const missing = await postJson(`${sim.url}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro`, body);
    expect((await missing.json()).error_code).toBe(110);

    const token = await getToken(sim.url);
    expect((await (await postJson(chatUrl(sim.url, token), body)).json()).result).toBeTruthy();
    const listing = await (await fetch(`${sim.url}/_sim/ernie/expire`, { method: 'POST' })).json();
    expect(listing.tokens.every((t: { expired: boolean }) => t.expired)).toBe(true);
    const expired = await postJson(chatUrl(sim.url, token), body);
    expect(expired.status).toBe(200);
    expect(await expired.json()).toEqual({ error_code: 111, error_msg: 'Access token expired' });

    const exchanges = (await (await fetch(`${sim.url}/_sim/ernie/tokens`)).json()).exchanges;
    const fresh = await getToken(sim.url);
    expect((await (await postJson(chatUrl(sim.url, fresh), body)).json()).result).toBeTruthy();
    expect((await (await fetch(`${sim.url}/_sim/ernie/tokens`)).json()).exchanges).toBe(exchanges + 1);
    expect(sim.ernie.expireAll()).toBeGreaterThanOrEqual(1);
    expect((await (await postJson(chatUrl(sim.url, fresh), body)).json()).error_code).toBe(111);
  });

  it('token lifetime from the option or /_sim/ernie/tokens; DELETE forgets tokens', async () => {
    const short = await startSimulator({ ernieTokenExpiresIn: 0 });
    try {
      const r = await (await fetch(tokenUrl(short.url), { method: 'POST' })).json();
      expect(r.expires_in).toBe(0);
      expect((await (await postJson(chatUrl(short.url, r.access_token), { messages: [{ role: 'user', content: 'x' }] })).json()).error_code).toBe(111);
      const set = await (await fetch(`${short.url}/_sim/ernie/tokens`, { method: 'PUT', body: JSON.stringify({ expiresIn: 3600 }) })).json();
      expect(set.expiresIn).toBe(3600);
      const t = await getToken(short.url);
      expect((await (await postJson(chatUrl(short.url, t), { messages: [{ role: 'user', content: 'x' }] })).json()).result).toBeTruthy();
      const cleared = await (await fetch(`${short.url}/_sim/ernie/tokens`, { method: 'DELETE' })).json();
      expect(cleared).toEqual({ expiresIn: 3600, exchanges: 0, tokens: [] });
      expect((await (await postJson(chatUrl(short.url, t), { messages: [{ role: 'user', content: 'x' }] })).json()).error_code).toBe(110);
    } finally {
      await short.close();
    }
  });

  it('336003 for invalid message lists (HTTP 200)', async () => {
    const token = await getToken(sim.url);
    const check = async (body: unknown, msg: RegExp) => {
      const r = await postJson(chatUrl(sim.url, token), body);
      expect(r.status).toBe(200);
      const e = await r.json();
      expect(e.error_code).toBe(336003);
      expect(e.error_msg).toMatch(msg);
    };
    await check({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] }, /odd number/);
    await check({ messages: [] }, /odd number/);
    await check({ messages: [{ role: 'assistant', content: 'a' }] }, /even index.*user/);
    await check({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'user', content: 'c' }] }, /odd index.*assistant/);
    await check({ messages: [{ role: 'system', content: 'a' }] }, /even index/);
    await check({ messages: [{ role: 'user', content: '' }] }, /content/);
  });

  it('streams sentences; the last event has is_end and the final usage', async () => {
    const token = await getToken(sim.url);
    const reply = 'one two three four five six seven eight nine ten';
    const res = await postJson(chatUrl(sim.url, token), { stream: true, messages: [{ role: 'user', content: 'count' }] }, { 'x-sim-reply': reply, 'x-sim-chunks': '4' });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const raw = await res.text();
    expect(parseSse(raw).every((e) => e.data !== '[DONE]')).toBe(true);
    const events = sseJson(raw);
    expect(events).toHaveLength(4);
    expect(events.map((e) => e.sentence_id)).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => e.is_end)).toEqual([false, false, false, true]);
    expect(events.map((e) => e.result).join('')).toBe(reply);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);
    expect(events.every((e) => e.object === 'chat.completion' && e.need_clear_history === false)).toBe(true);
    const prompt = chatPromptTokens([{ role: 'user', content: 'count' }]);
    expect(events.at(-1).usage).toEqual({ prompt_tokens: prompt, completion_tokens: tok(reply), total_tokens: prompt + tok(reply) });
    expect(events.at(-1).finish_reason).toBe('normal');
  });

  it('max_output_tokens truncates (finish length), stop ends early (finish stop)', async () => {
    const token = await getToken(sim.url);
    const reply = 'alpha beta gamma delta epsilon zeta';
    const cut = await (await postJson(chatUrl(sim.url, token), { max_output_tokens: 2, messages: [{ role: 'user', content: 'x' }] }, { 'x-sim-reply': reply })).json();
    expect(cut).toMatchObject({ is_truncated: true, finish_reason: 'length' });
    expect(cut.usage.completion_tokens).toBe(2);
    const stopped = await (await postJson(chatUrl(sim.url, token), { stop: ['gamma'], messages: [{ role: 'user', content: 'x' }] }, { 'x-sim-reply': reply })).json();
    expect(stopped).toMatchObject({ result: 'alpha beta ', finish_reason: 'stop', is_truncated: false });
  });

  it('faults and directives apply after the token check; the endpoint allow-list answers error 3', async () => {
    const token = await getToken(sim.url);
    const limited = await postJson(chatUrl(sim.url, token), { messages: [{ role: 'user', content: 'x [[sim fault=status:429]]' }] });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error_code).toBe(18);
    const replied = await (await postJson(chatUrl(sim.url, token), { messages: [{ role: 'user', content: 'x [[sim reply="好的"]]' }] })).json();
    expect(replied.result).toBe('好的');
    // A bad token wins over a fault: the gateway sees the auth error it must handle.
    const badToken = await postJson(chatUrl(sim.url, 'bogus'), { messages: [{ role: 'user', content: 'x [[sim fault=status:500]]' }] });
    expect(badToken.status).toBe(200);
    expect((await badToken.json()).error_code).toBe(110);

    const strict = await startSimulator({ models: ['completions_pro'] });
    try {
      const t = await getToken(strict.url);
      const r = await postJson(chatUrl(strict.url, t, 'no_such_endpoint'), { messages: [{ role: 'user', content: 'x' }] });
      expect(await r.json()).toEqual({ error_code: 3, error_msg: 'Unsupported openapi method' });
    } finally {
      await strict.close();
    }
  });
});
