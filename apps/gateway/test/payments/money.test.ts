/** Amounts in minor units and the credit they buy: integers only, figures worked out by hand. */
import { describe, expect, it } from 'vitest';
import { creditFor, formatMinor, priceFor, toMinor } from '../../src/payments/money.js';

describe('payment amounts', () => {
  it('reads decimals into minor units, refusing what is not a plain amount of the currency', () => {
    expect(toMinor('7.30', 'cny')).toBe(730);
    expect(toMinor('7.3', 'cny')).toBe(730);
    expect(toMinor(7.3, 'usd')).toBe(730);
    expect(toMinor('10', 'usd')).toBe(1000);
    expect(toMinor('500', 'jpy')).toBe(500);
    for (const bad of ['7.305', '-1', '1e3', '0x10', '', ' ', '7.', '.5', 'abc']) expect(toMinor(bad, 'cny'), bad).toBeNull();
    expect(toMinor('1.5', 'jpy')).toBeNull();
    expect(toMinor(0.1 + 0.2, 'usd')).toBeNull();
  });

  it('formats minor units back', () => {
    expect(formatMinor(730, 'cny')).toBe('7.30');
    expect(formatMinor(5, 'usd')).toBe('0.05');
    expect(formatMinor(500, 'jpy')).toBe('500');
  });

  it('credits amount × rate: ¥7.30 at 140 P/yuan is 1022 P; $10.00 at 1000 P/$ is 10,000 P', () => {
    expect(creditFor(730, 'cny', 140)).toBe(1022 * 1_000_000);
    expect(creditFor(1000, 'usd', 1000)).toBe(10_000 * 1_000_000);
    expect(creditFor(1, 'usd', 1)).toBe(10_000); // one cent at 1 P per dollar: 0.01 P
  });

  it('prices a pack at its rate, rounded up to the next minor unit', () => {
    // 10,000 P at 140 P/yuan = 71.428… yuan → ¥71.43; at 1000 P/$ = $10.00 exactly.
    expect(priceFor(10_000 * 1_000_000, 'cny', 140)).toBe(7143);
    expect(priceFor(10_000 * 1_000_000, 'usd', 1000)).toBe(1000);
    expect(priceFor(10_000 * 1_000_000, 'jpy', 7)).toBe(1429);
  });
});
