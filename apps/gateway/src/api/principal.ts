import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { SESSION_COOKIE, userForSession } from '../accounts/sessions.js';
import type { User } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import { readCookie } from '../accounts/cookies.js';

export interface Principal {
  user: User;
  /** How the caller proved who it is. */
  via: 'session' | 'root_token';
  sessionToken?: string;
}

/** Management API callers: a console session cookie, or the root token for automation. */
export async function principalFor(db: Db, req: FastifyRequest, rootToken: string | undefined, rootEmail: string): Promise<Principal | undefined> {
  const auth = req.headers.authorization;
  if (rootToken && typeof auth === 'string' && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    const given = Buffer.from(auth.slice(7).trim());
    const expected = Buffer.from(rootToken);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      const root =
        (await db.selectFrom('users').selectAll().where('email', '=', rootEmail).where('role', '=', 'admin').executeTakeFirst()) ??
        (await db.selectFrom('users').selectAll().where('role', '=', 'admin').orderBy('created_at', 'asc').executeTakeFirst());
      if (!root) throw new GatewayError('internal', 'No admin account exists.');
      const { password_hash: _p, ...user } = root;
      return { user, via: 'root_token' };
    }
    throw new GatewayError('authentication', 'The bearer token is not valid.', { code: 'invalid_token' });
  }
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!token) return undefined;
  const user = await userForSession(db, token);
  return user ? { user, via: 'session', sessionToken: token } : undefined;
}
