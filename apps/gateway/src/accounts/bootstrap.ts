import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import { createUser, type User } from './users.js';

/**
 * The root admin exists from the first start. Its password comes from APIGPT_ADMIN_PASSWORD or is
 * generated here and returned so the start banner can print it, once.
 */
export async function ensureRootAdmin(db: Db, email: string, password?: string): Promise<{ user: User; generatedPassword?: string } | undefined> {
  const admin = await db.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst();
  if (admin) return undefined;
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  const user = await createUser(db, { email, password: password ?? generated!, role: 'admin' });
  return { user, generatedPassword: generated };
}
