import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totpAt, totpStep } from '../../src/accounts/totp.js';

/**
 * The TOTP arithmetic against the published test vectors: RFC 6238 Appendix B (SHA-1, the seed
 * "12345678901234567890", 8 digits) and RFC 4226 Appendix D (HOTP, 6 digits). Authenticator apps
 * compute the same numbers; a mistake in truncation, byte order or the step would show here.
 */
const SEED = Buffer.from('12345678901234567890', 'ascii');
const SECRET = base32Encode(SEED);

// RFC 6238 Appendix B, the SHA1 column: Unix time in seconds -> TOTP (8 digits).
const RFC6238_SHA1: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

// RFC 4226 Appendix D: counter -> HOTP (6 digits).
const RFC4226: string[] = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it('the seed in base32 is the one RFC 6238 implementations are tested with, and decodes back', () => {
    expect(SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode(SECRET.toLowerCase().replace(/(.{4})/g, '$1 ')).equals(SEED)).toBe(true);
    expect(() => base32Decode('ABC1')).toThrow(/base32/);
  });

  it.each(RFC6238_SHA1)('time %i gives %s (8 digits), and its last 6 digits at 6', (seconds, code) => {
    const step = totpStep(seconds * 1000);
    expect(totpAt(SECRET, step, 8)).toBe(code);
    expect(totpAt(SECRET, step)).toBe(code.slice(2));
  });

  it('HOTP counters 0-9 give the RFC 4226 values', () => {
    expect(RFC4226.map((_, counter) => hotp(SEED, counter))).toEqual(RFC4226);
  });

  it('a code is accepted one step either side of now, not two, and only for a step after the last one used', () => {
    const now = 1111111111 * 1000; // step 37037037
    const step = totpStep(now);
    const code = (s: number) => totpAt(SECRET, s);
    expect(matchTotp(SECRET, code(step), now, null)).toBe(step);
    expect(matchTotp(SECRET, code(step - 1), now, null)).toBe(step - 1);
    expect(matchTotp(SECRET, code(step + 1), now, null)).toBe(step + 1);
    expect(matchTotp(SECRET, code(step - 2), now, null)).toBeNull();
    expect(matchTotp(SECRET, code(step + 2), now, null)).toBeNull();
    // Replay: the step used last and any before it are refused; the next one is not.
    expect(matchTotp(SECRET, code(step), now, step)).toBeNull();
    expect(matchTotp(SECRET, code(step - 1), now, step)).toBeNull();
    expect(matchTotp(SECRET, code(step + 1), now, step)).toBe(step + 1);
    expect(matchTotp(SECRET, '12345', now, null)).toBeNull();
    expect(matchTotp(SECRET, 'abcdef', now, null)).toBeNull();
  });

  it('the otpauth URI names the issuer, the account and the parameters apps assume', () => {
    const uri = new URL(otpauthUri(SECRET, 'ann@example.com', 'APIGPT (example.com)'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/APIGPT (example.com):ann@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: SECRET, issuer: 'APIGPT (example.com)', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
