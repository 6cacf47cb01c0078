// The gateway under load while PostgreSQL, then Redis, goes away for a few seconds and comes back.
// What must hold (issue #13): the process lives and serves again after; every answer is a 200 or a
// retryable 503 in the caller's dialect (never a 500, never a dropped connection); every call served
// is charged (its request-log row, its ledger charge); the audit is clean and no credit stays held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TcpProxy } from '../../../../test-util/tcp-proxy.js';
import type { TestGateway } from '../harness.js';
import { chatTokens, MICRO, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { expectEveryServedCallCharged, expectNothingHeld } from './settled.js';
import { answerOf, startProxiedGateway, type Answer as ProxiedAnswer, type ProxiedGateway } from '../proxied.js';

const MAX_TOKENS = 16;
const PROMPT = 'Tell me about the sea.';
// The simulator fills max_tokens with this reply, so every call's usage (and cost) is known.
const LONG_REPLY = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
/** gpt-4o-mini at 1 P per 1K input tokens and 2 P per 1K output tokens (set below). */
const COST = Math.round(((chatTokens(PROMPT) * 1 + MAX_TOKENS * 2) / 1000) * MICRO);
/** How long each dependency stays away: the outage under test. */
const OUTAGE_MS = 3_000;

type Dialect = 'openai' | 'openai-stream' | 'anthropic' | 'gemini' | 'api';

type Answer = ProxiedAnswer<Dialect>;

/** One call in a dialect, as an SDK would make it (no retries: every answer is seen). */
function call(t: TestGateway, dialect: Dialect, key: string, cookie: string): Promise<Response> {
  const json = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const messages = [{ role: 'user', content: PROMPT }];
  switch (dialect) {
    case 'openai':
      return json('/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages });
    case 'openai-stream':
      return json('/v1/chat/completions', { authorization: `Bearer ${key}` }, { model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages, stream: true });
    case 'anthropic':
      return json('/v1/messages', { 'x-api-key': key, 'anthropic-version': '2023-06-01' }, { model: 'gpt-4o-mini', max_tokens: MAX_TOKENS, messages });
    case 'gemini':
      return json('/v1beta/models/gpt-4o-mini:generateContent', { 'x-goog-api-key': key }, { contents: [{ role: 'user', parts: [{ text: PROMPT }] }], generationConfig: { maxOutputTokens: MAX_TOKENS } });
    case 'api':
      return fetch(`${t.url}/api/billing/account`, { headers: { cookie } });
  }
}

/** What is wrong with an answer, or null: a 200 that is a whole answer, or a 503 with retry-after in the dialect's own error shape. */
function problemOf(a: Answer): string | null {
  const where = `${a.kind} #${a.client} (${a.phase})`;
  if (a.failure) return `${where}: no answer (${a.failure})`;
  if (a.status === 200) {
    if (a.kind === 'openai-stream') return a.body.includes('data: [DONE]') && !a.body.includes('"error"') ? null : `${where}: 200 stream not whole: ${a.body.slice(-200)}`;
    return null;
  }
  if (a.status !== 503) return `${where}: ${a.status} ${a.body.slice(0, 300)}`;
  if (!a.retryAfter || !(Number(a.retryAfter) >= 1)) return `${where}: 503 without retry-after`;
  let body: any;
  try {
    body = JSON.parse(a.body);
  } catch {
    return `${where}: 503 body is not JSON: ${a.body.slice(0, 200)}`;
  }
  const shaped =
    a.kind === 'anthropic'
      ? body?.type === 'error' && body.error?.type === 'overloaded_error'
      : a.kind === 'gemini'
        ? body?.error?.code === 503 && body.error.status === 'UNAVAILABLE'
        : body?.error?.code === 'service_unavailable';
  return shaped ? null : `${where}: 503 not in the dialect's shape: ${a.body.slice(0, 300)}`;
}

describe('a dependency outage under load', () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let t: TestGateway;
  let user: { key: string; cookie: string; userId: string };

  let gateway: ProxiedGateway;

  beforeAll(async () => {
    gateway = await startProxiedGateway({ simulator: { defaults: { reply: LONG_REPLY, chunks: 4, chunkDelayMs: 2 } } });
    ({ t, pgProxy, redisProxy } = gateway);
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    user = await t.newUserWithKey(); // 5000 P of trial credit: thousands of calls
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('PostgreSQL, then Redis, cut for 3 s each: the gateway lives, answers 200 or a retryable 503, charges every call it served, and holds nothing after', async () => {
    const dialects: Dialect[] = ['openai', 'openai', 'openai-stream', 'openai-stream', 'anthropic', 'anthropic', 'gemini', 'gemini', 'api'];
    const answers: Answer[] = [];
    let phase = 'warm-up';
    let running = true;
    const clients = dialects.map(async (dialect, client) => {
      while (running) {
        const asked = phase;
        const a = await answerOf(call(t, dialect, user.key, user.cookie), { client, kind: dialect, phase: asked });
        answers.push(a);
        // Refused during a cut, a client calls again once the cut is over (as a client honouring
        // retry-after would, without waiting the 2 s); after a restore it retries at once until served.
        if (a.status !== 200 && asked.endsWith(' cut')) await eventually(() => phase !== asked || !running, { timeoutMs: 120_000, intervalMs: 20 });
      }
    });
    const answered = (p: string, ok = false) => (c: number) => answers.some((a) => a.client === c && a.phase === p && (!ok || a.status === 200));
    const everyClient = (test: (c: number) => boolean) => dialects.every((_, c) => test(c));

    /** Cuts a dependency for OUTAGE_MS — and until every client has made a call during the cut — then restores it and waits until every client is served again. */
    const outage = async (name: string, proxy: TcpProxy) => {
      phase = `${name} cut`;
      const cutAt = Date.now();
      await proxy.cut('reset');
      await eventually(() => Date.now() - cutAt >= OUTAGE_MS && everyClient(answered(phase)), { timeoutMs: OUTAGE_MS + 30_000, intervalMs: 50 });
      phase = `${name} restored`;
      await proxy.restore();
      await eventually(() => expect(dialects.filter((_, c) => !answered(phase, true)(c))).toEqual([]), { timeoutMs: 30_000, intervalMs: 50 });
    };

    try {
      await eventually(() => expect(dialects.filter((_, c) => !answered(phase, true)(c))).toEqual([]), { timeoutMs: 20_000, intervalMs: 50 });
      await outage('PostgreSQL', pgProxy);
      await outage('Redis', redisProxy);
    } finally {
      running = false;
      await Promise.all(clients);
    }

    // (A call is counted in the phase it was made in: one in flight when a cut begins may be refused.)
    const count = (p: string, api: boolean, status?: number) => answers.filter((a) => a.phase === p && (a.kind === 'api') === api && (status === undefined ? a.status !== 200 && a.status !== 503 : a.status === status)).length;
    const phases = [...new Set(answers.map((a) => a.phase))];
    for (const api of [false, true])
      console.log(`${api ? 'management API' : 'relay calls'}: ` + phases.map((p) => `${p}: ${count(p, api, 200)} × 200, ${count(p, api, 503)} × 503, ${count(p, api)} other`).join('; '));

    // 1. Every answer a client got: a 200, or a 503 with retry-after in its dialect. No 500, no dropped connection.
    expect(answers.map(problemOf).filter((p) => p !== null)).toEqual([]);

    // 2. Nothing served free: every relayed 200 has its request-log row at the price, and its charge;
    //    3. the audit is clean.
    const served = answers.filter((a) => a.status === 200 && a.kind !== 'api');
    expect(served.every((a) => a.requestId)).toBe(true);
    await expectEveryServedCallCharged(t, served.map((a) => a.requestId!), COST);

    // 4. No credit left held.
    const settling = await expectNothingHeld(t, user.userId);
    console.log(`no credit held ${settling} ms after the clients stopped and the log was flushed`);
  }, 180_000);
});
