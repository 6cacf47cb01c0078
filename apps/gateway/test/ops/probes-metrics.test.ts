import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import type { Config } from '../../src/config/config.js';
import type { ChannelInput } from '../../src/channels/channels.js';
import type { TcpProxy } from '../../../../test-util/tcp-proxy.js';
import { startProxiedGateway, type ProxiedGateway } from '../proxied.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { setPrice } from '../billing/helpers.js';
import { parseProm } from './prom-text.js';
import Fastify from 'fastify';
import { ThreadBatchStore } from '../../src/batch/thread.js';
import { RequestLogWriter } from '../../src/relay/request-log.js';
import { registerOpsRoutes } from '../../src/http/ops-routes.js';
import { createLogger } from '../../src/core/logger.js';

/**
 * The operations endpoints (issue 19) on real gateways: the probes a balancer asks, on SQLite and on
 * PostgreSQL + Redis behind TCP proxies that the test cuts; and `/metrics` read as Prometheus would,
 * its figures checked against what the callers themselves received.
 */
const MODEL = 'gpt-4o-mini';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function gateway(config: Partial<Config> = {}, channels?: (sim: Simulator) => ChannelInput[], extra: Partial<Parameters<typeof startTestGateway>[0]> = {}): Promise<TestGateway> {
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, ...config }, ...(channels ? { channels } : {}), ...extra });
  open.push(t);
  return t;
}

