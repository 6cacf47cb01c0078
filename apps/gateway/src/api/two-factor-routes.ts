import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { consumeToken, issueToken, peekToken, TOKEN_TTL_MS } from '../accounts/account-tokens.js';
import { TwoFactor, wrongCode, type SecondFactor } from '../accounts/two-factor.js';
import { authenticate, getUser, type User } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { audit } from './audit.js';
import { IdParams, Ok, User as UserSchema } from './schemas.js';

const tags = ['Account: two-factor'];

const Code = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code your authenticator app shows now' });
const RecoveryCode = Type.String({ minLength: 1, maxLength: 64, description: 'One of the recovery codes (each works once)' });
const Password = Type.String({ minLength: 1, maxLength: 256 });
/** A code from the app or a recovery code: exactly one. */
const Factor = { code: Type.Optional(Code), recoveryCode: Type.Optional(RecoveryCode) };

export const TwoFactorStatus = Type.Object({
  enabled: Type.Boolean(),
  enabledAt: Type.Union([Type.Number(), Type.Null()]),
  pending: Type.Boolean({ description: 'A secret was set up and waits for its first code' }),
  recoveryCodesLeft: Type.Integer(),
  required: Type.Boolean({ description: 'This account must turn two-factor on before it can do anything else (an administrator, while the server requires it)' }),
});
const RecoveryCodes = Type.Object({ recoveryCodes: Type.Array(Type.String(), { description: 'Shown this once: keep them somewhere safe' }) });

export interface TwoFactorRouteDeps {
  throttled<T>(email: string, ip: string | null, check: () => Promise<T>, halfway?: (result: T) => boolean): Promise<T>;
  logIn(req: FastifyRequest, reply: { header(name: string, value: string): unknown }, userId: string): Promise<void>;
}

/** A sign-in waiting for its second factor: a single-use token (stored hashed) that names the account. */
export async function twoFactorChallenge(db: Db, userId: string): Promise<{ challenge: string; expiresAt: number }> {
  const now = Date.now();
  const challenge = await issueToken(db, userId, 'sign_in_challenge', { replace: false, now });
  return { challenge, expiresAt: now + TOKEN_TTL_MS.sign_in_challenge };
}

/** Whether the server holds this account to turning two-factor on before anything else. */
export function mustEnrol(ctx: ApiContext, user: Pick<User, 'role' | 'two_factor_at'>): boolean {
  return user.role === 'admin' && user.two_factor_at == null && ctx.services.billing.settings.current().requireAdminTwoFactor;
}

/**
 * Routes an administrator held to `requireAdminTwoFactor` may still reach before enrolling: who am
 * I, and the enrolment itself (log-out and the public routes need no session anyway).
 */
export const ENROLMENT_ROUTES = new Set(['/api/auth/me', '/api/auth/two-factor', '/api/auth/two-factor/setup', '/api/auth/two-factor/confirm']);

