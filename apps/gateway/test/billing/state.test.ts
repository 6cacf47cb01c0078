import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { MemoryState } from '../../src/state/memory.js';
import { RedisState } from '../../src/state/redis.js';
import type { SharedState } from '../../src/state/shared-state.js';
import { REDIS_URL } from '../harness.js';
import { eventually } from '../eventually.js';

/** The two shared-state implementations must mean the same thing; each case runs on both. */
const made: SharedState[] = [];
const kinds: [string, () => SharedState][] = [
  ['memory', () => new MemoryState()],
  ['redis', () => new RedisState(REDIS_URL, `apigpt-test:${randomBytes(6).toString('hex')}:`)],
];
afterAll(async () => {
  for (const s of made) await s.close();
});

describe.each(kinds)('shared state (%s)', (_name, make) => {
  const fresh = () => {
    const s = make();
    made.push(s);
    return s;
  };

  it('reserves all-or-nothing across pools and reports a missing pool', async () => {
    const s = fresh();
    expect(await s.reserve(['u:a'], 10, 'r1')).toEqual({ ok: false, reason: 'missing', pool: 'u:a' });
    await s.syncBalance('u:a', 100, 1);
    await s.syncBalance('k:a', 30, 1);
    expect(await s.reserve(['u:a', 'k:a'], 20, 'r1')).toEqual({ ok: true });
    expect(await s.reserve(['u:a', 'k:a'], 20, 'r2')).toEqual({ ok: false, reason: 'insufficient', pool: 'k:a', available: 10 });
    expect(await s.available('u:a')).toBe(80); // the refused reservation held nothing
  });

  it('settles below and above the reservation, never past what the pool has', async () => {
    const s = fresh();
    await s.syncBalance('u:b', 100, 1);
    await s.reserve(['u:b'], 40, 'r1');
    expect(await s.settle(['u:b'], 40, 25, 'r1')).toBe(25);
    expect(await s.available('u:b')).toBe(75);
    await s.reserve(['u:b'], 50, 'r2');
    expect(await s.settle(['u:b'], 50, 90, 'r2')).toBe(75); // only 25 more was left
    expect(await s.available('u:b')).toBe(0);
  });

  it("a hold's first settlement at or below its reservation is granted in full, with nothing left in the pool or the hold gone", async () => {
    // billing/policy.ts takes this charge without waiting for the answer (state/shared-state.ts).
    const s = fresh();
    await s.syncBalance('u:f', 100, 1);
    await s.reserve(['u:f'], 40, 'f1');
    await s.reserve(['u:f'], 60, 'f2');
    expect(await s.available('u:f')).toBe(0);
    expect(await s.settle(['u:f'], 40, 40, 'f1')).toBe(40);
    expect(await s.settle(['u:f'], 60, 59, 'f2')).toBe(59);
    expect(await s.available('u:f')).toBe(1);
    // A hold released meanwhile (its process taken for dead) still grants the charge within the reservation.
    expect(await s.settle(['u:f'], 30, 30, 'never-held')).toBe(30);
    expect(await s.available('u:f')).toBe(1);
  });

  it('a commit drops the hold and stores the committed value; an older version never wins', async () => {
    const s = fresh();
    await s.syncBalance('u:c', 100, 5);
    await s.reserve(['u:c'], 30, 'r1');
    await s.settle(['u:c'], 30, 30, 'r1');
    await s.commit([{ pool: 'u:c', balance: 70, version: 6 }], ['r1']);
    expect(await s.available('u:c')).toBe(70);
    await s.commit([{ pool: 'u:c', balance: 70, version: 6 }], ['r1']); // told twice: released once
    expect(await s.available('u:c')).toBe(70);
    await s.syncBalance('u:c', 100, 5); // a slow read from before the charge
    expect(await s.available('u:c')).toBe(70);
    await s.syncBalance('u:c', 120, 7); // a top-up
    expect(await s.available('u:c')).toBe(120);
  });

  it('every step of a hold is idempotent: a retried reserve or settle moves nothing twice', async () => {
    const s = fresh();
    await s.syncBalance('u:d', 100, 1);
    expect(await s.reserve(['u:d'], 40, 'r1')).toEqual({ ok: true });
    expect(await s.reserve(['u:d'], 40, 'r1')).toEqual({ ok: true });
    expect(await s.available('u:d')).toBe(60);
    expect(await s.settle(['u:d'], 40, 10, 'r1')).toBe(10);
    expect(await s.settle(['u:d'], 40, 10, 'r1')).toBe(10);
    expect(await s.available('u:d')).toBe(90);
    // A zero charge releases the hold at once.
    await s.reserve(['u:d'], 20, 'r2');
    expect(await s.settle(['u:d'], 20, 0, 'r2')).toBe(0);
    expect(await s.available('u:d')).toBe(90);
    const mine = (await s.owners()).find((o) => o.owner === s.owner)!;
    expect(mine).toMatchObject({ live: true, holds: 1, pools: { 'u:d': 10 } });
  });

  it('counts fixed windows and refuses without counting', async () => {
    const s = fresh();
    const now = 1_700_000_000_000;
    const hit = () => s.hit([{ counter: 'rpm:k:x', limit: 2, cost: 1 }, { counter: 'tpm:k:x', limit: 100, cost: 40 }], 60_000, now);
    expect((await hit()).used).toEqual([1, 40]);
    expect((await hit()).used).toEqual([2, 80]);
    const third = await hit();
    expect(third.ok).toBe(false);
    expect(third.refused).toBe('rpm:k:x');
    expect(third.used).toEqual([2, 80]);
    expect(third.resetMs).toBe(60_000 - (now % 60_000));
    await s.adjust('tpm:k:x', -50, 60_000, now);
    const next = await s.hit([{ counter: 'tpm:k:x', limit: 100, cost: 60 }], 60_000, now);
    expect(next).toMatchObject({ ok: true, used: [90] });
    expect((await s.hit([{ counter: 'rpm:k:x', limit: 2, cost: 1 }], 60_000, now + 60_000)).ok).toBe(true); // new window
  });
});

