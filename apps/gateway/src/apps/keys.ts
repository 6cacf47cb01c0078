import type { Db } from '../storage/database.js';
import type { ApiKeysTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { sha256 } from '../core/crypto.js';
import { base62, newId } from '../core/ids.js';
import { getApp } from './apps.js';

/** `sk-` + 48 base62 characters: about 285 bits of randomness. */
export const KEY_RANDOM_LENGTH = 48;
const PREFIX_LENGTH = 10;

export type ApiKey = Omit<ApiKeysTable, 'key_hash'>;

export function generateKey(): string {
  return `sk-${base62(KEY_RANDOM_LENGTH)}`;
}

const KEY_COLUMNS = ['id', 'user_id', 'app_id', 'name', 'prefix', 'created_at', 'revoked_at', 'last_used_at'] as const;

/** Returns the key in clear exactly once; only its hash is stored. */
export async function createKey(db: Db, userId: string, appId: string, name?: string): Promise<{ key: string; record: ApiKey }> {
  await getApp(db, userId, appId);
  if (name !== undefined && (typeof name !== 'string' || name.length > 100)) throw invalidRequest('The key name must be a string of at most 100 characters.', 'name');
  const key = generateKey();
  const row: ApiKeysTable = {
    id: newId('key'),
    user_id: userId,
    app_id: appId,
    name: name?.trim() || 'default',
    key_hash: sha256(key),
    prefix: key.slice(0, PREFIX_LENGTH),
    created_at: Date.now(),
    revoked_at: null,
    last_used_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  const { key_hash: _h, ...record } = row;
  return { key, record };
}

export async function listKeys(db: Db, userId: string, appId?: string): Promise<ApiKey[]> {
  let q = db.selectFrom('api_keys').select(KEY_COLUMNS).where('user_id', '=', userId);
  if (appId) q = q.where('app_id', '=', appId);
  return q.orderBy('created_at', 'asc').execute();
}

export async function getKey(db: Db, userId: string, keyId: string): Promise<ApiKey> {
  const key = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', keyId).where('user_id', '=', userId).executeTakeFirst();
  if (!key) throw new GatewayError('not_found', 'Key not found.', { code: 'key_not_found' });
  return key;
}

export async function renameKey(db: Db, userId: string, keyId: string, name: string): Promise<ApiKey> {
  if (typeof name !== 'string' || !name.trim() || name.length > 100) throw invalidRequest('The key name must be 1 to 100 characters.', 'name');
  await getKey(db, userId, keyId);
  await db.updateTable('api_keys').set({ name: name.trim() }).where('id', '=', keyId).execute();
  return getKey(db, userId, keyId);
}

export async function revokeKey(db: Db, userId: string, keyId: string): Promise<ApiKey> {
  await getKey(db, userId, keyId);
  await db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
  return getKey(db, userId, keyId);
}

/** For automation (`apigpt key revoke PREFIX`): the prefix must name exactly one live key. */
export async function revokeKeyByPrefix(db: Db, prefix: string): Promise<ApiKey> {
  if (!prefix || prefix.length < 6) throw invalidRequest('Give at least the first 6 characters of the key.', 'prefix');
  const matches = await db
    .selectFrom('api_keys')
    .select(KEY_COLUMNS)
    .where('prefix', 'like', `${prefix.slice(0, PREFIX_LENGTH)}%`)
    .where('revoked_at', 'is', null)
    .execute();
  // A whole key narrows further than the stored prefix can; a longer partial prefix cannot.
  const live = prefix.length === 3 + KEY_RANDOM_LENGTH ? await filterByFullKey(db, matches, prefix) : matches;
  if (live.length === 0) throw new GatewayError('not_found', `No live key starts with ${prefix}.`, { code: 'key_not_found' });
  if (live.length > 1) throw new GatewayError('conflict', `${live.length} keys start with ${prefix}; give more characters.`, { code: 'ambiguous_prefix' });
  await db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', live[0].id).execute();
  return { ...live[0], revoked_at: Date.now() };
}

async function filterByFullKey(db: Db, matches: ApiKey[], key: string): Promise<ApiKey[]> {
  const row = await db.selectFrom('api_keys').select('id').where('key_hash', '=', sha256(key)).executeTakeFirst();
  return matches.filter((m) => m.id === row?.id);
}

/** What the relay knows about the caller once its key is accepted. */
export interface KeyContext {
  /** Null for the console playground, which calls with the login session instead of a key. */
  keyId: string | null;
  prefix: string;
  appId: string;
  userId: string;
  group: string;
  role: 'user' | 'admin';
}

/**
 * The relay's key check: one indexed lookup by hash. No cache, so a key revoked by any process (the
 * CLI included) fails on the very next request.
 */
export async function resolveKey(db: Db, key: string): Promise<KeyContext | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .select(['api_keys.id', 'api_keys.prefix', 'api_keys.app_id', 'api_keys.user_id', 'api_keys.revoked_at', 'users.group_name', 'users.role', 'users.status'])
    .where('api_keys.key_hash', '=', sha256(key))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.status !== 'active') return undefined;
  return { keyId: row.id, prefix: row.prefix, appId: row.app_id, userId: row.user_id, group: row.group_name, role: row.role };
}
