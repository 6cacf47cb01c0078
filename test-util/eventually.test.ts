import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('tries again until the assertion passes, and returns what the passing try returned', async () => {
    let n = 0;
    const got = await eventually(() => {
      n++;
      expect(n).toBeGreaterThanOrEqual(3);
      return `after ${n}`;
    }, { intervalMs: 1 });
    expect(got).toBe('after 3');
    expect(n).toBe(3);
  });

  it('throws the last assertion error once the timeout has passed, not before', async () => {
    let n = 0;
    const started = Date.now();
    const err = await eventually(() => expect(++n).toBe(-1), { timeoutMs: 100, intervalMs: 5 }).catch((e: Error) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`expected ${n} to be -1`)); // the last try's values
    expect((err as Error).message).toMatch(/still failing after \d+ ms, \d+ tries/);
    expect(n).toBeGreaterThan(2);
  });

  it('a condition that stays false fails; one that turns true passes', async () => {
    await expect(eventually(() => false, { timeoutMs: 30 })).rejects.toThrow(/still false/);
    const until = Date.now() + 30;
    await expect(eventually(() => Date.now() >= until, { timeoutMs: 1000 })).resolves.toBe(true);
  });
});
