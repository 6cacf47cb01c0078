import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { checkProfile, finishOnboarding, ONBOARDING_SERVICES, onboardingOf, recordFirstApp, SERVICE_IDS } from '../accounts/onboarding.js';
import { updateUser } from '../accounts/users.js';
import { createApp } from '../apps/apps.js';
import { createKey, updateKey } from '../apps/keys.js';
import type { Db } from '../storage/database.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { App, NewKey, Ok } from './schemas.js';

const tags = ['Account'];

const Service = Type.Object({
  id: Type.String({ description: 'openai, azure, claude, gemini, chatglm, deepseek, ernie, stable-diffusion, cohere, jina' }),
  models: Type.Array(Type.String(), { description: 'The models channels of this service serve to my group on this server (empty: none here yet)' }),
});

/**
 * The welcome step after sign-up (`accounts/onboarding.ts`): the profile, the services wanted, and
 * the first App with its key, shown once. The App's key may use the models of the ticked services
 * that this server has; when none of them has a model here (or nothing is ticked) the key is left
 * unrestricted rather than made useless, and the answer says which services are missing.
 */
export function registerOnboardingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, channels } = ctx.services;

  /** For each service, the models its channels serve to `group`. */
  const servedModels = async (group: string): Promise<Map<string, string[]>> => {
    const out = new Map(ONBOARDING_SERVICES.map((s) => [s.id, new Set<string>()]));
    for (const c of await channels.active()) {
      if (c.groups.length && !c.groups.includes(group)) continue;
      for (const s of ONBOARDING_SERVICES) if (s.kinds.includes(c.provider)) for (const m of [...c.models, ...Object.keys(c.modelMap)]) out.get(s.id)!.add(m);
    }
    return new Map([...out].map(([id, set]) => [id, [...set].sort()]));
  };

  app.get('/api/onboarding', {
    schema: {
      tags,
      summary: 'My welcome step: whether it is still to do, and the services this server offers',
      response: { 200: Type.Object({ state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('skipped'), Type.Null()], { description: 'null: this account was never offered the step' }), services: Type.Array(Service) }) },
    },
  }, async (req) => {
    const { user } = principal(req);
    const [row, served] = await Promise.all([onboardingOf(db, user.id), servedModels(user.group_name)]);
    return { state: row?.state ?? null, services: SERVICE_IDS.map((id) => ({ id, models: served.get(id) ?? [] })) };
  });

  app.post('/api/onboarding', {
    schema: {
      tags,
      summary: 'Submit my welcome step: saves the profile and creates my first App and its key (shown once)',
      body: Type.Object({
        displayName: Type.Optional(Type.String({ maxLength: 100 })),
        organisation: Type.Optional(Type.String({ maxLength: 200 })),
        building: Type.Optional(Type.String({ maxLength: 1000, description: 'What I build' })),
        services: Type.Array(Type.String(), { maxItems: 20, description: 'Service ids I want (GET /api/onboarding lists them)' }),
        appName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      }),
      response: {
        200: Type.Object({
          app: App,
          key: NewKey,
          models: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'The models the key may use; null: all the account may use' }),
          unavailable: Type.Array(Type.String(), { description: 'Ticked services with no model on this server yet' }),
        }),
      },
    },
  }, async (req) => {
    const { user } = principal(req);
    const body = req.body as { displayName?: string; organisation?: string; building?: string; services: string[]; appName?: string };
    const profile = checkProfile(body);
    const served = await servedModels(user.group_name);
    const unavailable = profile.services.filter((s) => (served.get(s) ?? []).length === 0);
    const wanted = [...new Set(profile.services.flatMap((s) => served.get(s) ?? []))].sort();
    const models = wanted.length ? wanted : null;
    return db.transaction().execute(async (t) => {
      const trx = t as unknown as Db;
      // Claimed first: a second submit (another tab) is refused before it makes a second App.
      await finishOnboarding(trx, user.id, 'done', profile);
      const displayName = body.displayName?.trim();
      if (displayName) await updateUser(trx, user.id, { displayName });
      const created = await createApp(trx, user.id, { name: body.appName?.trim() || 'My first app', description: profile.building });
      const key = await createKey(trx, user.id, created.id, 'default');
      if (models) key.record = await updateKey(trx, user.id, key.record.id, { models });
      await recordFirstApp(trx, user.id, created.id);
      return { app: created, key, models, unavailable };
    });
  });

  app.post('/api/onboarding/skip', { schema: { tags, summary: 'Skip my welcome step (it is not offered again)', response: { 200: Ok } } }, async (req) => {
    await finishOnboarding(db, principal(req).user.id, 'skipped');
    return { ok: true };
  });
}