describe('leases (redis)', () => {
  it("a stopped process's holds are released by another within the lease time", async () => {
    const prefix = `apigpt-test:${randomBytes(6).toString('hex')}:`;
    const leaseMs = 600;
    const a = new RedisState(REDIS_URL, prefix, { leaseMs });
    const b = new RedisState(REDIS_URL, prefix, { leaseMs });
    made.push(b);
    await a.heartbeat();
    await a.syncBalance('u:e', 1000, 1);
    expect(await a.reserve(['u:e', 'k:e'].slice(0, 1), 300, 'r1')).toEqual({ ok: true });
    expect(await b.reserve(['u:e'], 200, 'r2')).toEqual({ ok: true });
    expect(await b.available('u:e')).toBe(500);
    // `a` dies: its timer stops and its lease is not renewed (close() would hand it back at once).
    (a as unknown as { timer: NodeJS.Timeout }).timer.unref();
    clearInterval((a as unknown as { timer: NodeJS.Timeout }).timer);
    const dead = a.owner;
    // Released once the lease lapsed (0.6 s here; the reaper looks every lease/3).
    await eventually(async () => expect(await b.available('u:e')).toBe(800), { timeoutMs: 10_000 });
    const owners = await b.owners();
    expect(owners.find((o) => o.owner === dead)).toBeUndefined();
    expect(owners.find((o) => o.owner === b.owner)).toMatchObject({ live: true, holds: 1 });
    (a as unknown as { redis: { disconnect(): void } }).redis.disconnect();
  });
});

describe('command timeout (redis)', () => {
  it('a command Redis never answers fails after APIGPT_REDIS_TIMEOUT_MS, not after the 2-second default', async () => {
    // A server that takes the connection and every byte, and answers nothing.
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      sockets.push(sock);
      sock.on('data', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const s = new RedisState(`redis://127.0.0.1:${port}`, 'apigpt-test-silent:', { serving: false, commandTimeoutMs: 2_600 });
    const started = performance.now();
    await expect(s.reserve(['u:t'], 1, 't1')).rejects.toThrow('Command timed out');
    // Timers never fire early: failing no sooner than the configured time shows it was used.
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_590);
    for (const sock of sockets) sock.destroy();
    server.close();
    await s.close();
  });
});
