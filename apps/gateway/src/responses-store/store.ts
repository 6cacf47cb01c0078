import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';

/** A response as kept: the Response object answered, and the input items it was made from. */
export interface StoredResponse {
  id: string;
  model: string;
  /** Epoch milliseconds. */
  createdAt: number;
  response: Record<string, unknown>;
  inputItems: Record<string, unknown>[];
}

/** The most item references one call resolves (a conversation's earlier answers, each one reference or two). */
const MAX_REFERENCES = 100;

export interface ResponseStoreOptions {
  /** How long a response is kept after it was made. */
  retentionMs: number;
  /** Expired rows are deleted at most this often, on a later save (default 10 minutes). */
  pruneEveryMs?: number;
  now?: () => number;
  log?: Logger;
}

/**
 * The Responses API's stored responses, per owner (the user whose key made them). Every read and
 * delete names the owner, and the owner is part of the primary key: one account can neither read
 * nor overwrite another's response, even under the same id. A response past its retention is never
 * answered; the rows themselves are deleted lazily, by a save at most every `pruneEveryMs`, so no
 * timer runs and a quiet gateway does no work.
 */
export class ResponseStore {
  private readonly now: () => number;
  private readonly pruneEveryMs: number;
  private lastPrune = -Infinity;
  private pruning: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: ResponseStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.pruneEveryMs = opts.pruneEveryMs ?? 10 * 60_000;
  }

  /** Keeps a response (a second save of the same id by the same owner replaces the first). */
  async save(owner: string, r: { id: string; model: string; response: Record<string, unknown>; inputItems: Record<string, unknown>[] }): Promise<void> {
    const now = this.now();
    const row = { user_id: owner, id: r.id, model: r.model, created_at: now, expires_at: now + this.opts.retentionMs, response: JSON.stringify(r.response), input_items: JSON.stringify(r.inputItems) };
    await this.db
      .insertInto('stored_responses')
      .values(row)
      .onConflict((oc) => oc.columns(['user_id', 'id']).doUpdateSet({ model: row.model, created_at: row.created_at, expires_at: row.expires_at, response: row.response, input_items: row.input_items }))
      .execute();
    if (now - this.lastPrune >= this.pruneEveryMs) {
      this.lastPrune = now;
      // Not awaited: the caller's answer does not wait for other owners' old rows.
      void this.prune().catch((err: unknown) => this.opts.log?.error('pruning stored responses failed', err));
    }
  }

  /** The owner's response, or null when it does not exist, is another owner's, or has expired. */
  async get(owner: string, id: string): Promise<StoredResponse | null> {
    if (!couldExist(id)) return null;
    const row = await this.db
      .selectFrom('stored_responses')
      .select(['id', 'model', 'created_at', 'response', 'input_items'])
      .where('user_id', '=', owner)
      .where('id', '=', id)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    if (!row) return null;
    return { id: row.id, model: row.model, createdAt: Number(row.created_at), response: JSON.parse(row.response) as Record<string, unknown>, inputItems: JSON.parse(row.input_items) as Record<string, unknown>[] };
  }

  /**
   * Items of the owner's unexpired responses by id (their output items and the input items they
   * were made from), for `item_reference` inputs: what the Vercel AI SDK sends for earlier answers
   * when `store` is on. Ids not found are absent from the map. Rows are narrowed in the database by
   * the id's text, then matched exactly.
   */
  async items(owner: string, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const wanted = [...new Set(ids)].slice(0, MAX_REFERENCES);
    if (!wanted.length) return found;
    const rows = await this.db
      .selectFrom('stored_responses')
      .select(['response', 'input_items'])
      .where('user_id', '=', owner)
      .where('expires_at', '>', this.now())
      .where((eb) => eb.or(wanted.flatMap((id) => [eb('response', 'like', `%${JSON.stringify(id)}%`), eb('input_items', 'like', `%${JSON.stringify(id)}%`)])))
      .orderBy('created_at', 'desc')
      .limit(MAX_REFERENCES * 2)
      .execute();
    for (const row of rows) {
      const response = JSON.parse(row.response) as { output?: unknown };
      const items = [...(Array.isArray(response.output) ? response.output : []), ...(JSON.parse(row.input_items) as unknown[])];
      for (const item of items) {
        const id = item && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
        if (typeof id === 'string' && wanted.includes(id) && !found.has(id) && (item as { type?: unknown }).type !== 'item_reference') found.set(id, item as Record<string, unknown>);
      }
    }
    return found;
  }

  /** Deletes the owner's response; false when there was none to delete (expired ones included). */
  async delete(owner: string, id: string): Promise<boolean> {
    if (!couldExist(id)) return false;
    const res = await this.db.deleteFrom('stored_responses').where('user_id', '=', owner).where('id', '=', id).where('expires_at', '>', this.now()).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Deletes every expired response; the number deleted. One prune at a time. */
  prune(): Promise<number> {
    this.pruning ??= (async () => {
      try {
        const res = await this.db.deleteFrom('stored_responses').where('expires_at', '<=', this.now()).executeTakeFirst();
        return Number(res.numDeletedRows);
      } finally {
        this.pruning = null;
      }
    })();
    return this.pruning;
  }
}

/**
 * Whether a caller's id could name a stored response. The gateway makes the ids, and none holds a
 * NUL character; asked for one, PostgreSQL refuses the comparison itself (its text cannot hold NUL)
 * and the caller got a 500 instead of "not found".
 */
function couldExist(id: string): boolean {
  return !id.includes('\0');
}
