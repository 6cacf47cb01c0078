/**
 * Redis restarted empty under a serving gateway (a server without persistence, a failover to a
 * replica that had not caught up, a flush by hand): the shared state's balances come back from the
 * database, and the credit held by calls still in flight comes back from the processes that hold
 * it, as do their concurrency slots. Without that, a restart forgot what in-flight calls had
 * reserved, and a balance that covered them could be spent a second time by new calls: charged
 * below zero.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBilling } from '../../src/billing/check.js';
import { createLogger } from '../../src/core/logger.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { cli, redisServers } from '../redis-servers.js';
import { balanceOf, chat, setBalance, setPrice } from '../billing/helpers.js';

const servers = redisServers();
const open: TestGateway[] = [];
afterAll(async () => {
  for (const t of open) await t.close();
  servers.stopAll();
});

/** Output at 1 P a token and free input: a call with `max_tokens: 10` reserves exactly 10 P. */
const ASK = { max_tokens: 10 };
const RESERVED = 10;

async function gatewayOn(port: number, prefix: string, config: Record<string, unknown> = {}, shareWith?: TestGateway, logLines?: string[]) {
  const log = logLines ? { log: createLogger('warn', (line) => logLines.push(line)) } : {};
  const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: prefix, ...config }, shareWith, start: log });
  open.push(t);
  return t;
}

/** The holds a process has filed in Redis (its hash of hold records). */
const holdsIn = (port: number, prefix: string, t: TestGateway) => Number(cli(port, 'hlen', `${prefix}holds:${t.gw.services.billing.state.owner}`));

/**
 * Calls the simulator answers after 15 s: in flight through a Redis restart even on a loaded CI
 * machine (with 5 s, one run's restart outlasted them: their holds were rightly gone by then).
 */
async function slowCalls(t: TestGateway, key: string, n: number) {
  const ac = new AbortController();
  const calls = Array.from({ length: n }, (_, i) =>
    fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', ...ASK, messages: [{ role: 'user', content: `slow ${i} [[sim ttft=15000]]` }] }),
      signal: ac.signal,
    }).then(async (r) => ({ status: r.status, body: await r.text() })),
  );
  // A test that has what it came for stops waiting: the calls end as the client's (499), their holds released.
  const stop = async () => {
    ac.abort();
    await Promise.allSettled(calls);
  };
  return Object.assign(calls, { stop });
}

/**
 * A user whose balance covers two calls' reservations and half of a third, with two slow calls of
 * theirs in flight through `t`: their holds filed in Redis.
 */
async function twoCallsHeld(t: TestGateway, port: number, prefix: string) {
  await setPrice(t, 'gpt-4o-mini', 0, 1000);
  const u = await t.newUserWithKey();
  await setBalance(t, u.userId, u.cookie, 2.5 * RESERVED);
  const slow = await slowCalls(t, u.key, 2);
  await eventually(() => expect(holdsIn(port, prefix, t)).toBe(2), { timeoutMs: 10_000, intervalMs: 20 });
  return { u, slow };
}

/** Two gateways on one new Redis, leases of `leaseMs`, and two calls held through the first. */
async function twoGatewaysTwoCallsHeld(leaseMs: number) {
  const redis = await servers.start();
  const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
  const a = await gatewayOn(redis.port, prefix, { leaseMs });
  const b = await gatewayOn(redis.port, prefix, { leaseMs }, a);
  return { redis, prefix, a, b, ...(await twoCallsHeld(a, redis.port, prefix)) };
}

