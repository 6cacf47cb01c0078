import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { ChannelInput } from '../../src/channels/channels.js';
import { hasChoice, preferPinned } from '../../src/relay/affinity.js';
import type { Route } from '../../src/relay/router.js';
import { REDIS_URL, startTestGateway, type TestGateway } from '../harness.js';

/**
 * Prompt-cache affinity over real HTTP: two (or three) simulators serve one model in one priority
 * tier; a session's calls land on one of them while it is healthy, move when it fails (and stay
 * where they moved), and other sessions still spread. Which simulator served a call is read from
 * the simulators' own request counts.
 */
const MODEL = 'gpt-4o-mini';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

async function sims(n: number): Promise<Simulator[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startSimulator()));
  open.push(...list);
  return list;
}

const channel = (sim: Simulator, name: string, more: Partial<ChannelInput> = {}): ChannelInput => ({ provider: 'openai-compatible', name, baseUrl: `${sim.url}/v1`, models: [MODEL], ...more });

async function gateway(channels: ChannelInput[], config: Partial<Config> = {}, extra: Partial<Parameters<typeof startTestGateway>[0]> = {}) {
  // Failures never open a circuit here unless a test asks: the pin alone decides.
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, circuitFailures: 1000, circuitErrorRatePercent: 100, ...config }, channels: () => channels, ...extra });
  open.push(t);
  const user = await t.newUserWithKey();
  return { t, key: user.key };
}

/** One call in a dialect, with the session named the way that dialect's clients name it. */
async function post(url: string, key: string, path: string, body: object, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res;
}

const chatWithKey = (url: string, key: string, session: string, content = 'hello') =>
  post(url, key, '/v1/chat/completions', { model: MODEL, prompt_cache_key: session, messages: [{ role: 'user', content }] });

/** Calls served by each simulator since `before`. */
const counts = (list: Simulator[], before: number[]) => list.map((s, i) => s.stats.total - before[i]);
const snapshot = (list: Simulator[]) => list.map((s) => s.stats.total);

