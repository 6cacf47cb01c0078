import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sessionCookie } from '../accounts/cookies.js';
import { SESSION_COOKIE } from '../accounts/sessions.js';
import { authenticate } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import { PII_KINDS, REDACTION_MODES, validatePolicy, type PolicyInput, type PolicyScope, type PrivacyPolicy } from '../privacy/index.js';
import { PrivacyGuard } from '../privacy/guard.js';
import { audit } from './audit.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';

const tags = ['Admin: privacy'];
const Kind = Type.Union(PII_KINDS.map((k) => Type.Literal(k)));
const Mode = Type.Union(REDACTION_MODES.map((m) => Type.Literal(m)));
const Scope = Type.Union([Type.Literal('group'), Type.Literal('app')]);
const Pattern = Type.Object({ name: Type.String({ minLength: 1, maxLength: 40, description: 'Labels the placeholder: `[NAME_1]`' }), pattern: Type.String({ minLength: 1, maxLength: 500, description: 'A JavaScript regular expression (Unicode mode)' }) });
const PolicyFields = {
  contentLogging: Type.Boolean({ description: "Keep the calls' prompts and answers (off by default: nothing is kept)" }),
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'How long logged content is kept; a background job deletes it after' }),
  redaction: Mode,
  kinds: Type.Array(Kind, { maxItems: PII_KINDS.length, description: 'Which personal data is replaced by placeholders' }),
  patterns: Type.Array(Pattern, { maxItems: 50, description: "The admins' own patterns" }),
};
const Policy = Type.Object({ scope: Scope, target: Type.String(), ...PolicyFields, updatedAt: Type.Number() });
const PolicyBody = Type.Object({
  contentLogging: Type.Optional(PolicyFields.contentLogging),
  retentionDays: Type.Optional(PolicyFields.retentionDays),
  redaction: Type.Optional(Mode),
  kinds: Type.Optional(PolicyFields.kinds),
  patterns: Type.Optional(PolicyFields.patterns),
});
const PolicyParams = Type.Object({ scope: Scope, target: Type.String({ minLength: 1, maxLength: 100 }) });
const Content = Type.Object({
  requestId: Type.String(),
  userId: Type.String(),
  appId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  request: Type.Union([Type.String(), Type.Null()], { description: 'The request as the provider got it (redacted when redaction is on), JSON' }),
  response: Type.Union([Type.String(), Type.Null()], { description: "The provider's answer (JSON, or a stream's events), before placeholders were restored" }),
});
const IdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * Privacy protection: the admins' policies per group and App (content logging with its retention,
 * redaction), a redaction preview, the purge; a call's logged content for its admin or its owner;
 * and the user's own account export and deletion.
 */
