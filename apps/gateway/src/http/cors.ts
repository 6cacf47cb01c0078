import type { FastifyInstance } from 'fastify';

/** Paths a browser page may call with an App key (keys can be limited to some origins). */
const RELAY = /^\/(v1|v1beta|sdapi\/v1)\//;

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
  'retry-after',
  'x-should-retry',
  'x-apigpt-cache',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
].join(', ');

/**
 * CORS for the relay, so keys limited to some origins can be used from those pages. The origin is
 * echoed (the key's own allow-list decides); the management API under /api stays same-origin.
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const origin = req.headers.origin;
    if (!origin || !RELAY.test(req.url)) return done();
    // Set on the raw response so hijacked (streamed) replies carry them too.
    reply.raw.setHeader('access-control-allow-origin', origin);
    reply.raw.setHeader('vary', 'Origin');
    reply.raw.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      reply.raw.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      reply.raw.end();
      reply.hijack();
    }
    done();
  });
}
