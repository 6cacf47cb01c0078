import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dialect } from '../core/calls.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CallSpec, FormatHost, StoredResponses } from '../formats/host.js';
import { callTexts, promptTexts } from '../formats/safety-text.js';
import type { CallRequest } from '../relay/call.js';
import { ForwardExchange } from '../relay/exchanges/forward.js';
import { ImageExchange, WebuiExchange, webuiModels } from '../relay/exchanges/image.js';
import { TextExchange, type TextCall } from '../relay/exchanges/text.js';
import type { Exchange } from '../relay/pipeline.js';
import { CACHE_HEADER } from '../relay/cache.js';
import type { Services } from '../services.js';
import { ResponseStore } from '../responses-store/store.js';
import { hookStream } from './answer-hook.js';
import { requireKey } from './auth.js';
import { answerId, toErrorResponse, writeErrorResponse, writeReply } from './errors.js';
import { rawJsonOf } from './json-body.js';

/**
 * The gateway side of the formats' routes: turns a route's call description into the pipeline's
 * call and exchange, and answers on the raw response. The relay's bytes are ready-made (or streamed
 * as they come), and Fastify's reply pipeline would cost more than the write itself on this hot
 * path. Failures are rendered here, in the caller's dialect, since a hijacked reply bypasses
 * Fastify's error handler.
 */
export function createFormatHost(services: Services): FormatHost {
  const { config } = services;
  const exchangeFor = (spec: CallSpec, req: CallRequest, request: FastifyRequest, reply: FastifyReply): Exchange => {
    switch (spec.kind) {
      case 'text':
        return new TextExchange(services.text, req as TextCall, reply.raw, request.headers[CACHE_HEADER]);
      case 'image':
        return new ImageExchange(services.images, { key: req.key, endpoint: spec.endpoint, mode: spec.mode, call: spec.call, publicBase: host.publicBase(request) });
      case 'webui':
        return new WebuiExchange(services.images, { key: req.key, endpoint: spec.endpoint, body: spec.body }, (model) => (req.model = model));
      case 'forward':
        return new ForwardExchange(spec, reply.raw);
    }
  };
  const host: FormatHost = {
    async run(request, reply, spec, dialect, hook) {
      reply.hijack();
      const res = reply.raw;
      const unhook = hook?.stream ? hookStream(res, hook.stream) : null;
      try {
        const req = callRequest(request, spec);
        const result = await services.pipeline.run(req, exchangeFor(spec, req, request, reply), res);
        unhook?.();
        if (result) {
          if (hook?.body && result.status < 300) result.body = await hook.body(result.body);
          writeReply(res, result);
        }
      } catch (err) {
        // A stream that began ends through the hook, which may still hold its last events.
        if (!res.headersSent) unhook?.();
        // The pipeline named the call on the response (x-request-id), or it was refused before: the log line names it too.
        writeErrorResponse(res, toErrorResponse(err, dialect, services.log, answerId(res)));
      }
      return reply;
    },
    async call(request, reply, spec) {
      const req = callRequest(request, spec);
      const result = await services.pipeline.run(req, exchangeFor(spec, req, request, reply), reply.raw);
      if (!result) throw new GatewayError('internal', 'A call meant to be handed back was answered as a stream.');
      return result;
    },
    responses: storedResponses(new ResponseStore(services.db, { retentionMs: config.responsesRetentionDays * 86_400_000, log: services.log }), services.log),
    models: async (group) => services.billing.catalog(await services.router.models(group), group),
    async firstProvider(model, group, operation) {
      const routes = await services.router.routes(model, group, operation);
      const a = routes[0]?.adapter;
      return a ? { dialect: a.dialect, operations: a.operations, nativeDialects: a.nativeDialects ?? [] } : null;
    },
    webuiModels: (group) => webuiModels(services.channels, group),
    requireKey: async (request, dialect) => requireKey(services.keys, request, dialect),
    renderError: (err, dialect) => toErrorResponse(err, dialect, services.log),
    limits: { bodyLimit: config.bodyLimit },
    counter: services.text.counter,
    publicBase: (request) => (config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, ''),
  };
  return host;
}

/**
 * The stored responses of the request's key owner: the owner is never the route's to name. A save
 * that fails is logged, and the answer still reaches the caller (its id then cannot be continued).
 */
function storedResponses(store: ResponseStore, log: Logger): StoredResponses {
  const owner = (request: FastifyRequest) => request.apiKey!.userId;
  return {
    save: (request, r) => store.save(owner(request), r).catch((err: unknown) => log.error('storing a response failed', err)),
    get: (request, id) => store.get(owner(request), id),
    delete: (request, id) => store.delete(owner(request), id),
    items: (request, ids) => store.items(owner(request), ids),
  };
}

/** The pipeline's view of a call. Object literals of one shape, no spreads: this runs on every call. */
function callRequest(request: FastifyRequest, spec: CallSpec): CallRequest | TextCall {
  const o = request.headers.origin;
  const key = request.apiKey!;
  const clientIp = request.ip ?? null;
  const origin = typeof o === 'string' ? o : null;
  switch (spec.kind) {
    case 'text':
      // Already the text exchange's call: one object per call, not a copy.
      return { key, clientIp, origin, dialect: spec.dialect, operation: spec.operation, endpoint: spec.endpoint, model: spec.model, stream: spec.stream, body: spec.body, clientWantsUsage: spec.clientWantsUsage, passThrough: spec.passThrough, releasesBody: spec.releasesBody, affinity: spec.affinity, texts: callTexts(spec.dialect, spec.operation, spec.body), raw: rawJsonOf(request, spec.body) };
    case 'image':
      // The exchange reads the prompt from the same object: a masked prompt is what the provider gets.
      return { key, clientIp, origin, dialect: 'openai', operation: 'image', endpoint: spec.endpoint, model: spec.call.model, stream: false, texts: promptTexts(spec.call as unknown as Record<string, unknown>, 'prompt') };
    case 'webui':
      return { key, clientIp, origin, dialect: 'openai', logDialect: 'sd-webui', operation: 'image', endpoint: spec.endpoint, model: '', stream: false, texts: promptTexts(spec.body, 'prompt') };
    case 'forward':
      return { key, clientIp, origin, dialect: spec.dialect, operation: spec.operation, endpoint: spec.endpoint, model: spec.model, stream: spec.streamBytes === true, texts: spec.operation === 'speech' && spec.body ? promptTexts(spec.body, 'input') : null };
  }
}

export type { Dialect };
