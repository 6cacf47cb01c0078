import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring links to stored images: `/files/images/<name>?exp=<unix s>&sig=<hmac>`. The key
 * is derived from the master key with its own label, so the link key never equals the key that
 * seals provider secrets, and links survive restarts (and work on every process sharing the secret).
 */
export class UrlSigner {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = createHmac('sha256', masterKey).update('apigpt/image-links/v1').digest();
  }

  sign(name: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${name}\n${exp}`).digest('base64url');
  }

  /** Query string for a link to `name` valid until `exp` (unix seconds). */
  query(name: string, exp: number): string {
    return `exp=${exp}&sig=${this.sign(name, exp)}`;
  }

  /** 'ok', or why the link is refused. */
  check(name: string, exp: unknown, sig: unknown, nowSeconds = Math.floor(Date.now() / 1000)): 'ok' | 'expired' | 'bad_signature' {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string') return 'bad_signature';
    const want = Buffer.from(this.sign(name, Number(exp)));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'bad_signature';
    // Checked after the signature, so a forged far-future `exp` is a bad signature, not a valid link.
    return Number(exp) < nowSeconds ? 'expired' : 'ok';
  }
}
