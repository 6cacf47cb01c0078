// OAuth access tokens issued by the simulated Baidu token endpoint (Qianfan v1 API). Tokens are
// random, live per simulator instance, and can be expired all at once so a gateway test can
// drive its "token expired → refresh once → retry" path.
import { randomBytes } from 'node:crypto';
import type { IssuedToken } from './types.js';

/** Baidu's default lifetime: 30 days. */
export const DEFAULT_TOKEN_EXPIRES_IN = 2_592_000;
const MAX_TOKENS = 1000;

export class AccessTokenStore {
  private readonly byToken = new Map<string, IssuedToken>();
  /** Successful token exchanges since start (or the last clear()). */
  exchanges = 0;

  constructor(public expiresIn: number = DEFAULT_TOKEN_EXPIRES_IN) {}

  issue(clientId: string): IssuedToken & { refresh_token: string; session_key: string; session_secret: string } {
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const tag = `282335-${30000000 + (randomBytes(3).readUIntBE(0, 3) % 9000000)}`;
    const token: IssuedToken = {
      access_token: `24.${randomBytes(16).toString('hex')}.${this.expiresIn}.${ts}.${tag}`,
      client_id: clientId,
      issued_at: now,
      expires_at: now + this.expiresIn * 1000,
    };
    this.byToken.set(token.access_token, token);
    if (this.byToken.size > MAX_TOKENS) this.byToken.delete(this.byToken.keys().next().value as string);
    this.exchanges++;
    return {
      ...token,
      refresh_token: `25.${randomBytes(16).toString('hex')}.315360000.${ts + 315360000}.${tag}`,
      session_key: randomBytes(40).toString('base64url'),
      session_secret: randomBytes(16).toString('hex'),
    };
  }

  check(accessToken: string | undefined): 'ok' | 'unknown' | 'expired' {
    const t = accessToken ? this.byToken.get(accessToken) : undefined;
    if (!t) return 'unknown';
    return t.expires_at <= Date.now() ? 'expired' : 'ok';
  }

  /** Expires every issued token now; returns how many were still valid. */
  expireAll(): number {
    const now = Date.now();
    let n = 0;
    for (const t of this.byToken.values()) {
      if (t.expires_at > now) n++;
      t.expires_at = Math.min(t.expires_at, now - 1);
    }
    return n;
  }

  /** Forgets every token (they become unknown: error 110) and resets the exchange count. */
  clear(): void {
    this.byToken.clear();
    this.exchanges = 0;
  }

  list(): Array<IssuedToken & { expired: boolean }> {
    const now = Date.now();
    return [...this.byToken.values()].map((t) => ({ ...t, expired: t.expires_at <= now }));
  }
}
