import type { FastifyInstance } from 'fastify';
import type { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { FORMATS_BY_ID } from '../formats/registry.js';
import type { LoadGuard } from '../relay/load.js';
import { LogThrottle } from '../core/log-throttle.js';

/** One warning per this many ms at most while calls are being refused. */
const WARN_EVERY_MS = 10_000;

/**
 * Relay calls (POST routes of a dialect) pass the load guard first: registered before the key check,
 * so a refused call costs neither a key lookup nor reading its body. The refusal is the dialect's own
 * 503 with `retry-after`, written here (not through the error handler, which logs every 503 as a
 * database or Redis outage). A call let through is counted until its response closes (streams too).
 * Without limits or metrics the hook is not installed at all.
 */
export function registerLoadShedding(app: FastifyInstance, guard: LoadGuard, log: Logger): void {
  if (!guard.active) return;
  const warnings = new LogThrottle(WARN_EVERY_MS);
  app.addHook('onRequest', (request, reply, done) => {
    const dialect = request.routeOptions.config?.dialect;
    if (request.method !== 'POST' || !dialect) return done();
    const refusal = guard.enter();
    if (!refusal) {
      reply.raw.once('close', guard.leave);
      return done();
    }
    const held = warnings.pass();
    if (held !== null) log.warn(`overloaded (${String(refusal.cause)}; ${guard.inflight} calls in flight, event loop ${Math.round(guard.lagMs)} ms behind): refusing new calls with 503${held ? ` (${held} more since the last line)` : ''}`);
    const r = render(refusal, dialect);
    reply.code(r.status).header('retry-after', String(refusal.retryAfter)).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(r.body));
  });
}

function render(e: GatewayError, dialect: string): { status: number; body: unknown } {
  const format = FORMATS_BY_ID.get(dialect);
  if (format) return format.renderError(e);
  return { status: e.status, body: { error: { message: e.message, type: e.kind, param: null, code: e.code } } };
}
