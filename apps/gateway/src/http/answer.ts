import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse, writeErrorResponse, writeReply } from './errors.js';
import type { Services } from '../services.js';
import type { RelayRequest } from '../relay/pipeline.js';

/** What a dialect's route knows of a call; the caller's key, address and origin come from the request. */
export type DialectCall = Omit<RelayRequest, 'key' | 'clientIp' | 'origin'>;

/**
 * Runs one relayed call and answers it on the raw response, for every dialect: the relay's bytes are
 * ready-made (or streamed as they come), and Fastify's reply pipeline would cost more than the write
 * itself on this hot path. Failures are rendered here, in the caller's dialect, since a hijacked reply
 * bypasses Fastify's error handler.
 */
export async function answer(services: Services, request: FastifyRequest, reply: FastifyReply, call: DialectCall): Promise<FastifyReply> {
  reply.hijack();
  try {
    const result = await services.relay.run({ key: request.apiKey!, clientIp: request.ip ?? null, origin: request.headers.origin ?? null, ...call }, reply.raw);
    if (result) writeReply(reply.raw, result);
  } catch (err) {
    writeErrorResponse(reply.raw, toErrorResponse(err, call.dialect, services.relay.codecs, services.log));
  }
  return reply;
}
