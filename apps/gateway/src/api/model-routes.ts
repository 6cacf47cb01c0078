import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { POINT_IN_USD } from '../billing/catalog.js';
import { PPM } from '../billing/pricing.js';
import type { Router } from '../relay/router.js';
import type { ApiContext } from './context.js';
import { principal } from './context.js';
import { ModelItem, PointValue } from './schemas.js';

/**
 * Models & prices for every user: the models the account (or, with an API key, that key) may use,
 * what each does and costs this account, the sizes an image model accepts, and what 1 P is worth.
 * The prices are billing's catalog (`billing/catalog.ts`), the same `GET /v1/models` shows.
 */
export function registerModelRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/models',
    {
      config: { keys: true },
      schema: {
        tags: ['Usage'],
        summary: 'Models my account may use, with what they do and their prices',
        description: 'With an API key: the models that key may use. Prices are in P with the group\'s multiplier applied; `point` says what 1 P is worth.',
        response: { 200: Type.Object({ items: Type.Array(ModelItem), point: PointValue }) },
      },
    },
    async (req) => {
      const p = principal(req);
      const { billing, router, payments } = ctx.services;
      const group = p.user.group_name;
      const allowed = p.key?.models;
      const listed = (await router.models(group)).filter((m) => !allowed || allowed.includes(m.id));
      const [entries, multiplier] = await Promise.all([billing.catalog(listed, group), billing.groups.multiplier(group)]);
      const items = await Promise.all(entries.map(async (m) => ({ ...m, imageSizes: m.capability === 'image' ? await imageSizes(router, m.id, group) : null })));
      const rates = [...payments.providers.values()].map((x) => ({ provider: x.id, currency: x.currency, pointsPerUnit: x.pointsPerUnit }));
      return { items, point: { usd: POINT_IN_USD, group, multiplier: multiplier / PPM, rates } };
    },
  );
}

/**
 * The sizes every channel that may serve `model` accepts (a call may go to any of them): the
 * intersection of the lists their providers state, or null when none restricts the size.
 */
async function imageSizes(router: Router, model: string, group: string): Promise<string[] | null> {
  const routes = await router.routes(model, group, 'image').catch(() => []);
  let sizes: string[] | null = null;
  for (const r of routes) {
    const own = r.adapter.images?.sizes?.(r.upstreamModel, model, r.channel);
    if (!own) continue;
    sizes = sizes === null ? [...own] : sizes.filter((s) => own.includes(s));
  }
  return sizes;
}
