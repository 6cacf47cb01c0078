import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dialect } from '../core/calls.js';
import type { CallSpec, FormatHost } from '../formats/host.js';
import type { CallRequest } from '../relay/call.js';
import { ForwardExchange } from '../relay/exchanges/forward.js';
import { ImageExchange, WebuiExchange, webuiModels } from '../relay/exchanges/image.js';
import { TextExchange, type TextCall } from '../relay/exchanges/text.js';
import type { Exchange } from '../relay/pipeline.js';
import { CACHE_HEADER } from '../relay/cache.js';
import type { Services } from '../services.js';
import { requireKey } from './auth.js';
import { toErrorResponse, writeErrorResponse, writeReply } from './errors.js';

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
    async run(request, reply, spec, dialect) {
      reply.hijack();
      try {
        const req = callRequest(request, spec);
        const result = await services.pipeline.run(req, exchangeFor(spec, req, request, reply), reply.raw);
        if (result) writeReply(reply.raw, result);
      } catch (err) {
        writeErrorResponse(reply.raw, toErrorResponse(err, dialect, services.log));
      }
      return reply;
    },
    models: (group) => services.router.models(group),
    async firstProvider(model, group, operation) {
      const routes = await services.router.routes(model, group, operation);
      return routes[0] ? { dialect: routes[0].adapter.dialect, operations: routes[0].adapter.operations } : null;
    },
    webuiModels: (group) => webuiModels(services.channels, group),
    requireKey: (request, dialect) => requireKey(services.keys, request, dialect),
    renderError: (err, dialect) => toErrorResponse(err, dialect, services.log),
    limits: { bodyLimit: config.bodyLimit },
    publicBase: (request) => (config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, ''),
  };
  return host;
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
      return { key, clientIp, origin, dialect: spec.dialect, operation: spec.operation, endpoint: spec.endpoint, model: spec.model, stream: spec.stream, body: spec.body, clientWantsUsage: spec.clientWantsUsage, passThrough: spec.passThrough };
    case 'image':
      return { key, clientIp, origin, dialect: 'openai', operation: 'image', endpoint: spec.endpoint, model: spec.call.model, stream: false };
    case 'webui':
      return { key, clientIp, origin, dialect: 'openai', logDialect: 'sd-webui', operation: 'image', endpoint: spec.endpoint, model: '', stream: false };
    case 'forward':
      return { key, clientIp, origin, dialect: spec.dialect, operation: spec.operation, endpoint: spec.endpoint, model: spec.model, stream: spec.streamBytes === true };
  }
}

export type { Dialect };
