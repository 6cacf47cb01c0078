import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Stripe webhook signatures (stripe-node `Webhooks.ts`, provider-protocols.md §16.2): the header
 * `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`; each `v1` is
 * HMAC-SHA256(endpoint secret, `${t}.${raw body}`) in hex, computed over the raw bytes as received.
 * An event is accepted when any `v1` matches and `t` is within the tolerance of now (300 s by
 * default), so a captured delivery cannot be replayed later.
 */

export const DEFAULT_TOLERANCE_SEC = 300;

/** The `v1` signature of a payload at time `t` (seconds). */
export function stripeSignature(payload: string | Buffer, secret: string, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(payload).digest('hex');
}

/** The header value Stripe sends for one secret. */
export function stripeSignatureHeader(payload: string | Buffer, secret: string, t: number): string {
  return `t=${t},v1=${stripeSignature(payload, secret, t)}`;
}

export type SignatureFailure = 'no_signature_header' | 'no_timestamp' | 'no_v1_signature' | 'no_matching_signature' | 'timestamp_outside_tolerance';

/** Checks a delivery; answers null when it is authentic and fresh, else why not. */
export function verifyStripeSignature(header: string | undefined, payload: Buffer, secret: string, toleranceSec: number, nowSec: number): SignatureFailure | null {
  if (!header) return 'no_signature_header';
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1') v1.push(v); // v0 (test-mode legacy) and unknown schemes are ignored
  }
  if (t === null) return 'no_timestamp';
  if (v1.length === 0) return 'no_v1_signature';
  const expected = Buffer.from(stripeSignature(payload, secret, t), 'hex');
  const match = v1.some((s) => /^[0-9a-f]{64}$/.test(s) && timingSafeEqual(expected, Buffer.from(s, 'hex')));
  if (!match) return 'no_matching_signature';
  // Checked after the signature, as stripe-node does: a forged header learns nothing about the clock.
  if (Math.abs(nowSec - t) > toleranceSec) return 'timestamp_outside_tolerance';
  return null;
}
