import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { CircuitBreaker, type CircuitPolicy } from '../../src/relay/health/circuit.js';
import { MemoryKv, RedisKv, type KvStore } from '../../src/state/kv.js';
import { REDIS_URL } from '../harness.js';

const policy: CircuitPolicy = { failureThreshold: 3, errorRate: 0.5, minRequests: 10, windowMs: 60_000, cooldownMs: 1_000 };

const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
afterAll(() => redis.disconnect());

const stores: [string, (clock: () => number) => KvStore][] = [
  ['memory', (clock) => new MemoryKv(1000, clock)],
  // Redis keeps its own time for TTLs; the breaker's logic runs on the injected clock.
  ['redis', () => new RedisKv(redis, `apigpt-test:${process.pid}:${randomBytes(4).toString('hex')}:`)],
];

describe.each(stores)('circuit breaker on %s state', (_name, makeStore) => {
  function setup() {
    let now = 1_000_000;
    const events: string[] = [];
    const kv = makeStore(() => now);
    const cb = new CircuitBreaker(kv, policy, (id, kind) => events.push(`${id}:${kind}`), () => now);
    return { cb, events, advance: (ms: number) => (now += ms), kv };
  }

  it('opens after a run of failures, skips the channel, lets exactly one probe through after the cool-down', async () => {
    const { cb, events, advance } = setup();
    for (let i = 0; i < 2; i++) expect(await cb.onFailure('a', await cb.admit(['a']), '500')).toBe(false);
    expect((await cb.admit(['a', 'b'])).allowed).toEqual(['a', 'b']);
    expect(await cb.onFailure('a', await cb.admit(['a']), '500')).toBe(true);
    expect(events).toEqual(['a:circuit_open']);
    const skipped = await cb.admit(['a', 'b']);
    expect(skipped.allowed).toEqual(['b']);
    expect((await cb.admit(['a'])).retryAfterMs).toBeGreaterThan(0);
    advance(1_001);
    const [first, second] = await Promise.all([cb.admit(['a']), cb.admit(['a'])]);
    expect([first.allowed, second.allowed].filter((x) => x.length === 1)).toHaveLength(1);
    const probe = first.allowed.length ? first : second;
    expect(probe.probes.has('a')).toBe(true);
    await cb.onSuccess('a', probe);
    expect(events.at(-1)).toBe('a:circuit_closed');
    expect((await cb.view('a')).state).toBe('closed');
    expect((await cb.admit(['a'])).allowed).toEqual(['a']);
  });

  it('a failed probe re-opens the circuit and counts the trip', async () => {
    const { cb, advance } = setup();
    await cb.trip('c', 'provider refused the key');
    expect(await cb.trips('c')).toBe(1);
    advance(1_001);
    const probe = await cb.admit(['c']);
    expect(probe.probes.has('c')).toBe(true);
    await cb.onFailure('c', probe, 'timeout');
    expect((await cb.view('c')).state).toBe('open');
    expect(await cb.trips('c')).toBe(2);
  });

  it('a success resets the run of failures', async () => {
    const { cb } = setup();
    await cb.onFailure('d', await cb.admit(['d']), '500');
    await cb.onFailure('d', await cb.admit(['d']), '500');
    await cb.onSuccess('d', await cb.admit(['d']));
    await cb.onFailure('d', await cb.admit(['d']), '500');
    await cb.onFailure('d', await cb.admit(['d']), '500');
    expect((await cb.view('d')).state).toBe('closed');
  });

  it('adds successes to the shared window in one write, and a failure is judged with every success before it', async () => {
    const { cb, kv } = setup();
    const windowKey = `cb:g:n${Math.floor(1_000_000 / policy.windowMs)}`;
    for (let i = 0; i < 30; i++) await cb.onSuccess('g', await cb.admit(['g']));
    expect(await kv.get(windowKey)).toBeNull(); // counted here, not written per call
    await cb.flushSuccesses();
    expect(await kv.get(windowKey)).toBe('30');
    for (let i = 0; i < 9; i++) await cb.onSuccess('g', await cb.admit(['g']));
    // 1 failure against 39 successes: far below the 50% error rate, so it stays closed.
    expect(await cb.onFailure('g', await cb.admit(['g']), '500')).toBe(false);
    expect(await kv.get(windowKey)).toBe('40');
  });

  it('opens on an error rate even without a run of failures', async () => {
    const { cb, events } = setup();
    let opened = false;
    for (let i = 0; i < 12 && !opened; i++) {
      const a = await cb.admit(['e']);
      if (i % 2 === 0) opened = await cb.onFailure('e', a, '503');
      else await cb.onSuccess('e', a);
    }
    expect(opened).toBe(true);
    expect(events).toEqual(['e:circuit_open']);
  });
});

describe('two processes on one Redis: each decides on what it last read for 250 ms, never probes on it', () => {
  /** Two breakers (two gateway processes) on one Redis prefix and one clock; B's reads of the store counted. */
  function cluster() {
    let now = 5_000_000;
    const clock = () => now;
    const prefix = `apigpt-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
    const events: string[] = [];
    const a = new CircuitBreaker(new RedisKv(redis, prefix), policy, (id, kind) => events.push(`A ${id}:${kind}`), clock);
    const kvB = new RedisKv(redis, prefix);
    let reads = 0;
    const mget = kvB.mget.bind(kvB);
    kvB.mget = (keys) => {
      reads++;
      return mget(keys);
    };
    const b = new CircuitBreaker(kvB, policy, (id, kind) => events.push(`B ${id}:${kind}`), clock);
    return { a, b, events, reads: () => reads, advance: (ms: number) => (now += ms) };
  }

  it('B reads the store once per 250 ms, sees the circuit A opened once its read is older, and the probe only after a fresh read', async () => {
    const { a, b, events, reads, advance } = cluster();
    expect((await b.admit(['x'])).allowed).toEqual(['x']);
    expect((await b.admit(['x'])).allowed).toEqual(['x']);
    expect(reads()).toBe(1);
    for (let i = 0; i < policy.failureThreshold; i++) await a.onFailure('x', await a.admit(['x']), '500');
    expect(events).toEqual(['A x:circuit_open']);
    // A skips it at once (its own write); B decides on its read of 100 ms ago.
    advance(100);
    expect((await a.admit(['x'])).allowed).toEqual([]);
    expect((await b.admit(['x'])).allowed).toEqual(['x']);
    advance(200);
    expect((await b.admit(['x'])).allowed).toEqual([]);
    expect(reads()).toBe(2);
    // B reads it 100 ms before the cool-down ends (opened at +0, cool-down 1 s; now +300 → +900).
    advance(600);
    expect((await b.admit(['x'])).allowed).toEqual([]);
    expect(reads()).toBe(3);
    // 150 ms later the cool-down is over: A's probe passes and closes it. B's read, 150 ms old, says
    // "probe now": B reads again, finds it closed, and takes no probe of its own.
    advance(150);
    const probe = await a.admit(['x']);
    expect([...probe.probes]).toEqual(['x']);
    await a.onSuccess('x', probe);
    const after = await b.admit(['x']);
    expect([after.allowed, [...after.probes]]).toEqual([['x'], []]);
    expect(reads()).toBe(4);
    expect(events).toEqual(['A x:circuit_open', 'A x:circuit_half_open', 'A x:circuit_closed']);
  });
});
