import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.js';
import type { SecretBox } from '../core/crypto.js';
import { sha256 } from '../core/crypto.js';
import { GatewayError } from '../core/errors.js';
import { base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp.js';

/** How many recovery codes an account gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: number | null;
  /** A secret was set up and waits for its first code. */
  pending: boolean;
  recoveryCodesLeft: number;
}

/** What a second factor may be: a code from the app, or one of the recovery codes. */
export type SecondFactor = { code: string } | { recoveryCode: string };

/**
 * Two-factor sign-in (TOTP) of accounts: setting a secret up, turning it on with a first code,
 * checking codes (each usable once), recovery codes and turning it off. The secret is sealed with
 * the master key like channel secrets, so a copy of the database does not yield codes; recovery
 * codes are random (80 bits) and stored only as SHA-256, like API keys.
 */
export class TwoFactor {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly clock: () => number = Date.now,
  ) {}

  async status(userId: string, db: Db = this.db): Promise<TwoFactorStatus> {
    const row = await db.selectFrom('two_factor').select(['enabled_at']).where('user_id', '=', userId).executeTakeFirst();
    const { n } = await db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    const enabledAt = row?.enabled_at == null ? null : Number(row.enabled_at);
    return { enabled: enabledAt !== null, enabledAt, pending: row !== undefined && enabledAt === null, recoveryCodesLeft: enabledAt === null ? 0 : Number(n) };
  }

  /**
   * A new secret for the account, waiting for its first code (`confirm`). A secret set up earlier and
   * never confirmed is replaced: only the QR code shown last works. Refused while two-factor is on
   * (turn it off first), so a session alone cannot swap the owner's authenticator.
   */
  async setUp(userId: string, account: string, issuer: string): Promise<{ secret: string; uri: string }> {
    const secret = newTotpSecret();
    const sealed = this.box.seal(secret);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('two_factor').select('enabled_at').where('user_id', '=', userId).executeTakeFirst();
      if (row?.enabled_at != null) throw new GatewayError('conflict', 'Two-factor sign-in is already on. Turn it off first to move it to another app.', { code: 'two_factor_enabled' });
      if (row) await trx.updateTable('two_factor').set({ secret: sealed, last_step: null, created_at: now }).where('user_id', '=', userId).execute();
      else await trx.insertInto('two_factor').values({ user_id: userId, secret: sealed, enabled_at: null, last_step: null, created_at: now }).execute();
    });
    return { secret, uri: otpauthUri(secret, account, issuer) };
  }

  /**
   * Turns two-factor on with the first code from the app set up by `setUp`, and returns the
   * recovery codes (shown once). A wrong code is 400 `invalid_two_factor_code`.
   */
  async confirm(userId: string, code: string): Promise<string[]> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) throw new GatewayError('invalid_request', 'Set up two-factor sign-in first: there is no secret to confirm.', { code: 'two_factor_not_set_up' });
      if (row.enabled_at != null) throw new GatewayError('conflict', 'Two-factor sign-in is already on.', { code: 'two_factor_enabled' });
      const step = matchTotp(this.box.open(row.secret), code, this.clock(), null);
      if (step === null) throw wrongCode('code');
      const now = this.clock();
      await trx.updateTable('two_factor').set({ enabled_at: now, last_step: step }).where('user_id', '=', userId).execute();
      await trx.updateTable('users').set({ two_factor_at: now, updated_at: now }).where('id', '=', userId).execute();
      return this.replaceRecoveryCodes(trx, userId);
    });
  }

  /**
   * Checks a second factor of an account with two-factor on, and uses it up: a TOTP code's step is
   * recorded (a conditional update, so of two requests with the same code only one wins), a recovery
   * code is marked used. False when it does not match or was used before.
   */
  async verify(userId: string, factor: SecondFactor): Promise<boolean> {
    if ('recoveryCode' in factor) {
      const hash = recoveryHash(factor.recoveryCode);
      if (hash === null) return false;
      const res = await this.db
        .updateTable('recovery_codes')
        .set({ used_at: this.clock() })
        .where('code_hash', '=', hash)
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    }
    const row = await this.db.selectFrom('two_factor').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row || row.enabled_at == null) return false;
    const last = row.last_step == null ? null : Number(row.last_step);
    const step = matchTotp(this.box.open(row.secret), factor.code, this.clock(), last);
    if (step === null) return false;
    const res = await this.db
      .updateTable('two_factor')
      .set({ last_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Ten new recovery codes (shown once); the old ones stop working. */
  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    return this.db.transaction().execute((trx) => this.replaceRecoveryCodes(trx, userId));
  }

  /**
   * Turns two-factor off (the owner, or an admin's reset): the secret and the recovery codes are
   * deleted. `executor` is the caller's transaction (the admin's audit row). True when it was on or set up.
   */
  async remove(userId: string, executor: Db = this.db): Promise<boolean> {
    const res = await executor.deleteFrom('two_factor').where('user_id', '=', userId).executeTakeFirst();
    await executor.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await executor.updateTable('users').set({ two_factor_at: null, updated_at: this.clock() }).where('id', '=', userId).where('two_factor_at', 'is not', null).execute();
    return Number(res.numDeletedRows) > 0;
  }

  private async replaceRecoveryCodes(trx: Db, userId: string): Promise<string[]> {
    const now = this.clock();
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await trx
      .insertInto('recovery_codes')
      .values(codes.map((c) => ({ code_hash: recoveryHash(c)!, user_id: userId, created_at: now, used_at: null })))
      .execute();
    return codes;
  }
}

/** 80 random bits as 16 base32 letters in four groups: `k7qm-2vxa-p4nd-e6rt`. */
function newRecoveryCode(): string {
  return base32Encode(randomBytes(10)).toLowerCase().match(/.{4}/g)!.join('-');
}

/** The stored form of a recovery code however it is typed (case, spaces, dashes), or null when it cannot be one. */
function recoveryHash(code: string): string | null {
  const clean = String(code ?? '').toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z2-7]{16}$/.test(clean) ? sha256(`recovery:${clean}`) : null;
}

export function wrongCode(param: string): GatewayError {
  return new GatewayError('invalid_request', 'That code is not right, or it was already used. Enter the current code from your authenticator app.', { param, code: 'invalid_two_factor_code' });
}