export function registerPrivacyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, privacy, throttle } = ctx.services;
  const admin = { auth: 'admin' as const };
  const noContent = () => new GatewayError('not_found', 'No content is logged for this call (content logging was off, or its retention has passed).', { code: 'content_not_found' });

  app.get('/api/admin/privacy/policies', { config: admin, schema: { tags, summary: 'The privacy policies per user group and App', response: { 200: Type.Object({ items: Type.Array(Policy) }) } } }, async () => ({ items: await privacy.policies.list() }));

  app.put(
    '/api/admin/privacy/policies/:scope/:target',
    { config: admin, schema: { tags, summary: "Set a group's or an App's privacy policy (an App's replaces its group's)", params: PolicyParams, body: PolicyBody, response: { 200: Policy } } },
    async (req) => {
      const { scope, target } = req.params as { scope: PolicyScope; target: string };
      if (scope === 'app' && !(await db.selectFrom('apps').select('id').where('id', '=', target).executeTakeFirst()))
        throw new GatewayError('not_found', 'No such App.', { code: 'app_not_found' });
      const body = req.body as Partial<PolicyInput>;
      const after = await db.transaction().execute(async (trx) => {
        const before = await privacy.policies.get(scope, target, trx);
        const input = validatePolicy({
          contentLogging: body.contentLogging ?? before?.contentLogging ?? false,
          retentionDays: body.retentionDays ?? before?.retentionDays ?? 30,
          redaction: body.redaction ?? before?.redaction ?? 'off',
          kinds: body.kinds ?? before?.kinds ?? [],
          patterns: body.patterns ?? before?.patterns ?? [],
        });
        const policy = await privacy.policies.put(scope, target, input, trx);
        await audit(req, trx, { action: 'privacy_policy.set', targetType: `privacy_policy_${scope}`, targetId: target, before: before ?? undefined, after: policy });
        return policy;
      });
      await privacy.guard.reload();
      return after;
    },
  );

  app.delete(
    '/api/admin/privacy/policies/:scope/:target',
    { config: admin, schema: { tags, summary: 'Remove a privacy policy (the group default applies again to an App)', params: PolicyParams, response: { 200: Type.Object({ deleted: Type.Boolean() }) } } },
    async (req) => {
      const { scope, target } = req.params as { scope: PolicyScope; target: string };
      await db.transaction().execute(async (trx) => {
        const before = await privacy.policies.get(scope, target, trx);
        if (!before || !(await privacy.policies.delete(scope, target, trx))) throw new GatewayError('not_found', 'No policy is set there.', { code: 'policy_not_found' });
        await audit(req, trx, { action: 'privacy_policy.delete', targetType: `privacy_policy_${scope}`, targetId: target, before });
      });
      await privacy.guard.reload();
      return { deleted: true };
    },
  );

  app.post(
    '/api/admin/privacy/preview',
    {
      config: admin,
      schema: {
        tags,
        summary: 'What redaction makes of a text (nothing is stored)',
        body: Type.Object({ text: Type.String({ maxLength: 20_000 }), kinds: PolicyFields.kinds, patterns: Type.Optional(PolicyFields.patterns) }),
        response: { 200: Type.Object({ redacted: Type.String(), found: Type.Array(Type.Object({ placeholder: Type.String(), value: Type.String() })) }) },
      },
    },
    async (req) => {
      const body = req.body as { text: string; kinds: PrivacyPolicy['kinds']; patterns?: PrivacyPolicy['patterns'] };
      const checked = validatePolicy({ contentLogging: false, retentionDays: 1, redaction: 'mask', kinds: body.kinds, patterns: body.patterns ?? [] });
      // A preview changes nothing: no audit row.
      req.audited = true;
      return PrivacyGuard.preview(checked, body.text);
    },
  );

  app.post('/api/admin/privacy/purge', { config: admin, schema: { tags, summary: 'Delete logged content past its retention now (the background job does it every 10 minutes)', response: { 200: Type.Object({ purged: Type.Integer() }) } } }, async (req) => {
    const purged = await privacy.purge.runOnce();
    await audit(req, db, { action: 'privacy.purge', targetType: 'request_contents', after: { purged } });
    return { purged };
  });

  app.get('/api/admin/logs/:id/content', { config: admin, schema: { tags: ['Admin: logs'], summary: "A call's logged content", params: IdParam, response: { 200: Content } } }, async (req) => {
    await privacy.contents.flush();
    return (await privacy.contents.get((req.params as { id: string }).id)) ?? Promise.reject(noContent());
  });

  app.get('/api/logs/:id/content', { schema: { tags: ['Usage'], summary: "One of my calls' logged content (when an admin turned content logging on for my group or App)", params: IdParam, response: { 200: Content } } }, async (req) => {
    await privacy.contents.flush();
    return (await privacy.contents.get((req.params as { id: string }).id, principal(req).user.id)) ?? Promise.reject(noContent());
  });

  app.get('/api/account/export', { schema: { tags: ['Account'], summary: 'Everything the gateway keeps about my account, as JSON (keys without their secrets)' } }, async (req, reply) => {
    await ctx.services.logWriter.flushWithin();
    const me = principal(req);
    const data = await privacy.account.export(me.user.id);
    reply.header('content-disposition', `attachment; filename="apigpt-account-${me.user.id}.json"`);
    return data;
  });

  app.delete(
    '/api/admin/users/:id',
    {
      config: admin,
      schema: {
        tags: ['Admin: users'],
        summary: "Delete a user's account for them (what the user can do from My data): keys revoked, content purged, personal fields removed; the ledger stays, pseudonymised",
        params: IdParam,
        response: { 200: Type.Object({ deleted: Type.Boolean(), pseudonym: Type.String(), keysRevoked: Type.Integer(), contentsDeleted: Type.Integer(), storedResponsesDeleted: Type.Integer(), sessionsEnded: Type.Integer() }) },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const user = await db.selectFrom('users').select(['id', 'role', 'deleted_at']).where('id', '=', id).executeTakeFirst();
      // A deleted account is gone for the console: deleting it again is "no such user", not a second audit row.
      if (!user || user.deleted_at !== null) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
      if (user.id === principal(req).user.id) throw new GatewayError('invalid_request', 'You cannot delete your own account here.', { code: 'self_lockout' });
      // As for the user's own deletion: an administrator is first made a user account (an audited change of its own).
      if (user.role === 'admin') throw new GatewayError('permission', "An administrator's account cannot be deleted: make it a user account first.", { code: 'admin_account' });
      await ctx.services.logWriter.flushWithin();
      const done = await privacy.account.delete(id, async (trx, result) => {
        // The user id and what went, never the address: the audit must not keep what the deletion removed.
        await audit(req, trx, { action: 'account.delete', targetType: 'user', targetId: id, after: { email: result.pseudonym, keysRevoked: result.keysRevoked, contentsDeleted: result.contentsDeleted, storedResponsesDeleted: result.storedResponsesDeleted, sessionsEnded: result.sessionsEnded } });
      });
      return { deleted: true, ...done };
    },
  );

  app.post(
    '/api/account/delete',
    {
      schema: {
        tags: ['Account'],
        summary: 'Delete my account: keys revoked, logged content and stored responses deleted, personal fields removed; the ledger stays, pseudonymised',
        body: Type.Object({ password: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: { 200: Type.Object({ deleted: Type.Boolean(), keysRevoked: Type.Integer(), contentsDeleted: Type.Integer(), storedResponsesDeleted: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const me = principal(req);
      if (me.via !== 'session') throw new GatewayError('permission', 'Delete the account from a console session.', { code: 'session_required' });
      if (me.user.role === 'admin') throw new GatewayError('permission', "An administrator's account cannot delete itself: another administrator must first make it a user account.", { code: 'admin_account' });
      const password = (req.body as { password: string }).password;
      // The same brakes as log-in: a stolen session must not become a way to guess the password.
      const ticket = await throttle.beginLogin(me.user.email, req.ip ?? null);
      try {
        await authenticate(db, me.user.email, password);
      } catch (err) {
        if (err instanceof GatewayError && err.code === 'invalid_credentials') {
          await throttle.loginFailed(ticket);
          throw new GatewayError('invalid_request', 'The password is wrong.', { param: 'password', code: 'wrong_password' });
        }
        throw err;
      }
      await throttle.loginSucceeded(ticket);
      const done = await privacy.account.delete(me.user.id);
      reply.header('set-cookie', sessionCookie(SESSION_COOKIE, '', { maxAgeSec: 0, secure: req.protocol === 'https' }));
      return { deleted: true, keysRevoked: done.keysRevoked, contentsDeleted: done.contentsDeleted, storedResponsesDeleted: done.storedResponsesDeleted };
    },
  );
}
