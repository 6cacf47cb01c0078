import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit, type Actor, type AuditEntry } from '../audit/audit-log.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../storage/database.js';
import { principal } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the route wrote its audit row; the fallback below writes one for routes that did not. */
    audited: boolean;
  }
}

/** The signed-in admin making the request, as the audit log records them. */
export function actorOf(req: FastifyRequest): Actor {
  const p = principal(req);
  return { id: p.user.id, email: p.user.email, via: p.via, ip: req.ip ?? null };
}

/**
 * Records an admin action of this request. Pass the change's transaction as `executor` so the row
 * commits with the change, or the database when the action changes nothing of its own (a channel
 * test, a health check).
 */
export async function audit(req: FastifyRequest, executor: Db, entry: AuditEntry): Promise<void> {
  await recordAudit(executor, actorOf(req), entry);
  req.audited = true;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every successful state-changing admin call leaves a row, including those of routes that write
 * none themselves (one added later without thinking of the log): a bare row naming the method,
 * route and path parameters, written before the answer is sent. Routes that know the change write
 * the full row (with before/after) in the change's transaction and mark the request.
 */
export function registerAuditFallback(app: FastifyInstance, db: Db, log: Logger): void {
  app.decorateRequest('audited', false);
  // Callback style: every reply passes through here (relay answers not streamed included) and must
  // not pay for a promise; only a successful admin change does any work.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.audited || SAFE_METHODS.has(req.method) || reply.statusCode >= 400 || req.routeOptions.config?.auth !== 'admin' || !req.principal) return done(null, payload);
    const params = (req.params ?? {}) as Record<string, string>;
    const target = params.id ?? params.model ?? params.name ?? null;
    audit(req, db, { action: `${req.method} ${req.routeOptions.url}`, targetId: target, after: Object.keys(params).length ? { params } : undefined })
      // The change is done; failing its answer now would invite a retry that repeats it.
      .catch((err: unknown) => log.error(`could not write the audit row of ${req.method} ${req.routeOptions.url}`, err))
      .then(() => done(null, payload));
  });
}

/** The request changed nothing (a replayed Idempotency-Key answer): no row, not even the fallback's. */
export function noAuditNeeded(req: FastifyRequest): void {
  req.audited = true;
}
