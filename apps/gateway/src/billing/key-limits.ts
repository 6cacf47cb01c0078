import { isIP } from 'node:net';
import { GatewayError, invalidRequest } from '../core/errors.js';

/** A key's limits as the relay checks them (money in micro-points; null = no limit). */
export interface KeyLimits {
  creditLimit: number | null;
  expiresAt: number | null;
  models: string[] | null;
  ips: string[] | null;
  origins: string[] | null;
  rpm: number | null;
  tpm: number | null;
  /** The owner's own per-user rate limits. */
  userRpm: number | null;
  userTpm: number | null;
}

export const NO_LIMITS: KeyLimits = { creditLimit: null, expiresAt: null, models: null, ips: null, origins: null, rpm: null, tpm: null, userRpm: null, userTpm: null };

/**
 * Checks that need nothing but the key and the call: expiry, model, client address and browser
 * origin. Throws the refusal; cheap enough for every request (no I/O).
 */
export function checkKeyAccess(limits: KeyLimits, call: { model: string; clientIp: string | null; origin?: string | null }, now = Date.now()): void {
  if (limits.expiresAt !== null && now >= limits.expiresAt)
    throw new GatewayError('authentication', 'This API key has expired.', { code: 'key_expired' });
  if (limits.models && !limits.models.includes(call.model))
    throw new GatewayError('permission', `This API key may not use the model \`${call.model}\`.`, { param: 'model', code: 'model_not_allowed_for_key' });
  if (limits.ips && !(call.clientIp && limits.ips.some((rule) => ipMatches(rule, call.clientIp!))))
    throw new GatewayError('permission', `This API key may not be used from ${call.clientIp ?? 'this address'}.`, { code: 'ip_not_allowed' });
  // The origin list makes a key usable from a browser page: only those pages, and only from a
  // browser that says where it is (a request without Origin is refused for such a key).
  if (limits.origins && !(call.origin && limits.origins.includes(normaliseOrigin(call.origin))))
    throw new GatewayError('permission', `This API key may not be used from the origin ${call.origin ?? '(none)'}.`, { code: 'origin_not_allowed' });
}

/** `10.0.0.0/8`, `2001:db8::/32` or a single address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) matches its IPv4 rule. */
export function ipMatches(rule: string, ip: string): boolean {
  const addr = parseIp(ip);
  const cidr = parseCidr(rule);
  if (!addr || !cidr || addr.bits !== cidr.bits) return false;
  const shift = BigInt(cidr.bits - cidr.prefix);
  return addr.value >> shift === cidr.value >> shift;
}

export function parseCidr(rule: string): { value: bigint; bits: number; prefix: number } | null {
  const [ip, len] = rule.trim().split('/');
  const addr = parseIp(ip);
  if (!addr) return null;
  const prefix = len === undefined ? addr.bits : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > addr.bits) return null;
  return { ...addr, prefix };
}

function parseIp(ip: string): { value: bigint; bits: number } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1];
  const kind = isIP(ip);
  if (kind === 4) return { value: ip.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n), bits: 32 };
  if (kind === 6) {
    const [head, tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8) return null;
    return { value: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
  }
  return null;
}

export function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** Validation for the management API: every rule must parse, every origin must be scheme://host[:port]. */
export function validateIpRules(rules: string[]): string[] {
  return rules.map((r, i) => {
    if (!parseCidr(r)) throw invalidRequest(`"${r}" is not an IP address or CIDR range.`, `ips[${i}]`);
    return r.trim();
  });
}

export function validateOrigins(origins: string[]): string[] {
  return origins.map((o, i) => {
    const n = normaliseOrigin(o);
    let ok = false;
    try {
      const u = new URL(n);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === n;
    } catch {
      ok = false;
    }
    if (!ok) throw invalidRequest(`"${o}" is not an origin such as https://app.example.com.`, `origins[${i}]`);
    return n;
  });
}
