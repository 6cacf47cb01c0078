import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../accounts/users.js';
import { GatewayError } from '../core/errors.js';
import { principalFor } from './principal.js';
import { pageSecurityHeaders } from '../core/page-headers.js';
import type { Services } from '../services.js';
import type { Db } from '../storage/database.js';
import { registerAdminRoutes } from './admin-routes.js';
import { registerAdminConsoleRoutes } from './admin-console-routes.js';
import { registerAdminBillingRoutes } from './admin-billing-routes.js';
import { registerBillingRoutes } from './billing-routes.js';
import { registerRechargeRoutes } from './recharge-routes.js';
import { registerAdminRechargeRoutes } from './admin-recharge-routes.js';
import { registerAppRoutes } from './app-routes.js';
import { registerAuthRoutes } from './auth-routes.js';
import './context.js';
import { registerLogRoutes } from './log-routes.js';
import { registerModelRoutes } from './model-routes.js';
import { registerAuditFallback } from './audit.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerSafetyRoutes } from './safety-routes.js';
import { registerSupportRoutes } from './support-routes.js';
import { registerAdminSupportRoutes } from './admin-support-routes.js';
import { registerPrivacyRoutes } from './privacy-routes.js';
import { registerOnboardingRoutes } from './onboarding-routes.js';
import { ENROLMENT_ROUTES, mustEnrol } from './two-factor-routes.js';

export type { ApiContext, ApiHooks, ApiSettings } from './context.js';
import type { ApiContext } from './context.js';

/** The management API under /api: JSON, cookie sessions for the console, a root token for automation. */
export function registerApi(app: FastifyInstance, ctx: ApiContext): void {
  const { config, db } = ctx.services;
  const ownOrigin = config.publicUrl ? new URL(config.publicUrl).origin : null;
  app.decorateRequest('principal', null);
  registerAuditFallback(app, db, ctx.services.log);
  const docsHeaders = pageSecurityHeaders(config.publicUrl);
  app.addHook('onRequest', (req, reply, done) => {
    // Callback style: relay requests pass through here too and must not pay for a promise.
    if (!req.url.startsWith('/api/')) return done();
    // Swagger UI is a page a browser renders (its static files included): CSP and frame protection.
    if (req.url.startsWith('/api/docs')) reply.headers(docsHeaders);
    authorise(req).then(() => done(), done);
  });
  const authorise = async (req: FastifyRequest) => {
    // Swagger UI's own routes (registered by its plugin) are public documentation.
    const auth = req.url.startsWith('/api/docs') ? 'public' : (req.routeOptions.config?.auth ?? 'user');
    req.principal = (await principalFor(db, req, config.rootToken, config.adminEmail, ctx.services.keys)) ?? null;
    if (req.principal?.via === 'session' && !SAFE_METHODS.has(req.method)) refuseCrossOrigin(req, ownOrigin);
    // An App key reaches only its account (balance, usage, its own calls, redeem, models and prices):
    // a leaked key must not manage apps, keys or anything an administrator does.
    if (req.principal?.via === 'api_key' && auth !== 'public' && req.routeOptions.config?.keys !== true)
      throw new GatewayError('permission', 'An API key can only read its account here (balance, usage, calls, models) and redeem codes. Log in to the console, or use the root token, for the rest.', { code: 'api_key_not_allowed' });
    if (auth === 'public') return;
    if (!req.principal) throw new GatewayError('authentication', 'Log in first.', { code: 'not_logged_in' });
    // An administrator the server holds to two-factor sign-in reaches only the enrolment steps until
    // enrolled (the console leads them there). The root token is the operator's, not a sign-in.
    if (req.principal.via === 'session' && mustEnrol(ctx, req.principal.user) && !ENROLMENT_ROUTES.has(req.routeOptions.url ?? ''))
      throw new GatewayError('permission', 'This server requires administrators to use two-factor sign-in. Turn it on for your account first (Account → Two-factor sign-in).', { code: 'two_factor_required' });
    if (auth === 'admin' && req.principal.user.role !== 'admin') throw new GatewayError('permission', 'This needs an administrator.', { code: 'admin_only' });
  };

  app.get('/api/health', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Liveness' } }, async () => ({ ok: true }));
  app.get('/api/config', { config: { auth: 'public' }, schema: { tags: ['System'], summary: 'Public settings the console needs' } }, async () => ({
    signupEnabled: ctx.settings().signupEnabled,
    publicUrl: ctx.services.config.publicUrl ?? null,
    // Mail on: the console offers "forgot password" and asks new accounts to confirm their address.
    mail: ctx.services.mailer !== null,
  }));

  registerAuthRoutes(app, ctx);
  registerAppRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerModelRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerAdminConsoleRoutes(app, ctx);
  registerBillingRoutes(app, ctx);
  registerAdminBillingRoutes(app, ctx);
  registerRechargeRoutes(app, ctx);
  registerAdminRechargeRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerSafetyRoutes(app, ctx);
  registerSupportRoutes(app, ctx);
  registerAdminSupportRoutes(app, ctx);
  registerPrivacyRoutes(app, ctx);
  registerOnboardingRoutes(app, ctx);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A page on another port of the same host is "same-site" to a browser, so the SameSite session
 * cookie rides along on its form posts (`enctype=text/plain` needs no preflight). A state-changing
 * call carried by the cookie must come from the gateway's own origin: browsers say where a request
 * comes from in `Sec-Fetch-Site` and `Origin`. Clients that send neither (scripts, the CLI, SDKs) are
 * not browsers riding on a victim's cookie; the root token is never sent by a browser on its own.
 */
function refuseCrossOrigin(req: FastifyRequest, ownOrigin: string | null): void {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw crossSite();
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (ownOrigin !== null && origin === ownOrigin) return;
  // The gateway's own origin as this request reached it: the Host it was sent to.
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    host = null; // `null` (sandboxed frames, some redirects) or garbage
  }
  if (host === null || host !== req.headers.host) throw crossSite();
}

function crossSite(): GatewayError {
  return new GatewayError('permission', 'This request came from another site or port than the console, so the session cookie is not accepted for it. Use the console, or the root token for automation.', { code: 'cross_site_request' });
}