describe('Redis restarted empty while calls are in flight', () => {
  it('the credit in-flight calls hold is held again: a balance they use up refuses the next call, and never goes below zero', async () => {
    const redis = await servers.start();
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const logged: string[] = [];
    const t = await gatewayOn(redis.port, prefix, { metricsToken: 'metrics-token' }, undefined, logged);
    const { u, slow } = await twoCallsHeld(t, redis.port, prefix);
    await servers.kill(redis);
    await servers.start([], redis.port);

    // 5 P are left once the two calls' 20 P are held: a third call reserving 10 P is refused.
    const third = await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: 'quick' }] });
    const body = await third.text();
    expect([third.status, JSON.parse(body).error?.code]).toEqual([429, 'insufficient_quota']);

    const done = await Promise.all([...slow]);
    expect(done.map((d) => d.status)).toEqual([200, 200]);
    await t.flushLogs();
    const charged = (await t.gw.services.db.selectFrom('request_logs').select(['cost']).where('user_id', '=', u.userId).where('status', '=', 200).execute()).reduce((n, r) => n + Number(r.cost), 0);
    expect(await balanceOf(t, u.cookie)).toBe(2.5 * RESERVED - charged / 1_000_000);
    expect(await balanceOf(t, u.cookie)).toBeGreaterThanOrEqual(0);
    // Once the batch committed, nothing is held for the user any more, and the audit is clean.
    await eventually(() => expect(Number(cli(redis.port, 'get', `${prefix}held:u:${u.userId}`) || 0)).toBe(0), { timeoutMs: 5_000, intervalMs: 20 });
    const check = await checkBilling(t.gw.services.db, { state: t.gw.services.billing.state });
    expect(check.problems).toEqual([]);
    // Operators see it: the two holds filed again are counted.
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text();
    expect(metrics).toContain('apigpt_shared_state_restored_total{kind="hold"} 2');
    // And the log says so, as a warning.
    expect(logged.filter((l) => l.includes('Redis lacked')).map((l) => [JSON.parse(l).level, /Redis lacked \d+ holds and \d+ concurrency slots/.exec(l)?.[0]])).toEqual([['warn', 'Redis lacked 2 holds and 0 concurrency slots']]);
  }, 60_000);

  it('the concurrency slots of calls in flight are taken again: a cap they fill refuses the next call', async () => {
    const redis = await servers.start();
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const t = await gatewayOn(redis.port, prefix, { maxConcurrentPerKey: 2 });
    const u = await t.newUserWithKey();
    const slow = await slowCalls(t, u.key, 2);
    await eventually(() => expect(holdsIn(redis.port, prefix, t)).toBe(2), { timeoutMs: 10_000, intervalMs: 20 });
    await servers.kill(redis);
    await servers.start([], redis.port);

    const third = await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: 'quick' }] });
    const body = await third.text();
    expect([third.status, JSON.parse(body).error?.code]).toEqual([429, 'concurrency_limit']);
    expect(t.gw.services.billing.state.restored).toEqual({ holds: 2, slots: 2 });
    await slow.stop();
    // Their slots freed, the key serves again.
    await eventually(async () => expect((await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: 'again' }] })).status).toBe(200), { timeoutMs: 10_000, intervalMs: 50 });
  }, 60_000);

  it('a process that makes no new call files its holds again on its own (its reconnection, or its lease renewal), so another process does not spend them', async () => {
    // Leases renewed every second: a busy machine's late timer does not let one lapse meanwhile.
    const { redis, prefix, a, b, u, slow } = await twoGatewaysTwoCallsHeld(3000);
    await servers.kill(redis);
    await servers.start([], redis.port);
    // A files its two holds again on its own (it is sent nothing meanwhile).
    await eventually(() => expect(holdsIn(redis.port, prefix, a)).toBe(2), { timeoutMs: 10_000, intervalMs: 50 });

    const third = await chat(b, u.key, { ...ASK, messages: [{ role: 'user', content: 'quick' }] });
    const body = await third.text();
    expect([third.status, JSON.parse(body).error?.code]).toEqual([429, 'insufficient_quota']);
    expect((await Promise.all([...slow])).map((d) => d.status)).toEqual([200, 200]);
    await a.flushLogs();
    await b.flushLogs();
    expect(await balanceOf(a, u.cookie)).toBeGreaterThanOrEqual(0);
    const check = await checkBilling(a.gw.services.db, { state: a.gw.services.billing.state });
    expect(check.problems).toEqual([]);
  }, 60_000);

  it('a process taken for dead while it lived (its lease lapsed: a pause, a stalled VM) files again the holds the others released', async () => {
    // Leases of a minute: no renewal or reaping of their own during the test; it runs them itself.
    const { redis, prefix, a, b, u, slow } = await twoGatewaysTwoCallsHeld(60_000);

    // A's lease lapses as if it had stopped; B reaps it and releases its two holds.
    cli(redis.port, 'del', `${prefix}lease:${a.gw.services.billing.state.owner}`);
    expect(await b.gw.services.billing.state.reapDead()).toEqual({ owners: 1, holds: 2, amount: 2 * RESERVED * 1_000_000 });
    expect(holdsIn(redis.port, prefix, a)).toBe(0);
    // A, alive after all, files them again at its next renewal.
    await a.gw.services.billing.state.heartbeat();
    expect(holdsIn(redis.port, prefix, a)).toBe(2);
    const third = await chat(b, u.key, { ...ASK, messages: [{ role: 'user', content: 'quick' }] });
    expect([third.status, JSON.parse(await third.text()).error?.code]).toEqual([429, 'insufficient_quota']);
    await slow.stop();
  }, 60_000);

  it('a Redis that kept the lease but lost the last holds (a replica promoted before it caught up) gets them again when the connection reopens', async () => {
    const redis = await servers.start();
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const t = await gatewayOn(redis.port, prefix);
    const { u, slow } = await twoCallsHeld(t, redis.port, prefix);

    // The server the gateway reconnects to has its lease but neither hold.
    cli(redis.port, 'del', `${prefix}holds:${t.gw.services.billing.state.owner}`, `${prefix}held:u:${u.userId}`);
    cli(redis.port, 'client', 'kill', 'type', 'normal');
    await eventually(() => expect(holdsIn(redis.port, prefix, t)).toBe(2), { timeoutMs: 10_000, intervalMs: 20 });
    expect(Number(cli(redis.port, 'get', `${prefix}held:u:${u.userId}`))).toBe(2 * RESERVED * 1_000_000);
    const third = await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: 'quick' }] });
    expect([third.status, JSON.parse(await third.text()).error?.code]).toEqual([429, 'insufficient_quota']);
    await slow.stop();
  }, 60_000);

  it('a Redis that may evict keys when full is named at the start; one with noeviction is not', async () => {
    const prefix = `apigpt-test:${randomBytes(4).toString('hex')}:`;
    const evicting = await servers.start(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    const warned: string[] = [];
    await gatewayOn(evicting.port, prefix, {}, undefined, warned);
    await eventually(() => expect(warned.join('\n')).toContain('Redis evicts keys when it reaches its memory limit (maxmemory-policy allkeys-lru)'), { timeoutMs: 10_000, intervalMs: 20 });

    const strict = await servers.start(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction']);
    const quiet: string[] = [];
    const t = await gatewayOn(strict.port, `${prefix}b:`, {}, undefined, quiet);
    // Its first call is served (so the start's check has had its answer), and nothing was said.
    const u = await t.newUserWithKey();
    expect((await chat(t, u.key, { ...ASK, messages: [{ role: 'user', content: 'hi' }] })).status).toBe(200);
    expect(quiet.filter((l) => l.includes('maxmemory'))).toEqual([]);
  }, 60_000);
});
