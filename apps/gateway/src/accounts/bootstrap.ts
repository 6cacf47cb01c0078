import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import { GatewayError } from '../core/errors.js';
import { checkPasswordStrength, type StrengthPolicy } from './password-strength.js';
import { createUser, type User } from './users.js';

/**
 * The root admin exists from the first start. Its password comes from APIGPT_ADMIN_PASSWORD or is
 * generated here and returned so the start banner can print it, once. A chosen one meets the same
 * strength check as a sign-up: the most powerful account must not be the easiest to guess.
 */
export async function ensureRootAdmin(db: Db, email: string, password: string | undefined, strength: StrengthPolicy): Promise<{ user: User; generatedPassword?: string } | undefined> {
  const admin = await db.selectFrom('users').select('id').where('role', '=', 'admin').executeTakeFirst();
  if (admin) return undefined;
  if (password !== undefined) {
    try {
      await checkPasswordStrength(password, strength, [email], 'APIGPT_ADMIN_PASSWORD');
    } catch (err) {
      if (err instanceof GatewayError) throw new GatewayError('invalid_request', `APIGPT_ADMIN_PASSWORD is not accepted for the root admin. ${err.message}`, { param: 'APIGPT_ADMIN_PASSWORD', code: err.code });
      throw err;
    }
  }
  const generated = password ? undefined : randomBytes(12).toString('base64url');
  const user = await createUser(db, { email, password: password ?? generated!, role: 'admin' });
  return { user, generatedPassword: generated };
}
