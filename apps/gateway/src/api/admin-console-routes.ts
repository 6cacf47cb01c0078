import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { systemReport } from '../billing/system-usage.js';
import { GatewayError } from '../core/errors.js';
import { listUpstreamModels } from '../relay/model-list.js';
import type { ApiContext } from './context.js';
import { audit } from './audit.js';
import { ChannelModelsBody, SystemReport } from './schemas.js';

const admin = { auth: 'admin' as const };

/**
 * What the admin console reads beyond the plain stores: the system-wide dashboard and the channel
 * form's model list read from the upstream.
 */
export function registerAdminConsoleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { db, channels, upstream } = ctx.services;

  app.get('/api/admin/overview', {
    config: admin,
    schema: {
      tags: ['Admin: logs'],
      summary: "The whole gateway's calls, spend and errors per day, and the accounts and models that used most",
      querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 30 })) }),
      response: { 200: SystemReport },
    },
  }, async (req) => {
    // The calls still in the log writer's batch count too: the dashboard shows what was just served.
    await ctx.services.logWriter.flushWithin();
    const days = (req.query as { days?: number }).days ?? 30;
    const [report, list, users] = await Promise.all([
      systemReport(db, days),
      channels.list(),
      db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { ...report, channels: list.length, channelsEnabled: list.filter((c) => c.enabled).length, users_total: Number(users.n) };
  });

  app.post('/api/admin/channels/models', {
    config: admin,
    schema: {
      tags: ['Admin: channels'],
      summary: "The models the upstream lists, read through the channel's provider with its key",
      description: 'For the channel form: send the provider, base URL and key as typed (a saved channel may leave the key out). Nothing is stored.',
      body: ChannelModelsBody,
      response: { 200: Type.Object({ models: Type.Array(Type.String()) }) },
    },
  }, async (req) => {
    const b = req.body as { provider?: string; baseUrl?: string; secret?: string | null; settings?: Record<string, unknown>; channelId?: string };
    // A saved channel's key stands in when the form leaves it blank: the console never holds it.
    const saved = b.channelId ? await channels.open(b.channelId) : null;
    const provider = b.provider ?? saved?.provider;
    const baseUrl = (b.baseUrl ?? saved?.baseUrl)?.trim();
    if (!provider) throw new GatewayError('invalid_request', 'Name the provider kind (or a saved channel).', { code: 'missing_provider', param: 'provider' });
    if (!baseUrl) throw new GatewayError('invalid_request', 'Enter the base URL (or name a saved channel).', { code: 'missing_base_url', param: 'baseUrl' });
    const secret = b.secret ? b.secret : (saved?.secret ?? null);
    const channel = { id: saved?.id ?? 'unsaved', name: saved?.name ?? 'unsaved', provider, baseUrl, secret, settings: b.settings ?? saved?.settings ?? {} };
    const models = await listUpstreamModels(channel, upstream);
    // The upstream was called with a key: a row, as the test button writes one. The key stays out.
    await audit(req, db, { action: 'channel.models', targetType: 'channel', targetId: saved?.id ?? null, after: { provider, baseUrl, count: models.length } });
    return { models };
  });
}
