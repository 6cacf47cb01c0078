import { createPrivateKey, createPublicKey, createSign, createVerify, type KeyObject } from 'node:crypto';

/**
 * Alipay's RSA2 signatures (open platform docs, "自行实现签名" / "自行实现验签"): every parameter
 * but `sign` — and, when verifying a notify, `sign_type` — that is not empty, sorted by key in ASCII
 * order, joined `k=v&…` without URL-encoding, signed SHA256withRSA, base64.
 */
export function signContent(params: Record<string, string | undefined>, omitSignType: boolean): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && !(omitSignType && k === 'sign_type') && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export function rsa2Sign(params: Record<string, string | undefined>, key: KeyObject): string {
  return createSign('RSA-SHA256').update(signContent(params, false), 'utf8').sign(key, 'base64');
}

/** Verifies a notify's signature with Alipay's public key; false for a missing or malformed one. */
export function rsa2Verify(params: Record<string, string>, key: KeyObject): boolean {
  if (!params.sign || !/^[A-Za-z0-9+/=]+$/.test(params.sign)) return false;
  return createVerify('RSA-SHA256').update(signContent(params, true), 'utf8').verify(key, params.sign, 'base64');
}

/**
 * Keys as Alipay's tools hand them out: PEM, or the bare base64 body (PKCS#8 private key, SPKI
 * public key) that its key generator prints; `\n` written literally in an environment variable is
 * read as a line break.
 */
export function privateKeyFrom(text: string): KeyObject {
  return createPrivateKey(pem(text, 'PRIVATE KEY'));
}

export function publicKeyFrom(text: string): KeyObject {
  return createPublicKey(pem(text, 'PUBLIC KEY'));
}

function pem(text: string, label: string): string {
  const t = text.replace(/\\n/g, '\n').trim();
  if (t.startsWith('-----BEGIN')) return t;
  const body = t.replace(/\s+/g, '');
  return `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/** Alipay's timestamps: `yyyy-MM-dd HH:mm:ss` in GMT+8, whatever the server's zone. */
export function alipayTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}
