import { GatewayError } from '../core/errors.js';
import { MICRO } from '../billing/money.js';

/**
 * Money a payer pays: integer minor units of a currency (fen, cents; yen have none), never floats.
 * Providers speak decimal strings (EPay `money=7.30`) or minor units (Stripe `amount_total=730`);
 * both are converted here and compared as integers.
 */

/** Currencies without a minor unit, as Stripe lists them: their amounts are whole units. */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/** Decimal places of a currency's minor unit (2 for cny and usd, 0 for jpy). */
export function minorDigits(currency: string): number {
  return ZERO_DECIMAL.has(currency.toLowerCase()) ? 0 : 2;
}

/**
 * `"7.30"`, `"7.3"`, `7.3` or `"7"` → 730 (for cny). Refuses what is not a plain non-negative decimal
 * with at most the currency's decimal places (`"7.305"`, `"1e3"`, `"-1"`, `"0x10"`): returns null.
 */
export function toMinor(value: string | number, currency: string): number | null {
  const digits = minorDigits(currency);
  // A number is read as the decimal it prints as (7.3 → "7.3"): binary noise (0.1 + 0.2) is refused, never rounded.
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d{1,12})(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > digits) return null;
  const minor = Number(m[1]) * 10 ** digits + (frac ? Number(frac.padEnd(digits, '0')) : 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

/** 730 → "7.30" (cny), 500 → "500" (jpy): the form EPay's `money` and people read. */
export function formatMinor(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const s = String(minor).padStart(digits + 1, '0');
  return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/**
 * µP credited for `minor` units at `pointsPerUnit` P per whole currency unit. Exact: BigInt, and a
 * remainder (only possible for zero-decimal currencies at odd rates, never in practice) rounds down.
 */
export function creditFor(minor: number, currency: string, pointsPerUnit: number): number {
  const micro = (BigInt(minor) * BigInt(pointsPerUnit) * BigInt(MICRO)) / 10n ** BigInt(minorDigits(currency));
  return safe(micro);
}

/**
 * What a pack of `credit` µP (the bonus not included) costs in a currency at `pointsPerUnit` P per
 * unit: rounded up to the next minor unit, so a pack never sells below its rate.
 */
export function priceFor(credit: number, currency: string, pointsPerUnit: number): number {
  const num = BigInt(credit) * 10n ** BigInt(minorDigits(currency));
  const den = BigInt(pointsPerUnit) * BigInt(MICRO);
  return safe((num + den - 1n) / den);
}

function safe(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GatewayError('invalid_request', 'The amount is too large.', { param: 'amount', code: 'amount_out_of_range' });
  return Number(v);
}
