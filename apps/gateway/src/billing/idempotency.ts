import { createHash } from 'node:crypto';
import { PostgresAdapter, sql, type ControlledTransaction } from 'kysely';
import { GatewayError, type ErrorKind } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';
import type { Database, IdempotencyKeysTable } from '../storage/schema.js';

/**
 * Idempotency-Key for operations that move credit (Stripe's model): the first request's outcome is
 * stored under the caller's key, in the same transaction as the credit it moved; a repeat with the
 * same parameters gets that outcome back and moves nothing, a repeat with other parameters is
 * refused. Two requests racing with one key: the database's primary key lets one claim it, the
 * other waits for its commit and replays it (or, past a bound, is told to retry).
 */

/** Stripe's limit. */
export const MAX_KEY_LENGTH = 255;
/** How long a key's outcome is kept (and the key stays taken). */
export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a repeat waits for a twin still running before it is told to retry (PostgreSQL). */
const CLAIM_WAIT_MS = 5_000;
/** Expired rows are deleted by the requests themselves, at most this often per process. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotencyKey {
  /** Who asked: `user:<id>` (a console session), `root` (the root token) or `cli`. One caller never meets another's keys. */
  scope: string;
  /** What was asked: `POST /api/admin/users/:id/credit`, `cli credit grant`. The same key on two routes is two keys. */
  route: string;
  key: string;
  /** The request's parameters (path and body, or the command's options): a repeat must send the same. */
  params: unknown;
}

export interface Ran<T> {
  result: T;
  /** True when the result is a stored one: nothing was done this time. */
  replayed: boolean;
}

type Stored = { ok: unknown } | { error: { kind: ErrorKind; message: string; param: string | null; code: string | null; status: number } };

/** Checks a key as the client sent it (header or CLI option): 1 to 255 characters, printable ASCII. */
export function parseIdempotencyKey(value: unknown, param = 'Idempotency-Key'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(value))
    throw new GatewayError('invalid_request', `The ${param} must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good choice).`, {
      param,
      code: 'invalid_idempotency_key',
    });
  return value;
}

