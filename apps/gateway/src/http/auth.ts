import { FORMATS } from '../formats/registry.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyContext, KeyResolver } from '../apps/keys.js';
import { ensurePlaygroundApp } from '../apps/apps.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/database.js';
import { SESSION_COOKIE, userForSession } from '../accounts/sessions.js';
import { readCookie } from '../accounts/cookies.js';
import type { Dialect } from '../core/calls.js';
import { isPending, whenReady, type MaybeAsync } from '../core/maybe-async.js';

/** Where each dialect's SDK puts the key: OpenAI a bearer token, Anthropic `x-api-key`, Gemini `x-goog-api-key` or `?key=`. */
export function keyFromRequest(req: FastifyRequest, dialect: Dialect): string | undefined {
  const h = req.headers;
  if (dialect === 'anthropic' && typeof h['x-api-key'] === 'string') return h['x-api-key'];
  if (dialect === 'gemini') {
    if (typeof h['x-goog-api-key'] === 'string') return h['x-goog-api-key'];
    const q = (req.query as Record<string, unknown> | undefined)?.key;
    if (typeof q === 'string') return q;
  }
  const auth = h.authorization;
  if (typeof auth === 'string' && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  if (dialect === 'openai' && typeof h['api-key'] === 'string') return h['api-key']; // Azure-style clients
  if (typeof h['x-api-key'] === 'string') return h['x-api-key']; // Anthropic's SDK on shared paths (/v1/models)
  return undefined;
}

/**
 * The caller's key context, or the dialect's 401. Answered at once when the key is in the cache
 * (every relayed call asks); a refusal may be thrown rather than returned as a rejected promise.
 */
export function requireKey(keys: KeyResolver, req: FastifyRequest, dialect: Dialect): MaybeAsync<KeyContext> {
  const key = keyFromRequest(req, dialect);
  if (!key && req.headers['x-apigpt-playground'] === '1') return playgroundContext(keys.db, req).then((ctx) => ctx ?? refuse(undefined));
  if (!key) return refuse(undefined);
  const ctx = key.startsWith('sk-') && key.length <= 200 ? keys.resolve(key) : undefined;
  return whenReady(ctx, (c) => c ?? refuse(key));
}

/** No key (`key` undefined) or one that is not a live key. */
function refuse(key: string | undefined): never {
  if (!key) throw new GatewayError('authentication', "You didn't provide an API key. Send it as `Authorization: Bearer sk-...`.", { code: 'missing_api_key' });
  throw new GatewayError('authentication', `Incorrect API key provided: ${maskKey(key)}.`, { code: 'invalid_api_key' });
}

/**
 * The console's playgrounds call the relay with the login session instead of a key. The custom
 * header cannot be sent cross-site without a CORS preflight (which the gateway does not grant), so a
 * foreign page cannot ride on the cookie. Usage is recorded under the user's "Playground" app.
 */
async function playgroundContext(db: Db, req: FastifyRequest): Promise<KeyContext | undefined> {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  const user = token ? await userForSession(db, token) : undefined;
  if (!user) return undefined;
  const app = await ensurePlaygroundApp(db, user.id);
  return { keyId: null, prefix: 'console', appId: app.id, userId: user.id, group: user.group_name, role: user.role };
}

export function maskKey(key: string): string {
  return key.length > 12 ? `${key.slice(0, 6)}***${key.slice(-4)}` : '***';
}

const KEYED_DIALECTS = new Set<string>(FORMATS.filter((f) => f.keyed).map((f) => f.id));

/**
 * Relay routes (those whose config names a dialect) need a key. It is checked in the first phase of
 * the request, before the body is read or parsed, so an unauthenticated caller costs nothing. One
 * callback-style hook for all dialects: every request passes through it, so it must be cheap.
 */
export function registerKeyAuth(app: FastifyInstance, keys: KeyResolver): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const dialect = request.routeOptions.config?.dialect;
    if (!dialect || !KEYED_DIALECTS.has(dialect)) return done();
    let key: MaybeAsync<KeyContext>;
    try {
      key = requireKey(keys, request, dialect as Dialect);
    } catch (err) {
      return done(err as Error);
    }
    if (!isPending(key)) {
      request.apiKey = key;
      return done();
    }
    key.then((k) => {
      request.apiKey = k;
      done();
    }, done);
  });
}
