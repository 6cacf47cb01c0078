import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { authenticate, checkEmail, createUser, updateUser } from '../accounts/users.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from '../accounts/sessions.js';
import { checkPasswordStrength } from '../accounts/password-strength.js';
import { AccountMail } from '../accounts/account-mail.js';
import { mailLocale } from '../accounts/mail-texts.js';
import { revokeUserKeys } from '../apps/keys.js';
import { GatewayError } from '../core/errors.js';
import { inviterOf, recordInvitation } from '../payments/index.js';
import { sessionCookie } from '../accounts/cookies.js';
import { onboardingPending, startOnboarding } from '../accounts/onboarding.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { Credentials, LoginResult, Ok, SignupBody, User } from './schemas.js';
import { linkBase, registerAccountMailRoutes } from './account-mail-routes.js';
import { mustEnrol, registerTwoFactorRoutes, twoFactorChallenge } from './two-factor-routes.js';

/** Wrong answers the log-in throttle counts: a password, or a second factor. */
const COUNTED = new Set(['invalid_credentials', 'invalid_two_factor_code']);

const tags = ['Account'];

export function registerAuthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, throttle, config } = ctx.services;
  const sessions = { idleMs: config.sessionIdleMinutes * 60_000 };
  const strength = { minScore: config.passwordMinScore };
  // Mail is on when an SMTP server is configured: sign-up then waits for the address to be confirmed.
  const mail = ctx.services.mailer ? new AccountMail(db, ctx.services.mailer, strength) : null;

  /**
   * A password or code check behind the log-in throttle: refused unchecked while locked, counted
   * when wrong. `halfway` says when a right answer still leaves a step to go (a second factor): the
   * earlier failures then stay counted until the sign-in is complete.
   */
  async function throttled<T>(email: string, ip: string | null, check: () => Promise<T>, halfway?: (result: T) => boolean): Promise<T> {
    const ticket = await throttle.beginLogin(email, ip);
    let result: T;
    try {
      result = await check();
    } catch (err) {
      if (err instanceof GatewayError && COUNTED.has(err.code ?? '')) await throttle.loginFailed(ticket);
      throw err;
    }
    if (halfway?.(result)) await throttle.loginHalfway(ticket);
    else await throttle.loginSucceeded(ticket);
    return result;
  }
  const cookie = (token: string, secure: boolean) => sessionCookie(SESSION_COOKIE, token, { maxAgeSec: SESSION_TTL_MS / 1000, secure });
  /** Opens a console session for the user and sets its cookie on the reply. */
  const logIn = async (req: FastifyRequest, reply: { header(name: string, value: string): unknown }, userId: string) => {
    const { token } = await createSession(db, userId, sessions);
    reply.header('set-cookie', cookie(token, req.protocol === 'https'));
  };

  app.post('/api/auth/signup', { config: { auth: 'public' }, schema: { tags, summary: 'Create an account (no approval step) and log in; with mail on, the trial credit waits for the emailed confirmation link', body: SignupBody, response: { 200: Type.Object({ user: User }) } } }, async (req, reply) => {
    if (!ctx.settings().signupEnabled) throw new GatewayError('permission', 'Sign-up is closed on this server. Ask an administrator for an account.', { code: 'signup_closed' });
    const body = req.body as { email: string; password: string; displayName?: string; locale?: string; referralCode?: string };
    await throttle.signup(req.ip ?? null);
    // An invitation link's code: a wrong one is refused before anything is made, so it can be fixed.
    const inviter = body.referralCode ? await inviterOf(db, body.referralCode) : null;
    // The address is checked first, so a bad one is named as such whatever the password.
    await checkPasswordStrength(body.password, strength, [checkEmail(body.email), body.displayName ?? '']);
    // With mail on, the account opens (trial credit) when the address is confirmed, not now: an
    // address nobody reads gets no free credit.
    const user = await createUser(db, { email: body.email, password: body.password, displayName: body.displayName ?? null, pending: mail !== null }, ctx.hooks.onUserCreated, async (trx, u) => {
      // The welcome step (profile, services, first App) is offered once to accounts made here.
      await startOnboarding(trx, u.id);
      if (inviter) await recordInvitation(trx, u.id, inviter);
    });
    if (mail) await mail.sendVerification(user, linkBase(req, config), mailLocale(body.locale, req.headers['accept-language']));
    await logIn(req, reply, user.id);
    return { user };
  });

  app.post('/api/auth/login', {
    config: { auth: 'public' },
    schema: { tags, summary: 'Log in with email and password; with two-factor on, the answer is a challenge for POST /api/auth/login/two-factor instead of a session', body: Credentials, response: { 200: LoginResult } },
  }, async (req, reply) => {
    const body = req.body as { email: string; password: string };
    const signedIn = await throttled(
      body.email,
      req.ip ?? null,
      async () => {
        const user = await authenticate(db, body.email, body.password);
        return { user, secondFactor: user.two_factor_at != null };
      },
      (r) => r.secondFactor,
    );
    if (signedIn.secondFactor) return { twoFactor: await twoFactorChallenge(db, signedIn.user.id) };
    await logIn(req, reply, signedIn.user.id);
    return { user: signedIn.user };
  });

  app.post('/api/auth/logout', { config: { auth: 'public' }, schema: { tags, summary: 'Log out', response: { 200: Ok } } }, async (req, reply) => {
    if (req.principal?.sessionToken) await deleteSession(db, req.principal.sessionToken);
    reply.header('set-cookie', sessionCookie(SESSION_COOKIE, '', { maxAgeSec: 0, secure: req.protocol === 'https' }));
    return { ok: true };
  });

  app.post('/api/auth/password', {
    schema: {
      tags,
      summary: 'Change my password (signs out my other sessions; `revokeKeys` also revokes all my API keys)',
      body: Type.Object({
        currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
        newPassword: Type.String({ minLength: 8, maxLength: 256 }),
        revokeKeys: Type.Optional(Type.Boolean({ description: 'Also revoke every API key of the account (when a key may have leaked with the password)' })),
      }),
      response: { 200: Type.Object({ ok: Type.Boolean(), revokedKeys: Type.Integer() }) },
    },
  }, async (req, reply) => {
    const me = principal(req);
    if (me.via !== 'session') throw new GatewayError('permission', 'Change the password from a console session.', { code: 'session_required' });
    const body = req.body as { currentPassword: string; newPassword: string; revokeKeys?: boolean };
    // A stolen session must not become a way to guess the password: the same brakes as log-in.
    await throttled(me.user.email, req.ip ?? null, () => authenticate(db, me.user.email, body.currentPassword)).catch((err: unknown) => {
      if (err instanceof GatewayError && err.code === 'login_locked') throw err;
      throw new GatewayError('invalid_request', 'The current password is wrong.', { param: 'currentPassword', code: 'wrong_password' });
    });
    await checkPasswordStrength(body.newPassword, strength, [me.user.email, me.user.display_name ?? ''], 'newPassword');
    // Changing the password ends every session of the account; this one gets a fresh cookie.
    await updateUser(db, me.user.id, { password: body.newPassword });
    const revokedKeys = body.revokeKeys ? await revokeUserKeys(db, me.user.id) : 0;
    await logIn(req, reply, me.user.id);
    return { ok: true, revokedKeys };
  });

  app.get('/api/auth/me', {
    schema: {
      tags,
      summary: 'The logged-in user',
      response: {
        200: Type.Object({
          user: User,
          twoFactorRequired: Type.Boolean({ description: 'This account must turn two-factor sign-in on before anything else (the console leads there)' }),
          onboarding: Type.Boolean({ description: 'The welcome step (profile, services, first App) is still to do or skip (GET /api/onboarding)' }),
        }),
      },
    },
  }, async (req) => {
    const { user } = principal(req);
    return { user, twoFactorRequired: mustEnrol(ctx, user), onboarding: await onboardingPending(db, user.id) };
  });

  registerAccountMailRoutes(app, ctx, { mail, logIn });
  registerTwoFactorRoutes(app, ctx, { throttled, logIn });
}