describe('prompt-cache affinity', () => {
  it("a session's calls land on one channel of two in a tier, while other sessions spread over both", async () => {
    const list = await sims(2);
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')]);
    for (let s = 0; s < 4; s++) {
      const before = snapshot(list);
      for (let i = 0; i < 8; i++) expect((await chatWithKey(t.url, key, `session-${s}`, `turn ${i}`)).status).toBe(200);
      const c = counts(list, before);
      expect(c.sort()).toEqual([0, 8]);
    }
    // 40 new sessions, one call each: the first call of a session is a weighted random choice. All
    // 40 on one channel would have probability 2 × 2^-40.
    const before = snapshot(list);
    for (let s = 0; s < 40; s++) await chatWithKey(t.url, key, `spread-${s}`);
    const c = counts(list, before);
    expect(c[0] + c[1]).toBe(40);
    expect(Math.min(...c)).toBeGreaterThan(0);
  });

  it('each dialect names its session: prompt_cache_key, metadata.user_id, agent session headers, Gemini cachedContent, a long prompt’s stable start', async () => {
    const list = await sims(2);
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')]);
    const longSystem = 'You are a careful assistant. '.repeat(200); // ~5.8 KB: a prompt big enough to be cached
    const sessions: [string, (turn: number) => Promise<Response>][] = [
      ['Responses prompt_cache_key', (i) => post(t.url, key, '/v1/responses', { model: MODEL, prompt_cache_key: 'codex-conv-1', input: `turn ${i}` })],
      ['Codex session_id header', (i) => post(t.url, key, '/v1/responses', { model: MODEL, input: `turn ${i}` }, { session_id: 'codex-session-2' })],
      ['thread-id header', (i) => post(t.url, key, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: `turn ${i}` }] }, { 'thread-id': 'thread-3' })],
      ['Anthropic metadata.user_id', (i) => post(t.url, key, '/v1/messages', { model: MODEL, max_tokens: 64, metadata: { user_id: 'user_abc_account_x_session_4' }, messages: [{ role: 'user', content: `turn ${i}` }] })],
      ['Claude Code session header', (i) => post(t.url, key, '/v1/messages', { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: `turn ${i}` }] }, { 'x-claude-code-session-id': 'cc-session-5' })],
      ['Gemini cachedContent', (i) => post(t.url, key, `/v1beta/models/${MODEL}:generateContent`, { cachedContent: 'cachedContents/abc6', contents: [{ role: 'user', parts: [{ text: `turn ${i}` }] }] })],
      [
        'a long prompt’s stable start (the conversation grows each turn)',
        (i) =>
          post(t.url, key, '/v1/chat/completions', {
            model: MODEL,
            messages: [
              { role: 'system', content: longSystem },
              { role: 'user', content: 'first question' },
              ...Array.from({ length: i }, (_, k) => [{ role: 'assistant', content: `answer ${k}` }, { role: 'user', content: `follow-up ${k}` }]).flat(),
            ],
          }),
      ],
      [
        'Claude Code’s system prompt, whose attribution line changes with every request',
        (i) =>
          post(t.url, key, '/v1/messages', {
            model: MODEL,
            max_tokens: 64,
            system: [{ type: 'text', text: `x-anthropic-billing-header: cc_version=2.1; cch=${randomBytes(4).toString('hex')};` }, { type: 'text', text: longSystem }],
            messages: [{ role: 'user', content: 'first question' }, ...Array.from({ length: i }, (_, k) => [{ role: 'assistant', content: `answer ${k}` }, { role: 'user', content: `more ${k}` }]).flat()],
          }),
      ],
    ];
    for (const [name, call] of sessions) {
      const before = snapshot(list);
      for (let i = 0; i < 6; i++) expect((await call(i)).status, name).toBe(200);
      expect(counts(list, before).sort(), name).toEqual([0, 6]);
    }
  });

  it('a short prompt naming no session is not pinned: identical calls still spread', async () => {
    const list = await sims(2);
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')]);
    const before = snapshot(list);
    for (let i = 0; i < 40; i++) await post(t.url, key, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'same question' }] });
    const c = counts(list, before);
    expect(c[0] + c[1]).toBe(40);
    expect(Math.min(...c)).toBeGreaterThan(0);
  });

  it('a session moves only when its channel fails, then stays on the new one (and moves back only when that one fails)', async () => {
    const list = await sims(2);
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')]);
    let before = snapshot(list);
    await chatWithKey(t.url, key, 'sticky');
    const home = counts(list, before).indexOf(1);
    const other = 1 - home;

    list[home].setDefaults({ fault: { kind: 'status', status: 503 } });
    before = snapshot(list);
    expect((await chatWithKey(t.url, key, 'sticky')).status).toBe(200);
    // The pinned channel was tried first and failed; the other served the call.
    expect(counts(list, before)).toEqual([1, 1]);

    // Healed, the old channel gets nothing more of this session: it lives on the new one now.
    list[home].setDefaults({ fault: null });
    before = snapshot(list);
    for (let i = 0; i < 6; i++) expect((await chatWithKey(t.url, key, 'sticky', `again ${i}`)).status).toBe(200);
    const c = counts(list, before);
    expect(c[other]).toBe(6);
    expect(c[home]).toBe(0);

    list[other].setDefaults({ fault: { kind: 'status', status: 500 } });
    await chatWithKey(t.url, key, 'sticky');
    list[other].setDefaults({ fault: null });
    before = snapshot(list);
    for (let i = 0; i < 4; i++) await chatWithKey(t.url, key, 'sticky');
    expect(counts(list, before)[home]).toBe(4);
  });

  it('a resting channel (open circuit) is left out and the session re-pins to the one that serves it', async () => {
    const list = await sims(2);
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')], { circuitFailures: 1, circuitCooldownMs: 60_000 });
    let before = snapshot(list);
    await chatWithKey(t.url, key, 'resting');
    const home = counts(list, before).indexOf(1);
    list[home].setDefaults({ fault: { kind: 'status', status: 500 } });
    await chatWithKey(t.url, key, 'resting'); // fails on home (its circuit opens), served by the other
    list[home].setDefaults({ fault: null });
    before = snapshot(list);
    for (let i = 0; i < 5; i++) expect((await chatWithKey(t.url, key, 'resting')).status).toBe(200);
    expect(counts(list, before)[home]).toBe(0);
    // Back in service, the old channel gets nothing of this session: it was pinned where it was served.
    const homeId = (await t.gw.services.channels.list()).find((c) => c.name === (home === 0 ? 'a' : 'b'))!.id;
    await t.gw.services.health.circuit.reset(homeId);
    before = snapshot(list);
    for (let i = 0; i < 8; i++) expect((await chatWithKey(t.url, key, 'resting')).status).toBe(200);
    expect(counts(list, before)[home]).toBe(0);
  });

  it('the pin orders channels inside their tier only: a healthy higher tier is never passed over', async () => {
    const list = await sims(3);
    const { t, key } = await gateway([channel(list[0], 'primary', { priority: 10 }), channel(list[1], 'b'), channel(list[2], 'c')]);
    list[0].setDefaults({ fault: { kind: 'status', status: 503 } });
    let before = snapshot(list);
    for (let i = 0; i < 4; i++) await chatWithKey(t.url, key, 'tiered');
    let c = counts(list, before);
    // Each call tried the failing primary, then the session's channel of the lower tier: always the same one.
    expect(c[0]).toBe(4);
    expect([c[1], c[2]].sort()).toEqual([0, 4]);
    list[0].setDefaults({ fault: null });
    before = snapshot(list);
    for (let i = 0; i < 3; i++) await chatWithKey(t.url, key, 'tiered');
    c = counts(list, before);
    expect(c).toEqual([3, 0, 0]);
  });

  it('two gateway processes sharing Redis send a session to the same channel; calls without a session write no pin', async () => {
    const list = await sims(2);
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const shared = { redisUrl: REDIS_URL, redisPrefix: prefix };
    const g1 = await gateway([channel(list[0], 'a'), channel(list[1], 'b')], shared, { db: 'postgres' });
    const t2 = await startTestGateway({ shareWith: g1.t, config: { ...shared, healthProbeIntervalMs: 0, circuitFailures: 1000, circuitErrorRatePercent: 100 } });
    open.push(t2);
    for (let s = 0; s < 6; s++) {
      const before = snapshot(list);
      // Turns alternate between the two processes.
      for (let i = 0; i < 8; i++) expect((await chatWithKey(i % 2 ? t2.url : g1.t.url, g1.key, `shared-${s}`, `turn ${i}`)).status).toBe(200);
      expect(counts(list, before).sort()).toEqual([0, 8]);
    }
    expect(await redis.keys(`${prefix}kv:aff:*`)).toHaveLength(6);
    for (let i = 0; i < 10; i++) await post(t2.url, g1.key, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: `no session ${i}` }] });
    expect(await redis.keys(`${prefix}kv:aff:*`)).toHaveLength(6);
    // The pin lives an hour from the last call.
    const ttl = await redis.pttl((await redis.keys(`${prefix}kv:aff:*`))[0]);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('the pin\'s lifetime is the admin\'s setting (affinityTtlSec), applied from the next call', async () => {
    const list = await sims(2);
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const { t, key } = await gateway([channel(list[0], 'a'), channel(list[1], 'b')], { redisUrl: REDIS_URL, redisPrefix: prefix, affinityTtlSec: 7200 });
    const pttl = async (session: string) => {
      expect((await chatWithKey(t.url, key, session)).status).toBe(200);
      const keys = await redis.keys(`${prefix}kv:aff:*`);
      const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
      return Math.min(...ttls);
    };
    // The configured default (APIGPT_AFFINITY_TTL_SEC) first.
    expect(await pttl('ttl-1')).toBeGreaterThan(7_100_000);
    expect((await t.api('GET', '/api/admin/settings', undefined, { token: t.rootToken })).body.affinityTtlSec).toBe(7200);
    const saved = await t.api('PUT', '/api/admin/settings', { affinityTtlSec: 300 }, { token: t.rootToken });
    expect({ status: saved.status, ttl: saved.body.affinityTtlSec }).toEqual({ status: 200, ttl: 300 });
    await redis.del(...(await redis.keys(`${prefix}kv:aff:*`)));
    const ttl = await pttl('ttl-2');
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    // Out of bounds (a minute to a week) is the caller's mistake.
    expect((await t.api('PUT', '/api/admin/settings', { affinityTtlSec: 10 }, { token: t.rootToken })).status).toBe(400);
  });
});

describe('pin order', () => {
  const route = (id: string, priority: number) => ({ channel: { id, priority } }) as unknown as Route;
  const ids = (routes: Route[]) => routes.map((r) => r.channel.id);

  it('moves the pinned channel to the front of its own tier and nowhere else', () => {
    const routes = [route('a', 10), route('b', 5), route('c', 5), route('d', 5), route('e', 0)];
    expect(ids(preferPinned(routes, 'd'))).toEqual(['a', 'd', 'b', 'c', 'e']);
    expect(ids(preferPinned(routes, 'a'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ids(preferPinned(routes, 'e'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ids(preferPinned(routes, 'gone'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ids(preferPinned(routes, null))).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('sees a choice only where a tier has two channels or more', () => {
    expect(hasChoice([route('a', 10), route('b', 5), route('c', 0)])).toBe(false);
    expect(hasChoice([route('a', 10), route('b', 5), route('c', 5)])).toBe(true);
    expect(hasChoice([route('a', 10)])).toBe(false);
  });
});
