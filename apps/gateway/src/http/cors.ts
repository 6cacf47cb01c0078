import type { FastifyInstance } from 'fastify';
import type { KeyOrigins } from '../apps/key-origins.js';

/**
 * Paths a browser page may call with an App key (keys can be limited to some origins): the relay,
 * and the two account reads a page needs to show a key's balance and prices (`keys: true` routes,
 * so the key's own origin list holds there too). The rest of /api stays same-origin.
 */
const CROSS_ORIGIN = /^\/(v1|v1beta|sdapi\/v1)\/|^\/api\/(billing\/account|models)(\?|$)/;

/**
 * The SDKs' own headers and the provider dialects' auth headers. `x-apigpt-playground` is left out
 * on purpose: it is what lets the console call with its login cookie, and a foreign page must never
 * be allowed to send it. Credentials (cookies) are never allowed cross-origin either.
 */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'x-goog-api-key',
  'x-goog-api-client',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'x-apigpt-cache',
  // @apigpt/sdk sends one on every write, so a retried write is applied once.
  'idempotency-key',
  // The caller's own id of a call (relay/call.ts clientRequestId).
  'x-client-request-id',
  'x-request-id',
  'x-stainless-arch',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
  'x-stainless-helper-method',
  'x-stainless-async',
].join(', ');

const EXPOSED_HEADERS = [
  'x-request-id',
  'x-client-request-id',
  'retry-after',
  'x-should-retry',
  'x-apigpt-cache',
  // What a buffered answer was charged, in P (relay/pipeline.ts).
  'x-apigpt-cost',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
].join(', ');

/**
 * CORS for the relay, so keys limited to some origins can be used from those pages. A preflight
 * carries no key, so it is answered only for an origin that some live key allows (`KeyOrigins`):
 * any other page is refused before it can send a key at all. On the call itself the origin is
 * echoed and the key's own list decides (a refusal stays readable, so the page can say why). The
 * management API under /api stays same-origin but for the account reads above.
 */
export function registerCors(app: FastifyInstance, origins: KeyOrigins): void {
  app.addHook('onRequest', (req, reply, done) => {
    const origin = req.headers.origin;
    if (!origin || !CROSS_ORIGIN.test(req.url)) return done();
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      // Answered here, and the request goes no further (no `done()`): no later hook (the
      // management API's login check) runs for a preflight.
      origins.allows(origin).then(
        (allowed) => {
          if (!allowed) {
            reply.code(403).headers({ vary: 'Origin', 'cache-control': 'no-store' }).type('text/plain; charset=utf-8').send("No API key of this gateway allows this origin. Add it to a key's allowed origins.");
            return;
          }
          reply
            .code(204)
            .headers({
              'access-control-allow-origin': origin,
              vary: 'Origin',
              'access-control-allow-methods': 'GET, POST, OPTIONS',
              'access-control-allow-headers': ALLOWED_HEADERS,
              'access-control-max-age': '600',
            })
            .send();
        },
        (err: unknown) => done(err as Error),
      );
      return;
    }
    // Set on the raw response so hijacked (streamed) replies carry them too.
    reply.raw.setHeader('access-control-allow-origin', origin);
    reply.raw.setHeader('vary', 'Origin');
    reply.raw.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    done();
  });
}
