import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import { principalFor } from './principal.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/database.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAdminBillingRoutes } from './admin-billing-routes.js';
import { registerBillingRoutes } from './billing-routes.js';
import { registerAppRoutes } from './app-routes.js';
import { registerAuthRoutes } from './auth-routes.js';
import './context.js';
import { registerLogRoutes } from './log-routes.js';

export type { ApiContext, ApiHooks, ApiSettings } from './context.js';
import type { ApiContext } from './context.js';

/** The management API under /api: JSON, cookie sessions for the console, a root token for automation. */
export function registerApi(app: FastifyInstance, ctx: ApiContext): void {
  const { config, db } = ctx.services;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', (req, _reply, done) => {
    // Callback style: relay requests pass through here too and must not pay for a promise.
    if (!req.url.startsWith('/api/')) return done();
    authorise(req).then(() => done(), done);
  });
  const authorise = async (req: FastifyRequest) => {
    // Swagger UI's own routes (registered by its plugin) are public documentation.
    const auth = req.url.startsWith('/api/docs') ? 'public' : (req.routeOptions.config?.auth ?? 'user');
    req.principal = (await principalFor(db, req, config.rootToken, config.adminEmail)) ?? null;
    if (auth === 'public') return;
    if (!req.principal) throw new GatewayError('authentication', 'Log in first.', { code: 'not_logged_in' });
    if (auth === 'admin' && req.principal.user.role !== 'admin') throw new GatewayError('permission', 'This needs an administrator.', { code: 'admin_only' });
  };

  app.get('/api/health', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Liveness' } }, async () => ({ ok: true }));
  app.get('/api/config', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Public settings the console needs' } }, async () => ({
    signupEnabled: ctx.settings().signupEnabled,
    publicUrl: ctx.services.config.publicUrl ?? null,
  }));

  registerAuthRoutes(app, ctx);
  registerAppRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerBillingRoutes(app, ctx);
  registerAdminBillingRoutes(app, ctx);
}
