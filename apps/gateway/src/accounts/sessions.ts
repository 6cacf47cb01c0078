import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import { sha256 } from '../core/crypto.js';
import { publicUser, type User } from './users.js';

export const SESSION_COOKIE = 'apigpt_session';
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

/** Session tokens are random; only their hash is stored, so a database leak logs nobody in. */
export async function createSession(db: Db, userId: string): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  const expiresAt = now + SESSION_TTL_MS;
  await db.insertInto('sessions').values({ token_hash: sha256(token), user_id: userId, created_at: now, expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

export async function userForSession(db: Db, token: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select('sessions.expires_at')
    .where('sessions.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row || row.expires_at < Date.now() || row.status !== 'active') return undefined;
  const { expires_at: _e, ...user } = row;
  return publicUser(user);
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}
