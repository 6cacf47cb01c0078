import { CompiledQuery } from 'kysely';
import type { ChangeToken, Db } from '../storage/database.js';
import type { ApiKeysTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { sha256 } from '../core/crypto.js';
import { base62, newId } from '../core/ids.js';
import { getApp } from './apps.js';
import { KeyOrigins } from './key-origins.js';
import { NO_LIMITS, validateIpRules, validateOrigins, type KeyLimits } from '../billing/key-limits.js';
import { fromPoints, toPoints } from '../billing/money.js';
import type { MaybeAsync } from '../core/maybe-async.js';

/** `sk-` + 48 base62 characters: about 285 bits of randomness. */
export const KEY_RANDOM_LENGTH = 48;
const PREFIX_LENGTH = 10;

/** A key as the management API shows it: limits in API units (money in P), never the hash. */
export interface ApiKey {
  id: string;
  user_id: string;
  app_id: string;
  name: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  creditLimit: number | null;
  expiresAt: number | null;
  models: string[] | null;
  ips: string[] | null;
  origins: string[] | null;
  rpm: number | null;
  tpm: number | null;
  /** P charged through this key so far. */
  spent: number;
}

export function generateKey(): string {
  return `sk-${base62(KEY_RANDOM_LENGTH)}`;
}

const KEY_COLUMNS = [
  'id', 'user_id', 'app_id', 'name', 'prefix', 'created_at', 'revoked_at', 'last_used_at',
  'credit_limit', 'expires_at', 'allowed_models', 'allowed_ips', 'allowed_origins', 'rpm', 'tpm', 'spent',
] as const;

type KeyRow = Pick<ApiKeysTable, (typeof KEY_COLUMNS)[number]>;

function toApiKey(r: KeyRow): ApiKey {
  return {
    id: r.id,
    user_id: r.user_id,
    app_id: r.app_id,
    name: r.name,
    prefix: r.prefix,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
    last_used_at: r.last_used_at,
    creditLimit: r.credit_limit === null ? null : toPoints(r.credit_limit),
    expiresAt: r.expires_at,
    models: jsonList(r.allowed_models),
    ips: jsonList(r.allowed_ips),
    origins: jsonList(r.allowed_origins),
    rpm: r.rpm,
    tpm: r.tpm,
    spent: toPoints(r.spent),
  };
}

function jsonList(v: string | null): string[] | null {
  return v === null ? null : (JSON.parse(v) as string[]);
}

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
    credit_limit: null,
    spent: 0,
    billing_version: 0,
    expires_at: null,
    allowed_models: null,
    allowed_ips: null,
    allowed_origins: null,
    rpm: null,
    tpm: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { key, record: toApiKey(row) };
}

export async function listKeys(db: Db, userId: string, appId?: string): Promise<ApiKey[]> {
  let q = db.selectFrom('api_keys').select(KEY_COLUMNS).where('user_id', '=', userId);
  if (appId) q = q.where('app_id', '=', appId);
  return (await q.orderBy('created_at', 'asc').execute()).map(toApiKey);
}

export async function getKey(db: Db, userId: string, keyId: string): Promise<ApiKey> {
  const key = await db.selectFrom('api_keys').select(KEY_COLUMNS).where('id', '=', keyId).where('user_id', '=', userId).executeTakeFirst();
  if (!key) throw new GatewayError('not_found', 'Key not found.', { code: 'key_not_found' });
  return toApiKey(key);
}

/** What PATCH /api/keys/:id may change; null clears a limit. */
export interface KeyPatch {
  name?: string;
  creditLimit?: number | null;
  expiresAt?: number | null;
  models?: string[] | null;
  ips?: string[] | null;
  origins?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
}

export async function updateKey(db: Db, userId: string, keyId: string, patch: KeyPatch): Promise<ApiKey> {
  await getKey(db, userId, keyId);
  const set: Partial<ApiKeysTable> = {};
  if (patch.name !== undefined) {
    if (typeof patch.name !== 'string' || !patch.name.trim() || patch.name.length > 100) throw invalidRequest('The key name must be 1 to 100 characters.', 'name');
    set.name = patch.name.trim();
  }
  if (patch.creditLimit !== undefined) {
    if (patch.creditLimit !== null && !(patch.creditLimit >= 0)) throw invalidRequest('The credit limit must be zero or more.', 'creditLimit');
    set.credit_limit = patch.creditLimit === null ? null : fromPoints(patch.creditLimit);
  }
  if (patch.expiresAt !== undefined) set.expires_at = patch.expiresAt;
  if (patch.models !== undefined) set.allowed_models = patch.models === null ? null : JSON.stringify([...new Set(patch.models.map((m) => m.trim()).filter(Boolean))]);
  if (patch.ips !== undefined) set.allowed_ips = patch.ips === null ? null : JSON.stringify(validateIpRules(patch.ips));
  if (patch.origins !== undefined) set.allowed_origins = patch.origins === null ? null : JSON.stringify(validateOrigins(patch.origins));
  if (patch.rpm !== undefined) set.rpm = patch.rpm;
  if (patch.tpm !== undefined) set.tpm = patch.tpm;
  if (Object.keys(set).length) {
    let q = db.updateTable('api_keys').set(set);
    // A new credit limit is a new value of the key's credit pool: the version makes it win over cached copies.
    if (patch.creditLimit !== undefined) q = q.set((eb) => ({ billing_version: eb('billing_version', '+', 1) }));
    await q.where('id', '=', keyId).execute();
  }
  return getKey(db, userId, keyId);
}

export async function renameKey(db: Db, userId: string, keyId: string, name: string): Promise<ApiKey> {
  if (typeof name !== 'string' || !name.trim() || name.length > 100) throw invalidRequest('The key name must be 1 to 100 characters.', 'name');
  return updateKey(db, userId, keyId, { name });
}

