import type { ChangeToken, Db } from '../storage/database.js';
import { normaliseOrigin } from '../billing/key-limits.js';

/** The tables whose changes can add or remove an allowed origin (a key's list, its revocation, its owner's status). */
const TABLES = ['api_keys', 'users'] as const;

/**
 * The origins named by some live key's origin list, for CORS preflights. A preflight carries no
 * key, so the gateway answers it only for a page that at least one key was made for: a foreign page
 * cannot even send a key, and a key with no origin list is never usable from a browser by accident.
 * Each origin keeps the latest expiry among its keys (null: a key that never expires), checked at
 * lookup. The set is read once per change of the tables (exact, like `KeyResolver`); without a
 * change token, on every preflight.
 */
export class KeyOrigins {
  private cached: { token: number; origins: Map<string, number | null> } | null = null;
  private loading: { token: number; promise: Promise<Map<string, number | null>> } | null = null;

  constructor(
    private readonly db: Db,
    private readonly changeToken?: ChangeToken,
  ) {}

  async allows(origin: string, now = Date.now()): Promise<boolean> {
    const origins = await this.current();
    const n = normaliseOrigin(origin);
    if (!origins.has(n)) return false;
    const expires = origins.get(n)!;
    return expires === null || expires > now;
  }

  private async current(): Promise<Map<string, number | null>> {
    if (!this.changeToken) return this.load();
    const token = this.changeToken(TABLES);
    if (this.cached?.token === token) return this.cached.origins;
    if (this.loading?.token === token) return this.loading.promise;
    const promise = this.load().then(
      (origins) => {
        if (this.loading?.promise === promise) this.loading = null;
        this.cached = { token, origins };
        return origins;
      },
      (err) => {
        if (this.loading?.promise === promise) this.loading = null;
        throw err;
      },
    );
    this.loading = { token, promise };
    return promise;
  }

  private async load(): Promise<Map<string, number | null>> {
    const rows = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select(['api_keys.allowed_origins', 'api_keys.expires_at'])
      .where('api_keys.revoked_at', 'is', null)
      .where('api_keys.allowed_origins', 'is not', null)
      .where('users.status', '=', 'active')
      .execute();
    const out = new Map<string, number | null>();
    for (const r of rows) {
      for (const o of JSON.parse(r.allowed_origins!) as string[]) {
        const n = normaliseOrigin(o);
        const prev = out.get(n);
        // null (never expires) wins; otherwise the later expiry.
        out.set(n, prev === null || r.expires_at === null ? null : Math.max(prev ?? 0, r.expires_at));
      }
    }
    return out;
  }
}