/** Two-factor sign-in (TOTP and recovery codes): the second log-in step, enrolment, and an admin's reset. */
export function registerTwoFactorRoutes(app: FastifyInstance, ctx: ApiContext, deps: TwoFactorRouteDeps): void {
  const { db, box, config } = ctx.services;
  const tf = new TwoFactor(db, box);
  const { throttled } = deps;
  // The name an authenticator app lists the account under: the product and, when known, the host.
  const issuer = config.publicUrl ? `APIGPT (${new URL(config.publicUrl).hostname})` : 'APIGPT';

  const factorOf = (body: { code?: string; recoveryCode?: string }): SecondFactor => {
    if (body.code !== undefined && body.recoveryCode === undefined) return { code: body.code };
    if (body.recoveryCode !== undefined && body.code === undefined) return { recoveryCode: body.recoveryCode };
    throw new GatewayError('invalid_request', 'Send either `code` (from your authenticator app) or `recoveryCode`, not both and not neither.', { param: 'code', code: 'invalid_two_factor_code' });
  };

  /** Enrolment changes an account's sign-in: only its owner at the console, not a key or the root token. */
  const sessionUser = (req: FastifyRequest): User => {
    const me = principal(req);
    if (me.via !== 'session') throw new GatewayError('permission', 'Manage two-factor sign-in from a console session.', { code: 'session_required' });
    return me.user;
  };

  /**
   * The owner proves it again before two-factor is set up, turned off or given new recovery codes:
   * a session left open on a shared computer must not be enough. Behind the log-in throttle, so a
   * stolen session cannot become a way to guess the password or codes.
   */
  const reauthenticate = async (req: FastifyRequest, user: User, password: string, factor?: SecondFactor) => {
    await throttled(user.email, req.ip ?? null, async () => {
      await authenticate(db, user.email, password);
      if (factor && !(await tf.verify(user.id, factor))) throw wrongCode('code' in factor ? 'code' : 'recoveryCode');
    }).catch((err: unknown) => {
      if (err instanceof GatewayError && err.code === 'invalid_credentials') throw new GatewayError('invalid_request', 'The password is wrong.', { param: 'password', code: 'wrong_password' });
      throw err;
    });
  };

  const status = async (user: User) => ({ ...(await tf.status(user.id)), required: mustEnrol(ctx, user) });

  app.post('/api/auth/login/two-factor', {
    config: { auth: 'public' },
    schema: {
      tags,
      summary: 'Second log-in step: the challenge from POST /api/auth/login with a code from the authenticator app, or a recovery code',
      body: Type.Object({ challenge: Type.String({ minLength: 1, maxLength: 200 }), ...Factor }, { additionalProperties: false }),
      response: { 200: Type.Object({ user: UserSchema }) },
    },
  }, async (req, reply) => {
    const body = req.body as { challenge: string; code?: string; recoveryCode?: string };
    const factor = factorOf(body);
    const expired = () => new GatewayError('authentication', 'This sign-in has expired or was already used. Enter your email and password again.', { code: 'challenge_expired' });
    const userId = await peekToken(db, body.challenge, 'sign_in_challenge');
    const user = userId && (await getUser(db, userId));
    if (!user || user.status !== 'active') throw expired();
    await throttled(user.email, req.ip ?? null, async () => {
      if (!(await tf.verify(user.id, factor)))
        throw new GatewayError('authentication', 'That code is not right, or it was already used. Enter the current code from your authenticator app, or a recovery code.', { param: 'code' in factor ? 'code' : 'recoveryCode', code: 'invalid_two_factor_code' });
    });
    // The challenge works once: of two requests with it (and two good codes), one signs in.
    const consumed = await db.transaction().execute((trx) => consumeToken(trx, body.challenge, 'sign_in_challenge'));
    if (consumed !== user.id) throw expired();
    await deps.logIn(req, reply, user.id);
    return { user };
  });

  app.get('/api/auth/two-factor', { schema: { tags, summary: 'Whether two-factor sign-in is on for my account, and how many recovery codes are left', response: { 200: TwoFactorStatus } } }, async (req) =>
    status(principal(req).user),
  );

  app.post('/api/auth/two-factor/setup', {
    schema: {
      tags,
      summary: 'Start turning two-factor on: a new secret for the authenticator app (as an otpauth:// URI for the QR code, and as text); confirm it with a first code',
      body: Type.Object({ password: Password }, { additionalProperties: false }),
      response: { 200: Type.Object({ secret: Type.String({ description: 'Base32, for typing into the app by hand' }), uri: Type.String({ description: 'otpauth://totp/… for the QR code' }) }) },
    },
  }, async (req) => {
    const user = sessionUser(req);
    await reauthenticate(req, user, (req.body as { password: string }).password);
    return tf.setUp(user.id, user.email, issuer);
  });

  app.post('/api/auth/two-factor/confirm', {
    schema: { tags, summary: 'Turn two-factor on with the first code from the app; answers the ten recovery codes, shown once', body: Type.Object({ code: Code }, { additionalProperties: false }), response: { 200: RecoveryCodes } },
  }, async (req) => {
    const user = sessionUser(req);
    // Wrong first codes count like wrong passwords: the secret is in the session holder's hands, but
    // the brakes stay uniform.
    const recoveryCodes = await throttled(user.email, req.ip ?? null, () => tf.confirm(user.id, (req.body as { code: string }).code));
    return { recoveryCodes };
  });

  app.post('/api/auth/two-factor/disable', {
    schema: { tags, summary: 'Turn two-factor off (needs the password and a code or a recovery code)', body: Type.Object({ password: Password, ...Factor }, { additionalProperties: false }), response: { 200: Ok } },
  }, async (req) => {
    const user = sessionUser(req);
    const body = req.body as { password: string; code?: string; recoveryCode?: string };
    const factor = factorOf(body);
    if (user.two_factor_at == null) throw new GatewayError('invalid_request', 'Two-factor sign-in is not on.', { code: 'two_factor_not_enabled' });
    await reauthenticate(req, user, body.password, factor);
    await tf.remove(user.id);
    return { ok: true };
  });

  app.post('/api/auth/two-factor/recovery-codes', {
    schema: {
      tags,
      summary: 'Ten new recovery codes (the old ones stop working); needs the password and a code',
      body: Type.Object({ password: Password, ...Factor }, { additionalProperties: false }),
      response: { 200: RecoveryCodes },
    },
  }, async (req) => {
    const user = sessionUser(req);
    const body = req.body as { password: string; code?: string; recoveryCode?: string };
    const factor = factorOf(body);
    if (user.two_factor_at == null) throw new GatewayError('invalid_request', 'Two-factor sign-in is not on.', { code: 'two_factor_not_enabled' });
    await reauthenticate(req, user, body.password, factor);
    return { recoveryCodes: await tf.regenerateRecoveryCodes(user.id) };
  });

  app.post('/api/admin/users/:id/two-factor/reset', {
    config: { auth: 'admin' },
    schema: { tags: ['Admin: users'], summary: "Turn a user's two-factor sign-in off (they lost their phone and their recovery codes); they sign in with the password alone", params: IdParams, response: { 200: Type.Object({ user: UserSchema }) } },
  }, async (req) => {
    const id = (req.params as { id: string }).id;
    const user = await db.transaction().execute(async (trx) => {
      const before = await getUser(trx, id);
      if (!before) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
      const was = await tf.status(id, trx);
      await tf.remove(id, trx);
      await audit(req, trx, { action: 'user.two_factor_reset', targetType: 'user', targetId: id, before: { email: before.email, twoFactor: was.enabled, pending: was.pending, recoveryCodesLeft: was.recoveryCodesLeft }, after: { email: before.email, twoFactor: false } });
      return (await getUser(trx, id))!;
    });
    return { user };
  });
}
