import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createUser, getUser, listUsers, updateUser } from '../accounts/users.js';
import type { ChannelInput } from '../channels/channels.js';
import { probeChannel } from '../relay/health/probe.js';
import { GatewayError } from '../core/errors.js';
import { listAdapters } from '../providers/registry.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { AdminUserBody, Channel, ChannelEvent, ChannelHealth, ChannelBody, ChannelPatch, ChannelTestResult, IdParams, Ok, Page, User, UserPatch } from './schemas.js';

const admin = { auth: 'admin' as const };

export function registerAdminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, channels, upstream, health } = ctx.services;

  // Users
  const users = ['Admin: users'];
  app.get('/api/admin/users', {
    config: admin,
    schema: { tags: users, summary: 'List and search users', querystring: Type.Object({ search: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) }), response: { 200: Page(User) } },
  }, async (req) => listUsers(db, req.query as { search?: string; limit?: number; offset?: number }));

  app.post('/api/admin/users', { config: admin, schema: { tags: users, summary: 'Create a user', body: AdminUserBody, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const b = req.body as { email: string; password: string; role?: 'user' | 'admin'; group?: string };
    return { user: await createUser(db, b, ctx.hooks.onUserCreated) };
  });

  app.get('/api/admin/users/:id', { config: admin, schema: { tags: users, summary: 'One user', params: IdParams, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const user = await getUser(db, (req.params as { id: string }).id);
    if (!user) throw new GatewayError('not_found', 'User not found.', { code: 'user_not_found' });
    return { user };
  });

  app.patch('/api/admin/users/:id', { config: admin, schema: { tags: users, summary: 'Change role, group, status or password', params: IdParams, body: UserPatch, response: { 200: Type.Object({ user: User }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const patch = req.body as Parameters<typeof updateUser>[2];
    if (id === principal(req).user.id && (patch.role === 'user' || patch.status === 'disabled'))
      throw new GatewayError('invalid_request', 'You cannot demote or disable your own account.', { code: 'self_lockout' });
    return { user: await updateUser(db, id, patch) };
  });

  // Channels
  const chTags = ['Admin: channels'];
  app.get('/api/admin/providers', { config: admin, schema: { tags: chTags, summary: 'Provider kinds a channel can have' } }, async () => ({
    items: listAdapters().map((a) => ({ kind: a.kind, label: a.label, dialect: a.dialect, operations: a.operations, needsSecret: a.needsSecret })),
  }));

  app.get('/api/admin/channels', { config: admin, schema: { tags: chTags, summary: 'List channels (secrets are never returned)', response: { 200: Type.Object({ items: Type.Array(Channel) }) } } }, async () => ({
    items: await channels.list(),
  }));

  app.post('/api/admin/channels', { config: admin, schema: { tags: chTags, summary: 'Create a channel', body: ChannelBody, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => ({
    channel: await channels.create(req.body as ChannelInput),
  }));

  app.get('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'One channel', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => ({
    channel: await channels.get((req.params as { id: string }).id),
  }));

  app.patch('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'Update a channel (omit `secret` to keep it)', params: IdParams, body: ChannelPatch, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => ({
    channel: await channels.update((req.params as { id: string }).id, req.body as Partial<ChannelInput>),
  }));

  app.post('/api/admin/channels/:id/disable', { config: admin, schema: { tags: chTags, summary: 'Disable a channel (it stays off until an admin enables it)', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const channel = await channels.update(id, { enabled: false, disabledBy: 'admin' });
    health.events.record(id, 'admin_disabled', `by ${principal(req).user.email}`);
    return { channel };
  });

  app.post('/api/admin/channels/:id/enable', { config: admin, schema: { tags: chTags, summary: 'Enable a channel (and close its circuit)', params: IdParams, response: { 200: Type.Object({ channel: Channel }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const channel = await channels.update(id, { enabled: true });
    await health.circuit.reset(id);
    health.events.record(id, 'admin_enabled', `by ${principal(req).user.email}`);
    return { channel };
  });

  app.get('/api/admin/channels/health', { config: admin, schema: { tags: chTags, summary: 'Circuit state of every channel', response: { 200: Type.Object({ items: Type.Array(ChannelHealth) }) } } }, async () => {
    const list = await channels.list();
    const items = await Promise.all(list.map(async (c) => ({ id: c.id, name: c.name, enabled: c.enabled, disabledBy: c.disabledBy, ...(await health.circuit.view(c.id)) })));
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

  app.post('/api/admin/health/check', { config: admin, schema: { tags: chTags, summary: 'Run the background health probe now', response: { 200: Ok } } }, async () => {
    await health.monitor.tick();
    return { ok: true };
  });

  app.delete('/api/admin/channels/:id', { config: admin, schema: { tags: chTags, summary: 'Delete a channel', params: IdParams, response: { 200: Ok } } }, async (req) => {
    await channels.remove((req.params as { id: string }).id);
    return { ok: true };
  });

  app.post('/api/admin/channels/:id/test', {
    config: admin,
    schema: { tags: chTags, summary: 'Send one tiny real request through the channel', params: IdParams, body: Type.Optional(Type.Object({ model: Type.Optional(Type.String()) })), response: { 200: ChannelTestResult } },
  }, async (req) => probeChannel(await channels.open((req.params as { id: string }).id), upstream, (req.body as { model?: string } | undefined)?.model));
}
