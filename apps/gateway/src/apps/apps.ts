import type { Db } from '../storage/database.js';
import type { AppsTable } from '../storage/schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { newId } from '../core/ids.js';

export type App = Omit<AppsTable, 'deleted_at'>;

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !name.trim()) throw invalidRequest('The app needs a name.', 'name');
  if (name.length > 100) throw invalidRequest('The app name must have at most 100 characters.', 'name');
  return name.trim();
}

export async function createApp(db: Db, userId: string, input: { name: string; description?: string | null }): Promise<App> {
  const row: AppsTable = {
    id: newId('app'),
    user_id: userId,
    name: checkName(input.name),
    description: input.description ?? null,
    created_at: Date.now(),
    deleted_at: null,
  };
  await db.insertInto('apps').values(row).execute();
  const { deleted_at: _d, ...app } = row;
  return app;
}

export async function listApps(db: Db, userId: string): Promise<App[]> {
  return db
    .selectFrom('apps')
    .select(['id', 'user_id', 'name', 'description', 'created_at'])
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'asc')
    .execute();
}

/** Every lookup is scoped by owner: another user's app is simply "not found". */
export async function getApp(db: Db, userId: string, appId: string): Promise<App> {
  const app = await db
    .selectFrom('apps')
    .select(['id', 'user_id', 'name', 'description', 'created_at'])
    .where('id', '=', appId)
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!app) throw new GatewayError('not_found', 'App not found.', { code: 'app_not_found' });
  return app;
}

export async function findAppByName(db: Db, userId: string, name: string): Promise<App> {
  const app = await db
    .selectFrom('apps')
    .select(['id', 'user_id', 'name', 'description', 'created_at'])
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!app) throw new GatewayError('not_found', `No app named "${name}".`, { code: 'app_not_found' });
  return app;
}

export async function updateApp(db: Db, userId: string, appId: string, patch: { name?: string; description?: string | null }): Promise<App> {
  await getApp(db, userId, appId);
  const set: Partial<AppsTable> = {};
  if (patch.name !== undefined) set.name = checkName(patch.name);
  if (patch.description !== undefined) set.description = patch.description;
  if (Object.keys(set).length) await db.updateTable('apps').set(set).where('id', '=', appId).execute();
  return getApp(db, userId, appId);
}

/** Deleting an app revokes its keys in the same transaction. */
export async function deleteApp(db: Db, userId: string, appId: string): Promise<void> {
  await getApp(db, userId, appId);
  const now = Date.now();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('apps').set({ deleted_at: now }).where('id', '=', appId).execute();
    await trx.updateTable('api_keys').set({ revoked_at: now }).where('app_id', '=', appId).where('revoked_at', 'is', null).execute();
  });
}

export const PLAYGROUND_APP = 'Playground';

/** The app the console's playgrounds bill to, made on first use. */
export async function ensurePlaygroundApp(db: Db, userId: string): Promise<App> {
  try {
    return await findAppByName(db, userId, PLAYGROUND_APP);
  } catch (err) {
    if (!(err instanceof GatewayError) || err.kind !== 'not_found') throw err;
    return createApp(db, userId, { name: PLAYGROUND_APP, description: 'Calls made from the console playgrounds' });
  }
}
