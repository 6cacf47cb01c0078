import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * EPay (易支付) V1 signatures, as go-epay's `generateParams` and new-api's `EpayNotify` compute them
 * (provider-protocols.md §16.1): every parameter but `sign` and `sign_type` and the empty ones,
 * sorted by key (ASCII), joined as `k=v&…` with raw (not URL-encoded) values, the merchant key
 * appended directly, MD5 in lower-case hex. The same rule signs our requests and checks notifies.
 */

/** The string that is hashed, before the key is appended. */
export function epaySigningString(params: Record<string, string | undefined>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && k !== 'sign_type' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function epaySign(params: Record<string, string | undefined>, key: string): string {
  return createHash('md5').update(epaySigningString(params) + key, 'utf8').digest('hex');
}

/** The parameters with `sign` and `sign_type=MD5` added: what is sent. */
export function epaySigned(params: Record<string, string>, key: string): Record<string, string> {
  return { ...params, sign: epaySign(params, key), sign_type: 'MD5' };
}

/** Whether `params.sign` is the MD5 signature of the rest under `key` (constant-time compare). */
export function epayVerify(params: Record<string, string | undefined>, key: string): boolean {
  const given = params.sign;
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  const expected = Buffer.from(epaySign(params, key), 'hex');
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase(), 'hex'));
}
