import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { GatewayError } from '../core/errors.js';
import type { Services } from '../services.js';
import { registerApi, type ApiHooks, type ApiSettings } from '../api/index.js';
import { FORMATS } from '../formats/registry.js';
import { createFormatHost } from './host.js';
import { registerMediaRoutes } from './media-routes.js';
import { registerModerationRoute } from './moderation-route.js';
import { registerConsole } from './console.js';
import { registerEditor } from './editor.js';
import { pageSecurityHeaders } from '../core/page-headers.js';
import { registerCors } from './cors.js';
import { registerKeyAuth } from './auth.js';
import { answerId, toErrorResponse, type ErrorDialect } from './errors.js';
import { lazySerializerFactory } from './lazy-compilers.js';
import { createValidatorCompiler } from '../formats/validation.js';
import { registerJsonParser } from './json-body.js';
import { trustProxyOption } from '../config/config.js';
import { registerLoadShedding } from './load-shedding.js';
import { registerOpsRoutes } from './ops-routes.js';

export interface ServerOptions {
  settings?: () => ApiSettings;
  hooks?: ApiHooks;
  /** Extra route registrations (console, other dialects) that need the same error handling. */
  plugins?: ((app: FastifyInstance) => void | Promise<void>)[];
  version?: string;
  /** Folder of the built console (default: apps/console/dist). */
  consoleDir?: string;
  /** Folder of the built editor, its bundle and demo page (default: packages/editor/dist). */
  editorDir?: string;
}

/** Builds the HTTP server around ready services. Nothing global: tests build several at once. */
export async function buildServer(services: Services, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    logger: false,
    // X-Forwarded-For is believed only from the configured proxies (APIGPT_TRUST_PROXY, off by default).
    trustProxy: trustProxyOption(config.trustProxy),
    // Node's requestTimeout bounds receiving the request (headers and body) only, never the response:
    // a client trickling its body is cut with 408, long answer streams are not. Node looks for
    // expired requests every `connectionsCheckingInterval`, so that is a fraction of the timeout.
    requestTimeout: config.bodyTimeoutMs,
    http: {
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.bodyTimeoutMs / 4) || 1000)),
      ...(config.bodyTimeoutMs > 0 ? { headersTimeout: Math.min(60_000, config.bodyTimeoutMs) } : {}),
    },
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory() } },
  });
  // First of the request hooks: a call refused for overload costs no key lookup and no body read.
  registerLoadShedding(app, services.load, services.log);
  app.setValidatorCompiler(createValidatorCompiler());
  // JSON bodies: size capped by bodyLimit, nesting by a depth check before anything walks them.
  registerJsonParser(app);
  app.decorateRequest('apiKey', null);

  app.setErrorHandler((err, req, reply) => {
    // A relayed call answered through Fastify (the Responses API) was named by the pipeline; a
    // relay refusal before it (the key, the body) is named here (answerId sets the header).
    // Management answers carry no id.
    const dialect = dialectOf(req);
    const id = dialect === 'api' ? undefined : answerId(reply.raw);
    const r = toErrorResponse(err, dialect, services.log, id);
    reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new GatewayError('not_found', `Unknown route: ${req.method} ${req.url.split('?')[0]}`, { code: 'unknown_url' });
    const r = toErrorResponse(e, dialectOf(req), services.log);
    reply.code(r.status).send(r.body);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'APIGPT',
        version: opts.version ?? '0.1.0',
        description: 'Management API (`/api`) and the OpenAI-compatible relay (`/v1`). Relay calls take an App key as `Authorization: Bearer sk-...`; management calls take the console session cookie or the root token.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'App API key (relay) or APIGPT_ROOT_TOKEN (management)' },
          session: { type: 'apiKey', in: 'cookie', name: 'apigpt_session' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
  });
  // The console and the docs (api/index.ts) are pages a browser renders: CSP and frame protection on both.
  const pageHeaders = pageSecurityHeaders(config.publicUrl);
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // No validator badge: it would load an image from validator.swagger.io.
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
  });
  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // Admin-editable settings live in the database (billing/settings.ts); the config gives their defaults.
  const settings = opts.settings ?? (() => services.billing.settings.current());
  // CORS first: a preflight for the account reads is answered before the management API's own
  // hook asks it for a login, and its refusals carry the headers that let the page read them.
  registerCors(app, services.keys.origins);
  registerApi(app, { services, settings, hooks: opts.hooks ?? { onUserCreated: services.billing.onUserCreated } });
  registerKeyAuth(app, services.keys);
  // Multipart bodies (image edits, audio files) arrive as bytes; the routes read them with busboy.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: config.bodyLimit }, (_req, body, done) => done(null, body));
  const host = createFormatHost(services);
  for (const format of FORMATS) format.register(app, host);
  registerMediaRoutes(app, services.images.links);
  // POST /v1/moderations: through a moderation channel when one serves the model, else the content-safety rules.
  registerModerationRoute(app, { guard: services.safety.guard, router: services.router, host });
  // /healthz, /readyz and /metrics for balancers and monitoring.
  registerOpsRoutes(app, services);
  for (const plugin of opts.plugins ?? []) await plugin(app);
  // /editor/: the AGIEditor bundle and its demo page (before the console's wildcard, which it narrows).
  registerEditor(app, { dir: opts.editorDir, headers: pageHeaders });
  // Last: the console's wildcard GET only answers what no API route claims.
  registerConsole(app, { dir: opts.consoleDir, headers: pageHeaders });
  return app;
}

/** Which error shape a request expects: from its route, or guessed from its path when unrouted. */
function dialectOf(req: FastifyRequest): ErrorDialect {
  const d = req.routeOptions?.config?.dialect;
  if (d) return d;
  const url = req.url;
  if (url.startsWith('/api/')) return 'api';
  if (url.startsWith('/v1beta/')) return 'gemini';
  if (url.startsWith('/v1/messages') && req.headers['anthropic-version']) return 'anthropic';
  return 'openai';
}