/** Same parameters, same fingerprint, whatever the order of an object's fields. */
export function fingerprintOf(params: unknown): string {
  return createHash('sha256').update(canonicalJson(params)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/**
 * A refusal of the operation itself (insufficient balance, a used code) is an outcome like a success
 * and is replayed. Refusals that say "try again" (rate limits, anything with a wait) and failures of
 * ours (5xx) are not: the transaction rolls back and the key stays free for the retry.
 */
function isStoredRefusal(err: unknown): err is GatewayError {
  return err instanceof GatewayError && err.status >= 400 && err.status < 500 && err.kind !== 'rate_limit' && err.retryAfter === undefined;
}

export class IdempotencyStore {
  private prunedAt = -Infinity;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `work` in a transaction. With a key, the same transaction claims the key and records the
   * outcome, so a crash leaves neither the credit move nor the record; a key already recorded
   * returns (or, for a refusal, throws) the stored outcome without running `work`. `work` must do
   * all its database reads and writes on the transaction it is given.
   */
  async run<T>(key: IdempotencyKey | undefined, work: (trx: Db) => Promise<T>): Promise<Ran<T>> {
    if (!key) return { result: await this.db.transaction().execute((trx) => work(trx as unknown as Db)), replayed: false };
    await this.pruneWhenDue();
    const fingerprint = fingerprintOf(key.params);
    const trx = await this.db.startTransaction().execute();
    let open = true;
    try {
      const existing = await this.claim(trx, key, fingerprint);
      if (existing) {
        await trx.rollback().execute();
        open = false;
        return { result: replay(existing, fingerprint) as T, replayed: true };
      }
      // A refusal is recorded like a success; the savepoint undoes whatever `work` did before refusing.
      const sp = await trx.savepoint('work').execute();
      let stored: Stored;
      let outcome: { result: T } | { error: GatewayError };
      try {
        const result = await work(sp as unknown as Db);
        stored = { ok: result };
        outcome = { result };
      } catch (err) {
        if (!isStoredRefusal(err)) throw err;
        await sp.rollbackToSavepoint('work').execute();
        stored = { error: { kind: err.kind, message: err.message, param: err.param, code: err.code, status: err.status } };
        outcome = { error: err };
      }
      await trx
        .updateTable('idempotency_keys')
        .set({ status: 'error' in stored ? stored.error.status : 200, result: JSON.stringify(stored) })
        .where('scope', '=', key.scope)
        .where('route', '=', key.route)
        .where('key', '=', key.key)
        .execute();
      await trx.commit().execute();
      open = false;
      if ('error' in outcome) throw outcome.error;
      return { result: outcome.result, replayed: false };
    } finally {
      if (open) await trx.rollback().execute().catch(() => undefined);
    }
  }

  /**
   * Inserts the key's row, or returns the row that holds it. On PostgreSQL the insert waits for a
   * twin's uncommitted row (then finds it committed, or takes the key if the twin rolled back); the
   * wait is bounded so a caller is told to retry rather than hang. On SQLite transactions take the
   * write lock when they begin, so a twin's row is always committed by the time it is read.
   */
  private async claim(trx: ControlledTransaction<Database>, key: IdempotencyKey, fingerprint: string): Promise<IdempotencyKeysTable | undefined> {
    const now = this.now();
    const postgres = trx.getExecutor().adapter instanceof PostgresAdapter;
    // An expired key is free again: its row goes before the claim.
    await trx.deleteFrom('idempotency_keys').where('scope', '=', key.scope).where('route', '=', key.route).where('key', '=', key.key).where('expires_at', '<=', now).execute();
    if (postgres) await sql.raw(`set local lock_timeout = ${CLAIM_WAIT_MS}`).execute(trx);
    let inserted: { key: string } | undefined;
    try {
      inserted = await trx
        .insertInto('idempotency_keys')
        .values({ scope: key.scope, route: key.route, key: key.key, fingerprint, status: 0, result: null, created_at: now, expires_at: now + KEY_TTL_MS })
        .onConflict((oc) => oc.columns(['scope', 'route', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
    } catch (err) {
      // 55P03 lock_not_available: the twin holding the key has not finished within the bound.
      if ((err as { code?: string }).code === '55P03') throw inProgress();
      throw err;
    }
    if (postgres) await sql.raw('set local lock_timeout to default').execute(trx);
    if (inserted) return undefined;
    const row = await trx.selectFrom('idempotency_keys').selectAll().where('scope', '=', key.scope).where('route', '=', key.route).where('key', '=', key.key).executeTakeFirst();
    // Gone between the insert and the read (pruned that instant): the caller's retry will claim it.
    if (!row) throw inProgress();
    return row;
  }

  /** Deletes expired keys (at most once per PRUNE_EVERY_MS); a failure is logged and never fails the request. */
  async pruneWhenDue(): Promise<void> {
    if (this.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = this.now();
    await this.prune().catch((err) => this.log.warn('pruning idempotency keys failed', { error: (err as Error).message }));
  }

  /** Deletes every expired key; returns how many. */
  async prune(): Promise<number> {
    const r = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', this.now()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function replay(row: IdempotencyKeysTable, fingerprint: string): unknown {
  if (row.fingerprint !== fingerprint)
    throw new GatewayError('conflict', 'This Idempotency-Key was already used with different parameters. Send the same parameters to get the first answer again, or a new key for a new request.', {
      param: 'Idempotency-Key',
      code: 'idempotency_key_reused',
    });
  if (row.status === 0 || row.result === null) throw inProgress();
  const stored = JSON.parse(row.result) as Stored;
  if ('ok' in stored) return stored.ok;
  const e = stored.error;
  throw new GatewayError(e.kind, e.message, { param: e.param, code: e.code, status: e.status, headers: { [REPLAYED_HEADER]: 'true' } });
}

function inProgress(): GatewayError {
  return new GatewayError('conflict', 'A request with this Idempotency-Key is still being processed. Retry in a moment to get its answer.', {
    param: 'Idempotency-Key',
    code: 'idempotency_in_progress',
    retryAfter: 1,
  });
}
