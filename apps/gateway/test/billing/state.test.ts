import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { MemoryState } from '../../src/state/memory.js';
import { RedisState } from '../../src/state/redis.js';
import type { SharedState } from '../../src/state/shared-state.js';
import { REDIS_URL } from '../harness.js';

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
    expect(await s.reserve(['u:a'], 10)).toEqual({ ok: false, reason: 'missing', pool: 'u:a' });
    await s.syncBalance('u:a', 100, 1);
    await s.syncBalance('k:a', 30, 1);
    expect(await s.reserve(['u:a', 'k:a'], 20)).toEqual({ ok: true });
    expect(await s.reserve(['u:a', 'k:a'], 20)).toEqual({ ok: false, reason: 'insufficient', pool: 'k:a', available: 10 });
    expect(await s.available('u:a')).toBe(80); // the refused reservation held nothing
  });

  it('settles below and above the reservation, never past what the pool has', async () => {
    const s = fresh();
    await s.syncBalance('u:b', 100, 1);
    await s.reserve(['u:b'], 40);
    expect(await s.settle(['u:b'], 40, 25)).toBe(25);
    expect(await s.available('u:b')).toBe(75);
    await s.reserve(['u:b'], 50);
    expect(await s.settle(['u:b'], 50, 90)).toBe(75); // only 25 more was left
    expect(await s.available('u:b')).toBe(0);
  });

  it('a commit drops the hold and stores the committed value; an older version never wins', async () => {
    const s = fresh();
    await s.syncBalance('u:c', 100, 5);
    await s.reserve(['u:c'], 30);
    await s.settle(['u:c'], 30, 30);
    await s.commit([{ pool: 'u:c', amount: 30, balance: 70, version: 6 }]);
    expect(await s.available('u:c')).toBe(70);
    await s.syncBalance('u:c', 100, 5); // a slow read from before the charge
    expect(await s.available('u:c')).toBe(70);
    await s.syncBalance('u:c', 120, 7); // a top-up
    expect(await s.available('u:c')).toBe(120);
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