const get = (t: TestGateway, path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });
const logRows = async (t: TestGateway) => {
  await t.flushLogs();
  return (await t.gw.services.db.selectFrom('request_logs').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
};

describe('/healthz and /readyz', () => {
  describe('a writer thread slow to start (2.5 s; the check waits 1 s)', () => {
    const SLOW_WRITER = new URL('../fixtures/slow-writer.mjs', import.meta.url);
    /** The probes over the gateway's own database, with a request-log writer whose thread starts slowly. */
    async function probes(t: TestGateway, startingMs?: number) {
      const store = new ThreadBatchStore(t.config.dataDir, 20_000, { workerUrl: SLOW_WRITER, startingMs });
      const logWriter = new RequestLogWriter(store, 50, createLogger('silent'));
      const app = Fastify();
      registerOpsRoutes(app, { db: t.gw.services.db, logWriter, kv: t.gw.services.kv, metrics: null, config: { redisUrl: undefined, metricsToken: undefined } });
      open.push({ close: async () => (await app.close(), await logWriter.close()) });
      return { app, store };
    }

    it('is "starting" and ready while it loads, then "ok"', async () => {
      const t = await gateway();
      const { app, store } = await probes(t);
      const first = await app.inject({ method: 'GET', url: '/readyz' });
      expect({ status: first.statusCode, body: first.json() }).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', log_writer: 'starting' } } });
      await eventually(async () => expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', checks: { database: 'ok', log_writer: 'ok' } }), { timeoutMs: 10_000, intervalMs: 100 });
      expect(store.starting).toBe(false);
    });

    it('past its start-up allowance, a thread that has not answered is down: 503 naming the writer', async () => {
      const t = await gateway();
      const { app } = await probes(t, 500);
      const first = await app.inject({ method: 'GET', url: '/readyz' });
      expect({ status: first.statusCode, body: first.json() }).toEqual({ status: 503, body: { status: 'unavailable', checks: { database: 'ok', log_writer: 'timeout' }, failed: ['log_writer'] } });
    });
  });

  it('on SQLite: both answer 200 without a key or a session, readyz checks the database and the writer thread, and neither is logged', async () => {
    const t = await gateway();
    const health = await get(t, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // Asked again as a balancer would, until ready (the writer thread may still be opening its connection).
    // No Redis configured: nothing to check there.
    await eventually(async () => expect(await (await get(t, '/readyz')).json()).toEqual({ status: 'ready', checks: { database: 'ok', log_writer: 'ok' } }), { timeoutMs: 10_000, intervalMs: 100 });
    expect((await get(t, '/readyz')).status).toBe(200);
    expect(Number(await logRows(t))).toBe(0);
    // Not in the API documents either (they are for the relay and the management API).
    const doc = (await (await get(t, '/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => /healthz|readyz|metrics/.test(p))).toEqual([]);
  });

  describe('on PostgreSQL + Redis, each behind a proxy the test cuts', () => {
    let proxied: ProxiedGateway;
    let pgProxy: TcpProxy;
    let redisProxy: TcpProxy;
    let t: TestGateway;
    beforeAll(async () => {
      proxied = await startProxiedGateway({ config: { healthProbeIntervalMs: 0 } });
      ({ t, pgProxy, redisProxy } = proxied);
    });
    afterAll(async () => {
      await proxied?.close();
    });

    it('all reachable: 200 with the three checks', async () => {
      const ready = await eventually(async () => {
        const r = await get(t, '/readyz');
        expect(r.status).toBe(200);
        return r;
      });
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', log_writer: 'ok', redis: 'ok' } });
    });

    it('Redis cut: readyz is 503 naming redis, with retry-after; healthz stays 200; back to 200 once Redis is back', async () => {
      await redisProxy.cut('reset');
      try {
        const ready = await get(t, '/readyz');
        expect(ready.status).toBe(503);
        expect(ready.headers.get('retry-after')).toBe('2');
        const body = (await ready.json()) as { status: string; failed: string[]; checks: Record<string, string> };
        expect(body.status).toBe('unavailable');
        expect(body.failed).toEqual(['redis']);
        expect(body.checks.redis).not.toBe('ok');
        expect((await get(t, '/healthz')).status).toBe(200);
      } finally {
        await redisProxy.restore();
      }
      await eventually(async () => expect((await get(t, '/readyz')).status).toBe(200), { timeoutMs: 15_000, intervalMs: 100 });
    });

    it('PostgreSQL held (packets swallowed): readyz answers 503 within its deadline naming the database and the log writer (PostgreSQL batches use the same pool), healthz stays 200', async () => {
      // A held connection never answers: the check must give up on its own clock, not hang the probe.
      await pgProxy.cut('hold');
      try {
        const started = Date.now();
        const ready = await get(t, '/readyz');
        const body = (await ready.json()) as { failed: string[]; checks: Record<string, string> };
        expect(ready.status).toBe(503);
        expect(body.failed.sort()).toEqual(['database', 'log_writer']);
        expect(body.checks.redis).toBe('ok');
        // Each check is raced against READY_CHECK_MS (1 s); the probe answers shortly after, never after the pool's 10 s connect timeout.
        expect(Date.now() - started).toBeLessThan(8_000);
        expect((await get(t, '/healthz')).status).toBe(200);
      } finally {
        await pgProxy.restore();
      }
      await eventually(async () => expect((await get(t, '/readyz')).status).toBe(200), { timeoutMs: 20_000, intervalMs: 200 });
    }, 40_000);
  });
});

describe('/metrics', () => {
  it('is off without APIGPT_METRICS_TOKEN: 404, nothing measured', async () => {
    const t = await gateway();
    const res = await get(t, '/metrics');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('metrics_off');
    expect(t.gw.services.metrics).toBeNull();
  });

  it('asks for its token: none, a wrong one, or a session cookie get 401; the token gets the text format', async () => {
    const token = `m-${randomBytes(8).toString('hex')}`;
    const t = await gateway({ metricsToken: token });
    const login = await fetch(`${t.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: t.admin.email, password: t.admin.password }) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/=/);
    expect((await get(t, '/metrics', { cookie })).status).toBe(401);
    expect((await get(t, '/metrics')).status).toBe(401);
    expect((await get(t, '/metrics', { authorization: `Bearer ${token}x` })).status).toBe(401);
    expect((await get(t, '/metrics', { authorization: `Bearer ${t.rootToken}` })).status).toBe(401);
    const res = await get(t, '/metrics', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseProm(await res.text());
    expect(m.types.get('apigpt_requests_total')).toBe('counter');
    expect(m.types.get('apigpt_request_duration_seconds')).toBe('histogram');
    // The process's own: memory, heap, event loop; and the gateway's gauges.
    expect(m.find('process_resident_memory_bytes')[0].value).toBeGreaterThan(0);
    expect(m.find('nodejs_heap_size_used_bytes')[0].value).toBeGreaterThan(0);
    expect(m.find('apigpt_inflight_calls')).toHaveLength(1);
    expect(m.find('apigpt_event_loop_lag_seconds')).toHaveLength(1);
    expect(m.find('apigpt_log_writer_queue_rows')).toHaveLength(1);
  });

  it('counts calls, errors, latency, time to first token, tokens and credit by model, channel, status and dialect — the figures the callers saw', async () => {
    const token = `m-${randomBytes(8).toString('hex')}`;
    const t = await gateway({ metricsToken: token });
    await setPrice(t, MODEL, 1, 2); // P per 1K tokens: a call costs (prompt + 2 × completion) / 1000 P
    const user = await t.newUserWithKey();
    const channel = (await t.gw.services.channels.list())[0].id;
    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

    const usage = { prompt: 0, completion: 0 };
    for (const content of ['one', 'two words']) {
      const r = (await (await post('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content }] })).json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      usage.prompt += r.usage.prompt_tokens;
      usage.completion += r.usage.completion_tokens;
    }
    // A stream with its usage chunk: the third OpenAI call, the only one with a first token.
    const stream = await (await post('/v1/chat/completions', { model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream' }] })).text();
    const last = stream
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } })
      .find((c) => c.usage)!.usage!;
    usage.prompt += last.prompt_tokens;
    usage.completion += last.completion_tokens;
    // The Anthropic dialect, to the same channel.
    const msg = (await (await post('/v1/messages', { model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': user.key, 'anthropic-version': '2023-06-01' })).json()) as { usage: { input_tokens: number; output_tokens: number } };
    // The provider refuses one call as the caller's mistake (400): an error, nothing charged.
    const refused = await post('/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'bad [[sim fault=status:400]]' }] });
    expect(refused.status).toBe(400);

    const m = parseProm(await (await get(t, '/metrics', { authorization: `Bearer ${token}` })).text());
    const openai = { model: MODEL, channel, dialect: 'openai' };
    expect(m.sum('apigpt_requests_total', { ...openai, status: '200' })).toBe(3);
    expect(m.sum('apigpt_requests_total', { ...openai, status: '400' })).toBe(1);
    expect(m.sum('apigpt_requests_total', { model: MODEL, channel, dialect: 'anthropic', status: '200' })).toBe(1);
    expect(m.sum('apigpt_requests_total')).toBe(5);
    expect(m.find('apigpt_request_errors_total')).toEqual([{ name: 'apigpt_request_errors_total', labels: expect.objectContaining({ ...openai, status: '400' }), value: 1 }]);
    // Every call is in the duration histogram once; only the stream has a first token.
    expect(m.sum('apigpt_request_duration_seconds_count')).toBe(5);
    expect(m.sum('apigpt_request_duration_seconds_bucket', { ...openai, status: '200', le: '+Inf' })).toBe(3);
    expect(m.sum('apigpt_time_to_first_token_seconds_count')).toBe(1);
    expect(m.sum('apigpt_time_to_first_token_seconds_count', { ...openai, status: '200' })).toBe(1);
    // Buckets are cumulative: never decreasing, ending at the count.
    const buckets = m.find('apigpt_request_duration_seconds_bucket', { ...openai, status: '200' }).map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    // Tokens as the callers were told, each dialect in its own words.
    expect(m.sum('apigpt_tokens_total', { ...openai, type: 'prompt' })).toBe(usage.prompt);
    expect(m.sum('apigpt_tokens_total', { ...openai, type: 'completion' })).toBe(usage.completion);
    expect(m.sum('apigpt_tokens_total', { dialect: 'anthropic', type: 'prompt' })).toBe(msg.usage.input_tokens);
    expect(m.sum('apigpt_tokens_total', { dialect: 'anthropic', type: 'completion' })).toBe(msg.usage.output_tokens);
    // Credit at 1 P / 2 P per 1K tokens: exact in micro-points, so exact here too.
    const expected = (usage.prompt + 2 * usage.completion + msg.usage.input_tokens + 2 * msg.usage.output_tokens) / 1000;
    expect(m.sum('apigpt_credit_charged_points_total')).toBeCloseTo(expected, 9);
    expect(m.sum('apigpt_retries_total')).toBe(0);
    expect(m.sum('apigpt_cache_hits_total')).toBe(0);
  });

  it('retries, failovers, circuit states and cache hits', async () => {
    const token = `m-${randomBytes(8).toString('hex')}`;
    const failing = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 } } });
    open.push(failing);
    const t = await gateway({ metricsToken: token, circuitFailures: 1, circuitCooldownMs: 600_000 }, (sim) => [
      { provider: 'openai-compatible', name: 'failing', baseUrl: `${failing.url}/v1`, models: [MODEL], priority: 10 },
      { provider: 'openai-compatible', name: 'healthy', baseUrl: `${sim.url}/v1`, models: [MODEL] },
    ]);
    const ids = Object.fromEntries((await t.gw.services.channels.list()).map((c) => [c.name, c.id]));
    const user = await t.newUserWithKey();
    const post = (content: string, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }] }) });
    // The failing channel comes first (priority), answers 500, its circuit opens; the call moves on.
    expect((await post('first')).status).toBe(200);
    expect(failing.stats.total).toBe(1);
    // Its circuit is open now: the next calls go straight to the healthy one. One is cached, then hit.
    expect((await post('cached', { 'x-apigpt-cache': 'on' })).status).toBe(200);
    const hit = await post('cached', { 'x-apigpt-cache': 'on' });
    expect(hit.headers.get('x-apigpt-cache')).toBe('hit');
    expect(failing.stats.total).toBe(1);

    const m = parseProm(await (await get(t, '/metrics', { authorization: `Bearer ${token}` })).text());
    expect(m.sum('apigpt_requests_total', { channel: ids.healthy, status: '200' })).toBe(3);
    expect(m.sum('apigpt_retries_total')).toBe(1);
    expect(m.sum('apigpt_failovers_total')).toBe(1);
    expect(m.sum('apigpt_cache_hits_total')).toBe(1);
    expect(m.find('apigpt_circuit_state', { channel: ids.failing })[0].value).toBe(2);
    expect(m.find('apigpt_circuit_state', { channel: ids.healthy })[0].value).toBe(0);
  });
});
