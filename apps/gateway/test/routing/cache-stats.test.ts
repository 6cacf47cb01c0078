import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { SIM_KEY } from '../dialects/providers.js';

/**
 * Prompt-cache accounting per channel: Claude-Code-like sessions (a long system prompt and the
 * latest turn marked with `cache_control`) through two Anthropic channels on simulators, whose
 * prompt cache is written, then read. The request log keeps each call's 5-minute and 1-hour cache
 * writes, and `GET /api/admin/channels/health` reports each channel's share of prompt tokens read
 * from the cache over the last 24 hours. Expected figures are summed from the usage the provider
 * sent the caller (Anthropic's pass-through answer), per simulator that served the call.
 */
const MODEL = 'claude-sonnet-4-5';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

interface AnthropicUsage {
  input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
}

const SYSTEM = 'You are a coding agent working in a large repository. Follow the house rules. '.repeat(60);

describe.each(DB_KINDS)('prompt-cache figures per channel (%s)', (db) => {
  it('logs cache writes by lifetime and reports each channel’s cache-hit rate over 24 hours', async () => {
    const sims: Simulator[] = await Promise.all([startSimulator(), startSimulator()]);
    open.push(...sims);
    const t: TestGateway = await startTestGateway({
      db,
      config: { healthProbeIntervalMs: 0 },
      channels: () => sims.map((s, i) => ({ provider: 'anthropic', name: `claude-${i}`, baseUrl: s.url, secret: SIM_KEY, models: [MODEL] })),
    });
    open.push(t);
    const { key } = await t.newUserWithKey();
    const ids = new Map((await t.gw.services.channels.list()).map((c) => [c.name, c.id]));

    const expected = sims.map(() => ({ calls: 0, prompt: 0, read: 0, written: 0 }));
    const answers: { id: string; usage: AnthropicUsage }[] = [];
    // Two sessions of five turns; the second marks its system prompt for the 1-hour cache.
    for (const [session, ttl] of [['session-a', '5m'], ['session-b', '1h']] as const) {
      const history: { role: string; content: unknown }[] = [];
      for (let turn = 0; turn < 5; turn++) {
        history.push({ role: 'user', content: [{ type: 'text', text: `step ${turn} of ${session}`, cache_control: { type: 'ephemeral' } }] });
        // Only the latest turn carries the breakpoint, as Claude Code sends it.
        const messages = history.map((m, i) => (i === history.length - 1 ? m : { ...m, content: (m.content as { text: string }[]).map((b) => ({ type: 'text', text: b.text })) }));
        const before = sims.map((s) => s.stats.total);
        const res = await fetch(`${t.url}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
          body: JSON.stringify({
            model: MODEL,
            max_tokens: 200,
            metadata: { user_id: session },
            system: [{ type: 'text', text: SYSTEM, cache_control: ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' } }],
            messages,
          }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { content: { text: string }[]; usage: AnthropicUsage };
        const served = sims.findIndex((s, i) => s.stats.total > before[i]);
        const u = body.usage;
        const e = expected[served];
        e.calls++;
        e.prompt += u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
        e.read += u.cache_read_input_tokens;
        e.written += u.cache_creation_input_tokens;
        answers.push({ id: res.headers.get('x-request-id')!, usage: u });
        history.push({ role: 'assistant', content: [{ type: 'text', text: body.content[0].text }] });
      }
    }
    // The scenario writes then reads: every session's later turns read its system prompt back.
    expect(expected.reduce((n, e) => n + e.read, 0)).toBeGreaterThan(0);
    expect(answers.some((a) => a.usage.cache_creation.ephemeral_1h_input_tokens > 0)).toBe(true);

    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().execute();
    for (const a of answers) {
      const row = rows.find((r) => r.id === a.id)!;
      expect(row).toMatchObject({
        cached_tokens: a.usage.cache_read_input_tokens,
        cache_write_5m_tokens: a.usage.cache_creation.ephemeral_5m_input_tokens,
        cache_write_1h_tokens: a.usage.cache_creation.ephemeral_1h_input_tokens,
      });
    }

    const health = await t.api<{ items: { id: string; cache: { calls: number; promptTokens: number; cachedTokens: number; cacheWriteTokens: number; hitRate: number | null } }[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken });
    expect(health.status).toBe(200);
    sims.forEach((_, i) => {
      const e = expected[i];
      const cache = health.body.items.find((h) => h.id === ids.get(`claude-${i}`))!.cache;
      expect(cache).toEqual({ calls: e.calls, promptTokens: e.prompt, cachedTokens: e.read, cacheWriteTokens: e.written, hitRate: e.prompt ? e.read / e.prompt : null });
    });
  });
});

describe('prompt-cache figures: what is left out', () => {
  it('answers replayed from the response cache and calls older than 24 hours do not count', async () => {
    const sim = await startSimulator();
    open.push(sim);
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0 }, channels: () => [{ provider: 'anthropic', name: 'claude', baseUrl: sim.url, secret: SIM_KEY, models: [MODEL] }] });
    open.push(t);
    const { key } = await t.newUserWithKey();
    const post = () =>
      fetch(`${t.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-apigpt-cache': 'on' },
        body: JSON.stringify({ model: MODEL, max_tokens: 50, system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'hello' }] }),
      });
    const first = (await (await post()).json()) as { usage: AnthropicUsage };
    const second = await post();
    expect(second.headers.get('x-apigpt-cache')).toBe('hit');
    await second.arrayBuffer();
    await t.flushLogs();
    // A call of two days ago on the same channel.
    const id = (await t.gw.services.channels.list())[0].id;
    const old = await t.gw.services.db.selectFrom('request_logs').selectAll().executeTakeFirstOrThrow();
    await t.gw.services.db.insertInto('request_logs').values({ ...old, id: 'req_old', created_at: Date.now() - 2 * 86_400_000, cost: 0, cache_hit: 0 }).execute();
    const health = await t.api<{ items: { id: string; cache: Record<string, unknown> }[] }>('GET', '/api/admin/channels/health', undefined, { token: t.rootToken });
    const prompt = first.usage.input_tokens + first.usage.cache_creation_input_tokens + first.usage.cache_read_input_tokens;
    expect(health.body.items.find((h) => h.id === id)!.cache).toEqual({ calls: 1, promptTokens: prompt, cachedTokens: first.usage.cache_read_input_tokens, cacheWriteTokens: first.usage.cache_creation_input_tokens, hitRate: first.usage.cache_read_input_tokens / prompt });
  });
});