export async function revokeKey(db: Db, userId: string, keyId: string): Promise<ApiKey> {
  await getKey(db, userId, keyId);
  await db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('id', '=', keyId).where('revoked_at', 'is', null).execute();
  return getKey(db, userId, keyId);
}

/** Revokes every live key of a user (a password change that asks for it): returns how many. */
export async function revokeUserKeys(db: Db, userId: string): Promise<number> {
  const res = await db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows);
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
  return { ...toApiKey(live[0]), revoked_at: Date.now() };
}

async function filterByFullKey(db: Db, matches: KeyRow[], key: string): Promise<KeyRow[]> {
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
  /** Limits the relay enforces (billing/key-limits.ts); absent means none (console playground calls). */
  limits?: KeyLimits;
  /** Response-cache lifetime this key opted into (seconds), or null. */
  cacheTtlSec?: number | null;
}

/** The tables a resolved key's context is read from. */
const KEY_TABLES = ['api_keys', 'users', 'accounts', 'apps'] as const;

/**
 * The relay's key check with a cache that is never stale: an entry is used only while the
 * database's change token is the one it was read under, so a key revoked by this process fails on the
 * very next request, and one revoked by another (the CLI, another gateway) as soon as that commit is
 * seen: within a millisecond on SQLite, on its NOTIFY on PostgreSQL. Without a token every call
 * looks the key up.
 */

export class KeyResolver {
  /** The origins some live key allows (CORS preflights). */
  readonly origins: KeyOrigins;
  private readonly cache = new Map<string, { token: number; ctx: KeyContext }>();
  private readonly loading = new Map<string, { token: number; promise: Promise<KeyContext | undefined> }>();

  constructor(
    readonly db: Db,
    private readonly changeToken?: ChangeToken,
    private readonly maxEntries = 10_000,
  ) {
    this.origins = new KeyOrigins(db, changeToken);
  }

  /** The key's context: at once from the cache while it is current (every relayed call asks), else the lookup. */
  resolve(key: string): MaybeAsync<KeyContext | undefined> {
    if (!this.changeToken) return resolveKey(this.db, key);
    const token = this.changeToken(KEY_TABLES);
    // Keyed by the key itself, so a hit costs no hash: the table stores only hashes, and this map
    // lives in this process's memory, which holds every key of the calls in flight anyway.
    const hit = this.cache.get(key);
    if (hit && hit.token === token) return hit.ctx;
    // Calls of one key that arrive together after a change share one lookup (at load, all of them).
    const inflight = this.loading.get(key);
    if (inflight && inflight.token === token) return inflight.promise;
    const promise = lookupByHash(this.db, sha256(key)).then(
      (ctx) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        // Only live keys are kept: unknown keys would let a caller fill the cache with garbage.
        if (ctx) {
          this.cache.set(key, { token, ctx });
          if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
        } else this.cache.delete(key);
        return ctx;
      },
      (err) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, { token, promise });
    return promise;
  }
}

/** The key lookup as a query; compiled once per database (see resolveKey). */
function keyLookup(db: Db, hash: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .leftJoin('accounts', 'accounts.user_id', 'api_keys.user_id')
    .select(['api_keys.id', 'api_keys.prefix', 'api_keys.app_id', 'api_keys.user_id', 'api_keys.revoked_at', 'users.group_name', 'users.role', 'users.status'])
    .select(['api_keys.credit_limit', 'api_keys.expires_at', 'api_keys.allowed_models', 'api_keys.allowed_ips', 'api_keys.allowed_origins', 'api_keys.rpm', 'api_keys.tpm'])
    .select(['accounts.rpm as user_rpm', 'accounts.tpm as user_tpm', 'api_keys.cache_ttl_sec'])
    .where('api_keys.key_hash', '=', hash);
}

type LookupRow = Awaited<ReturnType<ReturnType<typeof keyLookup>["executeTakeFirstOrThrow"]>>;
const lookupSql = new WeakMap<Db, string>();

/**
 * The relay's key check: one indexed lookup by hash. No cache, so a key revoked by any process (the
 * CLI included) fails on the very next request. It runs on every relayed call, so its SQL is
 * compiled once per database and only the hash is bound each time (building and compiling the
 * query again cost more than running it).
 */
export async function resolveKey(db: Db, key: string): Promise<KeyContext | undefined> {
  return lookupByHash(db, sha256(key));
}

async function lookupByHash(db: Db, hash: string): Promise<KeyContext | undefined> {
  let sql = lookupSql.get(db);
  if (sql === undefined) {
    sql = keyLookup(db, '').compile().sql;
    lookupSql.set(db, sql);
  }
  const row = (await db.executeQuery<LookupRow>(CompiledQuery.raw(sql, [hash]))).rows[0];
  if (!row || row.revoked_at !== null || row.status !== 'active') return undefined;
  const limits: KeyLimits =
    row.credit_limit === null && row.expires_at === null && row.allowed_models === null && row.allowed_ips === null && row.allowed_origins === null && row.rpm === null && row.tpm === null && row.user_rpm == null && row.user_tpm == null
      ? NO_LIMITS
      : {
          creditLimit: row.credit_limit,
          expiresAt: row.expires_at,
          models: jsonList(row.allowed_models),
          ips: jsonList(row.allowed_ips),
          origins: jsonList(row.allowed_origins),
          rpm: row.rpm,
          tpm: row.tpm,
          userRpm: row.user_rpm ?? null,
          userTpm: row.user_tpm ?? null,
        };
  return { keyId: row.id, prefix: row.prefix, appId: row.app_id, userId: row.user_id, group: row.group_name, role: row.role, limits, cacheTtlSec: row.cache_ttl_sec ?? null };
}
