import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AccountMail, OpenAccount } from '../accounts/account-mail.js';
import { mailLocale } from '../accounts/mail-texts.js';
import { checkEmail } from '../accounts/users.js';
import { revokeUserKeys } from '../apps/keys.js';
import type { Config } from '../config/config.js';
import { GatewayError } from '../core/errors.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { Ok, User } from './schemas.js';

const tags = ['Account'];

const Locale = Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')], { description: 'Language the mail leads with (default: from Accept-Language); it carries both' }));

export interface MailRouteDeps {
  /** Null when mail is off (no APIGPT_SMTP_URL). */
  mail: AccountMail | null;
  logIn(req: FastifyRequest, reply: { header(name: string, value: string): unknown }, userId: string): Promise<void>;
}

/**
 * Where mailed links point: the configured public URL, else the address this server listens on.
 * Never the request's Host header: anyone can send a reset request with `Host: evil.example`, and the
 * victim's mail would then carry their reset token to that host.
 */
export function linkBase(req: FastifyRequest, config: Pick<Config, 'publicUrl' | 'host'>): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const addr = req.server.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 80;
  const host = config.host === '0.0.0.0' || config.host === '::' || !config.host ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

/** Email confirmation and password reset by mail (on when an SMTP server is configured). */
export function registerAccountMailRoutes(app: FastifyInstance, ctx: ApiContext, deps: MailRouteDeps): void {
  const { db, throttle, config } = ctx.services;
  const { mail } = deps;
  const mailOn = (): AccountMail => {
    if (!mail) throw new GatewayError('permission', 'This server sends no mail (no SMTP server is configured). Ask an administrator.', { code: 'mail_off' });
    return mail;
  };
  // A confirmed address opens the account as sign-up does when mail is off (the trial grant).
  const open: OpenAccount = async (trx, user) => {
    await ctx.hooks.onUserCreated?.(trx, user);
  };

  app.post('/api/auth/verify-email', {
    config: { auth: 'public' },
    schema: {
      tags,
      summary: 'Confirm an email address with the token of the mailed link (opens an account that waited: trial credit)',
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: Type.Object({ ok: Type.Boolean(), opened: Type.Boolean({ description: 'This confirmation opened an account that waited for it (its trial credit was granted now)' }) }) },
    },
  }, async (req) => {
    // Public: the link may be opened in a browser that is not logged in.
    const { opened } = await mailOn().verify((req.body as { token: string }).token, open);
    return { ok: true, opened };
  });

  app.post('/api/auth/verify-email/resend', {
    schema: { tags, summary: 'Mail me a new confirmation link', body: Type.Object({ locale: Locale }), response: { 200: Ok } },
  }, async (req) => {
    const m = mailOn();
    const me = principal(req).user;
    if (!me.email_pending) throw new GatewayError('invalid_request', 'This address is confirmed already.', { code: 'email_confirmed' });
    await throttle.mailRequest(me.email, req.ip ?? null);
    await m.sendVerification(me, linkBase(req, config), mailLocale((req.body as { locale?: string }).locale, req.headers['accept-language']));
    return { ok: true };
  });

  app.post('/api/auth/password-reset', {
    config: { auth: 'public' },
    schema: {
      tags,
      summary: 'Mail a password reset link to this address (the answer is the same whether it has an account or not)',
      body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }), locale: Locale }),
      response: { 200: Ok },
    },
  }, async (req) => {
    const m = mailOn();
    const body = req.body as { email: string; locale?: string };
    const email = checkEmail(body.email);
    // Counted before the address is looked up, known or not: the limit cannot be used to probe.
    await throttle.mailRequest(email, req.ip ?? null);
    m.requestReset(email, linkBase(req, config), mailLocale(body.locale, req.headers['accept-language']));
    return { ok: true };
  });

  app.post('/api/auth/password-reset/confirm', {
    config: { auth: 'public' },
    schema: {
      tags,
      summary: 'Set a new password with the token of the mailed reset link; ends every session and logs this browser in',
      body: Type.Object({
        token: Type.String({ minLength: 1, maxLength: 200 }),
        newPassword: Type.String({ minLength: 8, maxLength: 256 }),
        revokeKeys: Type.Optional(Type.Boolean({ description: 'Also revoke every API key of the account' })),
      }),
      response: { 200: Type.Object({ user: User, revokedKeys: Type.Integer() }) },
    },
  }, async (req, reply) => {
    const body = req.body as { token: string; newPassword: string; revokeKeys?: boolean };
    const user = await mailOn().resetPassword(body.token, body.newPassword, open);
    // The owner of the address is back in: failed log-ins someone else piled on the account are forgotten.
    await throttle.accountRecovered(user.email);
    const revokedKeys = body.revokeKeys ? await revokeUserKeys(db, user.id) : 0;
    await deps.logIn(req, reply, user.id);
    return { user, revokedKeys };
  });
}
