/**
 * Money is stored and computed as integer micro-points (1 P = 1,000,000 µP); the management API
 * speaks decimal points. Conversions happen only here, at the boundary.
 */
export const MICRO = 1_000_000;

/** µP → P as a decimal number (exact for every amount below 2^53 µP). */
export function toPoints(micro: number): number {
  return Number(micro) / MICRO;
}

/** P → µP, rounded to the nearest micro-point; rejects what is not a finite number. */
export function fromPoints(points: number): number {
  if (typeof points !== 'number' || !Number.isFinite(points)) throw new RangeError(`not an amount: ${points}`);
  const micro = Math.round(points * MICRO);
  if (!Number.isSafeInteger(micro)) throw new RangeError(`amount out of range: ${points}`);
  return micro;
}

/** Pretty form for the CLI: `12.5 P`. */
export function formatPoints(micro: number): string {
  return `${toPoints(micro).toLocaleString('en-US', { maximumFractionDigits: 6 })} P`;
}
