import type { Db } from '../storage/database.js';
import { GatewayError } from '../core/errors.js';
import { hashPassword } from '../core/crypto.js';
import { consumeToken, issueToken, peekToken, TOKEN_TTL_MS } from './account-tokens.js';
import { passwordResetMail, verificationMail, type MailLocale } from './mail-texts.js';
import type { Mailer } from './mailer.js';
import { checkPasswordStrength, type StrengthPolicy } from './password-strength.js';
import { checkPassword, confirmEmail, getUser, getUserByEmail, replacePasswordHash, type User } from './users.js';

/** Opens an account whose address was just confirmed (the trial grant), in the confirming transaction. */
export type OpenAccount = (trx: Db, user: User) => Promise<void>;

/** Console pages the mailed links open (apps/console routes). */
export const VERIFY_PATH = '/verify-email';
export const RESET_PATH = '/reset-password';

const linkInvalid = (what: 'verify' | 'reset') =>
  new GatewayError(
    'invalid_request',
    what === 'verify' ? 'This confirmation link is not valid any more: it was used, replaced or has expired. Ask for a new one from the console.' : 'This reset link is not valid any more: it was used, replaced by a newer one or has expired. Ask for a new one.',
    { param: 'token', code: what === 'verify' ? 'verify_link_invalid' : 'reset_link_invalid' },
  );

/**
 * What the account mails do: confirming an address (which opens an account that waited for it) and
 * resetting a forgotten password. Links carry a random token; the database keeps its hash
 * (account-tokens.ts). `base` is the gateway's public address the links point at.
 */
export class AccountMail {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
    private readonly strength: StrengthPolicy,
  ) {}

  /** Mails a confirmation link to an account that waits for one. */
  async sendVerification(user: Pick<User, 'id' | 'email'>, base: string, locale: MailLocale): Promise<void> {
    // Earlier links keep working until they expire: any of them proves the same thing.
    const token = await issueToken(this.db, user.id, 'verify_email', { replace: false });
    this.mailer.sendInBackground(verificationMail(user.email, `${base}${VERIFY_PATH}?token=${token}`, locale, TOKEN_TTL_MS.verify_email));
  }

  /** Follows a confirmation link: the address is proven, and a waiting account opens (once); `opened` says whether this call opened it. */
  async verify(token: string, open: OpenAccount): Promise<{ user: User; opened: boolean }> {
    const { userId, opened } = await this.db.transaction().execute(async (trx) => {
      const id = await consumeToken(trx as unknown as Db, token, 'verify_email');
      if (!id) throw linkInvalid('verify');
      return { userId: id, opened: await this.confirmAndOpen(trx as unknown as Db, id, open) };
    });
    return { user: (await getUser(this.db, userId))!, opened };
  }

  /**
   * A reset link for the account of this address, if there is an active one; nothing otherwise. The
   * look-up, the link and the mail all happen in the background, so the caller's answer is the same,
   * and takes as long, whether or not the address has an account.
   */
  requestReset(email: string, base: string, locale: MailLocale): void {
    this.mailer.sendInBackground(async () => {
      const user = await getUserByEmail(this.db, email);
      if (!user || user.status !== 'active') return undefined;
      // Only the newest reset link works: an older mail that leaks later opens nothing.
      const token = await issueToken(this.db, user.id, 'reset_password', { replace: true });
      return passwordResetMail(user.email, `${base}${RESET_PATH}?token=${token}`, locale, TOKEN_TTL_MS.reset_password);
    });
  }

  /**
   * Follows a reset link with the new password: sets it, ends every session and reset link of the
   * account, and — the link proved the address — opens an account that waited for that. A weak
   * password is refused before the link is used, so the user can try another with the same link.
   */
  async resetPassword(token: string, newPassword: string, open: OpenAccount): Promise<User> {
    const peeked = await peekToken(this.db, token, 'reset_password');
    const user = peeked ? await getUser(this.db, peeked) : undefined;
    if (!user || user.status !== 'active') throw linkInvalid('reset');
    checkPassword(newPassword);
    await checkPasswordStrength(newPassword, this.strength, [user.email, user.display_name ?? ''], 'newPassword');
    const hash = await hashPassword(newPassword);
    await this.db.transaction().execute(async (trx) => {
      // Used up here: of two requests with one link, the second finds nothing.
      if ((await consumeToken(trx as unknown as Db, token, 'reset_password')) !== user.id) throw linkInvalid('reset');
      await replacePasswordHash(trx as unknown as Db, user.id, hash);
      await this.confirmAndOpen(trx as unknown as Db, user.id, open);
    });
    return (await getUser(this.db, user.id))!;
  }

  private async confirmAndOpen(trx: Db, userId: string, open: OpenAccount): Promise<boolean> {
    if (!(await confirmEmail(trx, userId))) return false;
    const user = await getUser(trx, userId);
    if (user) await open(trx, user);
    return true;
  }
}
