import { createCipheriv, createDecipheriv, createPublicKey, createSign, createVerify, randomBytes, type KeyObject } from 'node:crypto';

/**
 * WeChat Pay API v3's cryptography (pay.weixin.qq.com/doc/v3/merchant, "签名生成", "签名验证",
 * "证书和回调报文解密"):
 *
 * - a request is signed SHA256withRSA by the merchant's private key over
 *   `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` (every line ends with `\n`, the body is empty for
 *   a GET) and sent as `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
 *   signature="…",timestamp="…",serial_no="…"`;
 * - answers and callbacks are signed by WeChat Pay (its platform certificate, or the newer
 *   "WeChat Pay public key") over `TIMESTAMP\nNONCE\nBODY\n`, with the `Wechatpay-Timestamp`,
 *   `Wechatpay-Nonce`, `Wechatpay-Signature` and `Wechatpay-Serial` headers;
 * - a callback's `resource` is AEAD_AES_256_GCM with the merchant's 32-byte APIv3 key: the nonce
 *   (12 characters) is the IV, `associated_data` the AAD, and the base64 ciphertext ends with the
 *   16-byte tag.
 */
export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

export function requestMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

export function responseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export function rsaSign(message: string, key: KeyObject | string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(key, 'base64');
}

/** False for a missing or malformed signature, never a throw. */
export function rsaVerify(message: string, signature: string | undefined, key: KeyObject | string): boolean {
  if (!signature || !/^[A-Za-z0-9+/=]+$/.test(signature)) return false;
  try {
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(key, signature, 'base64');
  } catch {
    return false;
  }
}

/** The `Authorization` header of a merchant's API request. */
export function authorization(o: { mchId: string; serialNo: string; key: KeyObject | string; method: string; pathAndQuery: string; body: string; timestamp?: string; nonce?: string }): string {
  const timestamp = o.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  const signature = rsaSign(requestMessage(o.method, o.pathAndQuery, timestamp, nonce, o.body), o.key);
  return `${AUTH_SCHEMA} mchid="${o.mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${o.serialNo}"`;
}

/** The fields of an `Authorization` header, or null when it is not WeChat Pay's scheme. */
export function parseAuthorization(header: string | undefined): Record<string, string> | null {
  if (!header?.startsWith(`${AUTH_SCHEMA} `)) return null;
  const out: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/** Decrypts a callback's `resource`; throws when the key, nonce, AAD or tag do not match. */
export function decryptResource(apiV3Key: string, r: { ciphertext: string; nonce: string; associated_data?: string }): string {
  const data = Buffer.from(r.ciphertext, 'base64');
  if (data.length < 17) throw new Error('the ciphertext is shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(r.nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  decipher.setAAD(Buffer.from(r.associated_data ?? '', 'utf8'));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** The inverse, as WeChat Pay encrypts (the simulator and tests use it). */
export function encryptResource(apiV3Key: string, plaintext: string, nonce: string, associatedData: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

/**
 * WeChat Pay's verifying key as it is handed out: the platform certificate (PEM `CERTIFICATE`), the
 * WeChat Pay public key (PEM, or its bare base64 body); `\n` written literally in an environment
 * variable is read as a line break.
 */
export function platformKeyFrom(text: string): KeyObject {
  const t = text.replace(/\\n/g, '\n').trim();
  if (t.startsWith('-----BEGIN')) return createPublicKey(t);
  const body = t.replace(/\s+/g, '');
  return createPublicKey(`-----BEGIN PUBLIC KEY-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`);
}

/** WeChat Pay's times: RFC 3339 with the +08:00 offset (`2025-01-01T12:30:00+08:00`). */
export function wechatTime(ms: number): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}
