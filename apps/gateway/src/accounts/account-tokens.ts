import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import type { AccountTokensTable } from '../storage/schema.js';
import { sha256 } from '../core/crypto.js';

export type TokenPurpose = AccountTokensTable['purpose'];

/**
 * How long a token works. A reset link is a key to the account: short. A sign-in challenge (the
 * password was right, the second factor is still to come) lasts as long as typing a code takes.
 */
export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 48 * 3600_000,
  reset_password: 3600_000,
  sign_in_challenge: 5 * 60_000,
};

/**
 * Makes a link token for a user. The token is 32 random bytes and only its SHA-256 is stored, so the
 * database (or a backup of it) cannot be used to follow a link. With `replace`, earlier tokens of the
 * same purpose stop working: only the newest reset mail opens the account.
 */
export async function issueToken(db: Db, userId: string, purpose: TokenPurpose, opts: { replace: boolean; now?: number }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = opts.now ?? Date.now();
  await db.transaction().execute(async (trx) => {
    // Expired rows of anyone go with each issue: the table stays as small as the links in flight.
    await trx.deleteFrom('account_tokens').where('expires_at', '<=', now).execute();
    if (opts.replace) await trx.deleteFrom('account_tokens').where('user_id', '=', userId).where('purpose', '=', purpose).execute();
    await trx.insertInto('account_tokens').values({ token_hash: sha256(token), user_id: userId, purpose, created_at: now, expires_at: now + TOKEN_TTL_MS[purpose] }).execute();
  });
  return token;
}

/**
 * Uses a token up: returns its user when it exists, has this purpose and has not expired, and deletes
 * it in the caller's transaction. Of two requests with the same token only the one whose delete took
 * the row gets the user, so a link works once even when it is followed twice at the same time.
 */
export async function consumeToken(trx: Db, token: string, purpose: TokenPurpose, now = Date.now()): Promise<string | undefined> {
  if (typeof token !== 'string' || token.length < 20 || token.length > 200) return undefined;
  const hash = sha256(token);
  const row = await trx.selectFrom('account_tokens').select(['user_id', 'purpose', 'expires_at']).where('token_hash', '=', hash).executeTakeFirst();
  if (!row || row.purpose !== purpose) return undefined;
  const res = await trx.deleteFrom('account_tokens').where('token_hash', '=', hash).executeTakeFirst();
  if (Number(res.numDeletedRows) !== 1 || row.expires_at <= now) return undefined;
  return row.user_id;
}

/** The user a token would open, without using it up (to check a new password against the account first). */
export async function peekToken(db: Db, token: string, purpose: TokenPurpose, now = Date.now()): Promise<string | undefined> {
  if (typeof token !== 'string' || token.length < 20 || token.length > 200) return undefined;
  const row = await db.selectFrom('account_tokens').select(['user_id', 'purpose', 'expires_at']).where('token_hash', '=', sha256(token)).executeTakeFirst();
  return row && row.purpose === purpose && row.expires_at > now ? row.user_id : undefined;
}

/** Ends every outstanding link of a purpose for a user (a password set another way ends its reset links). */
export async function dropTokens(db: Db, userId: string, purpose: TokenPurpose): Promise<void> {
  await db.deleteFrom('account_tokens').where('user_id', '=', userId).where('purpose', '=', purpose).execute();
}
