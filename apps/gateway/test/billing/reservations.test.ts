import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balanceOf, MICRO, setBalance, setPrice } from './helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { anthropicCodec } from '../../src/formats/anthropic/codec.js';
import { openaiCodec } from '../../src/formats/openai/codec.js';
import { worstCase, type Price } from '../../src/billing/pricing.js';
import { SEARCH_ALLOWANCE } from '../../src/formats/quote.js';

/**
 * A call reserves the worst case of its quote before it goes upstream and is then charged what it
 * used. Prompt-cache writes cost more than input (1.25× for 5 minutes, 2× for an hour) and web
 * searches cost per search: the quote counts both, so the reservation is never below the charge —
 * for plain, streamed, cut and aborted calls alike — and a balance that covers a call only at the
 * input rate is refused before anything goes upstream.
 */

const MODES = ['r-plain', 'r-stream', 'r-cut', 'r-abort', 'r-refused', 'r-search'] as const;
const H = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
/** 3 P / 15 P per 1K tokens, cached input 0.3 P: µP per 1K as the price book keeps them. */
const PRICE: Price = { model: 'x', input: 3 * MICRO, output: 15 * MICRO, cachedInput: 0.3 * MICRO, perImage: null, perKChars: null, perSecond: null, perKSearches: 10 * MICRO, maxOutput: 64_000 };

/** A Claude Code-like request: a long system prompt cached for an hour, the turn for five minutes. */
function body(model: string, tag: string, stream: boolean, text = 'Summarise the project.') {
  return {
    model,
    max_tokens: 200,
    stream,
    system: [{ type: 'text', text: `${tag}: You are a careful coding agent. `.repeat(150), cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text, cache_control: { type: 'ephemeral' } }] }],
  };
}

/** The charge of a logged call from its own units at PRICE (rounded up once, as billing does). */
function chargeOf(row: { prompt_tokens: number; cached_tokens: number; completion_tokens: number; cache_write_5m_tokens?: number | null; cache_write_1h_tokens?: number | null; searches: number }): number {
  const w5 = row.cache_write_5m_tokens ?? 0;
  const w1 = row.cache_write_1h_tokens ?? 0;
  const plain = row.prompt_tokens - row.cached_tokens - w5 - w1;
  const scaled = plain * 3000 + row.cached_tokens * 300 + w5 * 3750 + w1 * 6000 + row.completion_tokens * 15000 + row.searches * 10_000;
  return Math.ceil(scaled);
}

