import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE, userForSession } from '../accounts/sessions.js';
import type { User } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import { readCookie } from '../accounts/cookies.js';
import { getUser } from '../accounts/users.js';
import type { KeyResolver } from '../apps/keys.js';
import { checkKeyAccess } from '../billing/key-limits.js';

export interface Principal {
  user: User;
  /** How the caller proved who it is. */
  via: 'session' | 'root_token' | 'api_key';
  sessionToken?: string;
  /** The App key, when one calls a route open to keys (`config.keys`): the SDKs' account calls. */
  key?: { id: string; appId: string; models: string[] | null };
}

/**
 * Management API callers: a console session cookie, the root token for automation, or an App key
 * (`Bearer sk-…`, as the relay takes it; index.ts lets it reach only the routes open to keys). A
 * key is held to its own expiry, address and origin lists here as on the relay.
 */
export async function principalFor(db: Db, req: FastifyRequest, rootToken: string | undefined, rootEmail: string, keys?: KeyResolver): Promise<Principal | undefined> {
  const auth = req.headers.authorization;
  const bearer = typeof auth === 'string' && auth.slice(0, 7).toLowerCase() === 'bearer ' ? auth.slice(7).trim() : undefined;
  if (bearer !== undefined && (rootToken || keys)) {
    const given = Buffer.from(bearer);
    const expected = Buffer.from(rootToken ?? '');
    if (rootToken && given.length === expected.length && timingSafeEqual(given, expected)) {
      const root =
        (await db.selectFrom('users').selectAll().where('email', '=', rootEmail).where('role', '=', 'admin').executeTakeFirst()) ??
        (await db.selectFrom('users').selectAll().where('role', '=', 'admin').orderBy('created_at', 'asc').executeTakeFirst());
      if (!root) throw new GatewayError('internal', 'No admin account exists.');
      const { password_hash: _p, ...user } = root;
      return { user, via: 'root_token' };
    }
    if (keys && bearer.startsWith('sk-')) return keyPrincipal(db, req, keys, bearer);
    if (rootToken) throw new GatewayError('authentication', 'The bearer token is not valid.', { code: 'invalid_token' });
  }
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token) return undefined;
  const user = await userForSession(db, token);
  return user ? { user, via: 'session', sessionToken: token } : undefined;
}

async function keyPrincipal(db: Db, req: FastifyRequest, keys: KeyResolver, key: string): Promise<Principal> {
  const ctx = key.length <= 200 ? await keys.resolve(key) : undefined;
  const user = ctx && (await getUser(db, ctx.userId));
  if (!ctx?.keyId || !user) throw new GatewayError('authentication', 'The API key is not valid.', { code: 'invalid_api_key' });
  const origin = pageOrigin(req);
  // No model is named by an account call: the key's model list filters what it is shown instead.
  if (ctx.limits) checkKeyAccess({ ...ctx.limits, models: null }, { model: '', clientIp: req.ip ?? null, origin });
  return { user, via: 'api_key', key: { id: ctx.keyId, appId: ctx.appId, models: ctx.limits?.models ?? null } };
}

/**
 * The page a browser call came from, for a key's origin list. Browsers leave `Origin` off
 * same-origin GETs (a page served by the gateway itself, such as /editor/, reading the balance);
 * `Sec-Fetch-Site: same-origin` then says the page is on the origin the request was sent to.
 */
function pageOrigin(req: FastifyRequest): string | null {
  if (typeof req.headers.origin === 'string') return req.headers.origin;
  if (req.headers['sec-fetch-site'] === 'same-origin' && req.headers.host) return `${req.protocol}://${req.headers.host}`;
  return null;
}
