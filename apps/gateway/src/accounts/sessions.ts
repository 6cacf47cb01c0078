import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import { sha256 } from '../core/crypto.js';
import { publicUser, type User } from './users.js';

export const SESSION_COOKIE = 'apigpt_session';
/** Every session ends this long after its log-in, however busy. */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export interface SessionPolicy {
  /** A session unused for this long ends (0 = only the 30-day limit). */
  idleMs: number;
}

/**
 * How stale `last_seen_at` may get before a use writes it again: a request must not cost a write, and
 * the idle limit needs no better precision than this (a tenth of it, at most a minute).
 */
const touchEveryMs = (idleMs: number) => (idleMs > 0 ? Math.min(60_000, Math.max(1_000, Math.floor(idleMs / 10))) : 60_000);

/**
 * Session tokens are random; only their hash is stored, so a database leak logs nobody in. The idle
 * limit is kept on the row, so every place that reads a session (the management API, the console's
 * playground on the relay) enforces it without being handed the configuration.
 */
export async function createSession(db: Db, userId: string, policy: SessionPolicy): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  const expiresAt = now + SESSION_TTL_MS;
  // The user's sessions past their 30 days go as a new one comes: the table does not grow for ever.
  await db.deleteFrom('sessions').where('user_id', '=', userId).where('expires_at', '<', now).execute();
  await db.insertInto('sessions').values({ token_hash: sha256(token), user_id: userId, created_at: now, expires_at: expiresAt, last_seen_at: now, idle_ms: policy.idleMs }).execute();
  return { token, expiresAt };
}

/** At start: every session takes the configured idle limit, so a lowered one applies to sessions already open. */
export async function applySessionPolicy(db: Db, policy: SessionPolicy): Promise<void> {
  await db.updateTable('sessions').set({ idle_ms: policy.idleMs }).execute();
}

/**
 * The active user of a session, or undefined when it is unknown, past its 30 days, unused longer than
 * its idle limit (then it is deleted: coming back later does not revive it) or its user disabled. A
 * use counts as activity.
 */
export async function userForSession(db: Db, token: string): Promise<User | undefined> {
  const hash = sha256(token);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.expires_at as session_expires_at', 'sessions.created_at as session_created_at', 'sessions.last_seen_at', 'sessions.idle_ms'])
    .where('sessions.token_hash', '=', hash)
    .executeTakeFirst();
  if (!row) return undefined;
  const now = Date.now();
  const idleMs = Number(row.idle_ms ?? 0);
  const lastSeen = Number(row.last_seen_at ?? row.session_created_at);
  if (Number(row.session_expires_at) < now || (idleMs > 0 && now - lastSeen > idleMs)) {
    await db.deleteFrom('sessions').where('token_hash', '=', hash).execute();
    return undefined;
  }
  if (row.status !== 'active') return undefined;
  if (now - lastSeen >= touchEveryMs(idleMs)) await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', hash).execute();
  const { session_expires_at: _e, session_created_at: _c, last_seen_at: _l, idle_ms: _i, ...user } = row;
  return publicUser(user);
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}