describe('reservations cover prompt-cache writes and searches', () => {
  let t: TestGateway;
  let key: string;
  let userId: string;
  let cookie: string;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: Object.fromEntries(MODES.map((m) => [m, 'claude-sonnet-4-5'])) },
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 'r-openai-search': 'gpt-4o-mini' } },
      ],
    });
    for (const m of [...MODES, 'r-openai-search']) await setPrice(t, m, 3, 15, { cachedInput: 0.3, perKSearches: 10 });
    const u = await t.newUserWithKey();
    key = u.key;
    userId = u.userId;
    cookie = u.cookie;
    await setBalance(t, userId, cookie, 1000);
  });
  afterAll(() => t?.close());

  const post = (b: unknown, signal?: AbortSignal) => fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { ...H, 'x-api-key': key }, body: JSON.stringify(b), signal });
  const worst = (b: Record<string, unknown>) => worstCase(PRICE, anthropicCodec.quote!('chat', b), 1_000_000).cost;
  const row = (model: string) =>
    eventually(async () => {
      await t.flushLogs();
      const r = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).where('model_requested', '=', model).executeTakeFirst();
      expect(r).toBeDefined();
      return r!;
    });

  it('the quote of a request with an hour-long breakpoint prices its whole prompt at the 1-hour write rate', () => {
    const b = body('r-plain', 'quote', false);
    const q = anthropicCodec.quote!('chat', b);
    expect(q.units.cacheWrite1hTokens).toBe(q.units.promptTokens);
    const fiveMinutes = { ...b, system: [{ ...b.system[0], cache_control: { type: 'ephemeral' } }] };
    expect(anthropicCodec.quote!('chat', fiveMinutes).units.cacheWrite5mTokens).toBe(q.units.promptTokens);
    const none = { ...b, system: 'Plain.', messages: [{ role: 'user', content: 'Hi' }] };
    const u = anthropicCodec.quote!('chat', none).units;
    expect([u.cacheWrite5mTokens, u.cacheWrite1hTokens]).toEqual([undefined, undefined]);
  });

  it('plain: the first call writes the cache; its charge is exact and within the reservation', async () => {
    const b = body('r-plain', 'plain', false);
    const res = await post(b);
    expect(res.status).toBe(200);
    const usage = ((await res.json()) as { usage: { input_tokens: number; output_tokens: number; cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } } }).usage;
    expect(usage.cache_creation.ephemeral_1h_input_tokens).toBeGreaterThan(1000);
    const r = await row('r-plain');
    expect({ w1: r.cache_write_1h_tokens, w5: r.cache_write_5m_tokens, out: r.completion_tokens }).toEqual({ w1: usage.cache_creation.ephemeral_1h_input_tokens, w5: usage.cache_creation.ephemeral_5m_input_tokens, out: usage.output_tokens });
    expect(Number(r.cost)).toBe(chargeOf(r));
    expect(Number(r.cost)).toBeLessThanOrEqual(worst(b));
  });

  it('streamed: the same, from message_start and message_delta', async () => {
    const b = body('r-stream', 'stream', true);
    const res = await post(b);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('event: message_stop');
    const r = await row('r-stream');
    expect(r.cache_write_1h_tokens).toBeGreaterThan(1000);
    expect(Number(r.cost)).toBe(chargeOf(r));
    expect(Number(r.cost)).toBeLessThanOrEqual(worst(b));
  });

  it('cut by the provider: the cache write reported at message_start is charged, within the reservation', async () => {
    const b = body('r-cut', 'cut', true, 'Summarise the project. [[sim fault=cut:2]]');
    const res = await post(b);
    await res.text().catch(() => '');
    const r = await row('r-cut');
    expect(r.cache_write_1h_tokens).toBeGreaterThan(1000);
    expect(Number(r.cost)).toBe(chargeOf(r));
    expect(Number(r.cost)).toBeLessThanOrEqual(worst(b));
  });

  it('aborted by the client: charged its cache write and what it was sent, within the reservation', async () => {
    const b = body('r-abort', 'abort', true, 'Summarise the project. [[sim chunk-delay=200 chunks=20]]');
    const ac = new AbortController();
    const res = await post(b, ac.signal);
    const reader = res.body!.getReader();
    let seen = '';
    while (!seen.includes('text_delta')) seen += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const r = await row('r-abort');
    expect(r.cache_write_1h_tokens).toBeGreaterThan(1000);
    expect(Number(r.cost)).toBe(chargeOf(r));
    expect(Number(r.cost)).toBeLessThanOrEqual(worst(b));
  });

  it('a balance that covers the prompt at the input rate but not at the 1-hour write rate is refused; nothing goes upstream', async () => {
    const b = body('r-refused', 'refused', false);
    const q = anthropicCodec.quote!('chat', b);
    const atInputRate = worstCase(PRICE, { ...q, units: { ...q.units, cacheWrite1hTokens: undefined, cacheWrite5mTokens: undefined } }, 1_000_000).cost;
    const full = worst(b);
    expect(full).toBeGreaterThan(atInputRate);
    const between = Math.ceil((atInputRate + full) / 2) / MICRO;
    await setBalance(t, userId, cookie, between);
    const before = t.sim.requests.length;
    const res = await post(b);
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('billing_error');
    expect(t.sim.requests.length).toBe(before);
    expect(await balanceOf(t, cookie)).toBe(between);
    await setBalance(t, userId, cookie, 1000);
  });

  it('web search: the reservation holds max_uses searches (or the allowance); translated calls are capped at it', async () => {
    const tool = { type: 'web_search_20250305', name: 'web_search' };
    const plain = { model: 'r-search', max_tokens: 100, messages: [{ role: 'user', content: 'Search the web for the latest news.' }] };
    expect(anthropicCodec.quote!('chat', { ...plain, tools: [{ ...tool, max_uses: 2 }] }).units.searches).toBe(2);
    expect(anthropicCodec.quote!('chat', { ...plain, tools: [tool] }).units.searches).toBe(SEARCH_ALLOWANCE);
    expect(openaiCodec.quote!('chat', { model: 'x', messages: [], web_search_options: {} }).units.searches).toBe(SEARCH_ALLOWANCE);
    const res = await post({ ...plain, tools: [tool] });
    expect(res.status).toBe(200);
    const r = await row('r-search');
    expect(r.searches).toBe(1);
    expect(Number(r.cost)).toBe(chargeOf(r));
    expect(Number(r.cost)).toBeLessThanOrEqual(worst({ ...plain, tools: [tool] }));
    // A Chat caller's search on an Anthropic channel: the server tool goes with the allowance as max_uses.
    const chat = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'r-search', messages: [{ role: 'user', content: 'Search the web for news.' }], web_search_options: {} }) });
    expect(chat.status).toBe(200);
    const sent = t.sim.requests.filter((q) => q.path === '/v1/messages').at(-1)!.body as { tools: unknown[] };
    expect(sent.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: SEARCH_ALLOWANCE }]);
  });
});
