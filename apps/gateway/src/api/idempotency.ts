import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { MAX_KEY_LENGTH, parseIdempotencyKey, REPLAYED_HEADER, type IdempotencyKey } from '../billing/idempotency.js';
import { principal } from './context.js';

/**
 * The management API's side of Idempotency-Key (billing/idempotency.ts keeps the records): which
 * caller and route a key belongs to, the header in the OpenAPI document, the replay mark.
 */

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_KEY_LENGTH,
      description:
        'Optional. A repeat with the same key and parameters (within 24 h) returns the first answer with `idempotent-replayed: true` and moves no credit; the same key with other parameters is refused with 409 `idempotency_key_reused`; while the first is still running, 409 `idempotency_in_progress` with `retry-after`.',
    }),
  ),
});

export const IDEMPOTENT_NOTE = ' Send an `Idempotency-Key` header to make a retry safe: a repeat answers as the first time and moves nothing twice.';

/**
 * The request's key, when it sent one. Keys are the caller's own (a console user's, or the root
 * token's) and the route's: the same key elsewhere is another key. `params` are what a repeat must
 * send again (path parameters and body).
 */
export function idempotencyKeyOf(req: FastifyRequest, params: unknown): IdempotencyKey | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const p = principal(req);
  return {
    scope: p.via === 'root_token' ? 'root' : `user:${p.user.id}`,
    route: `${req.method} ${req.routeOptions.url}`,
    key: parseIdempotencyKey(raw),
    params,
  };
}

/** Marks an answer that is a stored one (a refusal carries the mark in its error's headers). */
export function markReplay(reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header(REPLAYED_HEADER, 'true');
}
