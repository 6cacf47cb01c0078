import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { checkEmail, createUser, getUser, listUsers, updateUser } from '../accounts/users.js';
import { checkPasswordStrength } from '../accounts/password-strength.js';
import { userActivity } from '../billing/system-usage.js';
import type { ChannelInput } from '../channels/channels.js';
import { channelCacheStats, EMPTY_CACHE_STATS } from '../channels/cache-stats.js';
import { probeChannel } from '../relay/health/probe.js';
import { GatewayError } from '../core/errors.js';
import { listAdapters } from '../providers/registry.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { audit } from './audit.js';
import { AdminUser, AdminUserBody, Channel, ChannelEvent, ChannelHealth, ChannelBody, ChannelPatch, ChannelTestResult, IdParams, Ok, Page, User, UserPatch } from './schemas.js';

const admin = { auth: 'admin' as const };
const DAY_MS = 86_400_000;

export function registerAdminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, channels, upstream, health, config } = ctx.services;
  const strength = { minScore: config.passwordMinScore };

  // Users
  const users = ['Admin: users'];
  app.get('/api/admin/users', {
    config: admin,
    schema: { tags: users, summary: "List and search users, with each account's balance, spend over 30 days and last call", querystring: Type.Object({ search: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) }), response: { 200: Page(AdminUser) } },
  }, async (req) => {
    // Calls still in the log writer's batch count: "last call" must not lag behind what was served.
    await ctx.services.logWriter.flushWithin();
    const page = await listUsers(db, req.query as { search?: string; limit?: number; offset?: number });
    const activity = await userActivity(db, page.items.map((u) => u.id), Date.now() - 30 * DAY_MS);
    return {
      total: page.total,
      items: page.items.map((u) => {
        const a = activity.get(u.id)!;
        return { ...u, balance: a.balance, spend_30d: a.spend, last_active_at: a.lastActiveAt };
      }),
    };
  });

  app.post('/api/admin/users', { config: admin, schema: { tags: users, summary: 'Create a user', body: AdminUserBody, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const b = req.body as { email: string; password: string; role?: 'user' | 'admin'; group?: string };
    // The same strength check as a sign-up: an admin-made account is no less worth guessing.
    await checkPasswordStrength(b.password, strength, [checkEmail(b.email)]);
    // The audit row rides the sign-up transaction with the trial grant.
    const user = await createUser(db, b, async (trx, created) => {
      await ctx.hooks.onUserCreated?.(trx, created);
      await audit(req, trx, { action: 'user.create', targetType: 'user', targetId: created.id, after: created });
    });
    return { user };
  });

  app.get('/api/admin/users/:id', { config: admin, schema: { tags: users, summary: 'One user', params: IdParams, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const user = await getUser(db, (req.params as { id: string }).id);
    if (!user) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
    return { user };
  });

  app.patch('/api/admin/users/:id', { config: admin, schema: { tags: users, summary: 'Change role, group, status or password', params: IdParams, body: UserPatch, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const patch = req.body as Parameters<typeof updateUser>[2];
    if (patch.password !== undefined) {
      const target = await getUser(db, id);
      await checkPasswordStrength(patch.password, strength, [target?.email ?? '', target?.display_name ?? '']);
    }
    if (id === principal(req).user.id && (patch.role === 'user' || patch.status === 'disabled'))
      throw new GatewayError('invalid_request', 'You cannot demote or disable your own account.', { code: 'self_lockout' });
    const user = await db.transaction().execute(async (trx) => {
      const before = await getUser(trx, id);
      if (!before) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
      const after = await updateUser(trx, id, patch);
      // A new password is recorded as changed, never as its value (nor its hash).
      await audit(req, trx, { action: 'user.update', targetType: 'user', targetId: id, before, after: { ...after, ...(patch.password !== undefined ? { passwordChanged: true } : {}) } });
      return after;
    });
    return { user };
  });

  // Channels
  const chTags = ['Admin: channels'];
  app.get('/api/admin/providers', { config: admin, schema: { tags: chTags, summary: 'Provider kinds a channel can have' } }, async () => ({
    // `defaultBaseUrl`: what the channel form fills in when the kind is picked (absent: no one public address).
    items: listAdapters().map((a) => ({ kind: a.kind, label: a.label, dialect: a.dialect, operations: a.operations, needsSecret: a.needsSecret, defaultBaseUrl: a.defaultBaseUrl ?? null, listsModels: !!(a.modelsRequest && a.parseModels) })),
  }));

  app.get('/api/admin/channels', { config: admin, schema: { tags: chTags, summary: 'List channels (secrets are never returned)', response: { 200: Type.Object({ items: Type.Array(Channel) }) } } }, async () => ({
    items: await channels.list(),
  }));

  // Channel changes and their audit rows commit together. The views never hold the secret (only
  // `hasSecret`); a patch that sets one is recorded as `secretChanged`.
  const changeChannel = async <T>(work: (trx: typeof db) => Promise<T>): Promise<T> => {
    const result = await db.transaction().execute((trx) => work(trx));
    channels.invalidate();
    return result;
  };

  app.post('/api/admin/channels', { config: admin, schema: { tags: chTags, summary: 'Create a channel', body: ChannelBody, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => ({
    channel: await changeChannel(async (trx) => {
      const channel = await channels.create(req.body as ChannelInput, trx);
      await audit(req, trx, { action: 'channel.create', targetType: 'channel', targetId: channel.id, after: channel });
      return channel;
    }),
  }));

  app.get('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'One channel', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => ({
    channel: await channels.get((req.params as { id: string }).id),
  }));

  app.patch('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'Update a channel (omit `secret` to keep it)', params: IdParams, body: ChannelPatch, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const patch = req.body as Partial<ChannelInput>;
    return {
      channel: await changeChannel(async (trx) => {
        const before = await channels.get(id, trx);
        const after = await channels.update(id, patch, trx);
        await audit(req, trx, { action: 'channel.update', targetType: 'channel', targetId: id, before, after: { ...after, ...(patch.secret !== undefined ? { secretChanged: true } : {}) } });
        return after;
      }),
    };
  });

  /** Enables or disables a channel with its audit row. */
  const switchChannel = (req: FastifyRequest, id: string, enabled: boolean) =>
    changeChannel(async (trx) => {
      const before = await channels.get(id, trx);
      const after = await channels.update(id, enabled ? { enabled: true } : { enabled: false, disabledBy: 'admin' }, trx);
      await audit(req, trx, { action: enabled ? 'channel.enable' : 'channel.disable', targetType: 'channel', targetId: id, before, after });
      return after;
    });

  app.post('/api/admin/channels/:id/disable', { config: admin, schema: { tags: chTags, summary: 'Disable a channel (it stays off until an admin enables it)', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const channel = await switchChannel(req, id, false);
    health.events.record(id, 'admin_disabled', `by ${principal(req).user.email}`);
    return { channel };
  });

  app.post('/api/admin/channels/:id/enable', { config: admin, schema: { tags: chTags, summary: 'Enable a channel (and close its circuit)', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const channel = await switchChannel(req, id, true);
    await health.circuit.reset(id);
    health.events.record(id, 'admin_enabled', `by ${principal(req).user.email}`);
    return { channel };
  });

  app.get('/api/admin/channels/health', { config: admin, schema: { tags: chTags, summary: 'Circuit state of every channel, and its prompt-cache hit rate over the last 24 hours', response: { 200: Type.Object({ items: Type.Array(ChannelHealth) }) } } }, async () => {
    const [list, cache] = await Promise.all([channels.list(), channelCacheStats(db)]);
    const items = await Promise.all(list.map(async (c) => ({ id: c.id, name: c.name, enabled: c.enabled, disabledBy: c.disabledBy, ...(await health.circuit.view(c.id)), cache: cache.get(c.id) ?? EMPTY_CACHE_STATS })));
    return { items };
  });

  app.get('/api/admin/channels/:id/events', {
    config: admin,
    schema: { tags: chTags, summary: "A channel's health history (circuit changes, probes, enable / disable)", params: IdParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }), response: { 200: Type.Object({ items: Type.Array(ChannelEvent) }) } },
  }, async (req) => {
    const id = (req.params as { id: string }).id;
    await channels.get(id);
    return { items: await health.events.list(id, (req.query as { limit?: number }).limit ?? 100) };
  });

  app.post('/api/admin/health/check', { config: admin, schema: { tags: chTags, summary: 'Run the background health probe now', response: { 200: Ok } } }, async (req) => {
    await health.monitor.tick();
    await audit(req, db, { action: 'health.check' });
    return { ok: true };
  });

  app.delete('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'Delete a channel', params: IdParams, response: { 200: Ok } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    await changeChannel(async (trx) => {
      const before = await channels.get(id, trx);
      await channels.remove(id, trx);
      await audit(req, trx, { action: 'channel.delete', targetType: 'channel', targetId: id, before });
    });
    return { ok: true };
  });

  app.post('/api/admin/channels/:id/test', {
    config: admin,
    schema: { tags: chTags, summary: 'Send one tiny real request through the channel', params: IdParams, body: Type.Optional(Type.Object({ model: Type.Optional(Type.String()) })), response: { 200: ChannelTestResult } },
  }, async (req) => {
    const id = (req.params as { id: string }).id;
    const result = await probeChannel(await channels.open(id), upstream, (req.body as { model?: string } | undefined)?.model);
    // The test sends a real (billed) request upstream: an action worth a row. The provider's message
    // stays out of the log; the outcome is enough.
    await audit(req, db, { action: 'channel.test', targetType: 'channel', targetId: id, after: { ok: result.ok, status: result.status, model: result.model, latencyMs: result.latencyMs } });
    return result;
  });
}
