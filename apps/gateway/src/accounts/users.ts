import type { Db } from '../storage/database.js';
import type { UsersTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { hashPassword, verifyPassword } from '../core/crypto.js';
import { newId } from '../core/ids.js';
import { dropTokens } from './account-tokens.js';

export type User = Omit<UsersTable, 'password_hash'>;
export type Role = UsersTable['role'];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function publicUser(row: UsersTable): User {
  const { password_hash: _omit, ...user } = row;
  return user;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The address as stored (trimmed, lower case), or 400 naming the field when it is not one. */
export function checkEmail(email: string): string {
  const normalised = normaliseEmail(typeof email === 'string' ? email : '');
  if (!EMAIL.test(normalised)) throw invalidRequest('Enter a valid email address.', 'email');
  return normalised;
}

export function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < 8) throw invalidRequest('The password must have at least 8 characters.', 'password');
  if (password.length > 256) throw invalidRequest('The password must have at most 256 characters.', 'password');
}

export interface CreateUserInput {
  email: string;
  password: string;
  role?: Role;
  displayName?: string | null;
  group?: string;
  /**
   * A self-made account while mail is on: it waits for its address to be confirmed (`email_pending`),
   * and `onCreated` is not run now but when the address is confirmed (see `confirmEmail`).
   */
  pending?: boolean;
}

/**
 * Creates a user. Account-level side effects of sign-up (the trial grant, ...) are hooks so this
 * module stays about identity; `onCreated` runs inside the same transaction.
 */
/**
 * `onCreated` opens the account (the trial grant): now, or when a pending address is confirmed.
 * `alsoNow` runs in the creating transaction either way (the sign-up's invitation record).
 */
export async function createUser(db: Db, input: CreateUserInput, onCreated?: (trx: Db, user: User) => Promise<void>, alsoNow?: (trx: Db, user: User) => Promise<void>): Promise<User> {
  const email = checkEmail(input.email);
  checkPassword(input.password);
  const now = Date.now();
  const row: UsersTable = {
    id: newId('usr'),
    email,
    password_hash: await hashPassword(input.password),
    display_name: input.displayName ?? null,
    role: input.role ?? 'user',
    group_name: input.group ?? 'default',
    status: 'active',
    created_at: now,
    updated_at: now,
    email_verified_at: null,
    email_pending: input.pending ? 1 : 0,
  };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values(row).execute();
      if (onCreated && !input.pending) await onCreated(trx as unknown as Db, publicUser(row));
      await alsoNow?.(trx as unknown as Db, publicUser(row));
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new GatewayError('conflict', 'An account with this email already exists.', { param: 'email', code: 'email_taken' });
    throw err;
  }
  return publicUser(row);
}

export async function authenticate(db: Db, email: string, password: string): Promise<User> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email ?? '')).executeTakeFirst();
  // Verify against a dummy hash when the user is missing so timing does not reveal which emails exist.
  const ok = await verifyPassword(String(password ?? ''), row?.password_hash ?? DUMMY_HASH);
  if (!row || !ok) throw new GatewayError('authentication', 'Wrong email or password.', { code: 'invalid_credentials' });
  if (row.status !== 'active') throw new GatewayError('permission', 'This account is disabled.', { code: 'account_disabled' });
  return publicUser(row);
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && publicUser(row);
}

export async function getUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
  return row && publicUser(row);
}

export async function requireUserByEmail(db: Db, email: string): Promise<User> {
  const user = await getUserByEmail(db, email);
  if (!user) throw new GatewayError('not_found', `No user with email ${email}.`, { code: 'user_not_found' });
  return user;
}

export interface ListUsersQuery {
  search?: string;
  limit?: number;
  offset?: number;
}

export async function listUsers(db: Db, q: ListUsersQuery = {}): Promise<{ items: User[]; total: number }> {
  let base = db.selectFrom('users');
  if (q.search) base = base.where('email', 'like', `%${q.search.toLowerCase()}%`);
  const rows = await base.selectAll().orderBy('created_at', 'desc').limit(q.limit ?? 50).offset(q.offset ?? 0).execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { items: rows.map(publicUser), total: Number(n) };
}

export interface UserPatch {
  role?: Role;
  group?: string;
  status?: 'active' | 'disabled';
  displayName?: string | null;
  password?: string;
}

export async function updateUser(db: Db, id: string, patch: UserPatch): Promise<User> {
  const set: Partial<UsersTable> = { updated_at: Date.now() };
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.group !== undefined) set.group_name = patch.group;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.displayName !== undefined) set.display_name = patch.displayName;
  if (patch.password !== undefined) {
    checkPassword(patch.password);
    set.password_hash = await hashPassword(patch.password);
  }
  const res = await db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
  if (patch.status === 'disabled' || patch.password !== undefined) await db.deleteFrom('sessions').where('user_id', '=', id).execute();
  // A password set any way ends the reset links still in mailboxes.
  if (patch.password !== undefined) await dropTokens(db, id, 'reset_password');
  return (await getUser(db, id))!;
}

/**
 * Sets a password hashed beforehand (hashing takes tens of milliseconds: not inside a transaction),
 * ending every session of the account and its reset links, like any password change.
 */
export async function replacePasswordHash(trx: Db, id: string, passwordHash: string): Promise<void> {
  await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: Date.now() }).where('id', '=', id).execute();
  await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
  await dropTokens(trx, id, 'reset_password');
}

/**
 * Records that the user proved the address (followed a mailed link). Returns true when this call
 * ended the wait of a pending account, which the caller then opens (trial credit) in the same
 * transaction: the update is the claim, so two confirmations at once open it once.
 */
export async function confirmEmail(trx: Db, userId: string, now = Date.now()): Promise<boolean> {
  const claimed = await trx.updateTable('users').set({ email_pending: 0, email_verified_at: now, updated_at: now }).where('id', '=', userId).where('email_pending', '=', 1).executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 1) return true;
  await trx.updateTable('users').set({ email_verified_at: now }).where('id', '=', userId).where('email_verified_at', 'is', null).execute();
  return false;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint/.test(e?.message ?? '');
}
