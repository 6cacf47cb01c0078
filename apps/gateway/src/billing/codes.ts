import { randomInt } from 'node:crypto';
import { sha256 } from '../core/crypto.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { RedemptionCodesTable } from '../storage/schema.js';
import { changeBalance, type Committed } from './ledger.js';

/**
 * Codes are stored hashed, like API keys: the clear code is answered once, when it is made, and the
 * database keeps its SHA-256 (79 random bits: a fast hash is the right one) and a hint. Migration
 * 0008 hashes older codes with the same normalisation.
 */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase();
}

export function hashCode(code: string): string {
  return sha256(normaliseCode(code));
}

/** The first group, `APG-ABCD`: enough to tell codes apart, 20 of the 79 bits. */
export function codeHint(code: string): string {
  return normaliseCode(code).slice(0, 8);
}

/** A stored code as the API shows it: never the code, nor its hash. */
export interface CodeRecord {
  id: string;
  hint: string;
  name: string | null;
  value: number;
  created_at: number;
  expires_at: number | null;
}

/** A code just made: its record and, this once, the code. */
export interface CreatedCode extends CodeRecord {
  code: string;
}

/** No 0/O, 1/I/L: codes are read off paper and typed by people. 16 of 31 symbols ≈ 79 bits. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function generateCode(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return `APG-${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12)}`;
}

export interface NewCodes {
  count: number;
  /** Micro-points each code is worth. */
  value: number;
  expiresAt?: number | null;
  name?: string | null;
}

/**
 * Refuses a batch the API would not accept. Run before any Idempotency-Key is claimed: like Stripe,
 * a request refused for its parameters records nothing, and the corrected request may reuse its key.
 */
export function checkNewCodes(input: NewCodes): void {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > 1000) throw invalidRequest('Create 1 to 1000 codes at a time.', 'count');
  if (!Number.isSafeInteger(input.value) || input.value <= 0) throw invalidRequest('A code must be worth more than zero.', 'value');
  if (input.expiresAt != null && input.expiresAt <= Date.now()) throw invalidRequest('The expiry is in the past.', 'expiresAt');
}

/**
 * Generates and stores a batch of codes inside the caller's transaction (with its Idempotency-Key
 * record, when there is one). Answers the codes in clear: the only time they exist outside the
 * hands of whoever receives them.
 */
export async function insertCodes(trx: Db, input: NewCodes): Promise<CreatedCode[]> {
  checkNewCodes(input);
  const now = Date.now();
  const created: CreatedCode[] = Array.from({ length: input.count }, () => {
    const code = generateCode();
    return { id: newId('code'), code, hint: codeHint(code), name: input.name?.trim() || null, value: input.value, created_at: now, expires_at: input.expiresAt ?? null };
  });
  const rows: RedemptionCodesTable[] = created.map(({ code, ...r }) => ({ ...r, code_hash: hashCode(code), redeemed_by: null, redeemed_at: null }));
  for (let i = 0; i < rows.length; i += 100) await trx.insertInto('redemption_codes').values(rows.slice(i, i + 100)).execute();
  return created;
}

/** The record of a code just made, without the code. */
export function withoutCode({ code: _code, ...record }: CreatedCode): CodeRecord {
  return record;
}

/**
 * Redeems a code for a user, inside the caller's transaction (with its Idempotency-Key record, when
 * there is one). The claim is one conditional UPDATE (unused and unexpired), in the same transaction
 * as the credit: however many requests race, the database lets exactly one claim it.
 */
export async function redeemCode(trx: Db, userId: string, code: string): Promise<{ amount: number; committed: Committed }> {
  const hash = hashCode(code);
  const now = Date.now();
  const claimed = await trx
    .updateTable('redemption_codes')
    .set({ redeemed_by: userId, redeemed_at: now })
    .where('code_hash', '=', hash)
    .where('redeemed_by', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .returning(['value'])
    .executeTakeFirst();
  if (!claimed) throw await whyNot(trx, hash, now);
  const amount = Number(claimed.value);
  const committed = await changeBalance(trx, { userId, amount, kind: 'redeem', reason: `code ${codeHint(code)}…` });
  return { amount, committed };
}

async function whyNot(db: Db, hash: string, now: number): Promise<GatewayError> {
  const row = await db.selectFrom('redemption_codes').select(['redeemed_by', 'expires_at']).where('code_hash', '=', hash).executeTakeFirst();
  if (!row) return new GatewayError('not_found', 'This code does not exist.', { param: 'code', code: 'code_not_found' });
  if (row.redeemed_by) return new GatewayError('conflict', 'This code has already been redeemed.', { param: 'code', code: 'code_used' });
  if (row.expires_at !== null && row.expires_at <= now) return new GatewayError('invalid_request', 'This code has expired.', { param: 'code', code: 'code_expired' });
  return new GatewayError('conflict', 'This code could not be redeemed; try again.', { param: 'code', code: 'code_busy' });
}

export type CodeStatus = 'unused' | 'used' | 'expired';

export async function listCodes(db: Db, q: { limit?: number; offset?: number; status?: CodeStatus }) {
  const now = Date.now();
  let base = db.selectFrom('redemption_codes').leftJoin('users', 'users.id', 'redemption_codes.redeemed_by');
  if (q.status === 'used') base = base.where('redemption_codes.redeemed_by', 'is not', null);
  if (q.status === 'unused')
    base = base.where('redemption_codes.redeemed_by', 'is', null).where((eb) => eb.or([eb('redemption_codes.expires_at', 'is', null), eb('redemption_codes.expires_at', '>', now)]));
  if (q.status === 'expired') base = base.where('redemption_codes.redeemed_by', 'is', null).where('redemption_codes.expires_at', '<=', now);
  const items = await base
    .select(['redemption_codes.id', 'redemption_codes.hint', 'redemption_codes.name', 'redemption_codes.value', 'redemption_codes.created_at', 'redemption_codes.expires_at', 'redemption_codes.redeemed_at', 'users.email as redeemed_by_email'])
    .orderBy('redemption_codes.created_at', 'desc')
    .orderBy('redemption_codes.id', 'desc')
    .limit(q.limit ?? 50)
    .offset(q.offset ?? 0)
    .execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items, total: Number(n) };
}
