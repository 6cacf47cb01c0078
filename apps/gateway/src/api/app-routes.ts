import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { appMadeByHand } from '../accounts/onboarding.js';
import { createApp, deleteApp, getApp, listApps, updateApp } from '../apps/apps.js';
import { createKey, getKey, listKeys, revokeKey, updateKey, type KeyPatch as KeyPatchInput } from '../apps/keys.js';
import type { ApiContext } from './context.js';
import { userId } from './context.js';
import { ApiKey, App, AppBody, AppPatch, IdParams, KeyBody, KeyPatch, NewKey, Ok } from './schemas.js';

const tags = ['Apps and keys'];

/** Every query is scoped by the caller's user id, so another user's app or key is "not found". */
export function registerAppRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db } = ctx.services;

  app.get('/api/apps', { schema: { tags, summary: 'My apps', response: { 200: Type.Object({ items: Type.Array(App) }) } } }, async (req) => ({ items: await listApps(db, userId(req)) }));

  app.post('/api/apps', { schema: { tags, summary: 'Create an app and its first API key', body: AppBody, response: { 200: Type.Object({ app: App, key: NewKey }) } } }, async (req) => {
    const body = req.body as { name: string; description?: string | null };
    const created = await createApp(db, userId(req), body);
    const key = await createKey(db, userId(req), created.id, 'default');
    await appMadeByHand(db, userId(req), created.id);
    return { app: created, key };
  });

  app.get('/api/apps/:id', { schema: { tags, summary: 'One app', params: IdParams, response: { 200: Type.Object({ app: App }) } } }, async (req) => ({
    app: await getApp(db, userId(req), (req.params as { id: string }).id),
  }));

  app.patch('/api/apps/:id', { schema: { tags, summary: 'Rename or describe an app', params: IdParams, body: AppPatch, response: { 200: Type.Object({ app: App }) } } }, async (req) => ({
    app: await updateApp(db, userId(req), (req.params as { id: string }).id, req.body as { name?: string }),
  }));

  app.delete('/api/apps/:id', { schema: { tags, summary: 'Delete an app (revokes its keys)', params: IdParams, response: { 200: Ok } } }, async (req) => {
    await deleteApp(db, userId(req), (req.params as { id: string }).id);
    return { ok: true };
  });

  app.get('/api/apps/:id/keys', { schema: { tags, summary: "An app's keys", params: IdParams, response: { 200: Type.Object({ items: Type.Array(ApiKey) }) } } }, async (req) => {
    const appId = (req.params as { id: string }).id;
    await getApp(db, userId(req), appId);
    return { items: await listKeys(db, userId(req), appId) };
  });

  app.post('/api/apps/:id/keys', { schema: { tags, summary: 'Create a key (shown once)', params: IdParams, body: KeyBody, response: { 200: NewKey } } }, async (req) =>
    createKey(db, userId(req), (req.params as { id: string }).id, (req.body as { name?: string } | undefined)?.name),
  );

  app.get('/api/keys', { schema: { tags, summary: 'All my keys', response: { 200: Type.Object({ items: Type.Array(ApiKey) }) } } }, async (req) => ({ items: await listKeys(db, userId(req)) }));

  app.get('/api/keys/:id', { schema: { tags, summary: 'One key', params: IdParams, response: { 200: Type.Object({ key: ApiKey }) } } }, async (req) => ({
    key: await getKey(db, userId(req), (req.params as { id: string }).id),
  }));

  app.patch('/api/keys/:id', { schema: { tags, summary: 'Rename a key or set its limits (null clears one)', params: IdParams, body: KeyPatch, response: { 200: Type.Object({ key: ApiKey }) } } }, async (req) => {
    const id = (req.params as { id: string }).id;
    const key = await updateKey(db, userId(req), id, req.body as KeyPatchInput);
    // A changed credit limit takes effect on the next call, not when the cached copy expires.
    await ctx.services.billing.refreshKeyPool(id);
    return { key };
  });

  app.post('/api/keys/:id/revoke', { schema: { tags, summary: 'Revoke a key (effective at once)', params: IdParams, response: { 200: Type.Object({ key: ApiKey }) } } }, async (req) => ({
    key: await revokeKey(db, userId(req), (req.params as { id: string }).id),
  }));
}
