import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Services } from '../services.js';

/** How long each readiness check may take: a probe must answer well within a balancer's timeout. */
export const READY_CHECK_MS = 1_000;

/** `starting`: the writer thread was just started and has not answered yet; ready all the same. */
type Check = 'ok' | 'starting' | 'timeout' | 'unreachable' | 'not_writing';

/**
 * Routes for load balancers and monitoring, outside `/api` and the relay: no key, no session, no
 * request-log row, hidden from the API documents.
 *
 * - `GET /healthz`: the process is alive and its event loop turns. Touches nothing else, so a
 *   database outage never gets a healthy process restarted.
 * - `GET /readyz`: the process can serve — its database, Redis (when configured) and the
 *   request-log writer (on SQLite a thread of its own) each answer a trivial query within
 *   `READY_CHECK_MS`. 503 names the one that did not. A writer whose database answers but does not
 *   take its rows (a full disk, a read-only file system) is `not_writing`. A writer thread the check
 *   itself had to start (the first check, or the first after it ended idle) is `starting` while it loads, within its
 *   start-up allowance (batch/thread.ts): ready, since nothing is wrong and the first batch waits
 *   for it. While the process drains (SIGTERM), Fastify answers 503 to every new request, this one
 *   included.
 * - `GET /metrics`: Prometheus text, only with `Authorization: Bearer $APIGPT_METRICS_TOKEN`; 404 when
 *   no token is configured (metrics off).
 */
export function registerOpsRoutes(app: FastifyInstance, services: Pick<Services, 'db' | 'logWriter' | 'kv' | 'metrics'> & { config: Pick<Services['config'], 'redisUrl' | 'metricsToken'> }): void {
  const route = { config: { auth: 'public' }, schema: { hide: true } } as const;
  app.get('/healthz', route, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', route, async (_req, reply) => {
    const checks: Record<string, Check> = {};
    const pending: Promise<void>[] = [
      check(() => sql`select 1`.execute(services.db)).then((r) => void (checks.database = r)),
      check(() => services.logWriter.ping()).then((r) => void (checks.log_writer = r === 'timeout' && services.logWriter.starting ? 'starting' : r === 'ok' && services.logWriter.failing ? 'not_writing' : r)),
    ];
    if (services.config.redisUrl) pending.push(check(() => services.kv.get('readyz')).then((r) => void (checks.redis = r)));
    await Promise.all(pending);
    const failed = Object.keys(checks).filter((k) => checks[k] !== 'ok' && checks[k] !== 'starting');
    reply.header('cache-control', 'no-store');
    if (failed.length) reply.code(503).header('retry-after', '2');
    return { status: failed.length ? 'unavailable' : 'ready', checks, ...(failed.length ? { failed } : {}) };
  });

  const token = services.config.metricsToken;
  const metrics = services.metrics;
  app.get('/metrics', route, async (req, reply) => {
    if (!token || !metrics) return reply.code(404).send({ error: { message: 'Metrics are off: set APIGPT_METRICS_TOKEN to turn them on.', type: 'not_found', param: null, code: 'metrics_off' } });
    if (!sameSecret(bearer(req.headers.authorization), token))
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: { message: 'Send the metrics token as `Authorization: Bearer ...`.', type: 'authentication', param: null, code: 'invalid_metrics_token' } });
    const text = await metrics.text();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text);
  });
}

/** Runs one check against the clock: `ok`, or why not (a hung connection reads `timeout`). */
async function check(ping: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Check>((resolve) => (timer = setTimeout(() => resolve('timeout'), READY_CHECK_MS)));
  try {
    return await Promise.race([Promise.resolve().then(ping).then((): Check => 'ok', (): Check => 'unreachable'), late]);
  } finally {
    clearTimeout(timer);
  }
}

function bearer(header: string | undefined): string {
  return typeof header === 'string' && header.slice(0, 7).toLowerCase() === 'bearer ' ? header.slice(7).trim() : '';
}

/** Compared in constant time (digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return given.length > 0 && timingSafeEqual(a, b);
}
